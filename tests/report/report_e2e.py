#!/usr/bin/env python3
"""Hit records and reports end to end: a stream with known matches through a real, private
Postfix and gfi-milter, then `gfictl report` in every format, each parsed back and checked against
what was sent; the STIX bundle checked against the 2.1 rules for sightings and ids; the HTML page
rendered in headless Chromium; /metrics scraped over HTTP; and a leak test: distinctive addresses,
IPs, host names, subjects, message ids and observed values planted in the stream appear in no
report, no metric and not in the hit-record file itself. Run as root:

    tests/report/report_e2e.py --milter build/milter/gfi-milter --gfictl build/cli/gfictl

Each check prints PASS/FAIL; the exit status is 1 when any failed."""

import argparse
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from postfix_harness import PrivatePostfix, Sink, free_port, send  # noqa: E402
from gfi_env import GfiMilter, message  # noqa: E402

STIX_DOMAIN_ID = "indicator--6f1c7b0e-3a52-4b8e-9d55-0c1f2e3d4a01"
STIX_RED_ID = "indicator--6f1c7b0e-3a52-4b8e-9d55-0c1f2e3d4a02"
ATTACHMENT = b"MZ\x90\x00 report e2e payload " * 40
IDENTITY = "Example Provider e2e"

# What the stream holds that no report may: (label, text).
PLANTS = []


def plant(label, text):
    PLANTS.append((label, text))
    return text


def stix_feed():
    def ind(iid, pattern, marking):
        return {"type": "indicator", "spec_version": "2.1", "id": iid,
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": [marking]}
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    return json.dumps({"type": "bundle", "id": "bundle--6f1c7b0e-3a52-4b8e-9d55-0c1f2e3d4a00",
                       "objects": [
                           ind(STIX_DOMAIN_ID, "[domain-name:value = 'zq-landing.example']", green),
                           ind(STIX_RED_ID, "[domain-name:value = 'zq-redc2.example']", red)]})


def csv_feed():
    return "\n".join([
        "sha256,%s,reject,csv-attachment" % hashlib.sha256(ATTACHMENT).hexdigest(),
        "subject-regex,(?i)zq\\s+wire\\s+order,tag,csv-subject",
        ""])


class Checks:
    def __init__(self):
        self.failed = []

    def check(self, cond, what):
        print(("PASS " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failed.append(what)


def validate_stix(bundle, identity_name, checks):
    """The STIX 2.1 rules a provider's ingest applies to our bundle."""
    idre = re.compile(r"^([a-z][a-z0-9-]+)--([0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-"
                      r"[89ab][0-9a-f]{3}-[0-9a-f]{12})$")
    tsre = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
    checks.check(bundle.get("type") == "bundle" and idre.match(bundle.get("id", "")) and
                 bundle["id"].startswith("bundle--"), "stix: a bundle with a bundle-- id")
    objs = bundle.get("objects", [])
    idents = [o for o in objs if o.get("type") == "identity"]
    checks.check(len(idents) == 1, "stix: exactly one identity")
    ident = idents[0] if idents else {}
    checks.check(ident.get("name") == identity_name, "stix: identity named by [report]")
    checks.check(ident.get("id") == "identity--" + str(uuid.uuid5(
        uuid.NAMESPACE_URL, "gfi-milter:report:identity:" + identity_name)),
        "stix: identity id is UUIDv5 of the reporter (independent computation)")
    ids = set()
    for o in objs:
        m = idre.match(o.get("id", ""))
        checks.check(bool(m) and m.group(1) == o.get("type"),
                     "stix: %s id %s is TYPE--UUID" % (o.get("type"), o.get("id")))
        checks.check(o.get("spec_version") == "2.1", "stix: %s spec_version 2.1" % o.get("id"))
        for k in ("created", "modified"):
            checks.check(bool(tsre.match(o.get(k, ""))), "stix: %s %s is a timestamp" % (o["id"], k))
        checks.check(o.get("modified", "") >= o.get("created", ""), "stix: modified >= created")
        checks.check(o["id"] not in ids, "stix: ids unique")
        ids.add(o["id"])
    sightings = [o for o in objs if o.get("type") == "sighting"]
    for s in sightings:
        checks.check(re.match(r"^indicator--", s.get("sighting_of_ref", "")) is not None,
                     "stix: sighting_of_ref is an indicator")
        checks.check(isinstance(s.get("count"), int) and 0 <= s["count"] <= 999999999,
                     "stix: count in 0..999999999")
        checks.check(tsre.match(s.get("first_seen", "")) and tsre.match(s.get("last_seen", ""))
                     and s["first_seen"] <= s["last_seen"], "stix: first_seen <= last_seen")
        checks.check(s.get("where_sighted_refs") == [ident.get("id")],
                     "stix: where_sighted_refs is the identity")
        checks.check(s.get("created_by_ref") == ident.get("id"), "stix: created_by_ref")
        for k in s:
            checks.check(k in ("type", "spec_version", "id", "created", "modified",
                               "created_by_ref", "sighting_of_ref", "count", "first_seen",
                               "last_seen", "where_sighted_refs") or k.startswith("x_"),
                         "stix: property %s is STIX or custom x_" % k)
    return {s["sighting_of_ref"]: s for s in sightings}


def run(args):
    checks = Checks()
    base = tempfile.mkdtemp(prefix="gfi-report-e2e-")
    os.chmod(base, 0o755)
    feeds = os.path.join(base, "feeds")
    os.mkdir(feeds)
    with open(os.path.join(feeds, "ecs.json"), "w") as f:
        f.write(stix_feed())
    with open(os.path.join(feeds, "partner.csv"), "w") as f:
        f.write(csv_feed())
    os.chmod(feeds, 0o755)
    sink = Sink(os.path.join(base, "sink"))
    mdir = os.path.join(base, "m")
    os.makedirs(mdir)
    shutil.chown(mdir, "postfix")
    metrics_port = free_port()
    bypass = free_port()

    def config(sock):
        return f"""
[milter]
socket = "{sock}"
user = "postfix"
pid_file = "{base}/run/gfi-milter.pid"
status_file = "{base}/run/status.json"
spool_dir = "{base}/spool"
[indicators]
paths = ["{feeds}"]
reload_interval = 0
[policy]
default_action = "quarantine"
[quarantine]
dir = "{base}/q"
release_via = "smtp:127.0.0.1:{bypass}"
postfix_config = "{base}/pf/etc"
[spf]
enabled = false
[hits]
flush_ms = 100
[report]
identity_name = "{IDENTITY}"
[metrics]
listen = "127.0.0.1:{metrics_port}"
[[tenant]]
name = "acme"
domains = ["acme.example.com"]
[[tenant]]
name = "beta"
domains = ["beta.example.com"]
monitor = true
"""
    milter = GfiMilter(args.milter, mdir, config, unix=True)
    pf = None
    try:
        milter.start()
        pf = PrivatePostfix(os.path.join(base, "pf"), free_port(), sink.port,
                            milter=milter.socket, bypass_port=bypass)
        pf.start()

        def gfictl(*a, check=True):
            r = subprocess.run([args.gfictl, *a, "--config", milter.config_path],
                               capture_output=True, timeout=120)
            if check and r.returncode != 0:
                raise AssertionError("gfictl %s: exit %d: %s" % (" ".join(a), r.returncode,
                                                                  r.stderr.decode()))
            return r

        t_start = int(time.time())
        sent = {"quarantine": 0, "reject": 0, "accept": 0, "tag": 0}
        expect = {STIX_DOMAIN_ID: 0, STIX_RED_ID: 0, "csv-attachment": 0, "csv-subject": 0}

        def one(kind, n):
            tok = "%s%d" % (kind, n)
            sender = plant("sender", "zq-sender-%s@customer-%s.example.org" % (tok, tok))
            ip = plant("client ip", "203.0.113.%d" % (10 + len(PLANTS) % 200))
            ip6 = None
            helo = plant("helo", "zq-helo-%s.customer.example" % tok)
            subject = plant("subject", "Zq quarterly numbers %s" % tok)
            msgid = plant("message id", "<zq-msgid-%s@customer.example>" % tok)
            rcpt_user = plant("recipient", "zq-rcpt-%s" % tok)
            tenant = "beta" if kind == "beta" else "acme"
            rcpt = "%s@%s.example.com" % (rcpt_user, tenant)
            body = "Hello %s.\n" % tok
            attachments = ()
            if kind == "stix":  # the indicator's own domain is not customer data; the host is
                obs = plant("observed", "zq-obs-%s.zq-landing.example" % tok)
                body += "See http://%s/invoice\n" % obs
                html = "<p><a href=\"http://%s/x\">open</a></p>" % obs
            elif kind == "red":
                obs = plant("observed", "zq-red-%s.zq-redc2.example" % tok)
                body += "Beacon http://%s/c2\n" % obs
                html = None
            elif kind == "attach":
                html = None
                attachments = [("zq-%s.exe" % tok, ATTACHMENT)]
            elif kind == "beta":
                subject = plant("subject", "ZQ wire order %s" % tok)
                html = None
            else:
                html = None
            data = message(subject, body=body, html=html, attachments=attachments, msgid=msgid)
            data = data.replace(b"From: Sender <sender@example.org>",
                                ("From: Zq Person <%s>" % sender).encode())
            data = data.replace(b"To: rcpt@example.com", ("To: <%s>" % rcpt).encode())
            r = send(pf.smtpd_port, sender, [rcpt], data, xclient_addr=ip6 or ip, helo=helo)
            return r

        stream = ([("stix", i) for i in range(6)] + [("red", i) for i in range(3)] +
                  [("attach", i) for i in range(4)] + [("beta", i) for i in range(5)] +
                  [("clean", i) for i in range(7)])
        for kind, n in stream:
            r = one(kind, n)
            if kind == "stix":
                checks.check(str(r.code).startswith("2"), "stix message %d accepted by SMTP "
                             "(quarantined in store mode)" % n)
                sent["quarantine"] += 1
                expect[STIX_DOMAIN_ID] += 1
            elif kind == "red":
                sent["quarantine"] += 1
                expect[STIX_RED_ID] += 1
            elif kind == "attach":
                checks.check(str(r.code).startswith("5"), "attachment message %d rejected" % n)
                sent["reject"] += 1
                expect["csv-attachment"] += 1
            elif kind == "beta":
                sent["tag"] += 1  # a monitor-only tenant: tagged whatever the rule says
                expect["csv-subject"] += 1
            else:
                sent["accept"] += 1
        total = sum(sent.values())

        # Metrics while the daemon runs.
        scrape = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port,
                                        timeout=10).read().decode()
        def metric(name, labels=""):
            m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)), scrape, re.M)
            return float(m.group(1)) if m else None
        for action, n in sent.items():
            checks.check(metric("gfi_messages_total", '{action="%s"}' % action) == n,
                         "metrics: gfi_messages_total{action=%s} = %d (got %s)" % (
                             action, n, metric("gfi_messages_total", '{action="%s"}' % action)))
        checks.check(metric("gfi_scan_duration_seconds_count") == total,
                     "metrics: scan duration histogram counts every message")
        checks.check(metric("gfi_message_size_bytes_count") == total,
                     "metrics: size histogram counts every message")
        checks.check(metric("gfi_indicators", '{feed="ecs.json"}') == 2,
                     "metrics: gfi_indicators{feed=ecs.json} = 2")
        checks.check(metric("gfi_indicators", '{feed="partner.csv"}') == 2,
                     "metrics: gfi_indicators{feed=partner.csv} = 2")
        checks.check(metric("gfi_matches_total",
                            '{action="reject",feed="partner.csv",type="sha256"}') == 4,
                     "metrics: gfi_matches_total by feed, type, action")
        checks.check(metric("gfi_hit_records_dropped_total") == 0, "metrics: nothing dropped")
        checks.check("gfi_reloads_total" in scrape and "gfi_quarantine_entries" in scrape,
                     "metrics: reloads and quarantine families present")
        checks.check("indicator--" not in scrape and "csv-attachment" not in scrape,
                     "metrics: no indicator id in any label")
        try:
            urllib.request.urlopen("http://127.0.0.2:%d/metrics" % metrics_port, timeout=2)
            checks.check(False, "metrics: bound to 127.0.0.1 only")
        except OSError:
            checks.check(True, "metrics: bound to 127.0.0.1 only")

        # A reviewer releases one quarantined message as a false positive.
        entries = [json.loads(l) for l in gfictl("quarantine", "list", "--json").stdout.splitlines()]
        stix_entries = [e for e in entries if any(m.get("indicator") == STIX_DOMAIN_ID
                                                  for m in e.get("matches", []))]
        checks.check(len(stix_entries) == 6, "six stix messages in the quarantine")
        rel = gfictl("quarantine", "release", "--false-positive", stix_entries[0]["id"])
        checks.check(b"false positive" in rel.stdout, "release --false-positive recorded")

        # Records are written within flush_ms; wait for all of them.
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_start - 3600 * 2))
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time()) + 3600 * 2))
        deadline = time.monotonic() + 15
        while True:
            rep = json.loads(gfictl("report", "--format", "json", "--since", since,
                                    "--until", until).stdout)
            if rep["messages"]["total"] >= total or time.monotonic() > deadline:
                break
            time.sleep(0.2)

        out = {}
        for fmt in ("text", "json", "csv", "stix", "html"):
            path = os.path.join(base, "report." + fmt)
            gfictl("report", "--format", fmt, "--since", since, "--until", until,
                   "--output", path)
            with open(path, "rb") as f:
                out[fmt] = f.read().decode("utf-8")

        # JSON: totals equal what was sent.
        rep = json.loads(out["json"])
        checks.check(rep["messages"]["total"] == total,
                     "json: messages total %d = sent %d" % (rep["messages"]["total"], total))
        for action, n in sent.items():
            checks.check(rep["messages"][action] == n, "json: messages %s = %d (got %s)" % (
                action, n, rep["messages"].get(action)))
        by_id = {i["indicator"]: i for i in rep["indicators"]}
        for iid, n in expect.items():
            checks.check(iid in by_id and by_id[iid]["count"] == n,
                         "json: %s count %d (got %s)" % (iid, n, by_id.get(iid, {}).get("count")))
        checks.check(set(by_id) == set(expect), "json: exactly the indicators that fired")
        counts = [i["count"] for i in rep["indicators"]]
        checks.check(counts == sorted(counts, reverse=True), "json: most hits first")
        d = by_id.get(STIX_DOMAIN_ID, {})
        checks.check(d.get("actions") == {"quarantine": 6}, "json: actions of the stix indicator")
        checks.check(d.get("tenants") == {"acme": 6}, "json: tenants of the stix indicator")
        # The engine reports a match at the first place it finds it (the text part here).
        checks.check(d.get("where") == {"body.text": 6}, "json: where seen (%s)" % d.get("where"))
        checks.check(d.get("false_positives") == 1, "json: the false positive is reported")
        checks.check(by_id.get("csv-subject", {}).get("tenants") == {"beta": 5} and
                     by_id["csv-subject"].get("monitor") == 5,
                     "json: monitor-only tenant's hits are marked monitor")
        checks.check(by_id.get(STIX_RED_ID, {}).get("sensitive") is True,
                     "json: the TLP:RED indicator is flagged sensitive, by id only")
        for i in rep["indicators"]:
            checks.check(i["first_seen"] <= i["last_seen"], "json: first_seen <= last_seen")
        for k in ("since", "until", "messages", "indicators"):
            checks.check(k in rep, "json: key %s" % k)

        # --tenant
        beta = json.loads(gfictl("report", "--format", "json", "--since", since, "--until", until,
                                 "--tenant", "beta").stdout)
        checks.check(beta["messages"]["total"] == 5 and
                     [i["indicator"] for i in beta["indicators"]] == ["csv-subject"],
                     "json --tenant beta: its messages and indicators only")
        # --min-count and --round
        mc = json.loads(gfictl("report", "--format", "json", "--since", since, "--until", until,
                               "--min-count", "5", "--round").stdout)
        checks.check(sorted(i["indicator"] for i in mc["indicators"]) ==
                     sorted([STIX_DOMAIN_ID, "csv-subject"]) and mc["indicators_left_out"] == 2,
                     "json --min-count 5 leaves out the smaller ones")
        checks.check(all(i["first_seen"] == since and i["last_seen"] == until
                         for i in mc["indicators"]), "json --round: first/last seen = period")

        # CSV
        rows = list(csv.DictReader(io.StringIO(out["csv"])))
        checks.check(len(rows) == len(expect), "csv: one row per indicator")
        checks.check(all(int(r["count"]) == expect[r["indicator"]] for r in rows),
                     "csv: counts equal what was sent")

        # STIX
        sightings = validate_stix(json.loads(out["stix"]), IDENTITY, checks)
        checks.check(set(sightings) == {STIX_DOMAIN_ID, STIX_RED_ID},
                     "stix: a sighting per indicator from a STIX feed, none for CSV ones")
        checks.check(sightings.get(STIX_DOMAIN_ID, {}).get("count") == 6, "stix: sighting count")
        checks.check(sightings.get(STIX_DOMAIN_ID, {}).get("x_gfi_false_positives") == 1,
                     "stix: the false positive as x_gfi_false_positives")
        # A closed period (it ended before the report): the same bundle every time it is made.
        closed = "@%d" % int(time.time())
        time.sleep(1.1)
        first = gfictl("report", "--format", "stix", "--since", since, "--until", closed).stdout
        time.sleep(1.1)
        again = gfictl("report", "--format", "stix", "--since", since, "--until", closed).stdout
        checks.check(first == again, "stix: a closed period made twice is the same bundle")
        # An open one: the same ids (a newer version of the same objects), not new objects.
        ids = lambda b: sorted(o["id"] for o in json.loads(b)["objects"])  # noqa: E731
        checks.check(ids(out["stix"]) == ids(gfictl("report", "--format", "stix", "--since", since,
                                                    "--until", until).stdout),
                     "stix: an open period made again keeps its ids")

        # Text
        checks.check("messages: %d" % total in out["text"] and STIX_DOMAIN_ID in out["text"],
                     "text: totals and indicators")

        # HTML in headless Chromium: the DOM holds the six charts and no error.
        html_path = os.path.join(base, "report.html")
        png = os.path.join(base, "report.png")
        chrome = shutil.which("chromium")
        if chrome is None:
            checks.check(False, "html: chromium is installed (scripts/deps.sh)")
        else:
            flags = [chrome, "--headless", "--no-sandbox", "--disable-gpu",
                     "--user-data-dir=" + os.path.join(base, "chrome")]
            dom = subprocess.run(flags + ["--dump-dom", "file://" + html_path],
                                 capture_output=True, timeout=120).stdout.decode()
            checks.check(dom.count("<svg") == 7, "html: seven svg charts in the rendered DOM (%d)"
                         % dom.count("<svg"))
            checks.check(dom.count("<rect") > 10, "html: the charts have bars")
            checks.check(STIX_DOMAIN_ID in dom, "html: top indicator by id")
            subprocess.run(flags + ["--screenshot=" + png, "--window-size=1100,1600",
                                    "file://" + html_path], capture_output=True, timeout=120)
            checks.check(os.path.exists(png) and os.path.getsize(png) > 20000,
                         "html: rendered to a screenshot")
        checks.check(not re.search(r"(src|href)\s*=\s*[\"']?(https?:|//)", out["html"]),
                     "html: nothing loaded from the network")

        # The leak test: nothing planted appears in any format, the metrics or the record file.
        with open(os.path.join(base, "q", "hits.sqlite"), "rb") as f:
            db = f.read().decode("latin-1")
        wal = os.path.join(base, "q", "hits.sqlite-wal")
        if os.path.exists(wal):
            with open(wal, "rb") as f:
                db += f.read().decode("latin-1")
        places = dict(out, metrics=scrape, hits_sqlite=db)
        leaks = []
        for label, text in PLANTS:
            for where, content in places.items():
                for probe in {text, text.lower(), text.strip("<>")}:
                    if probe in content:
                        leaks.append("%s %r in %s" % (label, probe, where))
        checks.check(not leaks, "leak: no planted customer data in any report, metric or the "
                     "record file (%d plants x %d places)%s" % (
                         len(PLANTS), len(places), "".join("\n  " + l for l in leaks[:10])))
        checks.check(len(PLANTS) > 100, "leak: the stream planted %d values" % len(PLANTS))

        # Bad input: each a clear error, exit 2.
        def bad(argv, needle, what):
            r = gfictl("report", *argv, check=False)
            err = r.stderr.decode()
            checks.check(r.returncode == 2 and needle in err, "error: %s (%r)" % (what, err.strip()))
        bad(["--since", "yesterday"], "--since: 'yesterday' is not a time", "bad --since")
        bad(["--until", "2026-02-30"], "--until: '2026-02-30' is not a time", "bad --until")
        bad(["--since", "2026-01-02", "--until", "2026-01-01"], "is not before", "empty period")
        bad(["--format", "xml"], "--format 'xml' is not one of: text, json, csv, stix, html",
            "unknown format")
        bad(["--output", "/nonexistent-dir/r.json"], "cannot write /nonexistent-dir/r.json",
            "unwritable output")
        bad(["--tenant", "nobody"], "--tenant 'nobody' is not a tenant", "unknown tenant")
        other = os.path.join(base, "other.toml")
        with open(other, "w") as f:
            f.write('[quarantine]\ndir = "%s/empty-q"\n' % base)
        r = subprocess.run([args.gfictl, "report", "--config", other], capture_output=True)
        checks.check(r.returncode == 2 and b"no hit records at " + base.encode() + b"/empty-q/"
                     b"hits.sqlite" in r.stderr, "error: hit db missing names the path (%r)"
                     % r.stderr.decode().strip())

        # gfictl status shows the writer and the listener (the status file is rewritten every 5 s).
        time.sleep(5.5)
        st = gfictl("status").stdout.decode()
        checks.check(re.search(r"hit records: \d+ written, 0 queued, 0 dropped", st) is not None and
                     "metrics: 127.0.0.1:%d" % metrics_port in st,
                     "status: hit records and metrics lines (%r)" % st[-300:])

        # --purge keeps what is younger than retention_days (400 by default), and says so.
        r = gfictl("report", "--purge")
        checks.check(b"0 row(s) older than" in r.stdout, "purge: nothing younger than the "
                     "retention is removed (%r)" % r.stdout.decode().strip())
        with open(other, "a") as f:
            f.write("[hits]\nretention_days = 0\n")
        r = subprocess.run([args.gfictl, "report", "--purge", "--config", other],
                           capture_output=True)
        checks.check(r.returncode == 2 and b"retention_days is 0" in r.stderr,
                     "purge: refused when records are kept for ever")

        # Stop flushes: records pushed just before SIGTERM are in the store after.
        one("attach", 99)
        milter.stop()
        rep2 = json.loads(gfictl("report", "--format", "json", "--since", since,
                                 "--until", until).stdout)
        checks.check(rep2["messages"]["total"] == total + 1,
                     "stop: the last message's records were flushed at shutdown")
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        checks.failed.append("exception")
    finally:
        for f in (lambda: pf and pf.stop(), milter.stop, sink.stop):
            try:
                f()
            except Exception:  # noqa: BLE001
                traceback.print_exc()
        if checks.failed and args.keep:
            print("kept", base)
        else:
            shutil.rmtree(base, ignore_errors=True)
    print("%d check(s) failed" % len(checks.failed) if checks.failed else "all passed")
    return 1 if checks.failed else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--milter", required=True)
    p.add_argument("--gfictl", required=True)
    p.add_argument("--keep", action="store_true")
    sys.exit(run(p.parse_args()))


if __name__ == "__main__":
    main()
