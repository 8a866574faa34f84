#!/usr/bin/env bash
# gfictl scan / indicators check / indicators lookup against the sample feeds in rules/indicators:
# verdicts, exit statuses, redaction of TLP:RED values, and bad feeds that stop a scan.
set -u
GFICTL=$1
ROOT=$2   # the source tree
IND="$ROOT/rules/indicators"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

scan() { "$GFICTL" scan --json --indicators "$IND" "$@"; }

out=$(scan "$ROOT/rules/samples/phishing-link.eml"); rc=$?
[ $rc = 1 ] || bad "phishing sample: exit $rc, want 1"
echo "$out" | grep -q '"action":"reject"' || bad "phishing sample: not rejected: $out"
echo "$out" | grep -q '"indicator":"csv-0001"' || bad "phishing sample: csv-0001 missing"
echo "$out" | grep -q '"where":"header.x_originating_ip"' || bad "phishing sample: Zeek ADDR missing"

out=$(scan "$ROOT/rules/samples/zip-attachment.eml"); rc=$?
[ $rc = 1 ] || bad "zip sample: exit $rc"
echo "$out" | grep -q '"indicator":"Sample.Invoice.Dropper".*"where":"archive_member"' ||
  bad "zip sample: archive member hash not matched: $out"
echo "$out" | grep -q '"action":"quarantine"' || bad "zip sample: default action is not quarantine"

out=$(scan "$ROOT/tests/corpus/06-digest.eml"); rc=$?
[ $rc = 0 ] || bad "clean message: exit $rc, want 0"
echo "$out" | grep -q '"action":"accept","matches":\[\]' || bad "clean message: $out"

printf 'From: ceo@lookalike.example\nSubject: Invoice 7 attached\n\nplease pay\n' >"$WORK/bec.eml"
out=$(scan "$WORK/bec.eml")
echo "$out" | grep -q 'indicator--c6b1a9d4' || bad "STIX AND rule (sender and subject) did not match"
printf 'From: ceo@lookalike.example\nSubject: lunch\n\nhi\n' >"$WORK/bec2.eml"
scan "$WORK/bec2.eml" | grep -q 'indicator--c6b1a9d4' && bad "STIX AND rule matched on the sender alone"

printf 'Subject: hi\n\nsee http://www.restricted-c2.example/a\n' >"$WORK/red.eml"
out=$(scan "$WORK/red.eml"); rc=$?
[ $rc = 1 ] || bad "TLP:RED message: exit $rc"
echo "$out" | grep -q '"redacted":true' || bad "TLP:RED match is not redacted: $out"
echo "$out" | grep -q 'restricted-c2' && bad "TLP:RED value leaked in scan output: $out"
"$GFICTL" scan --indicators "$IND" "$WORK/red.eml" | grep -q 'restricted-c2' &&
  bad "TLP:RED value leaked in text output"
scan --reveal "$WORK/red.eml" | grep -q '"observed":"www.restricted-c2.example"' ||
  bad "--reveal does not show the value"

mkdir -p "$WORK/badfeeds"
cp "$IND/sample.csv" "$WORK/badfeeds/"
printf 'ip,10.0.0.0/33\n' >"$WORK/badfeeds/broken.csv"
"$GFICTL" scan --indicators "$WORK/badfeeds" "$ROOT/rules/samples/phishing-link.eml" \
  >"$WORK/o" 2>"$WORK/e"; rc=$?
[ $rc = 2 ] || bad "scan with a broken feed: exit $rc, want 2"
grep -q 'broken.csv:1: bad CIDR' "$WORK/e" || bad "broken feed error does not name file and line"
grep -q '"indicator":"csv-0001"' "$WORK/o" || grep -q 'csv-0001' "$WORK/o" ||
  bad "a broken feed took the good feed down: $(cat "$WORK/o")"

"$GFICTL" indicators check "$IND" >"$WORK/o"; rc=$?
[ $rc = 0 ] || { bad "check of the sample feeds: exit $rc"; cat "$WORK/o"; }
grep -q 'sample.csv: valid, 8 indicators' "$WORK/o" || bad "check: sample.csv counts: $(cat "$WORK/o")"
"$GFICTL" indicators check "$WORK/badfeeds" >"$WORK/o"; rc=$?
[ $rc = 1 ] || bad "check of a broken feed: exit $rc, want 1"
grep -q 'broken.csv: INVALID' "$WORK/o" || bad "check does not say INVALID"
"$GFICTL" indicators check --json "$IND" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 5, rows
assert all(r["valid"] for r in rows), rows
' || bad "check --json"

out=$("$GFICTL" indicators lookup --indicators "$IND" login.evil.example nothing.example); rc=$?
[ $rc = 0 ] || bad "lookup: exit $rc"
echo "$out" | grep -q 'csv-0001 .*the domain or a parent of it' || bad "lookup does not say why: $out"
echo "$out" | grep -q 'nothing.example: no indicator' || bad "lookup of an unknown value"
"$GFICTL" indicators lookup --indicators "$IND" nothing.example >/dev/null; rc=$?
[ $rc = 1 ] || bad "lookup without a match: exit $rc, want 1"
"$GFICTL" indicators lookup --indicators "$IND" restricted-c2.example | grep -q 'value withheld' ||
  bad "lookup shows a TLP:RED value"

n=$(scan /nonexistent/m.eml "$ROOT/tests/corpus/06-digest.eml" 2>/dev/null | wc -l)
[ "$n" = 2 ] || bad "scan --json: want one line per input file even when one is unreadable, got $n"
scan /nonexistent/m.eml 2>/dev/null | grep -q '"action":"tempfail".*"error"' ||
  bad "scan --json of an unreadable file does not say tempfail and the error"

# [indicators.markings]: a CSV feed cannot mark its indicators; the config marks the whole feed.
mkdir -p "$WORK/pf"
printf 'domain,partner-secret.example,reject,ps1\n' > "$WORK/pf/partner.csv"
printf '[indicators]\npaths = ["%s"]\n[indicators.markings]\n"partner.csv" = "TLP:RED"\n' "$WORK/pf" \
  > "$WORK/m.toml"
printf 'Subject: hi\n\nsee http://login.partner-secret.example/a\n' > "$WORK/ps.eml"
out=$("$GFICTL" scan --json --config "$WORK/m.toml" "$WORK/ps.eml"); rc=$?
[ $rc = 1 ] || bad "feed marked in the config: exit $rc, want 1: $out"
echo "$out" | grep -q '"indicator":"ps1"' || bad "feed marked in the config: ps1 not matched: $out"
echo "$out" | grep -q '"redacted":true' || bad "feed marked TLP:RED in the config is not redacted: $out"
echo "$out" | grep -q 'partner-secret' && bad "a value of a feed marked TLP:RED was printed: $out"
printf '[indicators]\npaths = ["%s"]\n' "$WORK/pf" > "$WORK/unmarked.toml"
"$GFICTL" scan --json --config "$WORK/unmarked.toml" "$WORK/ps.eml" | grep -q 'partner-secret' ||
  bad "without the config marking the value is shown (the test would not tell otherwise)"
# --spf: the daemon's SPF check on a file; it needs the client's address.
printf 'Subject: hi\n\nhello\n' >"$WORK/plain.eml"
scan --spf "$WORK/plain.eml" >/dev/null 2>"$WORK/e"; rc=$?
[ $rc = 2 ] && grep -q -- '--spf needs --client-ip' "$WORK/e" || bad "--spf without --client-ip: exit $rc"
# A loopback client gets spf=none without any DNS query; the verdict stays accept.
out=$(scan --spf --client-ip 127.0.0.1 --mail-from a@example.org "$WORK/plain.eml"); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '"action":"accept"' || bad "--spf loopback client: exit $rc: $out"
# No tenants configured: no "tenant" key; no allow list: no "allowed_by".
echo "$out" | grep -q '"tenant"\|"allowed_by"' && bad "tenant/allowed_by without tenants or allow lists: $out"

[ $fail = 0 ] && echo "all scan checks passed"
exit $fail
