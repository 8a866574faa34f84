#!/usr/bin/env bash
# Bad input at the command line of gfi-milter and of gfictl's daemon-side commands: each gets a
# clear error naming its cause and the documented exit status; nothing is created by a check.
# Usage: daemon_cli_test.sh GFI_MILTER GFICTL
set -u
MILTER=$1
GFICTL=$2
work=$(mktemp -d /tmp/gfi-daemon-cli.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
fail=0
check() {  # check DESCRIPTION EXPECTED_STATUS EXPECTED_TEXT COMMAND...
  local desc=$1 want=$2 text=$3
  shift 3
  "$@" >"$work/out" 2>&1
  local got=$?
  if [ "$got" != "$want" ] || ! grep -qF -- "$text" "$work/out"; then
    echo "FAIL: $desc: exit $got (want $want), output:"; sed 's/^/    /' "$work/out"
    echo "    (wanted text: $text)"; fail=1
  else
    echo "ok: $desc"
  fi
}
mkdir -p "$work/ind"
printf 'domain,evil.example,reject,d1\n' > "$work/ind/good.csv"
conf() {  # conf FILE SOCKET: a config with everything under $work
  cat > "$1" <<TOML
[milter]
socket = "$2"
user = "$(id -un)"
pid_file = "$work/run/pid"
status_file = "$work/run/status.json"
spool_dir = "$work/spool"
[indicators]
paths = ["$work/ind"]
[quarantine]
dir = "$work/q"
[spf]
enabled = false
TOML
}
conf "$work/g.toml" "unix:$work/milter.sock"

check "gfi-milter: a missing config exits 78 naming it" 78 "$work/none.toml" \
  "$MILTER" --config "$work/none.toml" --check
printf '[milter]\nuser = 5\n' > "$work/bad.toml"
check "gfi-milter: a wrong type exits 78 naming file, line and key" 78 "bad.toml:2: milter.user" \
  "$MILTER" --config "$work/bad.toml" --check
check "gfi-milter --check: valid" 0 "1 indicators from 1 feed(s); 0 invalid" \
  "$MILTER" --config "$work/g.toml" --check
[ ! -e "$work/q" ] || { echo "FAIL: --check created the quarantine store"; fail=1; }
printf 'sha256,not-a-hash\n' > "$work/ind/bad.csv"
check "gfi-milter --check: an invalid feed exits 1 naming it" 1 "bad.csv" \
  "$MILTER" --config "$work/g.toml" --check
rm "$work/ind/bad.csv"
sed 's|paths = .*|paths = ["/nonexistent/feeds"]|' "$work/g.toml" > "$work/nofeeds.toml"
check "gfi-milter: a missing feed path exits 78 naming it" 78 "/nonexistent/feeds" \
  "$MILTER" --config "$work/nofeeds.toml" --check

# A second daemon on the socket of a running one refuses to start (and does not steal it).
"$MILTER" --config "$work/g.toml" --foreground > "$work/first.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -S "$work/milter.sock" ] && break; sleep 0.1; done
sed "s|pid_file = .*|pid_file = \"$work/run/other.pid\"|" "$work/g.toml" > "$work/other-pid.toml"
check "gfi-milter: a socket in use exits 78" 78 "is in use by a running gfi-milter" \
  "$MILTER" --config "$work/other-pid.toml" --foreground
check "gfi-milter: a second instance on the same pid file exits 78 naming the first" 78 \
  "another gfi-milter (pid $pid)" "$MILTER" --config "$work/g.toml" --foreground
kill -0 "$pid" 2>/dev/null && [ -S "$work/milter.sock" ] ||
  { echo "FAIL: the first daemon lost its socket"; fail=1; }
for _ in $(seq 1 100); do [ -s "$work/run/status.json" ] && break; sleep 0.1; done
check "gfictl status: running" 0 "gfi-milter running" "$GFICTL" status --config "$work/g.toml"
kill "$pid"; wait "$pid"; pid=""
check "gfictl status: stopped" 1 "NOT running" "$GFICTL" status --config "$work/g.toml"
rm -rf "$work/run"
check "gfictl status: no status file" 1 "no status file" "$GFICTL" status --config "$work/g.toml"

# gfictl quarantine: the store the daemon created above exists now.
check "quarantine list: a bad --since" 2 "is not a time" \
  "$GFICTL" quarantine list --config "$work/g.toml" --since yesterday-ish
check "quarantine list: a bad --status" 2 "status" \
  "$GFICTL" quarantine list --config "$work/g.toml" --status lost
check "quarantine purge: a bad age" 2 "is not a duration" \
  "$GFICTL" quarantine purge --config "$work/g.toml" --older-than 5x
check "quarantine show: an unknown id" 2 "no quarantine entry" \
  "$GFICTL" quarantine show --config "$work/g.toml" 20990101T000000.000000Z-abc
check "quarantine release: an unknown id" 2 "no quarantine entry" \
  "$GFICTL" quarantine release --config "$work/g.toml" ../../etc/passwd
check "quarantine list: an empty store lists nothing" 0 "ID" \
  "$GFICTL" quarantine list --config "$work/g.toml"
sed "s|dir = \"$work/q\"|dir = \"$work/missing\"|" "$work/g.toml" > "$work/noq.toml"
check "quarantine list: a missing store exits 2 naming it" 2 "$work/missing" \
  "$GFICTL" quarantine list --config "$work/noq.toml"
exit $fail
