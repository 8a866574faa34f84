#!/usr/bin/env bash
# Protocol-level tests with miltertest (Debian's, from OpenDKIM): runs every *.lua here against a
# gfi-milter started with a test config, then checks the daemon is still alive and logged no
# fatal error. Usage: run.sh GFI_MILTER_BINARY
set -euo pipefail
milter=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/gfi-miltertest.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; [ -z "${GFI_DEBUG:-}" ] && rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Over TCP the filter answers every command; over a unix socket it negotiates no replies to
# headers and body (SMFIP_NR_*): both are run.
sock_kind=${GFI_SOCKET_KIND:-inet}
if [ "$sock_kind" = unix ]; then
  milter_sock="unix:$work/milter.sock"; mt_sock="unix:$work/milter.sock"
else
  milter_sock="inet:$port@127.0.0.1"; mt_sock="inet:$port@127.0.0.1"
fi
mkdir -p "$work/ind"
cat > "$work/ind/t.csv" <<CSV
domain,evil.example,reject,ind-evil
email,bad@phish.example,quarantine,ind-phish
subject-regex,(?i)invoice\s+overdue,tag,ind-subj
CSV
cat > "$work/g.toml" <<TOML
[milter]
socket = "$milter_sock"
user = "$(id -un)"
pid_file = "$work/run/pid"
status_file = "$work/run/status.json"
spool_dir = "$work/spool"
memory_per_message = 65536
max_message_bytes = 2097152
[indicators]
paths = ["$work/ind"]
[quarantine]
mode = "hold"
dir = "$work/q"
[spf]
enabled = false
TOML
"$milter" --config "$work/g.toml" --foreground > "$work/log" 2>&1 &
pid=$!
fails=0
for t in verdicts out_of_order malformed negotiation; do
  if GFI_SOCKET="$mt_sock" GFI_LUA_DIR="$here" miltertest -s "$here/$t.lua" \
       > "$work/$t.out" 2>&1; then
    echo "PASS $t ($sock_kind)"
  else
    echo "FAIL $t ($sock_kind)"; cat "$work/$t.out"; fails=$((fails + 1))
  fi
done
# The spool directory disappears under the running daemon.
rm -rf "$work/spool"
if GFI_SOCKET="$mt_sock" GFI_LUA_DIR="$here" miltertest -s "$here/spool_error.lua" \
     > "$work/spool_error.out" 2>&1 && grep -q 'error="spool' "$work/log"; then
  echo "PASS spool_error ($sock_kind)"
else
  echo "FAIL spool_error ($sock_kind)"; cat "$work/spool_error.out"; fails=$((fails + 1))
fi
if ! kill -0 "$pid" 2>/dev/null; then echo "FAIL gfi-milter died"; fails=$((fails + 1)); fi
# What miltertest cannot see (reply texts): the log says why those messages got on_error.
for want in 'error="message larger than [milter] max_message_bytes' \
            'error="the MTA refused to quarantine (smfi_quarantine)" on_error=tempfail'; do
  if ! grep -qF "$want" "$work/log"; then echo "FAIL log lacks: $want"; fails=$((fails + 1)); fi
done
if grep -qi "fatal" "$work/log"; then echo "FAIL fatal error logged"; fails=$((fails + 1)); fi
if [ $fails -ne 0 ]; then echo "--- gfi-milter log"; tail -30 "$work/log"; exit 1; fi
kill -TERM "$pid"; wait "$pid" || { echo "FAIL unclean exit"; exit 1; }
pid=""
echo "all miltertest scripts passed"
