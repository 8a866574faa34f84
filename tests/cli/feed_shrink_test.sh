#!/usr/bin/env bash
# The shrink guard ([indicators] max_shrink, engine/loader.h) with the real daemon: a CSV feed
# emptied on disk is held back at reload (its indicators still match, gfictl status says HELD
# BACK and exits 3), until `gfictl indicators accept` records the file and the next reload takes
# it (the indicator no longer matches, status exits 0).
# Usage: feed_shrink_test.sh GFI_MILTER GFICTL TESTS_DIR   (needs miltertest)
set -u
MILTER=$1
GFICTL=$2
LUA_DIR=$3/miltertest
command -v miltertest >/dev/null || { echo "miltertest is missing (scripts/deps.sh)"; exit 1; }
work=$(mktemp -d /tmp/gfi-feed-shrink.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; shift; for l in "$@"; do echo "    $l"; done; fail=1; }
mkdir -p "$work/ind" "$work/run"
feed="$work/ind/partner.csv"
{
  printf 'email,bad@phish.example,quarantine,ind-phish\n'
  for i in 1 2 3; do printf 'domain,d%s.example,quarantine,ind-d%s\n' "$i" "$i"; done
} > "$feed"
cat > "$work/g.toml" <<TOML
[milter]
socket = "unix:$work/milter.sock"
user = "$(id -un)"
pid_file = "$work/run/pid"
status_file = "$work/run/status.json"
spool_dir = "$work/spool"
[indicators]
paths = ["$work/ind"]
reload_interval = 0
last_good_dir = "$work/last-good"
max_shrink = 0.5
[quarantine]
mode = "store"
dir = "$work/q"
[spf]
enabled = false
TOML
probe() {  # probe match|clean
  GFI_SOCKET="unix:$work/milter.sock" GFI_LUA_DIR="$LUA_DIR" GFI_EXPECT="$1" \
    miltertest -s "$LUA_DIR/shrink_probe.lua" > "$work/mt.out" 2>&1
}
reloads() { sed -n 's/.*"reloads_ok":\([0-9]*\).*/\1/p' "$work/run/status.json" 2>/dev/null; }
reload() {  # SIGUSR1, then wait for the status file to count the reload
  local before; before=$(reloads)
  "$GFICTL" reload --config "$work/g.toml" --wait --timeout 30 > "$work/reload.out" 2>&1 ||
    bad "gfictl reload" "$(cat "$work/reload.out")"
  for _ in $(seq 1 100); do [ "$(reloads)" != "$before" ] && break; sleep 0.1; done
}
status() { "$GFICTL" status --config "$work/g.toml" > "$work/status.out" 2>&1; echo $?; }

"$MILTER" --config "$work/g.toml" --foreground > "$work/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -S "$work/milter.sock" ] && [ -s "$work/run/status.json" ] && break; sleep 0.1; done
if probe match; then ok "the feed's indicator matches"; else bad "first probe" "$(cat "$work/mt.out")"; fi
rc=$(status)
[ "$rc" = 0 ] && ok "status exits 0 with every feed in service" || bad "status: exit $rc" "$(cat "$work/status.out")"

# Emptied: held back.
: > "$feed"
reload
if probe match; then ok "emptied feed held back: its old indicators still match"; else
  bad "held-back feed no longer matches" "$(cat "$work/mt.out")"; fi
rc=$(status)
if [ "$rc" = 3 ] && grep -q "feed $feed: HELD BACK, the file has 0 indicators, down from 4" "$work/status.out"; then
  ok "gfictl status shows HELD BACK and exits 3"
else
  bad "status of a held feed: exit $rc" "$(cat "$work/status.out")"
fi
grep -q "\"held_feeds\":\[{\"path\":\"$feed\",\"indicators\":0,\"kept\":4" "$work/run/status.json" &&
  ok "the status file lists held_feeds" || bad "held_feeds in the status file" "$(cat "$work/run/status.json")"
grep -q "HELD BACK: 0 indicators, down from 4.*gfictl indicators accept $feed" "$work/daemon.log" &&
  ok "the log names the feed, the counts and how to confirm" || bad "log line" "$(cat "$work/daemon.log")"
# Another reload without a confirmation: still held.
reload
probe match && ok "still held at the next reload" || bad "held feed taken without confirmation" "$(cat "$work/mt.out")"

# A bad name is refused, naming it.
"$GFICTL" indicators accept --config "$work/g.toml" nosuch.csv > "$work/accept.out" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q "'nosuch.csv' is not a configured feed file" "$work/accept.out" &&
  ok "accept of an unknown feed exits 2 naming it" || bad "accept nosuch.csv: exit $rc" "$(cat "$work/accept.out")"
# Accepted: the next reload takes the empty file.
if "$GFICTL" indicators accept --config "$work/g.toml" partner.csv > "$work/accept.out" 2>&1 &&
   grep -q "accepted $feed as it is now (sha256 $(sha256sum "$feed" | cut -c1-64))" "$work/accept.out"; then
  ok "gfictl indicators accept records the file's SHA-256"
else
  bad "gfictl indicators accept" "$(cat "$work/accept.out")"
fi
reload
if probe clean; then ok "after accept and reload, the new (empty) feed is live"; else
  bad "accepted feed not taken" "$(cat "$work/mt.out")"; fi
rc=$(status)
[ "$rc" = 0 ] && ! grep -q "HELD BACK" "$work/status.out" && ok "status exits 0 again" ||
  bad "status after accept: exit $rc" "$(cat "$work/status.out")"
ls "$work/last-good"/*.accept > /dev/null 2>&1 && bad "the acceptance was not cleared" || ok "the acceptance is cleared once taken"

kill "$pid"; wait "$pid" 2>/dev/null; pid=""
[ $fail = 0 ] && echo "all feed shrink checks passed"
exit $fail
