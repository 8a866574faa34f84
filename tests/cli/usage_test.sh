#!/usr/bin/env bash
# gfictl's command-line contract: --help/--version, exit statuses, errors that name their cause.
set -u
GFICTL=$1
TESTS=$2
fail=0
check() {  # check DESCRIPTION EXPECTED_STATUS COMMAND...
  local desc=$1 want=$2
  shift 2
  "$@" >/tmp/gfictl-usage.out 2>&1
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $desc: exit $got, want $want"; sed 's/^/    /' /tmp/gfictl-usage.out; fail=1
  else
    echo "ok: $desc"
  fi
}
check "--help exits 0" 0 "$GFICTL" --help
check "--version exits 0" 0 "$GFICTL" --version
"$GFICTL" --version | grep -q '^gfictl [0-9]' || { echo "FAIL: --version output"; fail=1; }
check "no subcommand is a usage error" 2 "$GFICTL"
check "unknown option is a usage error" 2 "$GFICTL" inspect --no-such-flag "$TESTS/corpus/01-plain-text.eml"
check "missing file exits 2" 2 "$GFICTL" inspect /nonexistent/message.eml
"$GFICTL" inspect /nonexistent/message.eml 2>&1 | grep -q '/nonexistent/message.eml' ||
  { echo "FAIL: error does not name the file"; fail=1; }
check "a readable file after a missing one is still reported" 2 "$GFICTL" inspect --json \
  /nonexistent/message.eml "$TESTS/corpus/01-plain-text.eml"
n=$("$GFICTL" inspect --json /nonexistent/m.eml "$TESTS/corpus/01-plain-text.eml" 2>/dev/null | wc -l)
[ "$n" = 1 ] || { echo "FAIL: expected 1 JSON line, got $n"; fail=1; }
check "stdin is read with -" 0 sh -c "\"$GFICTL\" inspect --json - < \"$TESTS/corpus/01-plain-text.eml\""
printf '[milter]\nsokcet = "unix:/x"\n' >/tmp/gfictl-bad.toml
check "a bad config exits 2" 2 "$GFICTL" inspect --config /tmp/gfictl-bad.toml "$TESTS/corpus/01-plain-text.eml"
"$GFICTL" inspect --config /tmp/gfictl-bad.toml "$TESTS/corpus/01-plain-text.eml" 2>&1 |
  grep -q 'gfictl-bad.toml:2: milter.sokcet' || { echo "FAIL: config error text"; fail=1; }
printf '[limits]\nmax_parts = 1\n' >/tmp/gfictl-lim.toml
"$GFICTL" inspect --json --config /tmp/gfictl-lim.toml "$TESTS/corpus/03-zip-attachment.eml" |
  grep -q 'limit.parts' || { echo "FAIL: [limits] from --config not applied"; fail=1; }
rm -f /tmp/gfictl-usage.out /tmp/gfictl-bad.toml /tmp/gfictl-lim.toml
exit $fail
