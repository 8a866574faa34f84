#!/usr/bin/env bash
# Signed feeds with Debian's real minisign tool: `gfictl indicators check` accepts a good
# signature (prehashed and legacy) and says by which key, refuses a tampered feed, a signature by
# an untrusted key, a malformed .minisig (naming it and its line) and, with require_signature, an
# unsigned feed; and a running daemon keeps its newer version in service when an older signed
# file is put back (replay), as `gfictl indicators check` and `gfi-milter --check` then report.
# Usage: signed_feeds_test.sh GFI_MILTER GFICTL   (as root: the daemon drops to nobody)
set -u
MILTER=$1
GFICTL=$2
command -v minisign >/dev/null || { echo "FAIL: minisign is not installed (scripts/deps.sh)"; exit 1; }
work=$(mktemp -d /tmp/gfi-signed-feeds.XXXXXX)
chmod 755 "$work"
stop() {
  local p; p=$(cat "$work/run/pid" 2>/dev/null)
  [ -n "$p" ] && kill "$p" 2>/dev/null
  for _ in $(seq 1 100); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
}
trap 'stop; rm -rf "$work"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; shift; for l in "$@"; do echo "    $l"; done; fail=1; }
# expect DESCRIPTION RC PATTERN CMD...: CMD exits RC and its output (stdout+stderr) has PATTERN.
expect() {
  local desc=$1 want=$2 pat=$3; shift 3
  "$@" > "$work/out" 2>&1; local rc=$?
  if [ "$rc" = "$want" ] && grep -qF -- "$pat" "$work/out"; then ok "$desc"; else
    bad "$desc" "exit $rc (want $want), wanted '$pat' in:" "$(cat "$work/out")"; fi
}

cd "$work" || exit 1
minisign -G -p k.pub -s k.key -W > /dev/null 2>&1 || { echo "FAIL: minisign -G"; exit 1; }
minisign -G -p other.pub -s other.key -W > /dev/null 2>&1 || { echo "FAIL: minisign -G"; exit 1; }
key_id=$(sed -n '1s/.*minisign public key //p' k.pub)
other_id=$(sed -n '1s/.*minisign public key //p' other.pub)
mkdir -p ind
conf() {  # conf FILE REQUIRE_SIGNATURE
  cat > "$1" <<TOML
[milter]
socket = "unix:$work/milter.sock"
user = "nobody"
pid_file = "$work/run/pid"
status_file = "$work/run/status.json"
spool_dir = "$work/spool"
[indicators]
paths = ["$work/ind"]
reload_interval = 0
trusted_keys = ["$work/k.pub"]
require_signature = $2
last_good_dir = "$work/lg"
[quarantine]
dir = "$work/q"
[spf]
enabled = false
TOML
}
conf g.toml false
conf strict.toml true
check() { "$GFICTL" indicators check --config "$work/${CONF:-g.toml}" "$@"; }
feed=$work/ind/feed.csv

# Good signatures: prehashed (the default) and legacy (-l).
printf 'domain,evil.example,reject,e1\n' > "$feed"
minisign -S -s k.key -m "$feed" > /dev/null
expect "a prehashed signature by a trusted key: valid, signed by its key" 0 \
  "valid, 1 indicators" check "$feed"
grep -qF "signed by key $key_id ($work/k.pub), signed at" "$work/out" ||
  bad "check does not say which key signed it" "$(cat "$work/out")"
minisign -S -l -s k.key -m "$feed" > /dev/null
expect "a legacy signature verifies too" 0 "signed by key $key_id" check "$feed"
check --json "$feed" | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
assert r["valid"] and r["signature"]["verified"] and r["signature"]["key_id"] == sys.argv[1], r
' "$key_id" && ok "check --json: signature verified, key id" || bad "check --json signature"
expect "with no trusted key (an empty config), a signed feed is still checked, and refused" 1 \
  "untrusted key" "$GFICTL" indicators check --config /dev/null "$feed"

# Tampered after signing.
minisign -S -s k.key -m "$feed" > /dev/null
printf 'domain,evil.example,reject,e1\ndomain,good.example,accept,g1\n' > "$feed"
expect "a tampered feed is INVALID with the reason" 1 \
  "error: $feed: bad signature: the file does not match $feed.minisig (key $key_id)" check "$feed"
grep -qF "feed.csv: INVALID, 0 indicators" "$work/out" || bad "tampered: not INVALID" "$(cat "$work/out")"

# Signed by a key that is not trusted.
minisign -S -s other.key -m "$feed" > /dev/null
expect "a signature by an untrusted key is refused" 1 \
  "$feed: untrusted key: $feed.minisig is signed by key $other_id" check "$feed"

# Trusted comment altered (the global signature then fails).
minisign -S -s k.key -m "$feed" -t "timestamp:1000 file:feed.csv" > /dev/null
sed -i '3s/timestamp:1000/timestamp:9000/' "$feed.minisig"
expect "an altered trusted comment is refused" 1 "trusted comment signature invalid" check "$feed"

# Malformed signature file.
printf 'untrusted comment: x\nthis is not base64\n' > "$feed.minisig"
expect "a malformed .minisig is refused, named with its line" 1 \
  "$feed: malformed signature $feed.minisig at line 2" check "$feed"
head -c 0 /dev/null > "$feed.minisig"
expect "an empty .minisig is malformed at line 1" 1 "malformed signature $feed.minisig at line 1" \
  check "$feed"

# Unsigned: fine by default, invalid with require_signature; the .minisig is never a feed.
rm -f "$feed.minisig"
expect "without require_signature an unsigned feed loads" 0 "feed.csv: valid, 2 indicators" \
  check "$work/ind"
grep -qF "; unsigned" "$work/out" || bad "check does not say unsigned" "$(cat "$work/out")"
CONF=strict.toml expect "with require_signature an unsigned feed is refused" 1 \
  "$feed: missing signature: no $feed.minisig and [indicators] require_signature = true" \
  check "$work/ind"
minisign -S -s k.key -m "$feed" > /dev/null
CONF=strict.toml expect "with require_signature a signed feed loads" 0 "signed by key $key_id" \
  check "$work/ind"
grep -q "minisig" "$work/out" && bad "the .minisig is reported as a feed or skipped file" "$(cat "$work/out")"

# Replay against a running daemon: a newer signed version in service, an older one put back.
cp "$feed" old.csv
minisign -S -s k.key -m old.csv -x old.csv.minisig -t "timestamp:1700000000 file:feed.csv" > /dev/null
printf 'domain,evil.example,reject,e1\ndomain,newer.example,reject,n1\n' > "$feed"
minisign -S -s k.key -m "$feed" -t "timestamp:1800000000 file:feed.csv" > /dev/null
"$MILTER" --config "$work/g.toml" > start.out 2>&1 || bad "daemon start" "$(cat start.out)"
if grep -q '"invalid_feeds":\[\]' run/status.json && grep -q '"stale_feeds":\[\]' run/status.json; then
  ok "the daemon serves the newer signed feed"
else
  bad "daemon status after start" "$(cat run/status.json 2>/dev/null)"
fi
ls lg/*feed.csv.minisig > /dev/null 2>&1 && ok "its signature is kept with its last good copy" ||
  bad "no kept signature in the last good directory" "$(ls -la lg 2>&1)"
cp old.csv "$feed"
cp old.csv.minisig "$feed.minisig"
expect "an older signed file is valid on its own" 0 "signed by key" \
  check "$work/old.csv"
"$GFICTL" reload --config "$work/g.toml" --wait --timeout 20 > reload.out 2>&1
if grep -q '"stale_feeds":\[{"path":"'"$feed"'"' run/status.json && grep -q '"degraded":true' run/status.json; then
  ok "after reload, the replayed file is refused and the newer version stays in service"
else
  bad "status after the replayed file" "$(cat reload.out)" "$(cat run/status.json)"
fi
expect "gfictl indicators check reports the replay" 1 \
  "$feed: replayed: signed at 2023-11-14T22:13:20Z, older than the version in service signed at 2027-01-15T08:00:00Z" \
  check "$feed"
expect "gfi-milter --check reports the replay" 1 "replayed: signed at 2023-11-14T22:13:20Z" \
  "$MILTER" --config "$work/g.toml" --check
stop

exit $fail
