#!/usr/bin/env bash
# Release strips forged Authentication-Results whatever authserv-id the filter used (issue 11):
# with [milter] authserv_id unset the daemon writes the MTA's {j} (Postfix's myhostname), which
# gfictl cannot know at release; a message quarantined with a forged A-R claiming myhostname must
# leave without it. Postfix is faked: a `postconf` beside [quarantine] postsuper answers
# myhostname, and a small SMTP server records what release delivers.
# Usage: release_authserv_test.sh GFI_MILTER GFICTL
set -u
MILTER=$1
GFICTL=$2
work=$(mktemp -d /tmp/gfi-release-ar.XXXXXX)
pid="" fake=""
cleanup() {
  for p in $pid $fake; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$work/ind" "$work/bin" "$work/pf"
printf 'domain,evil.example,reject,d1\n' > "$work/ind/good.csv"
myhostname="mx-not-$(hostname).example"
cat > "$work/bin/postconf" <<SH
#!/bin/sh
# Answers only: postconf -c $work/pf -h myhostname
[ "\$*" = "-c $work/pf -h myhostname" ] && echo "$myhostname" && exit 0
exit 1
SH
chmod 755 "$work/bin/postconf"
port=$(free_port)
cat > "$work/g.toml" <<TOML
[milter]
socket = "unix:$work/milter.sock"
user = "$(id -un)"
pid_file = "$work/run/pid"
status_file = "$work/run/status.json"
spool_dir = "$work/spool"
[indicators]
paths = ["$work/ind"]
[quarantine]
dir = "$work/q"
release_via = "smtp:127.0.0.1:$port"
postfix_config = "$work/pf"
postsuper = "$work/bin/postsuper"
TOML
# The daemon creates the store, then a message file is indexed as an orphan (no milter needed).
"$MILTER" --config "$work/g.toml" --foreground > "$work/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/run/status.json" ] && break; sleep 0.1; done
kill "$pid"; wait "$pid" 2>/dev/null; pid=""
id=20260101T000000.000001Z-ar1
printf 'Authentication-Results: %s; spf=pass smtp.mailfrom=ceo@bank.example\r\nAuthentication-Results: upstream.example; dkim=pass\r\nFrom: m@evil.example\r\nSubject: forged results\r\n\r\nbody\r\n' \
  "$myhostname" > "$work/q/messages/$id.eml"
touch -d '1 hour ago' "$work/q/messages/$id.eml"
"$GFICTL" quarantine check --config "$work/g.toml" --repair > /dev/null 2>&1
sqlite3 -cmd '.timeout 5000' "$work/q/index.sqlite" \
  "UPDATE entries SET mail_from='m@evil.example', rcpts='u@acme.example' WHERE id='$id'"
python3 - "$port" "$work/ready" "$work/delivered" > "$work/fake.log" 2>&1 <<'PY' &
import socket, sys
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(5)
open(sys.argv[2], "w").close()
while True:
    c, _ = srv.accept()
    f = c.makefile("rb")
    c.sendall(b"220 fake ESMTP\r\n")
    data, body = False, b""
    for line in f:
        if data:
            if line in (b".\r\n", b".\n"):
                data = False
                open(sys.argv[3], "wb").write(body)
                c.sendall(b"250 2.0.0 Ok: queued as REL1\r\n")
            else:
                body += line
            continue
        cmd = line[:4].upper()
        if cmd == b"DATA": data = True; c.sendall(b"354 go on\r\n")
        elif cmd == b"QUIT": c.sendall(b"221 bye\r\n"); break
        else: c.sendall(b"250 ok\r\n")
    c.close()
PY
fake=$!
for _ in $(seq 1 100); do [ -e "$work/ready" ] && break; sleep 0.1; done
fail=0
if ! "$GFICTL" quarantine release --config "$work/g.toml" "$id" > "$work/out" 2>&1; then
  echo "FAIL: release failed:"; cat "$work/out"; exit 1
fi
[ -s "$work/delivered" ] || { echo "FAIL: nothing delivered"; cat "$work/out"; exit 1; }
if grep -qF "$myhostname" "$work/delivered"; then
  echo "FAIL: the forged Authentication-Results claiming $myhostname survived release:"
  cat "$work/delivered"; fail=1
else
  echo "ok: forged Authentication-Results claiming Postfix's myhostname removed on release"
fi
if grep -qF "Authentication-Results: upstream.example; dkim=pass" "$work/delivered"; then
  echo "ok: others' Authentication-Results kept"
else
  echo "FAIL: upstream Authentication-Results lost"; cat "$work/delivered"; fail=1
fi
exit $fail
