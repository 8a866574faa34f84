#!/usr/bin/env python3
"""gfictl scan and the daemon agree: the same small corpus of messages and envelopes, under one
configuration (tenants, strictest mode, allow lists), is sent to a running gfi-milter with
miltertest and scanned with `gfictl scan --json`; the action, the allow list that let a message
through and the matched indicator ids must be the same. The daemon's side is read from its
verdict log line (engine/scan.h VerdictLogLine), one per queue id.

Usage: scan_agreement.py --milter GFI_MILTER --gfictl GFICTL
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

FEED = """type,value,action,id
domain,evil.example,reject,ind-evil
email,bad@phish.example,quarantine,ind-phish
subject-regex,(?i)invoice\\s+overdue,tag,ind-subj
ip,198.51.100.0/24,tempfail,ind-net
content,wire the money,discard,ind-content
"""

CONFIG = """[milter]
socket = "{socket}"
user = "{user}"
pid_file = "{work}/run/pid"
status_file = "{work}/run/status.json"
spool_dir = "{work}/spool"
[indicators]
paths = ["{work}/ind"]
[quarantine]
mode = "hold"
dir = "{work}/q"
[spf]
enabled = false
[policy]
default_action = "quarantine"
mixed_tenants = "strictest"
[[tenant]]
name = "acme"
domains = ["acme.example"]
type_actions = {{ "subject-regex" = "reject" }}
[[tenant]]
name = "beta"
domains = ["beta.example"]
monitor = true
allow_senders = ["friend.example"]
[allow]
client_networks = ["192.0.2.128/25"]
senders = ["@partner.example"]
recipients = ["abuse@provider.example"]
"""

# (name, client ip, from, rcpts, headers, body)
CASES = [
    ("clean", "192.0.2.1", "a@ok.example", ["u@x.example"], [("Subject", "hello")], "hi\r\n"),
    ("domain", "192.0.2.1", "a@ok.example", ["u@x.example"], [("Subject", "x")],
     "see http://www.evil.example/a\r\n"),
    ("subject-tag", "192.0.2.1", "a@ok.example", ["u@x.example"],
     [("X-GFI-Verdict", "accept; forged"), ("Subject", "Invoice overdue")], "pay\r\n"),
    ("sender", "192.0.2.1", "bad@phish.example", ["u@x.example"], [("Subject", "s")], "x\r\n"),
    ("client-net", "198.51.100.9", "a@ok.example", ["u@x.example"], [("Subject", "s")], "x\r\n"),
    ("content", "192.0.2.1", "a@ok.example", ["u@x.example"], [("Subject", "s")],
     "please wire the money today\r\n"),
    ("tenants-strictest", "192.0.2.1", "a@ok.example", ["u@beta.example", "v@acme.example"],
     [("Subject", "invoice overdue")], "x\r\n"),
    ("tenant-monitor", "192.0.2.1", "a@ok.example", ["u@beta.example"],
     [("Subject", "s")], "http://evil.example/\r\n"),
    ("allow-sender", "192.0.2.1", "x@eu.partner.example", ["u@acme.example"],
     [("Subject", "s")], "http://evil.example/\r\n"),
    ("allow-rcpt", "192.0.2.1", "a@ok.example", ["abuse@provider.example"],
     [("Subject", "s")], "http://evil.example/\r\n"),
    ("allow-tenant-sender", "192.0.2.1", "n@friend.example", ["u@beta.example"],
     [("Subject", "s")], "http://evil.example/\r\n"),
    ("tenant-sender-mixed", "192.0.2.1", "n@friend.example", ["u@beta.example", "v@acme.example"],
     [("Subject", "s")], "http://evil.example/\r\n"),
    ("allow-client", "192.0.2.200", "a@ok.example", ["u@acme.example"],
     [("Subject", "s")], "http://evil.example/\r\n"),
]


def lua_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace(
        "\n", "\\n") + '"'


def lua_script(lua_dir):
    out = ['dofile(%s)' % lua_str(lua_dir + "/common.lua")]
    for i, (name, ip, frm, rcpts, headers, body) in enumerate(CASES):
        q = "QAGR%d" % i
        out.append("do")
        out.append("  local conn = open()")
        out.append('  step(mt.conninfo(conn, "client.example", %s), "conninfo")' % lua_str(ip))
        out.append('  if mt.getreply(conn) ~= SMFIR_ACCEPT then')
        out.append('    step(mt.helo(conn, "client.example"), "helo")')
        out.append('    mt.macro(conn, SMFIC_MAIL, "i", %s)' % lua_str(q))
        out.append('    step(mt.mailfrom(conn, %s), "mailfrom")' % lua_str("<" + frm + ">"))
        out.append('    if mt.getreply(conn) ~= SMFIR_ACCEPT then')
        for r in rcpts:
            out.append('      step(mt.rcptto(conn, %s), "rcptto")' % lua_str("<" + r + ">"))
        for n, v in headers:
            out.append('      step(mt.header(conn, %s, %s), "header")' % (lua_str(n), lua_str(v)))
        out.append('      step(mt.eoh(conn), "eoh")')
        out.append('      step(mt.bodystring(conn, %s), "body")' % lua_str(body))
        out.append('      step(mt.eom(conn), "eom")')
        out.append('    end')
        out.append('  end')
        out.append('  mt.disconnect(conn)')
        out.append("end")
    return "\n".join(out) + "\n"


def daemon_results(log):
    """Queue id (or client IP for connect-time allows) -> (action, allowed_by, [ids])."""
    res = {}
    for line in log.splitlines():
        m = re.search(r"\b(QAGR\d+): ref=\S+ (.*)$", line)
        if m:
            rest = m.group(2)
            a = re.search(r"allowed by \[allow\] (\w+)", rest)
            if a:
                res[m.group(1)] = ("accept", a.group(1), [])
                continue
            act = re.search(r"\baction=(\w+)", rest)
            ids = re.findall(r" \[(\S+) \S+ \S+ \S+(?: value=[^\]]*)?\]", rest)
            if act:
                res[m.group(1)] = (act.group(1), "", sorted(ids))
            continue
        m = re.search(r"NOQUEUE: client=\S*\[([^\]]+)\] allowed by \[allow\] (\w+)", line)
        if m:
            res["ip:" + m.group(1)] = ("accept", m.group(2), [])
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter", required=True)
    ap.add_argument("--gfictl", required=True)
    args = ap.parse_args()
    if shutil.which("miltertest") is None:
        print("miltertest not installed")
        return 1
    here = os.path.dirname(os.path.abspath(__file__))
    lua_dir = os.path.join(os.path.dirname(here), "miltertest")
    work = tempfile.mkdtemp(prefix="gfi-agree-")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    sock = "inet:%d@127.0.0.1" % port
    os.makedirs(work + "/ind")
    os.makedirs(work + "/msgs")
    with open(work + "/ind/t.csv", "w") as f:
        f.write(FEED)
    import pwd
    user = pwd.getpwuid(os.getuid()).pw_name
    with open(work + "/g.toml", "w") as f:
        f.write(CONFIG.format(socket=sock, user=user, work=work))
    with open(work + "/agree.lua", "w") as f:
        f.write(lua_script(lua_dir))
    log = open(work + "/log", "w")
    daemon = subprocess.Popen([args.milter, "--config", work + "/g.toml", "--foreground"],
                              stdout=log, stderr=subprocess.STDOUT)
    fails = 0
    try:
        env = dict(os.environ, GFI_SOCKET=sock, GFI_LUA_DIR=lua_dir)
        mt = subprocess.run(["miltertest", "-s", work + "/agree.lua"], env=env,
                            capture_output=True, text=True, timeout=120)
        if mt.returncode != 0:
            print("FAIL miltertest:", mt.stdout, mt.stderr)
            fails += 1
        time.sleep(0.5)  # the last log lines
        with open(work + "/log") as f:
            got = daemon_results(f.read())
        for i, (name, ip, frm, rcpts, headers, body) in enumerate(CASES):
            path = "%s/msgs/%s.eml" % (work, name)
            with open(path, "w", newline="") as f:
                f.write("".join("%s: %s\r\n" % h for h in headers) + "\r\n" + body)
            cmd = [args.gfictl, "scan", "--json", "--config", work + "/g.toml",
                   "--mail-from", frm, "--client-ip", ip, "--helo", "client.example"]
            for r in rcpts:
                cmd += ["--rcpt", r]
            p = subprocess.run(cmd + [path], capture_output=True, text=True)
            if p.returncode not in (0, 1):
                print("FAIL %s: gfictl scan exit %d: %s" % (name, p.returncode, p.stderr))
                fails += 1
                continue
            j = json.loads(p.stdout)
            cli = (j["action"], j.get("allowed_by", ""),
                   sorted(m["indicator"] for m in j["matches"]))
            d = got.get("QAGR%d" % i) or got.get("ip:" + ip)
            if d != cli:
                print("FAIL %s: daemon %s, gfictl scan %s" % (name, d, cli))
                fails += 1
            elif (p.returncode == 1) != bool(cli[2]):
                print("FAIL %s: exit %d with matches %s" % (name, p.returncode, cli[2]))
                fails += 1
            else:
                print("PASS %s: %s" % (name, cli))
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        log.close()
    if fails:
        with open(work + "/log") as f:
            print("--- gfi-milter log\n" + f.read()[-4000:])
    shutil.rmtree(work, ignore_errors=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
