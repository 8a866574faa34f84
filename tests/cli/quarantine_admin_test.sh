#!/usr/bin/env bash
# The admin's side of the quarantine and of the daemon (issue 10), against a real gfi-milter and
# store: orphan files and rows without bytes (the daemon's start-up repair and `quarantine check`),
# the ids users have (reference, queue id, stdin), list totals, show's exit status, purge --dry-run,
# release proof (the MTA's reply and queue id in the history), the release target check, hold-mode
# release, `reload --wait`, read-only commands under a broken config, `status` as a non-root user.
# Usage: quarantine_admin_test.sh GFI_MILTER GFICTL   (as root: smtp-sink -u postfix, runuser)
set -u
MILTER=$1
GFICTL=$2
work=$(mktemp -d /tmp/gfi-admin-cli.XXXXXX)
chmod 755 "$work"
pid="" sink="" fake=""
cleanup() {
  for p in $pid $sink $fake; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail=0
check() {  # check DESCRIPTION EXPECTED_STATUS EXPECTED_TEXT COMMAND...
  local desc=$1 want=$2 text=$3
  shift 3
  "$@" >"$work/out" 2>&1 </dev/null
  local got=$?
  if [ "$got" != "$want" ] || ! grep -qF -- "$text" "$work/out"; then
    echo "FAIL: $desc: exit $got (want $want), output:"; sed 's/^/    /' "$work/out"
    echo "    (wanted text: $text)"; fail=1
  else
    echo "ok: $desc"
  fi
}
lacks() {  # lacks DESCRIPTION TEXT: the last output does not contain TEXT
  if grep -qF -- "$2" "$work/out"; then
    echo "FAIL: $1: output has '$2':"; sed 's/^/    /' "$work/out"; fail=1
  else
    echo "ok: $1"
  fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sql() { sqlite3 -cmd '.timeout 5000' "$work/q/index.sqlite" "$@"; }

mkdir -p "$work/ind" "$work/bin" "$work/pf"
printf 'domain,evil.example,reject,d1\n' > "$work/ind/good.csv"
sink_port=$(free_port)
conf() {  # conf FILE [EXTRA QUARANTINE LINES...]
  local f=$1; shift
  cat > "$f" <<TOML
[milter]
socket = "unix:$work/milter.sock"
user = "$(id -un)"
pid_file = "$work/run/pid"
status_file = "$work/run/status.json"
spool_dir = "$work/spool"
[indicators]
paths = ["$work/ind"]
reload_interval = 0
[quarantine]
dir = "$work/q"
release_via = "smtp:127.0.0.1:$sink_port"
postfix_config = "$work/pf"
TOML
  for l in "$@"; do echo "$l" >> "$f"; done
}
conf "$work/g.toml"
start_daemon() {
  rm -f "$work/run/status.json"
  "$MILTER" --config "$work/g.toml" --foreground > "$work/daemon.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$work/run/status.json" ] && break; sleep 0.1; done
  [ -s "$work/run/status.json" ] || { echo "FAIL: daemon did not start"; cat "$work/daemon.log"; exit 1; }
}
stop_daemon() { kill "$pid"; wait "$pid" 2>/dev/null; pid=""; }
message() {  # message ID SUBJECT: an .eml file in the store, an hour old
  printf 'From: Mallory <m@evil.example>\r\nTo: u@acme.example\r\nSubject: %s\r\n\r\nbody\r\n' \
    "$2" > "$work/q/messages/$1.eml"
  touch -d '1 hour ago' "$work/q/messages/$1.eml"
}

# --- 1. orphans -------------------------------------------------------------------------------
start_daemon   # creates the store
stop_daemon
A=20260101T000000.000001Z-aaa; B=20260101T000000.000002Z-bbb; C=20260101T000000.000003Z-ccc
message $A "Invoice A"
start_daemon   # finds $A without an index row and indexes it
check "daemon start: an orphan file is indexed again, held" 0 "recovered from an orphan file" \
  "$GFICTL" quarantine show --config "$work/g.toml" $A
grep -q "status:    held" "$work/out" || { echo "FAIL: recovered entry not held"; fail=1; }
grep -q "subject:   Invoice A" "$work/out" || { echo "FAIL: subject not parsed from the file"; fail=1; }
check "quarantine check: clean store" 0 "index and message files agree" \
  "$GFICTL" quarantine check --config "$work/g.toml"
message $B "Invoice B"
message $C "Invoice C"
check "quarantine check: an orphan file is reported, exit 1" 1 "orphan file: $work/q/messages/$B.eml" \
  "$GFICTL" quarantine check --config "$work/g.toml"
[ -z "$(sql "SELECT id FROM entries WHERE id='$B'")" ] || { echo "FAIL: check without --repair changed the index"; fail=1; }
check "quarantine check --repair: indexed, exit 0" 0 "2 orphan file(s) indexed" \
  "$GFICTL" quarantine check --config "$work/g.toml" --repair
rm "$work/q/messages/$C.eml"
check "quarantine check: a row without its file is reported, exit 1" 1 "missing file: entry $C" \
  "$GFICTL" quarantine check --config "$work/g.toml"
check "quarantine check --repair: marked missing" 0 "1 entry marked missing" \
  "$GFICTL" quarantine check --config "$work/g.toml" --repair
check "a missing entry stays listable" 0 "$C" \
  "$GFICTL" quarantine list --config "$work/g.toml" --status missing

# --- 5. ids, totals, show's exit status, stdin, dry run ---------------------------------------
sql "UPDATE entries SET ref='GFI-REFA', queue_id='4QA1', mail_from='s@evil.example', rcpts='u@acme.example', matches='ind-7'||char(9)||'domain'||char(9)||'body.html'||char(9)||'quarantine' WHERE id='$A'"
sql "UPDATE entries SET ref='GFI-REFB', queue_id='4QSAME', mail_from='s@evil.example', rcpts='u@acme.example' WHERE id='$B'"
sql "UPDATE entries SET ref='GFI-REFC', queue_id='4QSAME' WHERE id='$C'"
check "show by the GFI reference of the SMTP reply" 0 "id:        $A" \
  "$GFICTL" quarantine show --config "$work/g.toml" GFI-REFA
check "show says which indicator matched and where" 0 "indicator ind-7 (domain) matched in body.html" \
  "$GFICTL" quarantine show --config "$work/g.toml" 4QA1
check "an ambiguous queue id is an error listing the candidates" 2 "$B" \
  "$GFICTL" quarantine show --config "$work/g.toml" 4QSAME
grep -qF "$C" "$work/out" && grep -qF "ambiguous" "$work/out" || { echo "FAIL: candidates not listed"; fail=1; }
check "show of an entry without bytes exits 1, metadata still printed" 1 "mail from:" \
  "$GFICTL" quarantine show --config "$work/g.toml" GFI-REFC
grep -qF "unavailable" "$work/out" || { echo "FAIL: show does not say the message is unavailable"; fail=1; }
printf 'x' >> "$work/q/messages/$B.eml"
check "show of a corrupted message exits 1" 1 "corrupted" \
  "$GFICTL" quarantine show --config "$work/g.toml" GFI-REFB
sql "UPDATE entries SET sha256='$(sha256sum < "$work/q/messages/$B.eml" | cut -d' ' -f1)', size=$(stat -c %s "$work/q/messages/$B.eml") WHERE id='$B'"
check "show of an intact message exits 0" 0 "Invoice B" \
  "$GFICTL" quarantine show --config "$work/g.toml" GFI-REFB
check "list ends with a total line" 0 "-- 3 entries, 1 KB" \
  "$GFICTL" quarantine list --config "$work/g.toml"
check "list --limit: the total counts all, says how many are shown" 0 "-- 3 entries, 1 KB (1 shown" \
  "$GFICTL" quarantine list --config "$work/g.toml" --limit 1
check "list --json has no total line" 0 "\"id\"" "$GFICTL" quarantine list --config "$work/g.toml" --json
lacks "list --json has no total line" "-- "
check "purge --dry-run lists what would go" 0 "would purge 3 entries" \
  "$GFICTL" quarantine purge --config "$work/g.toml" --older-than 1m --dry-run
grep -qF "$A" "$work/out" || { echo "FAIL: purge --dry-run does not list $A"; fail=1; }
[ "$(sql "SELECT count(*) FROM entries WHERE status='deleted'")" = 0 ] || { echo "FAIL: dry run deleted"; fail=1; }

# --- 4. release: proof, target check, hold mode -----------------------------------------------
smtp-sink -u postfix 127.0.0.1:$sink_port 10 > "$work/sink.log" 2>&1 &
sink=$!
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$sink_port) 2>/dev/null && break; sleep 0.1; done
check "release by reference: the MTA's reply is recorded" 0 "MTA replied: 250 2.0.0 Ok" \
  "$GFICTL" quarantine release --config "$work/g.toml" GFI-REFA
check "release: the history holds the MTA's reply" 0 "MTA replied: 250" \
  "$GFICTL" quarantine show --config "$work/g.toml" $A
# An MTA that says which queue id it gave: the id is parsed and recorded.
fake_port=$(free_port)
python3 - "$fake_port" "$work/fake.ready" > "$work/fake.log" 2>&1 <<'PY' &
import socket, sys
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(5)
open(sys.argv[2], "w").close()
while True:
    c, _ = srv.accept()
    try:
        f = c.makefile("rb")
        c.sendall(b"220 fake ESMTP\r\n")
        data = False
        for line in f:
            if data:
                if line in (b".\r\n", b".\n"):
                    data = False; c.sendall(b"250 2.0.0 Ok: queued as ABC123\r\n")
                continue
            cmd = line[:4].upper()
            if cmd == b"DATA": data = True; c.sendall(b"354 go on\r\n")
            elif cmd == b"QUIT": c.sendall(b"221 bye\r\n"); break
            else: c.sendall(b"250 ok\r\n")
    except OSError:
        pass
    c.close()
PY
fake=$!
for _ in $(seq 1 100); do [ -e "$work/fake.ready" ] && break; sleep 0.1; done
conf "$work/fake.toml"
sed -i "s|release_via = .*|release_via = \"smtp:127.0.0.1:$fake_port\"|" "$work/fake.toml"
echo "$B" > "$work/ids"
check "release - reads ids from stdin; the queue id given is recorded" 0 "queue id ABC123" \
  sh -c "\"$GFICTL\" quarantine release --config \"$work/fake.toml\" - < \"$work/ids\""
check "the history holds the queue id" 0 "queued as ABC123; queue id ABC123" \
  "$GFICTL" quarantine show --config "$work/g.toml" $B
# The release target runs this milter: master.cf says so.
printf 'smtpd_milters = unix:%s/milter.sock\n' "$work" > "$work/pf/main.cf"
printf '# comment\n127.0.0.1:%s inet n - n - - smtpd\n  -o syslog_name=postfix/reinject\n' \
  "$sink_port" > "$work/pf/master.cf"
D=20260101T000000.000004Z-ddd
message $D "Invoice D"
"$GFICTL" quarantine check --config "$work/g.toml" --repair >/dev/null
sql "UPDATE entries SET rcpts='u@acme.example', ref='GFI-REFD' WHERE id='$D'"
check "release refuses a target whose smtpd runs this milter" 2 "whose smtpd_milters include this milter" \
  "$GFICTL" quarantine release --config "$work/g.toml" $D
[ "$(sql "SELECT status FROM entries WHERE id='$D'")" = held ] || { echo "FAIL: refused release changed the entry"; fail=1; }
printf '127.0.0.1:%s inet n - n - - smtpd\n  -o receive_override_options=no_unknown_recipient_checks,no_milters\n' \
  "$sink_port" > "$work/pf/master.cf"
check "release goes ahead when that smtpd turns milters off" 0 "released to u@acme.example" \
  "$GFICTL" quarantine release --config "$work/g.toml" $D
printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_milters=unix:/x%s/milter.sock\n' \
  "$sink_port" "$work" > "$work/pf/master.cf"
E=20260101T000000.000005Z-eee
message $E "Invoice E"
"$GFICTL" quarantine check --config "$work/g.toml" --repair >/dev/null
sql "UPDATE entries SET rcpts='u@acme.example' WHERE id='$E'"
check "an -o smtpd_milters override naming our socket is refused too" 2 "include this milter" \
  "$GFICTL" quarantine release --config "$work/g.toml" $E
check "--force releases there anyway, with a warning" 0 "warning" \
  "$GFICTL" quarantine release --config "$work/g.toml" --force $E
rm "$work/pf/master.cf" "$work/pf/main.cf"
conf "$work/inet.toml"
sed -i "s|^socket = .*|socket = \"inet:$sink_port@127.0.0.1\"|" "$work/inet.toml"
check "release refuses the milter's own inet socket as target" 2 "this milter's own socket" \
  "$GFICTL" quarantine release --config "$work/inet.toml" $A
# Mode hold: postsuper -H, then postqueue -i, both with -c postfix_config.
for p in postsuper postqueue; do
  printf '#!/bin/sh\necho %s "$@" >> %s/calls\n' "$p" "$work" > "$work/bin/$p"; chmod 755 "$work/bin/$p"
done
conf "$work/hold.toml" "postsuper = \"$work/bin/postsuper\"" "postqueue = \"$work/bin/postqueue\""
F=20260101T000000.000006Z-fff
message $F "Invoice F"
"$GFICTL" quarantine check --config "$work/g.toml" --repair >/dev/null
rm "$work/q/messages/$F.eml"
sql "UPDATE entries SET mode='hold', queue_id='HOLDQ1', rcpts='u@acme.example', sha256='' WHERE id='$F'"
check "hold mode: release by queue id" 0 "released" \
  "$GFICTL" quarantine release --config "$work/hold.toml" HOLDQ1
printf 'postsuper -c %s/pf -H HOLDQ1\npostqueue -c %s/pf -i HOLDQ1\n' "$work" "$work" > "$work/want"
diff "$work/want" "$work/calls" >/dev/null && echo "ok: hold mode runs postsuper -H, then postqueue -i" ||
  { echo "FAIL: hold-mode calls:"; cat "$work/calls"; fail=1; }
# delete: ids on stdin, by reference.
printf '%s\n\nGFI-REFC\n' "$E" > "$work/ids"
check "delete - reads ids (and references) from stdin" 0 "$C: deleted" \
  sh -c "\"$GFICTL\" quarantine delete --config \"$work/g.toml\" - < \"$work/ids\""
grep -qF "$E: deleted" "$work/out" || { echo "FAIL: delete from stdin skipped $E"; fail=1; }

# --- 3. read-only commands with a broken config -------------------------------------------------
conf "$work/broken.toml" 'mode = "stor"'
sed -i 's|^reload_interval = 0|reload_intervall = 0|' "$work/broken.toml"
check "status with a config error: a warning, and it works" 0 "gfi-milter running" \
  "$GFICTL" status --config "$work/broken.toml"
grep -qF "broken.toml:9: indicators.reload_intervall" "$work/out" || { echo "FAIL: no warning naming the error"; fail=1; }
check "quarantine list with a config error" 0 "$A" "$GFICTL" quarantine list --config "$work/broken.toml"
grep -qF "warning" "$work/out" || { echo "FAIL: no warning"; fail=1; }
check "quarantine show with a config error" 0 "Invoice A" "$GFICTL" quarantine show --config "$work/broken.toml" $A
check "indicators lookup with a config error" 0 "d1" "$GFICTL" indicators lookup --config "$work/broken.toml" evil.example
check "a changing command still refuses a broken config" 2 "broken.toml:9: indicators.reload_intervall" \
  "$GFICTL" quarantine delete --config "$work/broken.toml" $A

# --- 2. status as a user who may not read the status file ---------------------------------------
chmod 700 "$work/run"
chmod 644 "$work/g.toml"
check "status as non-root: permission denied, naming the file" 2 "cannot open status file $work/run/status.json: Permission denied" \
  runuser -u nobody -- "$GFICTL" status --config "$work/g.toml"
lacks "status as non-root: not 'is gfi-milter running?'" "is gfi-milter running"
chmod 755 "$work/run"
cp "$work/g.toml" "$work/private.toml"; chmod 600 "$work/private.toml"
# (it then reads the default status file: whatever it finds there, the warning must say why)
check "status as non-root, config unreadable: the warning says why" 0 "cannot open configuration file: Permission denied" \
  sh -c "runuser -u nobody -- \"$GFICTL\" status --config \"$work/private.toml\"; true"
cp "$work/ind/good.csv" "$work/private.csv"; chmod 600 "$work/private.csv"
check "indicators check as non-root: an unreadable feed names the cause" 1 "private.csv: cannot open: Permission denied" \
  runuser -u nobody -- "$GFICTL" indicators check "$work/private.csv"
check "quarantine list as non-root: the store's permission denied, naming it" 2 "cannot open quarantine" \
  runuser -u nobody -- "$GFICTL" quarantine list --config "$work/g.toml"
grep -qF "Permission denied" "$work/out" || { echo "FAIL: the cause is not named"; fail=1; }
mkdir -m 700 "$work/privdir"; cp "$work/ind/good.csv" "$work/privdir/"
check "indicators check as non-root: a feed in a closed directory is not 'no such file'" 1 "privdir/good.csv: Permission denied" \
  runuser -u nobody -- "$GFICTL" indicators check "$work/privdir/good.csv"

# --- 6. reload ----------------------------------------------------------------------------------
check "reload --wait: ok" 0 "reloaded: ok" "$GFICTL" reload --config "$work/g.toml" --wait --timeout 20
# The replaced indicator set is let go once no message holds it (nothing is being scanned here):
# the status file says how many replaced sets are still in memory; it must come back to 0.
check "reload --wait: a second reload" 0 "reloaded: ok" "$GFICTL" reload --config "$work/g.toml" --wait --timeout 20
retired=x
for _ in $(seq 1 100); do
  retired=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["retired_states"])' \
    "$work/run/status.json" 2>/dev/null) && [ "$retired" = 0 ] && break
  sleep 0.2
done
if [ "$retired" = 0 ]; then echo "ok: replaced indicator sets are released after a reload"
else echo "FAIL: retired_states is '$retired' after reloads: a replaced snapshot is held"; fail=1; fi
# (A bad feed no longer refuses a reload: its last good version stays in service. A config error
# still does.)
cp "$work/g.toml" "$work/g.toml.good"
sed -i 's|^reload_interval = 0|reload_intervall = 0|' "$work/g.toml"
check "reload --wait: refused, with the reason" 1 "reload_intervall" \
  "$GFICTL" reload --config "$work/g.toml" --wait --timeout 20
grep -qF "refused" "$work/out" || { echo "FAIL: refusal not said"; fail=1; }
mv "$work/g.toml.good" "$work/g.toml"
check "reload without --wait only signals" 0 "reload requested" "$GFICTL" reload --config "$work/g.toml"
stop_daemon
echo 4194303 > "$work/run/pid"  # a stale pid file
check "reload: no daemon exits 2" 2 "is not running" "$GFICTL" reload --config "$work/g.toml" --wait
rm -f "$work/run/pid"
check "reload: no pid file exits 2" 2 "no pid file" "$GFICTL" reload --config "$work/g.toml"
exit $fail
