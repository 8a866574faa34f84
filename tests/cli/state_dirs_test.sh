#!/usr/bin/env bash
# The daemon makes its state directories as `postfix post-install` would: started as root with a
# config whose pid, status, spool, quarantine and last-good directories (and their parents) do not
# exist, it creates them (parents root:root 0755, each directory the daemon user's, 0750); started
# as another user, it names the missing directory and what to run, and exits 78.
# Usage: state_dirs_test.sh GFI_MILTER   (as root)
set -u
MILTER=$1
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root"; exit 0; fi
work=$(mktemp -d /tmp/gfi-state-dirs.XXXXXX)
chmod 755 "$work"
trap 'p=$(cat "$work/deep/run/gfi.pid" 2>/dev/null); [ -n "$p" ] && kill "$p" 2>/dev/null; sleep 0.5; rm -rf "$work"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; shift; for l in "$@"; do echo "    $l"; done; fail=1; }
mkdir -p "$work/ind"
printf 'domain,evil.example,quarantine,ind-1\n' > "$work/ind/t.csv"
chmod -R a+rX "$work/ind"
conf() {  # conf FILE BASE USER
  cat > "$1" <<TOML
[milter]
socket = "unix:$2/run/milter.sock"
user = "$3"
pid_file = "$2/run/gfi.pid"
status_file = "$2/status/status.json"
spool_dir = "$2/lib/spool"
[indicators]
paths = ["$work/ind"]
reload_interval = 0
[quarantine]
dir = "$2/lib/quarantine"
[spf]
enabled = false
TOML
  chmod 644 "$1"
}
conf "$work/root.toml" "$work/deep" nobody
"$MILTER" --config "$work/root.toml" > "$work/start.out" 2>&1
rc=$?
if [ $rc -ne 0 ]; then bad "start as root with missing directories: exit $rc" "$(cat "$work/start.out")"; fi
nobody_ids="$(id -u nobody):$(id -g nobody)"
for d in run status lib/spool lib/quarantine lib/last-good; do
  got=$(stat -c '%u:%g %a' "$work/deep/$d" 2>/dev/null)
  if [ "$got" = "$nobody_ids 750" ]; then ok "$d created, owned by nobody, 0750"
  else bad "$d" "expected '$nobody_ids 750', got '$got'"; fi
done
for d in deep deep/lib; do
  got=$(stat -c '%u:%g %a' "$work/$d" 2>/dev/null)
  if [ "$got" = "0:0 755" ]; then ok "parent $d created root:root 0755"
  else bad "parent $d" "expected '0:0 755', got '$got'"; fi
done
[ -S "$work/deep/run/milter.sock" ] && ok "the socket is in the created directory" \
  || bad "no socket in $work/deep/run"
p=$(cat "$work/deep/run/gfi.pid" 2>/dev/null); [ -n "$p" ] && kill "$p"
for _ in $(seq 1 50); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done

# As another user: the missing directory is named with what to run.
mkdir -p "$work/mine" && chown nobody "$work/mine"
conf "$work/user.toml" "$work/absent" nobody
runuser -u nobody -- "$MILTER" --config "$work/user.toml" --foreground > "$work/user.out" 2>&1
rc=$?
if [ $rc -eq 78 ] && grep -q "$work/absent/run: does not exist" "$work/user.out" &&
   grep -q "install -d -o nobody" "$work/user.out"; then
  ok "as nobody, a missing directory is named with the command to create it (exit 78)"
else
  bad "as nobody with missing directories: exit $rc" "$(cat "$work/user.out")"
fi
[ -e "$work/absent" ] && bad "a non-root start created $work/absent"
exit $fail
