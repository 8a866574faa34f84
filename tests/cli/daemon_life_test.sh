#!/usr/bin/env bash
# The daemon's life cycle without --foreground (issue: a background start lost the quarantine):
# the parent exits only with the child's outcome, the store stays whole across kill -9 and
# restarts, the pid file is locked and removed only by its owner, unwritable directories stop
# the start, and a reload that changes what needs a restart says so in the status.
# Usage: daemon_life_test.sh GFI_MILTER GFICTL TESTS_DIR   (as root; needs miltertest)
set -u
MILTER=$1
GFICTL=$2
LUA_DIR=$3/miltertest
work=$(mktemp -d /tmp/gfi-daemon-life.XXXXXX)
chmod 755 "$work"
trap 'stop_all; rm -rf "$work"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; shift; for l in "$@"; do echo "    $l"; done; fail=1; }
daemon_pid() { cat "$work/run/pid" 2>/dev/null; }
stop_all() {
  local p; p=$(daemon_pid)
  [ -n "$p" ] && kill "$p" 2>/dev/null
  for _ in $(seq 1 100); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
}
wait_gone() { for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }
mkdir -p "$work/ind"
printf 'email,bad@phish.example,quarantine,ind-phish\n' > "$work/ind/t.csv"
chmod 644 "$work/ind/t.csv"
conf() {  # conf FILE SOCKET PIDFILE
  cat > "$1" <<TOML
[milter]
socket = "$2"
user = "nobody"
pid_file = "$3"
status_file = "$work/run/status.json"
spool_dir = "$work/spool"
[indicators]
paths = ["$work/ind"]
reload_interval = 0
[quarantine]
mode = "store"
dir = "$work/q"
[spf]
enabled = false
TOML
}
conf "$work/g.toml" "unix:$work/milter.sock" "$work/run/pid"
send() {  # send SUBJECT: one quarantined message through the running daemon
  GFI_SOCKET="unix:$work/milter.sock" GFI_LUA_DIR="$LUA_DIR" GFI_SUBJECT="$1" \
    miltertest -s "$LUA_DIR/store_one.lua" > "$work/mt.out" 2>&1
}
count() {  # count STATUS: entries with that status
  "$GFICTL" quarantine list --json --config "$work/g.toml" 2>/dev/null | grep -c "\"status\":\"$1\""
}

# 1. A background start returns once the daemon is ready: pid file, socket, store.
"$MILTER" --config "$work/g.toml" > "$work/start.out" 2>&1
rc=$?
pid=$(daemon_pid)
if [ $rc -eq 0 ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ -S "$work/milter.sock" ]; then
  ok "background start exits 0 once the pid file and socket exist (pid $pid)"
else
  bad "background start" "exit $rc, pid '$pid'" "$(cat "$work/start.out")"
fi
# 2. The store the daemon holds is the one on disk: no unlinked WAL or index.
if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'index.sqlite.*(deleted)'; then
  bad "the daemon holds deleted store files" "$(ls -l "/proc/$pid/fd" | grep deleted)"
else
  ok "no deleted store files held open"
fi
# 3. Quarantined in the background: visible to gfictl at once, and kept over kill -9.
if send "life one" && [ "$(count held)" = 1 ]; then
  ok "a message quarantined by the background daemon is listed while it runs"
else
  bad "quarantine in the background" "$(cat "$work/mt.out")" "held: $(count held)"
fi
kill -9 "$pid"; wait_gone "$pid"
if [ "$(count held)" = 1 ]; then ok "the entry survives kill -9"; else bad "entry lost after kill -9"; fi
"$MILTER" --config "$work/g.toml" > "$work/start.out" 2>&1 || bad "restart after kill -9" "$(cat "$work/start.out")"
id=$("$GFICTL" quarantine list --json --config "$work/g.toml" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1)
"$GFICTL" quarantine delete --config "$work/g.toml" "$id" > /dev/null 2>&1 || bad "delete $id"
pid=$(daemon_pid); kill "$pid"; wait_gone "$pid" || bad "SIGTERM did not stop the daemon"
[ -e "$work/run/pid" ] && bad "the pid file was left after a clean stop"
"$MILTER" --config "$work/g.toml" > "$work/start.out" 2>&1 || bad "restart" "$(cat "$work/start.out")"
if [ "$(count held)" = 0 ]; then ok "a delete is not undone by a stop and restart"; else bad "delete undone"; fi

# 4. A second instance with another socket but the same pid file: refused, naming the first, and
#    the parent's exit status and stderr say so.
pid=$(daemon_pid)
conf "$work/second.toml" "unix:$work/second.sock" "$work/run/pid"
"$MILTER" --config "$work/second.toml" > "$work/second.out" 2>&1
rc=$?
if [ $rc -eq 78 ] && grep -qF "another gfi-milter (pid $pid)" "$work/second.out"; then
  ok "a second instance is refused naming the first (exit 78, on stderr)"
else
  bad "second instance" "exit $rc" "$(cat "$work/second.out")"
fi
kill -0 "$pid" 2>/dev/null && [ "$(daemon_pid)" = "$pid" ] || bad "the first instance was disturbed"

# 5. A reload whose config changes the socket: status shows the socket in use and that a restart
#    is needed; the daemon keeps serving on its socket.
conf "$work/g.toml" "unix:$work/moved.sock" "$work/run/pid"
kill -USR1 "$pid"
for _ in $(seq 1 50); do grep -q 'restart_needed":\["\[milter\] socket"' "$work/run/status.json" 2>/dev/null && break; sleep 0.1; done
"$GFICTL" status --config "$work/g.toml" > "$work/status.out" 2>&1
grep -q "restart needed: \[milter\] socket changed" "$work/status.out" ||
  bad "gfictl status does not say a restart is needed" "$(cat "$work/status.out")"
if grep -q "\"socket\":\"unix:$work/milter.sock\"" "$work/run/status.json" &&
   grep -q 'restart_needed":\["\[milter\] socket"\]' "$work/run/status.json" &&
   grep -q 'last_reload_result":"ok; restart needed for \[milter\] socket' "$work/run/status.json"; then
  ok "status after a reload shows the socket in use and that a restart is needed"
else
  bad "status after a socket change" "$(cat "$work/run/status.json")"
fi
conf "$work/g.toml" "unix:$work/milter.sock" "$work/run/pid"

# 6. The pid file is removed only by its owner.
echo 1 > "$work/run/pid.new"; mv "$work/run/pid.new" "$work/run/pid"
kill "$pid"; wait_gone "$pid"
if [ "$(cat "$work/run/pid" 2>/dev/null)" = 1 ]; then
  ok "a pid file that is not ours is left alone"
else
  bad "someone else's pid file was removed"
fi
rm -f "$work/run/pid"

# 7. One bad feed does not freeze the others, and a restart does not drop it: the bad new version
#    of t.csv leaves its last good version in service while b.csv's new version loads.
printf 'domain,b-one.example,reject,b1\n' > "$work/ind/b.csv"; chmod 644 "$work/ind/b.csv"
"$MILTER" --config "$work/g.toml" > "$work/start.out" 2>&1 || bad "start with two feeds" "$(cat "$work/start.out")"
pid=$(daemon_pid)
indicators() { sed -n 's/.*"indicators":\([0-9]*\),"memory_bytes".*/\1/p' "$work/run/status.json"; }
[ "$(indicators)" = 2 ] || bad "two indicators at start" "$(cat "$work/run/status.json")"
printf 'sha256,not-a-hash\n' > "$work/ind/t.csv"
printf 'domain,b-one.example,reject,b1\ndomain,b-two.example,reject,b2\n' > "$work/ind/b.csv"
kill -USR1 "$pid"
for _ in $(seq 1 50); do [ "$(indicators)" = 3 ] && break; sleep 0.1; done
if [ "$(indicators)" = 3 ] && grep -q "\"stale_feeds\":\[{\"path\":\"$work/ind/t.csv\"" "$work/run/status.json" &&
   grep -q '"degraded":true' "$work/run/status.json"; then
  ok "a bad new feed keeps its last good version while the other feed's new version loads"
else
  bad "per-feed last good at reload" "$(cat "$work/run/status.json")"
fi
before=$(count held)
send "stale feed" && [ "$(count held)" = $((before + 1)) ] || bad "the stale feed's indicator no longer matches"
kill "$pid"; wait_gone "$pid"
"$MILTER" --config "$work/g.toml" > "$work/start.out" 2>&1 || bad "restart with a bad feed" "$(cat "$work/start.out")"
pid=$(daemon_pid)
if [ "$(indicators)" = 3 ] && grep -q '"degraded":true' "$work/run/status.json" &&
   send "stale after restart" && [ "$(count held)" = $((before + 2)) ]; then
  ok "after a restart the bad feed's last good version is still in service"
else
  bad "last good after a restart" "$(cat "$work/run/status.json")" "$(cat "$work/mt.out")"
fi
"$GFICTL" status --config "$work/g.toml" > "$work/status.out" 2>&1
rc=$?
if [ $rc -eq 3 ] && grep -q "feed $work/ind/t.csv: STALE" "$work/status.out"; then
  ok "gfictl status exits 3 (degraded) naming the stale feed"
else
  bad "gfictl status with a stale feed" "exit $rc" "$(cat "$work/status.out")"
fi
"$MILTER" --config "$work/g.toml" --check > "$work/check.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "stale feed: $work/ind/t.csv" "$work/check.out"; then
  ok "--check exits 1 naming the stale feed"
else
  bad "--check with a stale feed" "exit $rc" "$(cat "$work/check.out")"
fi
kill "$pid"; wait_gone "$pid"
printf 'email,bad@phish.example,quarantine,ind-phish\n' > "$work/ind/t.csv"
rm -f "$work/ind/b.csv"

# 8. A refused reload is not retried every interval, only when a file changes again.
sed 's|^reload_interval = 0|reload_interval = 1|' "$work/g.toml" > "$work/g.toml.new" && mv "$work/g.toml.new" "$work/g.toml"
"$MILTER" --config "$work/g.toml" > "$work/start.out" 2>&1 || bad "start (reload_interval 1)" "$(cat "$work/start.out")"
pid=$(daemon_pid)
failed() { sed -n 's/.*"reloads_failed":\([0-9]*\).*/\1/p' "$work/run/status.json"; }
printf '[milter]\nuser = "nobody"\nbogus_key = 1\n' >> "$work/g.toml"  # a typo: refused
for _ in $(seq 1 50); do [ "$(failed)" = 1 ] && break; sleep 0.1; done
sleep 4  # four more intervals
if [ "$(failed)" = 1 ]; then
  ok "a refused reload is not retried while the files stay as they are"
else
  bad "a refused reload was retried" "reloads_failed=$(failed)"
fi
conf "$work/g.toml" "unix:$work/milter.sock" "$work/run/pid"
sed 's|^reload_interval = 0|reload_interval = 1|' "$work/g.toml" > "$work/g.toml.new" && mv "$work/g.toml.new" "$work/g.toml"
for _ in $(seq 1 50); do grep -q '"last_reload_result":"ok"' "$work/run/status.json" && break; sleep 0.1; done
grep -q '"last_reload_result":"ok"' "$work/run/status.json" || bad "the fixed config was not reloaded"
kill "$pid"; wait_gone "$pid"
conf "$work/g.toml" "unix:$work/milter.sock" "$work/run/pid"

# 9. An unwritable spool directory stops the start (and --check) with the cause.
mkdir -p "$work/spool"; chown root:root "$work/spool"; chmod 0700 "$work/spool"
"$MILTER" --config "$work/g.toml" > "$work/start.out" 2>&1
rc=$?
if [ $rc -eq 78 ] && grep -q "spool_dir $work/spool is not writable by uid .*: Permission denied" "$work/start.out"; then
  ok "an unwritable spool stops a background start (exit 78, cause on stderr)"
else
  bad "unwritable spool at start" "exit $rc" "$(cat "$work/start.out")"
fi
[ -e "$work/run/pid" ] && { bad "a failed start left a pid file"; rm -f "$work/run/pid"; }
"$MILTER" --config "$work/g.toml" --check > "$work/check.out" 2>&1
rc=$?
if [ $rc -eq 78 ] && grep -q "is not writable by uid" "$work/check.out"; then
  ok "--check reports the unwritable spool"
else
  bad "--check and an unwritable spool" "exit $rc" "$(cat "$work/check.out")"
fi
exit $fail
