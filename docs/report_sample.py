#!/usr/bin/env python3
"""Makes docs/report.png: a week of invented hit records (the schema gfi-milter writes,
lib/hits/sqlite_hit_store.cc), `gfictl report --format html` over them, and a headless Chromium
screenshot of the page.

    docs/report_sample.py --gfictl build/cli/gfictl [--output docs/report.png]"""

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

SCHEMA = """
CREATE TABLE hits(time BIGINT NOT NULL, tenant TEXT NOT NULL, feed TEXT NOT NULL,
  indicator TEXT NOT NULL, type TEXT NOT NULL, where_seen TEXT NOT NULL, action TEXT NOT NULL,
  monitor INTEGER NOT NULL, sensitive INTEGER NOT NULL, counted INTEGER NOT NULL);
CREATE INDEX hits_time ON hits(time);
CREATE TABLE message_counts(hour BIGINT NOT NULL, tenant TEXT NOT NULL, action TEXT NOT NULL,
  count BIGINT NOT NULL, PRIMARY KEY (hour, tenant, action));
CREATE TABLE false_positives(time BIGINT NOT NULL, tenant TEXT NOT NULL, indicator TEXT NOT NULL,
  type TEXT NOT NULL);
"""

INDICATORS = [  # id, feed, type, where, action, weight
    ("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "ecs", "domain", "body.html", "quarantine", 40),
    ("indicator--c6b1a9d4-63a1-4d5e-9f0e-2f3c5a0e7b11", "ecs", "email", "header.from", "reject", 22),
    ("indicator--1f0a6a9e-8e0b-4a57-9b0a-3c1d2e4f5a61", "ecs", "sha256", "attachment", "reject", 15),
    ("indicator--5a7e2c11-4b3d-4e8f-a1b2-c3d4e5f60718", "ecs", "url", "body.html", "quarantine", 12),
    ("indicator--9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e", "ecs", "ip", "client_ip", "reject", 9),
    ("partner.csv:12", "partner.csv", "domain", "body.text", "tag", 8),
    ("partner.csv:47", "partner.csv", "subject-regex", "header.subject", "tag", 6),
    ("clamav.hdb:Win.Trojan.Agent", "clamav.hdb", "md5", "archive_member", "discard", 4),
    ("indicator--2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60", "ecs", "domain", "mail_from", "quarantine", 3),
    ("defect:limit.parts", "defect", "defect", "body.text", "quarantine", 2),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gfictl", required=True)
    ap.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "report.png"))
    args = ap.parse_args()
    rnd = random.Random(14)
    base = tempfile.mkdtemp(prefix="gfi-report-sample-")
    try:
        db = sqlite3.connect(os.path.join(base, "hits.sqlite"))
        db.executescript(SCHEMA)
        end = (int(time.time()) // 86400) * 86400
        start = end - 7 * 86400
        tenants = ["acme", "beta", "default"]
        for hour in range(start, end, 3600):
            day_hour = (hour // 3600) % 24
            load = 0.3 + (1.0 if 7 <= day_hour <= 19 else 0.0)
            for tenant, share in zip(tenants, (0.6, 0.3, 0.1)):
                accept = int(rnd.gauss(900, 80) * load * share)
                db.execute("INSERT INTO message_counts VALUES (?, ?, 'accept', ?)",
                           (hour, tenant, accept))
                hits = {}
                for ind, feed, typ, where, action, w in INDICATORS:
                    n = max(0, int(rnd.gauss(w, w / 3) * load * share / 4))
                    for _ in range(n):
                        t = hour + rnd.randrange(3600)
                        monitor = 1 if tenant == "beta" else 0
                        act = action
                        db.execute("INSERT INTO hits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                                   (t, tenant, feed, ind, typ, where, act, monitor,
                                    1 if ind.endswith("4f5a61") else 0))
                        enforced = "tag" if monitor and act not in ("accept", "tag") else act
                        hits[enforced] = hits.get(enforced, 0) + 1
                for act, n in hits.items():
                    db.execute("INSERT INTO message_counts VALUES (?, ?, ?, ?) ON CONFLICT "
                               "(hour, tenant, action) DO UPDATE SET count = count + ?",
                               (hour, tenant, act, n, n))
        db.execute("INSERT INTO false_positives VALUES (?, 'acme', ?, 'domain')",
                   (end - 3600, INDICATORS[0][0]))
        db.commit()
        db.close()
        cfg = os.path.join(base, "gfi-milter.toml")
        with open(cfg, "w") as f:
            f.write('[quarantine]\ndir = "%s"\n[report]\nidentity_name = "Example Provider"\n'
                    '[[tenant]]\nname = "acme"\ndomains = ["acme.example"]\n'
                    '[[tenant]]\nname = "beta"\ndomains = ["beta.example"]\nmonitor = true\n'
                    % base)
        html = os.path.join(base, "report.html")
        subprocess.run([args.gfictl, "report", "--config", cfg, "--since", "@%d" % start,
                        "--until", "@%d" % end, "--format", "html", "--output", html], check=True)
        chrome = shutil.which("chromium")
        if not chrome:
            sys.exit("chromium is not installed (scripts/deps.sh)")
        subprocess.run([chrome, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--user-data-dir=" + os.path.join(base, "chrome"),
                        "--window-size=1000,2050", "--screenshot=" + os.path.abspath(args.output),
                        "file://" + html], check=True, capture_output=True)
        print(args.output)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
