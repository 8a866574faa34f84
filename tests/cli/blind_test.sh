#!/usr/bin/env bash
# Blinded feeds end to end through gfictl: keygen makes a private key and never overwrites one;
# blind refuses what cannot be blinded (exit 1, each named, nothing written) unless
# --skip-unblindable; the .blind file holds none of the plain values; with the key configured,
# check, scan and lookup match by id and withhold what was seen unless --reveal; a key others
# can read, a missing key and a feed blinded with another key are refused, each named.
# Usage: blind_test.sh GFICTL
set -u
GFICTL=$1
work=$(mktemp -d /tmp/gfi-blind-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
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
# absent DESCRIPTION FILE VALUE...: no VALUE appears in FILE, in any letter case.
absent() {
  local desc=$1 file=$2; shift 2
  local v found=""
  for v in "$@"; do grep -qiF -- "$v" "$file" && found="$found $v"; done
  if [ -z "$found" ]; then ok "$desc"; else bad "$desc" "found:$found" "$(cat "$file")"; fi
}
cd "$work" || exit 1

# --- the provider's side
expect "keygen writes a key and says its id" 0 "new blinding key" "$GFICTL" indicators keygen --output ecs.key
key_id=$(sed -n 's/^key-id //p' ecs.key)
[ ${#key_id} = 16 ] && ok "the key file names a 16-hex key id" || bad "key id '$key_id'"
[ "$(stat -c %a ecs.key)" = 600 ] && ok "the key file is mode 0600" || bad "mode $(stat -c %a ecs.key)"
grep -q "$key_id" out && ok "keygen prints the key id" || bad "keygen output" "$(cat out)"
secret=$(sed -n 's/^key //p' ecs.key)
grep -qF "$secret" out && bad "keygen printed the key" || ok "keygen does not print the key"
expect "keygen never overwrites a key" 2 "ecs.key: cannot create key file: File exists" \
  "$GFICTL" indicators keygen --output ecs.key
"$GFICTL" indicators keygen --output other.key > /dev/null

mkdir feeds
cat > feeds/red.csv <<'EOF'
domain,secret-c2.example,reject,red-dom
ip,198.51.100.0/24,reject,red-net
ip,2001:db8:77::/48,,red-net6
email,boss@Secret-Sender.Example,,red-mail
url,https://Phish-Secret.Example/login?u=1#x,,red-url
sha256,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,,red-hash
filename,Secret-Invoice.EXE,,red-file
EOF
cat > feeds/red.json <<'EOF'
{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--0e1f7c9a-1111-4aaa-8bbb-000000000001","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","pattern":"[domain-name:value = 'stix-secret.example']","name":"stix-secret.example C2"}]}
EOF
printf '#fields\tindicator\tindicator_type\n203.0.113.99\tIntel::ADDR\n' > feeds/red.intel
cat > mixed.csv <<'EOF'
domain,fine-secret.example,,mx-dom
subject-regex,(?i)urgent wire,,mx-rx
content,please transfer secretword,,mx-lit
filename,*.scr,,mx-glob
url-prefix,http://kit-secret.example/,,mx-prefix
EOF

expect "blind refuses what cannot be blinded (exit 1)" 1 \
  "mixed.csv: mx-rx: subject-regex cannot be blinded" \
  "$GFICTL" indicators blind --key ecs.key --output mixed.blind mixed.csv
for id in mx-lit mx-glob mx-prefix; do
  grep -q "cannot blind: .*mixed.csv: $id: " out && ok "refusal names $id" || bad "refusal of $id" "$(cat out)"
done
[ ! -e mixed.blind ] && ok "a refused blind writes nothing" || bad "mixed.blind was written"
absent "refusals name ids, not values" out "urgent wire" secretword kit-secret
expect "--skip-unblindable leaves them out and writes the rest" 0 "1 indicator(s)" \
  "$GFICTL" indicators blind --key ecs.key --skip-unblindable --output mixed.blind mixed.csv
grep -q "left out: .*mx-rx" out && ok "--skip-unblindable lists what it left out" || bad "left out list" "$(cat out)"

expect "blind reads CSV, STIX and Zeek feeds" 0 "9 indicator(s), 9 term(s) from 3 feed(s)" \
  "$GFICTL" indicators blind --key ecs.key --output ind.blind feeds
printf '[indicators.markings]\n"red.csv" = "TLP:RED"\n' > provider.toml
expect "blind --config gives CSV rows their feed's marking" 0 "blinded with key" \
  "$GFICTL" indicators blind --config provider.toml --key ecs.key --output marked.blind feeds/red.csv
grep -q "^red-dom	domain	reject	TLP:RED	" marked.blind && ok "the marking travels in the row" ||
  bad "marking not in the row" "$(cat marked.blind)"
absent "no plain value in the blinded file" ind.blind secret-c2 198.51.100 2001:db8 boss@ \
  secret-sender phish-secret login e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 \
  secret-invoice stix-secret 203.0.113 "$secret"
grep -q "^key-id	$key_id$" ind.blind && ok "the feed names its key id" || bad "key-id line" "$(head -5 ind.blind)"
expect "a blinded feed is not blinded again" 2 "already blinded" \
  "$GFICTL" indicators blind --key ecs.key --output again.blind ind.blind

# --- the filter's side
mkdir ind && cp ind.blind ind/ecs.blind
conf() {  # conf FILE KEY...
  local f=$1; shift
  local keys="" k
  for k in "$@"; do keys="$keys${keys:+, }\"$work/$k\""; done
  printf '[indicators]\npaths = ["%s/ind"]\nblind_keys = [%s]\n' "$work" "$keys" > "$f"
}
conf with.toml ecs.key
conf without.toml
conf rotation.toml other.key ecs.key
expect "check: valid with its key, naming the key" 0 "blinded with key $key_id" \
  "$GFICTL" indicators check --config with.toml ind
expect "check: a feed whose key is not configured is invalid and named" 1 \
  "ind/ecs.blind:3: blinded with key $key_id, which is not configured" \
  "$GFICTL" indicators check --config without.toml ind
expect "check: two keys in service (rotation)" 0 "valid, 9 indicators" \
  "$GFICTL" indicators check --config rotation.toml ind

cat > msg.eml <<'EOF'
From: Boss <boss@secret-sender.example>
To: victim@corp.example
Subject: invoice
Received: from mx.secret-c2.example ([198.51.100.77]) by mx.corp.example
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

Log in at https://phish-secret.example/login?u=1 or https://www.stix-secret.example/ now.
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="secret-invoice.exe"

x
--b--
EOF
expect "scan matches blinded indicators by id" 1 '"indicator":"red-dom"' \
  "$GFICTL" scan --json --config with.toml --client-ip 2001:db8:77::5 msg.eml
for id in red-net red-net6 red-mail red-url red-file indicator--0e1f7c9a-1111-4aaa-8bbb-000000000001; do
  grep -q "\"indicator\":\"$id\"" out && ok "scan: $id matched" || bad "scan: $id not matched" "$(cat out)"
done
grep -q '"redacted":true' out && ok "scan: blinded matches are redacted" || bad "scan: not redacted" "$(cat out)"
absent "scan withholds every observed value" out secret-c2 198.51.100 2001:db8 secret-sender \
  phish-secret stix-secret secret-invoice
expect "scan (text) withholds them too" 1 "red-dom" "$GFICTL" scan --config with.toml msg.eml
absent "scan (text) shows no observed value" out secret-c2 198.51.100 phish-secret stix-secret
expect "scan --reveal shows what was observed" 1 "mx.secret-c2.example" \
  "$GFICTL" scan --json --reveal --config with.toml msg.eml

expect "lookup with the key finds a blinded indicator" 0 "red-dom [ecs.blind] domain" \
  "$GFICTL" indicators lookup --config without.toml --key ecs.key --type domain login.secret-c2.example
grep -q "(blinded" out && ok "lookup says it is blinded" || bad "lookup output" "$(cat out)"
expect "lookup guesses the type: a network" 0 "red-net" \
  "$GFICTL" indicators lookup --config with.toml 198.51.100.9
expect "lookup of a value not in the feed" 1 "no indicator" \
  "$GFICTL" indicators lookup --config with.toml --type domain other.example
expect "lookup without the key cannot test a guess" 1 "which is not configured" \
  "$GFICTL" indicators lookup --config without.toml --type domain login.secret-c2.example
expect "lookup --type refuses a value not of that type" 2 "not a valid ip" \
  "$GFICTL" indicators lookup --config with.toml --type ip not-an-ip

chmod 644 ecs.key
expect "a key file others can read is refused, with its mode" 2 "ecs.key: blinding key has mode 0644" \
  "$GFICTL" scan --config with.toml msg.eml
expect "lookup --key refuses it too" 2 "blinding key has mode 0644" \
  "$GFICTL" indicators lookup --config without.toml --key ecs.key secret-c2.example
expect "blind refuses it too" 2 "blinding key has mode 0644" \
  "$GFICTL" indicators blind --key ecs.key feeds
chmod 600 ecs.key
rm other.key
expect "a missing key file is named" 2 "other.key: cannot open blinding key" \
  "$GFICTL" indicators check --config rotation.toml ind

exit $fail
