#!/usr/bin/env python3
"""End-to-end tests of gfi-milter behind a real, private Postfix on loopback, relaying to
smtp-sink, with SPF answered by a real dnsmasq. Run as root:

    tests/e2e/milter_e2e.py --milter build/milter/gfi-milter --gfictl build/cli/gfictl

Each test prints PASS/FAIL; the exit status is 1 when any failed."""

import argparse
import hashlib
import json
import os
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postfix_harness import (PrivatePostfix, Sink, free_port, normalize_crlf,  # noqa: E402
                             send, split_postfix_received)
from gfi_env import Dnsmasq, GfiMilter, message, zip_bytes  # noqa: E402
from milter_client import MilterClient  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ATTACHMENT = b"MZ\x90\x00 malicious payload for the e2e test " * 50
MEMBER = b"dropper script inside an archive, e2e\n" * 20
AUTHSERV = "mx.test.example"


def feed_text():
    return "\n".join([
        "ip,203.0.113.66,reject,ind-client-ip",
        "email,bad@evil-sender.example.org,tempfail,ind-mail-from",
        "email,ceo@fake-from.example.org,quarantine,ind-header-from",
        "email,replies@reply-to.example.net,tag,ind-reply-to",
        "url,http://phish.example.net/login,reject,ind-url-html",
        "sha256,%s,reject,ind-attachment" % hashlib.sha256(ATTACHMENT).hexdigest(),
        "md5,%s,quarantine,ind-archive-member" % hashlib.md5(MEMBER).hexdigest(),
        "subject-regex,(?i)urgent\\s+wire\\s+transfer,tag,ind-subject",
        "content,gfi-discard-me-token,discard,ind-content",
        "domain,tenant-test.example.net,,ind-tenant",
        "domain,reload-probe.example.net,reject,ind-reload-probe",
        "",
    ])


class Env:
    def __init__(self, args):
        self.args = args
        self.base = tempfile.mkdtemp(prefix="gfi-e2e-")
        os.chmod(self.base, 0o755)
        self.feeds = os.path.join(self.base, "feeds")
        os.mkdir(self.feeds)
        with open(os.path.join(self.feeds, "e2e.csv"), "w") as f:
            f.write(feed_text())
        # A STIX bundle with a TLP:RED indicator (restricted-c2.example), among others.
        shutil.copy(os.path.join(ROOT, "rules/indicators/sample.json"), self.feeds)
        os.chmod(self.feeds, 0o755)
        self.dns = Dnsmasq(txt=[("bank.example.org", "v=spf1 ip4:192.0.2.0/24 -all")])
        self.sink = Sink(os.path.join(self.base, "sink"))
        self.milter = None
        self.pf = None
        self.mode = None

    def config(self, mode):
        base = self.base
        pf_etc = os.path.join(base, "pf", "etc")

        # Mode hold runs over TCP as user nobody; mode store over a unix socket (headers and body
        # then need no replies, SMFIP_NR_*) as user postfix, so Postfix may connect to it.
        user = "nobody" if mode == "hold" else "postfix"

        def text(sock):
            return f"""
[milter]
socket = "{sock}"
user = "{user}"
pid_file = "{base}/run-{mode}/gfi-milter.pid"
status_file = "{base}/run-{mode}/status.json"
spool_dir = "{base}/spool-{mode}"
memory_per_message = 65536
authserv_id = "{AUTHSERV}"
[indicators]
paths = ["{self.feeds}"]
reload_interval = 0
[policy]
default_action = "quarantine"
[quarantine]
mode = "{mode}"
dir = "{base}/q-{mode}"
release_via = "smtp:127.0.0.1:{{bypass}}"
postfix_config = "{pf_etc}"
[spf]
resolvers = ["127.0.0.1:{self.dns.port}"]
timeout = 2
protected_domains = ["bank.example.org"]
fail_action = "reject"
[[tenant]]
name = "acme"
domains = ["acme.example.com"]
type_actions = {{ "domain" = "reject" }}
[[tenant]]
name = "beta"
domains = ["beta.example.com"]
monitor = true
"""
        return text

    def start(self, mode, background=False):
        """(Re)starts gfi-milter in quarantine `mode` (without --foreground when `background`)
        and a Postfix pointing at it."""
        if self.milter:
            self.milter.stop()
        os.makedirs(os.path.join(self.base, "m-" + mode), exist_ok=True)
        bypass = free_port()
        fn = self.config(mode)
        mdir = os.path.join(self.base, "m-" + mode)
        if mode == "store":
            shutil.chown(mdir, "postfix")
        self.milter = GfiMilter(self.args.milter, mdir,
                                lambda sock: fn(sock).replace("{bypass}", str(bypass)),
                                unix=(mode == "store"), background=background)
        self.milter.start()
        if self.pf:
            self.pf.stop()
        self.pf = PrivatePostfix(os.path.join(self.base, "pf"), free_port(), self.sink.port,
                                 milter=self.milter.socket, bypass_port=bypass)
        self.pf.start()
        self.mode = mode

    def gfictl(self, *args, check=True, **kw):
        r = subprocess.run([self.args.gfictl, *args, "--config", self.milter.config_path],
                           capture_output=True, timeout=60, **kw)
        if check and r.returncode != 0:
            raise AssertionError("gfictl %s: exit %d: %s %s" % (
                " ".join(args), r.returncode, r.stdout.decode(), r.stderr.decode()))
        return r

    def close(self):
        for f in (lambda: self.pf and self.pf.stop(), lambda: self.milter and self.milter.stop(),
                  self.sink.stop, self.dns.stop):
            try:
                f()
            except Exception:  # noqa: BLE001 - best-effort cleanup
                traceback.print_exc()
        if not self.args.keep:
            shutil.rmtree(self.base, ignore_errors=True)


def sink_find(env, token, timeout=10.0, expect=True):
    """The sink messages containing `token` (waits for one when expect)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in env.sink.messages() if token.encode() in m.data]
        if found or not expect or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def hold_queue(env):
    return [q for q in env.pf.queue() if q.get("queue_name") == "hold"]


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_reply(r, code_prefix, what):
    check(r.code is not None and str(r.code).startswith(code_prefix),
          "%s: expected %sxx, got %s %s (stage %s)" % (what, code_prefix, r.code, r.message,
                                                        r.stage))


# ---------------------------------------------------------------------------------- the tests

def test_clean_message_delivered_intact(env):
    data = message("clean message e2e", body="Line one\n.leading dot\n..two dots\nlast line\n",
                   headers=["X-Custom: kept"])
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"], data)
    expect_reply(r, "2", "clean message")
    m = sink_find(env, "clean message e2e")
    check(len(m) == 1, "clean message delivered once, got %d" % len(m))
    # Ours on top (Authentication-Results, Received-SPF), then Postfix's Received, then the
    # message exactly as sent.
    data_at_sink = m[0].data
    ours, rest = data_at_sink.split(b"Received: from client.example", 1)
    # The client is 127.0.0.1: SPF does not apply to a loopback client (libspf2 alone would
    # pass any domain), so the result is none, with the reason.
    check(ours.startswith(b"Authentication-Results: " + AUTHSERV.encode() + b"; spf=none"),
          "Authentication-Results first: %r" % ours)
    check(b"Received-SPF: none" in ours and b"loopback address" in ours,
          "Received-SPF added, none for a loopback client: %r" % ours)
    check(ours.count(b"\n") == 2, "exactly two headers added: %r" % ours)
    added, sent = split_postfix_received(b"Received: from client.example" + rest)
    check(len(added) == 1, "one Received header from Postfix")
    check(b"X-GFI" not in m[0].data, "no verdict headers on clean mail")
    check(normalize_crlf(sent).rstrip(b"\r\n") ==
          normalize_crlf(data).rstrip(b"\r\n"), "body and original headers byte-identical")


def test_indicator_in_each_place(env):
    zipped = zip_bytes([("docs/readme.txt", b"harmless"), ("docs/run.js", MEMBER)])
    cases = [
        ("client IP", dict(xclient_addr="203.0.113.66"), "sender@example.org",
         message("place client ip"), "5", None),
        ("MAIL FROM", {}, "bad@evil-sender.example.org", message("place mail from"), "4", None),
        ("From", {}, "sender@example.org",
         message("place header from").replace(b"From: Sender <sender@example.org>",
                                               b"From: CEO <ceo@fake-from.example.org>"),
         "2", "hold"),
        ("Reply-To", {}, "sender@example.org",
         message("place reply to", headers=["Reply-To: <replies@reply-to.example.net>"]),
         "2", "tag"),
        ("URL in HTML", {}, "sender@example.org",
         message("place url html", html='<p><a href="http://PHISH.example.net:80/login">x</a>'),
         "5", None),
        ("attachment hash", {}, "sender@example.org",
         message("place attachment", attachments=[("invoice.exe", ATTACHMENT)]), "5", None),
        ("archive member", {}, "sender@example.org",
         message("place archive member", attachments=[("docs.zip", zipped)]), "2", "hold"),
        ("subject regex", {}, "sender@example.org", message("URGENT wire  Transfer place"),
         "2", "tag"),
        ("content literal", {}, "sender@example.org",
         message("place content", body="please gfi-discard-me-token now\n"), "2", "discard"),
    ]
    for name, kw, mail_from, data, code, outcome in cases:
        r = send(env.pf.smtpd_port, mail_from, ["rcpt@example.com"], data, **kw)
        expect_reply(r, code, name)
        if code in ("4", "5"):
            check("reference GFI-" in r.message, "%s: reply has a reference: %s" % (name, r.message))
            check("ind-" not in r.message, "%s: reply names no indicator: %s" % (name, r.message))
        subject = [ln for ln in data.split(b"\n") if ln.startswith(b"Subject: ")][0][9:].decode()
        if outcome == "tag":
            m = sink_find(env, subject)
            check(len(m) == 1, "%s: tagged message delivered" % name)
            check(b"X-GFI-Verdict: tag; ref=GFI-" in m[0].data, "%s: verdict header" % name)
            check(b"X-GFI-Match: indicator=ind-" in m[0].data, "%s: match header" % name)
        elif outcome == "hold":
            qid = r.queue_id
            deadline = time.monotonic() + 10
            while not any(q["queue_id"] == qid for q in hold_queue(env)):
                check(time.monotonic() < deadline, "%s: %s not in the hold queue" % (name, qid))
                time.sleep(0.1)
        elif outcome == "discard" or code != "2":
            pass
    # Discarded and rejected ones never reach the sink (a later message does, so the queue moved).
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"], message("marker after"))
    expect_reply(r, "2", "marker")
    sink_find(env, "marker after")
    for s in ("place content", "place client ip", "place url html", "place attachment",
              "place header from", "place archive member"):
        check(not sink_find(env, s, expect=False), "%s must not be delivered" % s)
    log = env.milter.log()
    for ind in ("ind-client-ip", "ind-mail-from", "ind-header-from", "ind-reply-to",
                "ind-url-html", "ind-attachment", "ind-archive-member", "ind-subject",
                "ind-content"):
        check(ind in log, "log names %s" % ind)


def test_log_line_has_queue_id_action_and_spf(env):
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             message("log line probe", html='<a href="http://phish.example.net/login">x</a>'))
    expect_reply(r, "5", "log probe")
    time.sleep(0.2)
    lines = [ln for ln in env.milter.log().splitlines() if "action=reject" in ln and
             "ind-url-html" in ln]
    check(lines, "a reject line for ind-url-html")
    # Postfix's queue id for a rejected message: the one in its log for this session.
    check(any(": ref=GFI-" in ln and " spf=none" in ln and " scan_ms=" in ln for ln in lines),
          "log line fields: %s" % lines[-1])
    # Queue ids: the log line starts with Postfix's queue id for the message (macro {i}).
    qids = [ln.split(": ")[1] for ln in lines if ": ref=GFI-" in ln]
    pflog = env.pf.log()
    check(any(q != "NOQUEUE" and (q + ": milter-reject") in pflog for q in qids),
          "the queue id in our log line is Postfix's: %s" % qids)


def test_sensitive_values_never_leak(env):
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             message("tlp red probe", body="beacon to http://restricted-c2.example/x\n"))
    expect_reply(r, "2", "TLP:RED match quarantined (held)")
    time.sleep(0.2)
    log = env.milter.log()
    check("indicator--0b6f3a3e-8d0c-4a53-9a57-2e6c3a4f9c21" in log, "the id is logged")
    check("restricted-c2.example" not in log, "the TLP:RED value is not logged")
    lst = env.gfictl("quarantine", "list", "--json").stdout.decode()
    check("restricted-c2.example" not in lst, "nor listed")


def test_forged_headers_removed(env):
    data = message("forged headers", headers=[
        "X-GFI-Verdict: accept; ref=forged",
        "Authentication-Results: %s; spf=pass smtp.mailfrom=forged@example.org" % AUTHSERV,
        "Authentication-Results: other.example; dkim=pass"])
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"], data)
    expect_reply(r, "2", "forged")
    m = sink_find(env, "forged headers")[0].data
    check(b"ref=forged" not in m, "forged X-GFI-Verdict removed")
    check(b"forged@example.org" not in m, "forged Authentication-Results removed")
    check(b"Authentication-Results: other.example; dkim=pass" in m, "others' results kept")


def test_tenants(env):
    data = message("tenant probe", body="see http://www.tenant-test.example.net/\n")
    r = send(env.pf.smtpd_port, "sender@example.org", ["u@acme.example.com"], data)
    expect_reply(r, "5", "acme rejects domain indicators")
    data = message("tenant beta probe", body="see http://www.tenant-test.example.net/\n")
    r = send(env.pf.smtpd_port, "sender@example.org", ["u@beta.example.com"], data)
    expect_reply(r, "2", "beta is monitor-only")
    m = sink_find(env, "tenant beta probe")
    check(len(m) == 1 and b"monitor; would=quarantine" in m[0].data,
          "beta: delivered, tagged with what would have happened")
    data = message("tenant mixed probe", body="see http://www.tenant-test.example.net/\n")
    r = send(env.pf.smtpd_port, "sender@example.org", ["a@acme.example.com", "b@beta.example.com"],
             data)
    check(r.rcpt_replies[0][0] == 250 and r.rcpt_replies[1][0] == 452,
          "mixed tenants split: %s" % r.rcpt_replies)
    expect_reply(r, "5", "the acme copy is rejected")


def test_spf(env):
    r = send(env.pf.smtpd_port, "x@bank.example.org", ["rcpt@example.com"],
             message("spf fail probe"), xclient_addr="198.51.100.9")
    expect_reply(r, "5", "SPF fail for a protected domain")
    r = send(env.pf.smtpd_port, "x@bank.example.org", ["rcpt@example.com"],
             message("spf pass probe"), xclient_addr="192.0.2.10")
    expect_reply(r, "2", "SPF pass")
    m = sink_find(env, "spf pass probe")[0].data
    check(b"spf=pass smtp.mailfrom=x@bank.example.org" in m, "Authentication-Results spf=pass")
    check(b"Received-SPF: pass" in m and b"client-ip=192.0.2.10" in m, "Received-SPF")
    r = send(env.pf.smtpd_port, "x@nospf.example.org", ["rcpt@example.com"],
             message("spf none probe"), xclient_addr="198.51.100.9")
    expect_reply(r, "2", "no SPF record: none, accepted")
    check(b"spf=none" in sink_find(env, "spf none probe")[0].data, "spf=none recorded")


def test_large_messages_spooled(env):
    big = os.urandom(3 * 1024 * 1024)
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             message("large clean", attachments=[("big.bin", big)]))
    expect_reply(r, "2", "large clean message")
    m = sink_find(env, "large clean", timeout=30)
    check(len(m) == 1, "large message delivered")
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             message("large bad", attachments=[("big.bin", big), ("x.exe", ATTACHMENT)]))
    expect_reply(r, "5", "large message with a bad attachment after 3 MB")
    spool = os.path.join(env.base, "spool-" + env.mode)
    check(os.listdir(spool) == [], "spool leaves no files: %s" % os.listdir(spool))


def test_status(env):
    time.sleep(5.5)  # the status file is rewritten every 5 s
    r = env.gfictl("status", "--json")
    st = json.loads(r.stdout)
    check(st["running"] is True, "running")
    check(st["indicators"] >= 11, "indicator count %s" % st["indicators"])
    check(st["messages"]["reject"] >= 3 and st["messages"]["tag"] >= 2, "counters %s" %
          st["messages"])
    check(len(st["feeds"]) == 2, "two feeds")


def stream(env, n, tag, results, retry_tempfail=False):
    """Sends n messages (every 3rd one matching a reject indicator); records outcomes."""
    for i in range(n):
        bad = i % 3 == 0
        body = "probe http://reload-probe.example.net/\n" if bad else "clean\n"
        data = message("%s %d" % (tag, i), body=body, msgid="<%s-%d@test.example>" % (tag, i))
        for attempt in range(60):
            r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"], data)
            if retry_tempfail and r.code is not None and (str(r.code).startswith("4") or
                                                          r.code == -1):
                time.sleep(0.5)
                continue
            break
        results.append((i, bad, r.code, attempt))


def test_reloads_during_stream(env):
    results = []
    t = threading.Thread(target=stream, args=(env, 150, "reloadstream", results))
    t.start()
    reloads = 0
    while t.is_alive() and reloads < 100:
        env.milter.reload()
        reloads += 1
        time.sleep(0.03)
    while reloads < 100:
        env.milter.reload()
        reloads += 1
        time.sleep(0.03)
    t.join()
    bad_codes = [(i, b, c) for i, b, c, _ in results if (b and c != 550) or (not b and c != 250)]
    check(not bad_codes, "every message got its verdict during reloads: %s" % bad_codes[:5])
    clean = [i for i, b, _, _ in results if not b]
    deadline = time.monotonic() + 20
    while True:
        got = sum(1 for m in env.sink.messages() if b"reloadstream" in m.data)
        if got >= len(clean) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    check(got == len(clean), "all %d clean messages delivered, got %d" % (len(clean), got))
    time.sleep(1.5)
    check("reload:" in env.milter.log(), "reloads logged")


def test_bad_feed_at_reload_keeps_old(env):
    path = os.path.join(env.feeds, "e2e.csv")
    good = open(path).read()
    try:
        with open(path, "w") as f:
            f.write(good + "sha256,not-a-hash,reject,broken\n")
        env.milter.reload()
        time.sleep(1.5)
        check("e2e.csv: its last good version" in env.milter.log(),
              "the log says the bad feed's last good version stays in service")
        r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
                 message("bad feed probe"), xclient_addr="203.0.113.66")
        expect_reply(r, "5", "old indicators still match after a bad feed")
        r = env.gfictl("status", "--json", check=False)
        check(r.returncode == 3, "gfictl status exits 3 while degraded, got %d" % r.returncode)
        st = json.loads(r.stdout)
        check(st["degraded"] and [f["path"] for f in st["stale_feeds"]] == [path],
              "status names the stale feed: %s" % st)
    finally:
        with open(path, "w") as f:
            f.write(good)
        env.milter.reload()
        time.sleep(1)


def test_milter_killed_mid_stream(env):
    results = []
    t = threading.Thread(target=stream, args=(env, 30, "killstream", results, True))
    t.start()
    while len(results) < 8:
        time.sleep(0.05)
    env.milter.kill()
    time.sleep(1.0)
    tempfails = sum(1 for m in env.pf.log().splitlines() if "milter" in m and "4.7.1" in m)
    env.milter.start()
    t.join(timeout=120)
    check(not t.is_alive(), "stream finished")
    check(tempfails > 0 or any(a > 0 for *_, a in results), "Postfix tempfailed while it was down")
    wrong = [(i, b, c) for i, b, c, _ in results if (b and c != 550) or (not b and c != 250)]
    check(not wrong, "every message got its verdict after the restart: %s" % wrong[:5])
    clean = sum(1 for _, b, _, _ in results if not b)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = [m for m in env.sink.messages() if b"killstream" in m.data]
        if len(got) >= clean:
            break
        time.sleep(0.1)
    ids = [m.data.split(b"Message-ID: ")[1].split(b"\n")[0] for m in got]
    check(len(ids) == clean and len(set(ids)) == clean,
          "each clean message delivered exactly once (%d of %d)" % (len(set(ids)), clean))


def test_hold_mode_release_with_postsuper(env):
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             message("hold release probe").replace(b"From: Sender <sender@example.org>",
                                                   b"From: <ceo@fake-from.example.org>"))
    expect_reply(r, "2", "held")
    entries = [json.loads(ln) for ln in
               env.gfictl("quarantine", "list", "--json").stdout.decode().splitlines()]
    mine = [e for e in entries if e["queue_id"] == r.queue_id]
    check(len(mine) == 1, "the held message is listed with its queue id")
    e = mine[0]
    check(e["mode"] == "hold" and e["status"] == "held", "hold entry: %s" % e)
    check(any(m["indicator"] == "ind-header-from" for m in e["matches"]), "matches listed")
    env.gfictl("quarantine", "release", e["id"])
    m = sink_find(env, "hold release probe", timeout=20)
    check(len(m) == 1, "released from the hold queue and delivered")
    check(not any(q["queue_id"] == r.queue_id for q in hold_queue(env)), "left the hold queue")
    shown = json.loads(env.gfictl("quarantine", "show", e["id"], "--json").stdout)
    check(shown["status"] == "released", "marked released")
    # delete removes the message from the hold queue too
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             message("hold delete probe").replace(b"From: Sender <sender@example.org>",
                                                  b"From: <ceo@fake-from.example.org>"))
    expect_reply(r, "2", "held again")
    entries = [json.loads(ln) for ln in
               env.gfictl("quarantine", "list", "--json").stdout.decode().splitlines()]
    e2 = [x for x in entries if x["queue_id"] == r.queue_id][0]
    env.gfictl("quarantine", "delete", e2["id"])
    check(not any(q["queue_id"] == r.queue_id for q in hold_queue(env)),
          "deleted from the hold queue")


def test_store_mode(env):
    data = message("store probe", body="Body line\n.dot line\n",
                   headers=["X-Keep: 1", "X-GFI-Verdict: accept; forged-in-store"]).replace(b"From: Sender <sender@example.org>",
                                                  b"From: <ceo@fake-from.example.org>")
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com", "other@example.com"],
             data)
    expect_reply(r, "2", "quarantined into the store (accepted, then discarded at the MTA)")
    check(not sink_find(env, "store probe", timeout=1, expect=False), "not delivered")
    entries = [json.loads(ln) for ln in
               env.gfictl("quarantine", "list", "--json", "--sender", "sender@example.org")
               .stdout.decode().splitlines()]
    mine = [e for e in entries if e["subject"] == "store probe"]
    check(len(mine) == 1, "listed once")
    e = mine[0]
    check(e["rcpt"] == ["rcpt@example.com", "other@example.com"], "recipients %s" % e["rcpt"])
    check(e["matches"][0]["indicator"] == "ind-header-from", "matches %s" % e["matches"])
    # Postfix does not pass its own Received header to milters: the store holds the message
    # exactly as the client sent it.
    raw = env.gfictl("quarantine", "show", e["id"], "--raw").stdout
    check(normalize_crlf(raw).rstrip(b"\r\n") == normalize_crlf(data).rstrip(b"\r\n"),
          "show --raw is the message as sent")
    shown = env.gfictl("quarantine", "show", e["id"]).stdout.decode()
    for want in ("status:    held",
                 "indicator ind-header-from (email) matched in header.from -> quarantine",
                 "Subject: store probe", "structure:", "text/plain", "history:"):
        check(want in shown, "show prints %r: %s" % (want, shown))
    st = os.stat(os.path.join(env.base, "q-store", "messages", e["id"] + ".eml"))
    check(st.st_mode & 0o077 == 0o040 and st.st_mode & 0o007 == 0, "message file private")
    # Two releases at once deliver once.
    procs = [subprocess.Popen([env.args.gfictl, "quarantine", "release", e["id"], "--config",
                               env.milter.config_path], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
    codes = sorted(p.wait(timeout=60) for p in procs)
    check(codes == [0, 1], "one release succeeds, the other is refused: %s" % codes)
    time.sleep(1)
    m = sink_find(env, "store probe", timeout=20)
    check(len(m) == 1, "delivered exactly once, got %d" % len(m))
    check(sorted(m[0].rcpts) == ["other@example.com", "rcpt@example.com"],
          "released to the original recipients: %s" % m[0].rcpts)
    check(b"forged-in-store" not in m[0].data and b"X-Keep: 1" in m[0].data,
          "a forged X-GFI header is dropped on release, the rest kept")
    r2 = env.gfictl("quarantine", "release", e["id"], check=False)
    check(r2.returncode == 1, "a released entry is not released again")
    env.gfictl("quarantine", "delete", e["id"])
    check(env.gfictl("quarantine", "show", e["id"], "--raw", check=False).returncode == 2,
          "deleted: raw gone")
    r3 = env.gfictl("quarantine", "show", "20990101T000000.000000Z-fff", check=False)
    check(r3.returncode == 2 and b"no quarantine entry" in r3.stderr, "unknown id error")
    # purge
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             message("purge probe").replace(b"From: Sender <sender@example.org>",
                                            b"From: <ceo@fake-from.example.org>"))
    expect_reply(r, "2", "second entry")
    time.sleep(2.1)
    out = env.gfictl("quarantine", "purge", "--older-than", "1s").stdout.decode()
    check("purged 1 entries" in out, "purge: %s" % out)
    held = env.gfictl("quarantine", "list", "--json", "--status", "held").stdout.decode()
    check(held.strip() == "", "nothing held after purge: %s" % held)


def test_release_force(env):
    import sqlite3
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             quarantined("force probe"))
    expect_reply(r, "2", "stored")
    e = listed(env, "force probe")[0]
    db = sqlite3.connect(os.path.join(env.base, "q-store", "index.sqlite"))
    db.execute("UPDATE entries SET status = 'releasing' WHERE id = ?", (e["id"],))
    db.commit()
    db.close()
    r1 = env.gfictl("quarantine", "release", e["id"], check=False)
    check(r1.returncode == 1, "an entry stuck releasing is not released without --force")
    env.gfictl("quarantine", "release", "--force", e["id"])
    check(len(sink_find(env, "force probe", timeout=20)) == 1, "--force delivers it")
    shown = json.loads(env.gfictl("quarantine", "show", e["id"], "--json").stdout)
    check(shown["status"] == "released" and
          any(h["detail"] == "forced release" for h in shown["history"]), "history says forced")


def test_store_full_disk_tempfails(env):
    msgs = os.path.join(env.base, "q-store", "messages")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k,mode=0750", "tmpfs", msgs], check=True)
    try:
        uid = int(subprocess.run(["id", "-u", "postfix"], capture_output=True).stdout)
        os.chown(msgs, uid, -1)
        data = message("full disk probe", body="x" * 100000 + "\n").replace(
            b"From: Sender <sender@example.org>", b"From: <ceo@fake-from.example.org>")
        r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"], data)
        expect_reply(r, "4", "store full: tempfail, never discard")
        check(os.listdir(msgs) == [], "no partial file left: %s" % os.listdir(msgs))
    finally:
        subprocess.run(["umount", msgs], check=True)
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"], data)
    expect_reply(r, "2", "stored once space is back")
    listed = env.gfictl("quarantine", "list", "--json").stdout.decode()
    check("full disk probe" in listed, "the retried message is in the store")


def quarantined(subject, size=0):
    body = "quarantine me\n" + ("y" * 76 + "\n") * (size // 77)
    return message(subject, body=body).replace(b"From: Sender <sender@example.org>",
                                               b"From: <ceo@fake-from.example.org>")


def listed(env, subject):
    out = env.gfictl("quarantine", "list", "--json", "--limit", "1000").stdout.decode()
    return [json.loads(ln) for ln in out.splitlines() if json.loads(ln)["subject"] == subject]


def test_store_locked_tempfails(env):
    import sqlite3
    db = sqlite3.connect(os.path.join(env.base, "q-store", "index.sqlite"), timeout=1,
                         isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
                 quarantined("locked probe"))
        expect_reply(r, "4", "index locked by another process: tempfail after the busy timeout")
        check("database is locked" in env.milter.log(), "the log names the cause")
    finally:
        db.execute("COMMIT")
        db.close()
    msgs = os.listdir(os.path.join(env.base, "q-store", "messages"))
    check(not listed(env, "locked probe"), "nothing indexed")
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             quarantined("locked probe"))
    expect_reply(r, "2", "stored once the lock is gone")
    check(len(listed(env, "locked probe")) == 1, "indexed once")
    after = os.listdir(os.path.join(env.base, "q-store", "messages"))
    check(len(after) == len(msgs) + 1, "one message file more, none from the failed try")


def test_store_read_only_tempfails(env):
    msgs = os.path.join(env.base, "q-store", "messages")
    subprocess.run(["mount", "--bind", msgs, msgs], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", msgs], check=True)
        r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
                 quarantined("read-only probe"))
        expect_reply(r, "4", "read-only store: tempfail")
    finally:
        subprocess.run(["umount", msgs], check=True)
    check(not listed(env, "read-only probe"), "nothing indexed")
    check("Read-only file system" in env.milter.log(), "the log names the cause")


def test_killed_during_store_write(env):
    """The daemon killed while it writes a quarantined message: the MTA tempfails, the store has
    no entry and no partial message; after the restart the retried message is stored whole."""
    msgs = os.path.join(env.base, "q-store", "messages")
    data = quarantined("killed probe", size=8 * 1000 * 1000)
    caught = False
    for attempt in range(6):
        result = {}
        t = threading.Thread(target=lambda: result.update(
            r=send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"], data)))
        t.start()
        deadline = time.monotonic() + 60
        while t.is_alive() and time.monotonic() < deadline:
            if any(n.endswith(".tmp") for n in os.listdir(msgs)):
                env.milter.kill()
                caught = True
                break
            time.sleep(0.0005)
        t.join(timeout=120)
        if caught:
            break
        # The write finished before we looked: that entry is complete; try again.
    check(caught, "the daemon was killed during a write")
    expect_reply(result["r"], "4", "the MTA tempfails when the milter dies mid-message")
    entries_before = listed(env, "killed probe")
    env.milter.start()  # reopening the store removes the temp file of the cut write
    check(not any(n.endswith(".tmp") for n in os.listdir(msgs)), "no partial file left")
    for e in entries_before:  # complete ones from attempts that finished before the kill
        raw = env.gfictl("quarantine", "show", e["id"], "--raw").stdout
        check(hashlib.sha256(raw).hexdigest() == e["sha256"], "indexed entries are whole")
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"], data)
    expect_reply(r, "2", "the retry is stored")
    after = listed(env, "killed probe")
    check(len(after) == len(entries_before) + 1, "one more entry")
    raw = env.gfictl("quarantine", "show", after[0]["id"], "--raw").stdout
    check(normalize_crlf(raw).rstrip(b"\r\n") == normalize_crlf(data).rstrip(b"\r\n"),
          "the stored message is the whole message")


def session_times(port, n, data):
    """Seconds per message for n messages sent one after another in one SMTP session."""
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=30)
    try:
        s.ehlo("client.example")
        times = []
        for _ in range(n):
            t0 = time.monotonic()
            s.sendmail("sender@example.org", ["rcpt@example.com"], data)
            times.append(time.monotonic() - t0)
        return times
    finally:
        s.quit()


def test_no_delayed_ack_stall(env):
    """Over TCP with header changes at the end of every message (SPF adds two), no message may wait
    for a delayed ACK (at least 40 ms on Linux): Nagle on the milter's socket held the second
    header packet until Postfix's delayed ACK of the first. The same message, one session, through
    the milter port and through the same Postfix's milter-less bypass port: the milter's extra
    time per message (median) must stay far below one delayed-ACK round. A property of the
    protocol exchange, not a benchmark: a stall adds 40 ms to every message."""
    check(env.milter.unix_path is None, "this test needs the TCP milter socket")
    data = normalize_crlf(message("stall probe", body="no indicator here\n" * 100))
    n = 12
    through = session_times(env.pf.smtpd_port, n, data)[2:]   # the first two warm up
    bypass = session_times(env.pf.bypass_port, n, data)[2:]
    got = sink_find(env, "stall probe")
    with_headers = [m for m in got if b"Received-SPF:" in m.data]
    check(len(with_headers) >= n - 2, "messages through the milter got SPF headers (%d of %d)"
          % (len(with_headers), len(got)))
    extra_ms = (statistics.median(through) - statistics.median(bypass)) * 1000
    print("    milter adds %.1f ms per message (median %.1f vs %.1f ms)"
          % (extra_ms, statistics.median(through) * 1000, statistics.median(bypass) * 1000))
    check(extra_ms < 20, "a message through the milter with header changes took %.1f ms more "
          "than without the milter: a delayed-ACK stall (>= 40 ms)" % extra_ms)


def test_header_over_64k(env):
    """A header packet over 64 KiB (libmilter's default limit, which drops the connection: the
    message would get milter_default_action). Postfix cuts headers at about 60 KB before they
    reach a milter, but Sendmail and other MTAs send them whole, and 1 MiB packets are accepted:
    a 200 KiB header straight over the milter protocol, then an indicator after it."""
    check(env.milter.unix_path is None, "this test talks TCP to the milter")
    long_value = " ".join("word%05d" % i for i in range(200 * 1024 // 9))
    check(len(long_value) > 200 * 1024, "the header is over 200 KiB")
    for body, want in ((b"nothing here\r\n", "c"),
                       (b"see http://phish.example.net/login\r\n", "y")):
        c = MilterClient("127.0.0.1", env.milter.port)
        try:
            check(c.negotiate()[-1][0] == "O", "negotiation")
            check(c.connect("client.example", "192.0.2.77")[-1][0] == "c", "connect")
            check(c.helo("client.example")[-1][0] == "c", "helo")
            c.macro(b"M", i="LONGHDR1")
            check(c.mail("sender@example.org")[-1][0] == "c", "mail")
            check(c.rcpt("rcpt@example.com")[-1][0] == "c", "rcpt")
            check(c.data()[-1][0] == "c", "data")
            check(c.header("X-Long", long_value)[-1][0] == "c", "the 200 KiB header is taken")
            check(c.header("Subject", "long header")[-1][0] == "c", "a header after it")
            check(c.eoh()[-1][0] == "c", "end of headers")
            check(c.body(body)[-1][0] == "c", "body")
            final = c.eom()[-1]
            check(final[0] == want, "end of message: %r, want %s" % (final, want))
        finally:
            c.close()


def test_background_store_survives(env):
    """Started without --foreground, as an init script does: the daemon holds no deleted store
    file, quarantined mail is listed while it runs and kept over kill -9, and a delete is not
    undone by a stop and restart. (Opening the store before the fork lost all of that.)"""
    check(env.milter.background, "this phase runs the daemon in the background")
    fd_dir = "/proc/%d/fd" % env.milter.pid
    deleted = [os.readlink(os.path.join(fd_dir, f)) for f in os.listdir(fd_dir)]
    deleted = [t for t in deleted if "index.sqlite" in t and "(deleted)" in t]
    check(not deleted, "the daemon holds deleted store files: %s" % deleted)
    r = send(env.pf.smtpd_port, "sender@example.org", ["rcpt@example.com"],
             quarantined("background probe"))
    expect_reply(r, "2", "quarantined in the background")
    entries = listed(env, "background probe")
    check(len(entries) == 1, "listed while the daemon runs: %s" % entries)
    env.milter.kill()  # SIGKILL
    check(len(listed(env, "background probe")) == 1, "the entry survives kill -9")
    env.milter.start()
    env.gfictl("quarantine", "delete", entries[0]["id"])
    env.milter.stop()
    check(not os.path.exists(env.milter.pid_file), "a clean stop removes the pid file")
    env.milter.start()
    after = [e for e in listed(env, "background probe") if e["status"] != "deleted"]
    check(not after, "the delete is not undone by a stop and restart: %s" % after)


HOLD_TESTS = [test_clean_message_delivered_intact, test_no_delayed_ack_stall, test_header_over_64k,
              test_indicator_in_each_place,
              test_log_line_has_queue_id_action_and_spf, test_sensitive_values_never_leak,
              test_forged_headers_removed, test_tenants, test_spf, test_large_messages_spooled,
              test_status, test_reloads_during_stream, test_bad_feed_at_reload_keeps_old,
              test_milter_killed_mid_stream, test_hold_mode_release_with_postsuper]
# The store phase runs the daemon in the background (as an init script starts it); the tests that
# read the daemon's log (stderr) run in a foreground store phase after it.
STORE_TESTS = [test_background_store_survives, test_store_mode, test_release_force,
               test_store_full_disk_tempfails, test_killed_during_store_write]
STORE_LOG_TESTS = [test_store_locked_tempfails, test_store_read_only_tempfails]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter", required=True)
    ap.add_argument("--gfictl", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("-k", default="", help="run only tests whose name contains this")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("milter_e2e: must run as root (private Postfix, privilege drop)")
        return 1
    env = Env(args)
    failed = 0
    t0 = time.monotonic()
    try:
        for mode, background, tests in (("hold", False, HOLD_TESTS), ("store", True, STORE_TESTS),
                                        ("store", False, STORE_LOG_TESTS)):
            tests = [t for t in tests if args.k in t.__name__]
            if not tests:
                continue
            env.start(mode, background=background)
            for t in tests:
                start = time.monotonic()
                try:
                    t(env)
                    print("PASS %-45s %5.1fs" % (t.__name__, time.monotonic() - start), flush=True)
                except Exception as e:  # noqa: BLE001 - report and go on
                    failed += 1
                    print("FAIL %-45s %s" % (t.__name__, e), flush=True)
                    traceback.print_exc()
    finally:
        if failed:
            print("--- milter log (last 40 lines)")
            try:
                print("\n".join(env.milter.log().splitlines()[-40:]))
                print("--- postfix log (last 30 lines)")
                print("\n".join(env.pf.log().splitlines()[-30:]))
            except Exception:  # noqa: BLE001
                pass
        env.close()
    print("%s: %d failed, %.1fs" % ("FAILED" if failed else "OK", failed, time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
