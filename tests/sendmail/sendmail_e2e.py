#!/usr/bin/env python3
"""gfi-milter behind a real, private Sendmail on loopback, built from our .mc fragment
(packaging/sendmail/gfi-milter.mc), relaying to smtp-sink. Run as root:

    tests/sendmail/sendmail_e2e.py --milter build/milter/gfi-milter --cache build/sendmail-pkgs

Debian's sendmail-bin conflicts with the postfix package, so it is not installed: the test fetches
sendmail-bin and sendmail-cf with `apt-get download` (once, into --cache), unpacks them with
`dpkg-deb -x` into its own directory and runs that sendmail with a config built by m4 from the
Sendmail cf macros of the same package plus our fragment (its socket path replaced by the test's).
Sendmail needs its own host name to resolve to a qualified name, so it runs in private UTS and mount
namespaces (unshare) with its own host name and /etc/hosts bind-mounted over the host's; nothing of
the host's changes. Checks: clean mail delivered intact, a reject, a tempfail, a quarantine into
Sendmail's quarantine (an hf* queue file with its reason), tag headers, and the milter down (F=T:
tempfail, never accepted unscanned). Each check prints PASS/FAIL; exit 1 when any failed."""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from postfix_harness import Sink, free_port, send, wait_port  # noqa: E402
from gfi_env import GfiMilter, message  # noqa: E402

HOSTNAME = "sm.gfi.test"
PACKAGES = ("sendmail-bin", "sendmail-cf")


def fetch(cache):
    """The two .debs in `cache`, downloaded when missing."""
    os.makedirs(cache, exist_ok=True)
    debs = {}
    for p in PACKAGES:
        found = sorted(glob.glob(os.path.join(cache, p + "_*.deb")))
        if not found:
            # apt's sandbox user must be able to write there; the download then moves it in.
            tmp = tempfile.mkdtemp(prefix="gfi-apt.")
            os.chmod(tmp, 0o777)
            r = subprocess.run(["apt-get", "download", "-q", p], cwd=tmp, capture_output=True,
                               text=True, timeout=300)
            got = glob.glob(os.path.join(tmp, p + "_*.deb"))
            if r.returncode != 0 or not got:
                shutil.rmtree(tmp, ignore_errors=True)
                raise RuntimeError("apt-get download %s failed: %s" % (p, r.stderr.strip()))
            shutil.move(got[0], cache)
            shutil.rmtree(tmp, ignore_errors=True)
            found = sorted(glob.glob(os.path.join(cache, p + "_*.deb")))
        debs[p] = found[-1]
    return debs


class PrivateSendmail:
    """A Sendmail of our own: config, queue, pid file and hosts file under `base`."""

    def __init__(self, base, debs, fragment, milter_socket, relay_port):
        self.base = base
        self.root = os.path.join(base, "root")
        self.queue = os.path.join(base, "queue")
        self.port = free_port()
        self.cf = os.path.join(base, "sendmail.cf")
        self.pid_file = os.path.join(base, "sendmail.pid")
        self.binary = os.path.join(self.root, "usr/libexec/sendmail/sendmail")
        os.makedirs(self.root, exist_ok=True)
        for deb in debs.values():
            subprocess.run(["dpkg-deb", "-x", deb, self.root], check=True)
        os.makedirs(self.queue, mode=0o700, exist_ok=True)
        os.chmod(base, 0o755)
        with open(os.path.join(base, "hosts"), "w") as f:
            f.write("127.0.0.1 %s localhost\n" % HOSTNAME)
        with open(os.path.join(base, "service.switch"), "w") as f:
            f.write("hosts files\naliases files\n")
        open(os.path.join(base, "local-host-names"), "w").close()
        open(os.path.join(base, "statistics"), "w").close()
        with open(fragment) as f:
            ours = f.read()
        default_socket = "S=unix:/run/gfi-milter/milter.sock"
        if default_socket not in ours:
            raise RuntimeError("%s: no %s to point at the test's socket" % (fragment, default_socket))
        ours = ours.replace(default_socket, "S=" + milter_socket)
        cfdir = os.path.join(self.root, "usr/share/sendmail/cf")
        b = base
        mc = f"""divert(-1)
divert(0)dnl
include(`{cfdir}/m4/cf.m4')dnl
VERSIONID(`gfi-milter private test instance')dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `{HOSTNAME}')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`QUEUE_DIR', `{b}/queue')dnl
define(`confPID_FILE', `{b}/sendmail.pid')dnl
define(`STATUS_FILE', `{b}/statistics')dnl
define(`ALIAS_FILE', `')dnl
define(`confCW_FILE', `-o {b}/local-host-names')dnl
define(`confSERVICE_SWITCH_FILE', `{b}/service.switch')dnl
define(`confHOSTS_FILE', `{b}/hosts')dnl
define(`confBIND_OPTS', `-DNSRCH -DEFNAMES')dnl
define(`confDELIVERY_MODE', `interactive')dnl
define(`SMART_HOST', `relay:[127.0.0.1]')dnl
define(`RELAY_MAILER_ARGS', `TCP $h {relay_port}')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h {relay_port}')dnl
FEATURE(`nocanonify')dnl
FEATURE(`no_default_msa')dnl
FEATURE(`promiscuous_relay')dnl
FEATURE(`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(`Port={self.port}, Addr=127.0.0.1, Name=MTA')dnl
{ours}
MAILER(`smtp')dnl
"""
        with open(os.path.join(base, "test.mc"), "w") as f:
            f.write(mc)
        with open(self.cf, "w") as out:
            r = subprocess.run(["m4", os.path.join(base, "test.mc")], stdout=out,
                               stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError("m4 failed: " + r.stderr)

    def start(self):
        script = ("hostname %s && mount --bind %s/hosts /etc/hosts && exec %s -C %s -bd -q1h"
                  % (HOSTNAME, self.base, self.binary, self.cf))
        r = subprocess.run(["unshare", "--mount", "--uts", "sh", "-c", script],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0 or not wait_port(self.port, 20):
            raise RuntimeError("sendmail did not start: %s %s" % (r.stdout, r.stderr))

    def stop(self):
        try:
            with open(self.pid_file) as f:
                pid = int(f.readline())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    def quarantined(self):
        """[(queue file, reason)] of Sendmail's quarantine: hf* files, their 'q' line."""
        out = []
        for path in glob.glob(os.path.join(self.queue, "hf*")):
            with open(path, "rb") as f:
                for line in f:
                    if line.startswith(b"q"):
                        out.append((os.path.basename(path), line[1:].strip().decode("utf-8", "replace")))
        return out

    def queue_files(self):
        return sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.queue, "*")))


def safe_parent():
    """/run, or the first directory of these whose path has no world-writable part."""
    for d in ("/run", "/var/lib", "/root"):
        p, ok = os.path.realpath(d), True
        while ok:
            st = os.stat(p)
            ok = not (st.st_mode & 0o002)
            if p == "/":
                break
            p = os.path.dirname(p)
        if ok:
            return d
    raise RuntimeError("no directory without a world-writable parent for the milter socket")


FEED = "\n".join([
    "domain,reject-me.example,reject,ind-sm-reject",
    "domain,defer-me.example,tempfail,ind-sm-tempfail",
    "domain,hold-me.example,quarantine,ind-sm-quarantine",
    "domain,tag-me.example,tag,ind-sm-tag",
    "",
])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter", required=True)
    ap.add_argument("--cache", required=True, help="where the sendmail .debs are kept")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 0
    # Sendmail refuses a milter socket anywhere below a world-writable directory (/tmp, and so a
    # checkout under /tmp): the test's files go under /run (root's, 0755), removed at the end.
    base = tempfile.mkdtemp(prefix="gfi-sendmail-test.", dir=safe_parent())
    os.chmod(base, 0o755)
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print("%s: %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else "\n    " + str(detail)))

    sm = milter = sink = None
    try:
        debs = fetch(args.cache)
        feeds = os.path.join(base, "feeds")
        os.makedirs(feeds)
        with open(os.path.join(feeds, "sendmail.csv"), "w") as f:
            f.write(FEED)
        os.chmod(feeds, 0o755)
        mdir = os.path.join(base, "milter")
        os.makedirs(mdir)
        shutil.chown(mdir, "nobody")

        def config(sock):
            return f"""
[milter]
socket = "{sock}"
user = "nobody"
pid_file = "{mdir}/gfi-milter.pid"
status_file = "{mdir}/status.json"
spool_dir = "{mdir}/spool"
authserv_id = "{HOSTNAME}"
[indicators]
paths = ["{feeds}"]
reload_interval = 0
[policy]
default_action = "quarantine"
[quarantine]
mode = "hold"
dir = "{mdir}/q"
[spf]
enabled = false
"""
        milter = GfiMilter(args.milter, mdir, config, unix=True)
        milter.start()
        sink = Sink(os.path.join(base, "sink"))
        sm = PrivateSendmail(os.path.join(base, "sm"), debs,
                             os.path.join(ROOT, "packaging/sendmail/gfi-milter.mc"),
                             milter.socket, sink.port)
        sm.start()
        check("a private Sendmail from %s runs with our .mc fragment"
              % os.path.basename(debs["sendmail-bin"]), True)

        # Clean mail: delivered, intact.
        body = "A clean message for the Sendmail test.\nSecond line.\n"
        r = send(sm.port, "alice@clean.example", ["bob@rcpt.example"],
                 message("clean sendmail", body=body))
        got = sink.wait_for(1, timeout=30)
        check("clean mail is accepted (250)", r.stage == "ok", (r.stage, r.code, r.message))
        msgs = sink.messages()
        check("clean mail reaches the sink", len(msgs) == 1, sink.log_text()[-500:])
        if msgs:
            m = msgs[0]
            check("clean mail is intact (body byte for byte, envelope)",
                  m.body == body.replace("\n", "\r\n").encode() and m.mail_from == "alice@clean.example"
                  and m.rcpts == ["bob@rcpt.example"], (m.mail_from, m.rcpts, m.body[:200]))
            check("clean mail carries no X-GFI-Verdict", b"X-GFI-Verdict" not in m.headers, m.headers)
        sink.clear()

        # Reject.
        r = send(sm.port, "x@reject-me.example", ["bob@rcpt.example"], message("reject me"))
        check("an indicator with action reject: 550 at the end of DATA",
              r.stage == "data" and r.code == 550 and "5.7.1" in r.message, (r.stage, r.code, r.message))
        check("the reply names a reference, not the indicator",
              "reference" in r.message and "reject-me.example" not in r.message, r.message)

        # Tempfail.
        r = send(sm.port, "x@defer-me.example", ["bob@rcpt.example"], message("defer me"))
        check("an indicator with action tempfail: 451 at the end of DATA",
              r.stage == "data" and r.code == 451, (r.stage, r.code, r.message))

        # Tag.
        r = send(sm.port, "x@tag-me.example", ["bob@rcpt.example"], message("tag me"))
        sink.wait_for(1, timeout=30)
        msgs = sink.messages()
        check("a tag is delivered", r.stage == "ok" and len(msgs) == 1, (r.stage, r.code, r.message))
        if msgs:
            h = msgs[0].headers
            check("the tagged message has X-GFI-Verdict and X-GFI-Match",
                  b"X-GFI-Verdict: tag" in h and b"X-GFI-Match:" in h and b"ind-sm-tag" in h, h)
        sink.clear()

        # Quarantine, in Sendmail's quarantine (mode = "hold": smfi_quarantine).
        r = send(sm.port, "x@hold-me.example", ["bob@rcpt.example"], message("hold me"))
        check("a quarantine is accepted (250: the MTA holds it)", r.stage == "ok",
              (r.stage, r.code, r.message))
        time.sleep(1)
        q = sm.quarantined()
        check("it is in Sendmail's quarantine (an hf queue file with the reason)",
              len(q) == 1 and "GFI" in q[0][1], (q, sm.queue_files()))
        check("the quarantined message is not delivered", sink.count() == 0, sink.messages())

        # The milter down: F=T defers, never accepts unscanned.
        milter.stop()
        r = send(sm.port, "alice@clean.example", ["bob@rcpt.example"], message("milter down"))
        check("the milter down: tempfail (4xx, F=T), not accepted",
              r.stage != "ok" and r.code is not None and 400 <= r.code < 500,
              (r.stage, r.code, r.message))
        time.sleep(0.5)
        check("nothing is delivered unscanned", sink.count() == 0, sink.messages())
    except Exception as e:  # a failure to set up is a failure, named
        check("set-up", False, repr(e))
    finally:
        if sm:
            sm.stop()
        if milter:
            milter.stop()
        if sink:
            sink.stop()
        if not os.environ.get("GFI_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    print("%d/%d passed" % (sum(results), len(results)))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
