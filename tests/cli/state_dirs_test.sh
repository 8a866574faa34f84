#!/usr/bin/env bash
# The daemon makes its state directories as `postfix post-install` would: started as root with a
# config whose pid, status, spool, quarantine and last-good directories (and their parents) do not
# exist, it creates them (parents root:root 0755, each directory the daemon user's, 0750); started
# as another user, it names the missing directory and what to run, and exits 78. With
# [milter] socket_group, the socket and its directory belong to that group, and a process holding
# only that group (the MTA) can connect and read nothing else (gfi-milter(8), PRIVILEGES).
# Usage: state_dirs_test.sh GFI_MILTER   (as root)
set -u
MILTER=$1
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root"; exit 0; fi
work=$(mktemp -d /tmp/gfi-state-dirs.XXXXXX)
chmod 755 "$work"
mta_group="gfi-t-mta-$$"
trap 'for f in deep/run/gfi.pid sep/run/gfi.pid; do p=$(cat "$work/$f" 2>/dev/null); [ -n "$p" ] && kill "$p" 2>/dev/null; done; sleep 0.5; groupdel "$mta_group" 2>/dev/null; rm -rf "$work"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; shift; for l in "$@"; do echo "    $l"; done; fail=1; }
mkdir -p "$work/ind"
printf 'domain,evil.example,quarantine,ind-1\n' > "$work/ind/t.csv"
chmod -R a+rX "$work/ind"
conf() {  # conf FILE BASE USER [SOCKET_GROUP]
  cat > "$1" <<TOML
[milter]
socket = "unix:$2/run/milter.sock"
user = "$3"
socket_group = "${4:-}"
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
  want=750; [ "$d" = run ] && want=751  # the socket's directory: passable (gfi-milter(8))
  got=$(stat -c '%u:%g %a' "$work/deep/$d" 2>/dev/null)
  if [ "$got" = "$nobody_ids $want" ]; then ok "$d created, owned by nobody, 0$want"
  else bad "$d" "expected '$nobody_ids $want', got '$got'"; fi
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

# socket_group: a group that does not exist stops the start, named.
conf "$work/nogroup.toml" "$work/ng" nobody "$mta_group"
"$MILTER" --config "$work/nogroup.toml" --foreground > "$work/ng.out" 2>&1
rc=$?
if [ $rc -eq 78 ] && grep -q "socket_group '$mta_group' does not exist" "$work/ng.out"; then
  ok "a missing socket_group is named (exit 78)"
else
  bad "missing socket_group: exit $rc" "$(cat "$work/ng.out")"
fi
# The separated privileges: feeds root:nogroup 0750/0640 (the daemon's group), the socket the
# MTA group's.
groupadd --system "$mta_group"
mta_gid=$(getent group "$mta_group" | cut -d: -f3)
mkdir -p "$work/sepfeeds"
cp "$work/ind/t.csv" "$work/sepfeeds/"
chown -R root:"$(id -gn nobody)" "$work/sepfeeds"; chmod 0750 "$work/sepfeeds"; chmod 0640 "$work/sepfeeds/t.csv"
conf "$work/sep.toml" "$work/sep" nobody "$mta_group"
sed -i "s|paths = \[\"$work/ind\"\]|paths = [\"$work/sepfeeds\"]|" "$work/sep.toml"
"$MILTER" --config "$work/sep.toml" > "$work/sep.out" 2>&1
rc=$?
if [ $rc -ne 0 ]; then bad "start with socket_group: exit $rc" "$(cat "$work/sep.out")"; fi
for _ in $(seq 1 50); do [ -s "$work/sep/status/status.json" ] && break; sleep 0.1; done
got=$(stat -c '%u:%g %a' "$work/sep/run/milter.sock" 2>/dev/null)
[ "$got" = "$(id -u nobody):$mta_gid 660" ] && ok "the socket is nobody:$mta_group 0660" \
  || bad "socket owner/mode" "expected '$(id -u nobody):$mta_gid 660', got '$got'"
got=$(stat -c '%u:%g %a' "$work/sep/run" 2>/dev/null)
[ "$got" = "$(id -u nobody):$mta_gid 751" ] && ok "the socket directory is nobody:$mta_group 0751" \
  || bad "socket directory" "expected '$(id -u nobody):$mta_gid 751', got '$got'"
got=$(stat -c '%a' "$work/sep/status/status.json" 2>/dev/null)
[ "$got" = "640" ] && ok "the status file is 0640" || bad "status file mode" "got '$got'"
# As the MTA: another uid whose only group is the socket's.
as_mta() { setpriv --reuid 64999 --regid 64999 --groups "$mta_gid" -- "$@"; }
if as_mta /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
     "$work/sep/run/milter.sock" 2>"$work/mta.err"; then
  ok "the MTA's group connects to the socket"
else
  bad "the MTA's group cannot connect" "$(cat "$work/mta.err")"
fi
for f in "$work/sepfeeds/t.csv" "$work/sep/status/status.json"; do
  if as_mta cat "$f" >/dev/null 2>&1; then bad "the MTA's group reads $f"
  else ok "the MTA's group cannot read ${f#"$work"/}"; fi
done
for d in "$work/sep/lib/quarantine" "$work/sep/lib/spool" "$work/sepfeeds"; do
  if as_mta ls "$d" >/dev/null 2>&1; then bad "the MTA's group lists $d"
  else ok "the MTA's group cannot list ${d#"$work"/}"; fi
done
exit $fail
