#!/usr/bin/env python3
"""A fleet of two filters sharing one PostgreSQL store, end to end (ctest fleet_e2e).

A private PostgreSQL cluster (tests/pg/pg_cluster.py), two gfi-milter daemons ("mx1", "mx2":
[store] backend = "postgresql", host_name) each behind its own private Postfix, one sink. Checked:
  - a message quarantined on mx1 is listed and shown from mx2 with its host, and released from
    mx2: delivered once, through mx2's MTA (its bypass smtpd), not mx1's;
  - two releases of one entry from the two hosts at once: one succeeds, one is refused, the
    message is delivered once;
  - the database stopped in the middle of a stream through both hosts, then started again: no
    message is lost or let through unscanned — every message that should be quarantined is in the
    store exactly once and never in the sink, every clean one is delivered exactly once (the
    client retries what got 4xx, as an MTA would); no hit record is dropped, and the report from
    either host counts every scan with the host that made it;
  - a purge from both hosts at once deletes each entry once;
  - the password in the connection string appears in no log, output or status file.
Run as root:

    tests/pg/fleet_e2e.py --milter build/milter/gfi-milter --gfictl build/cli/gfictl

Each check prints PASS/FAIL; the exit status is 1 when any failed."""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from pg_cluster import PgCluster, available  # noqa: E402
from postfix_harness import PrivatePostfix, Sink, free_port, send  # noqa: E402
from gfi_env import GfiMilter, message  # noqa: E402

SECRET = "fleet-dsn-secret-7f3a9c"  # in the DSN; trust auth never asks for it
EVIL = "fleet-landing.example"


class Checks:
    def __init__(self):
        self.failed = []

    def check(self, cond, what):
        print(("PASS " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failed.append(what)


def evil(subject):
    return message(subject, body="Your invoice: http://%s/pay?id=1\n" % EVIL)


def clean(subject):
    return message(subject, body="Nothing to see here.\n")


class Host:
    def __init__(self, name, base, args, dsn_file, feeds, sink):
        self.name = name
        self.dir = os.path.join(base, name)
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postfix")
        self.bypass = free_port()
        self.args = args

        def config(sock):
            return f"""
[milter]
socket = "{sock}"
user = "postfix"
pid_file = "{self.dir}/run/gfi-milter.pid"
status_file = "{self.dir}/run/status.json"
spool_dir = "{self.dir}/spool"
[indicators]
paths = ["{feeds}"]
reload_interval = 0
last_good_dir = "{self.dir}/last-good"
[policy]
default_action = "quarantine"
[quarantine]
dir = "{self.dir}/q"
release_via = "smtp:127.0.0.1:{self.bypass}"
postfix_config = "{self.dir}/pf/etc"
[store]
backend = "postgresql"
dsn_file = "{dsn_file}"
host_name = "{name}"
pool_size = 2
timeout_ms = 3000
[spf]
enabled = false
[hits]
flush_ms = 100
[metrics]
listen = ""
"""
        self.milter = GfiMilter(args.milter, self.dir, config, unix=True)
        self.milter.start()
        self.pf = PrivatePostfix(os.path.join(self.dir, "pf"), free_port(), sink.port,
                                 milter=self.milter.socket, bypass_port=self.bypass,
                                 myhostname="%s.fleet.example" % name)
        self.pf.start()
        self.outputs = []  # everything gfictl printed, for the secret check

    def gfictl(self, *a, check=True):
        r = subprocess.run([self.args.gfictl, *a, "--config", self.milter.config_path],
                           capture_output=True, timeout=120)
        self.outputs.append(r.stdout + r.stderr)
        if check and r.returncode != 0:
            raise AssertionError("%s: gfictl %s: exit %d: %s" % (
                self.name, " ".join(a), r.returncode, r.stderr.decode()))
        return r

    def gfictl_popen(self, *a):
        return subprocess.Popen([self.args.gfictl, *a, "--config", self.milter.config_path],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def send(self, subject, data):
        return send(self.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"], data)

    def status(self):
        with open(os.path.join(self.dir, "run", "status.json")) as f:
            return json.load(f)

    def stop(self):
        try:
            self.pf.stop()
        finally:
            self.milter.stop()


def entries(host, subject=None, status=None):
    a = ["quarantine", "list", "--json", "--limit", "100000"]
    if status:
        a += ["--status", status]
    out = host.gfictl(*a).stdout.decode()
    rows = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
    return [e for e in rows if subject is None or e["subject"] == subject]


def wait(pred, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.1)


def in_sink(sink, subject):
    return [m for m in sink.messages() if ("Subject: %s\r\n" % subject).encode() in m.data or
            ("Subject: %s\n" % subject).encode() in m.data]


def run(args):
    checks = Checks()
    c = checks.check
    base = tempfile.mkdtemp(prefix="gfi-fleet-e2e-")
    os.chmod(base, 0o755)
    pg = PgCluster()
    hosts = []
    sink = None
    try:
        pg.create_database("gfi_fleet")
        secrets = os.path.join(base, "secrets")
        os.mkdir(secrets, 0o700)
        dsn_file = os.path.join(secrets, "store.dsn")
        with open(dsn_file, "w") as f:
            f.write(pg.dsn("gfi_fleet") + " password=" + SECRET + " connect_timeout=2\n")
        os.chmod(dsn_file, 0o600)
        feeds = os.path.join(base, "feeds")
        os.mkdir(feeds)
        with open(os.path.join(feeds, "fleet.csv"), "w") as f:
            f.write("domain,%s,quarantine,fleet-domain\n" % EVIL)
        os.chmod(feeds, 0o755)
        sink = Sink(os.path.join(base, "sink"))
        mx1 = Host("mx1", base, args, dsn_file, feeds, sink)
        hosts.append(mx1)
        mx2 = Host("mx2", base, args, dsn_file, feeds, sink)
        hosts.append(mx2)

        # -- quarantined on one host, shown and released from the other
        r = mx1.send("fleet one", evil("fleet one"))
        c(r.code == 250, "mx1: a matching message is accepted into the store (%s %s)" %
          (r.code, r.message))
        e = entries(mx2, "fleet one")
        c(len(e) == 1 and e[0]["host"] == "mx1" and e[0]["status"] == "held",
          "mx2 lists the entry mx1 quarantined, host mx1: %s" % e)
        c(len(entries(mx2, "fleet one")) == len(entries(mx1, "fleet one")) == 1,
          "both hosts see the one entry")
        lst = mx2.gfictl("quarantine", "list", "--host", "mx1").stdout.decode()
        c("fleet one" in lst and " mx1 " in lst, "text list from mx2 shows host mx1")
        c("fleet one" not in mx2.gfictl("quarantine", "list", "--host", "mx2").stdout.decode(),
          "--host mx2 leaves mx1's entry out")
        if e:
            shown = mx2.gfictl("quarantine", "show", e[0]["id"]).stdout.decode()
            c("host:      mx1" in shown, "show from mx2 names host mx1")
            raw = mx2.gfictl("quarantine", "show", e[0]["id"], "--raw").stdout
            c(b"Subject: fleet one" in raw and EVIL.encode() in raw,
              "the stored bytes read back from mx2")
            log1_before = len(mx1.pf.log())
            mx2.gfictl("quarantine", "release", e[0]["id"])
            got = wait(lambda: in_sink(sink, "fleet one"))
            c(len(got) == 1, "released from mx2: delivered once")
            msgid = "<%s@test.example>" % hashlib.sha1(b"fleet one").hexdigest()[:16]
            c(bool(wait(lambda: msgid in mx2.pf.log() and "status=sent" in mx2.pf.log())),
              "the release went through mx2's MTA (%s sent by mx2's Postfix)" % msgid)
            c("status=sent" not in mx1.pf.log()[log1_before:],
              "mx1's MTA sent nothing for it")
            c(entries(mx1, "fleet one")[0]["status"] == "released", "mx1 sees it released")

        # -- two releases of one entry from two hosts at once
        r = mx2.send("fleet race", evil("fleet race"))
        c(r.code == 250, "mx2: quarantined (%s)" % r.code)
        e = entries(mx1, "fleet race")
        c(len(e) == 1 and e[0]["host"] == "mx2", "mx1 lists mx2's entry")
        if e:
            procs = [h.gfictl_popen("quarantine", "release", e[0]["id"]) for h in (mx1, mx2)]
            codes = sorted(p.wait(timeout=60) for p in procs)
            for p in procs:
                mx1.outputs.append(p.stdout.read() + p.stderr.read())
            c(codes == [0, 1], "one release succeeds, the other is refused: %s" % codes)
            wait(lambda: in_sink(sink, "fleet race"))
            time.sleep(1.5)  # a second copy would have arrived by now
            c(len(in_sink(sink, "fleet race")) == 1, "delivered once")

        # -- the database stopped mid-stream
        n = 40
        subjects = [("stream %02d %s" % (i, "evil" if i % 2 == 0 else "clean"), i % 2 == 0)
                    for i in range(n)]
        results = {}
        attempts = [0]

        def one(i):
            subj, bad = subjects[i]
            h = hosts[(i // 2) % 2]  # each host gets both kinds
            attempts[0] += 1
            results[subj] = h.send(subj, evil(subj) if bad else clean(subj))

        for i in range(n // 4):
            one(i)
        pg.stop()
        for i in range(n // 4, 3 * n // 4):
            one(i)
        down = {s: r.code for s, r in results.items()
                if s in [subjects[i][0] for i in range(n // 4, 3 * n // 4)]}
        pg.start()
        for i in range(3 * n // 4, n):
            one(i)
        deferred_bad = [s for s, b in subjects if b and str(results[s].code).startswith("4")]
        c(all(str(down[s]).startswith("4") for s, b in subjects if b and s in down),
          "database down: every message to quarantine got a 4xx: %s" %
          {s: down[s] for s, b in subjects if b and s in down})
        c(all(down[s] == 250 for s, b in subjects if not b and s in down),
          "database down: clean messages still delivered (250)")
        c(all(not str(r.code).startswith("5") and r.code is not None
              for r in results.values()), "nothing rejected or cut off in the stream")
        # The client retries what was deferred, as an MTA would.
        for i in range(n):
            subj, bad = subjects[i]
            if str(results[subj].code).startswith("4"):
                one(i)
        c(all(results[s].code == 250 for s, _ in subjects),
          "after the retries every message is accepted: %s" %
          {s: r.code for s, r in results.items() if r.code != 250})
        wait(lambda: all(in_sink(sink, s) for s, b in subjects if not b))
        time.sleep(1.5)
        held = entries(mx1)
        for subj, bad in subjects:
            q = [x for x in held if x["subject"] == subj]
            d = in_sink(sink, subj)
            if bad:
                c(len(q) == 1 and not d, "%s: in the store once (%d), never delivered (%d)" %
                  (subj, len(q), len(d)))
            else:
                c(len(d) == 1 and not q, "%s: delivered once (%d), not quarantined (%d)" %
                  (subj, len(d), len(q)))
        c(len(deferred_bad) > 0, "the stop hit quarantines: %d deferred" % len(deferred_bad))
        c({x["host"] for x in held if x["subject"].startswith("stream")} == {"mx1", "mx2"},
          "both hosts quarantined into the one store")

        # Hit records waited for the database and were written: none dropped, every message
        # counted once. A message deferred because the store was away has no verdict yet: it is
        # counted when its retry is scanned (gfi-milter(8), HIT RECORDS).
        scans = 2 + n  # the two messages before the stream, then each of the stream's once

        def report():
            return json.loads(mx2.gfictl("report", "--since", "1h", "--format", "json").stdout)
        rep = wait(lambda: (lambda r: r if r["messages"]["total"] >= scans else None)(report()))
        rep = rep or report()
        for h in hosts:
            st = wait(lambda: (lambda x: x if x.get("queued") == 0 and x.get("write_errors", 0) > 0
                               else None)(h.status().get("hits", {}))) or \
                h.status().get("hits", {})
            c(st.get("dropped", -1) == 0 and st.get("queued", -1) == 0 and
              st.get("write_errors", 0) > 0,
              "%s: hit records: none dropped, none left queued, %d failed write(s) retried" %
              (h.name, st.get("write_errors", 0)))
        c(rep["messages"]["total"] == scans,
          "report from mx2 counts every scan of both hosts: %d of %d" %
          (rep["messages"]["total"], scans))
        hs = rep.get("hosts", {})
        c(set(hs) == {"mx1", "mx2"} and sum(v["total"] for v in hs.values()) == scans,
          "report: messages per host, mx1 %s, mx2 %s" % (hs.get("mx1"), hs.get("mx2")))
        ind = [i for i in rep["indicators"] if i["indicator"] == "fleet-domain"]
        c(len(ind) == 1 and ind[0]["count"] == 2 + sum(1 for s, b in subjects if b),
          "report: the indicator counted once per bad message: %s" %
          (ind[0]["count"] if ind else None))
        c(rep["messages"]["quarantine"] == 2 + sum(1 for s, b in subjects if b) and
          rep["messages"]["accept"] == sum(1 for s, b in subjects if not b),
          "report: quarantined and accepted counts match what was sent: %s" % rep["messages"])
        text = mx1.gfictl("report", "--since", "1h").stdout.decode()
        c("host mx1:" in text and "host mx2:" in text, "text report names both hosts")

        # -- a purge from both hosts at once deletes each entry once
        before = len([x for x in entries(mx1) if x["status"] != "deleted"])
        time.sleep(1.1)
        procs = [h.gfictl_popen("quarantine", "purge", "--older-than", "1s") for h in (mx1, mx2)]
        outs = [p.communicate(timeout=120) for p in procs]
        purged = 0
        for out, err in outs:
            mx1.outputs.append(out + err)
            words = out.decode().split()
            if "purged" in words:
                purged += int(words[words.index("purged") + 1])
        c(all(p.returncode == 0 for p in procs), "both purges succeed: %s" %
          [(p.returncode, o[1].decode()) for p, o in zip(procs, outs)])
        c(before > 0 and purged == before, "purged %d entries in all, of %d" %
          (purged, before))
        c(len(entries(mx2, status="held")) == 0, "nothing held after the purge")

        # -- the secret never shows
        seen = b"".join(h.outputs[i] for h in hosts for i in range(len(h.outputs)))
        for h in hosts:
            seen += h.milter.log().encode()
            with open(os.path.join(h.dir, "run", "status.json"), "rb") as f:
                seen += f.read()
        seen += mx1.gfictl("config", "show", check=False).stdout
        c(SECRET.encode() not in seen, "the DSN's password is in no output, log or status")
    except Exception:
        traceback.print_exc()
        checks.failed.append("exception")
    finally:
        for h in hosts:
            try:
                h.stop()
            except Exception:
                traceback.print_exc()
        if sink:
            sink.stop()
        pg.remove()
        if not checks.failed:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print("files kept in", base)
    print("%d check(s) failed" % len(checks.failed) if checks.failed else "all checks passed")
    return 1 if checks.failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter", required=True)
    ap.add_argument("--gfictl", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("fleet_e2e: run as root (private Postfix and PostgreSQL)", file=sys.stderr)
        return 1
    if not available():
        print("fleet_e2e: postgresql missing", file=sys.stderr)
        return 1
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
