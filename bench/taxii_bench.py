#!/usr/bin/env python3
"""TAXII 2.1 pull benchmark (not a test; not run in CI): wall time, CPU and peak resident memory
of `gfictl feeds sync` for a first pull of N indicators (default 100,000) from tests/taxii's
server over TLS on loopback, then of an incremental pull of 100 new ones, then of
`gfictl indicators check` on the feed written.

    bench/taxii_bench.py --gfictl build/cli/gfictl [--count 100000] [--page-size 1000]

The server is Python in this process, on the same cores: its JSON encoding is part of the wall
time (the "server CPU" column says how much). Peak memory is gfictl's own (/usr/bin/time's
maximum resident set size)."""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "taxii"))
from taxii_server import TaxiiServer, indicator, make_ca  # noqa: E402


def mixed(i):
    k = i % 4
    if k == 0:
        return indicator(i)
    if k == 1:
        return indicator(i, value="198.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255),
                         kind="ipv4")
    if k == 2:
        return indicator(i, value="http://bench%d.example/path/%d" % (i, i), kind="url")
    return indicator(i, value="%064x" % (i * 2654435761), kind="sha256")


def run(cmd):
    """Wall, CPU (user+system) and peak RSS (MB) of `cmd`, measured by /usr/bin/time so the RSS is
    the program's own (a child forked from this Python process, whose server holds the
    collection, would start from this process's size)."""
    fd, stats = tempfile.mkstemp()
    os.close(fd)
    t0 = time.time()
    p = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", stats, *cmd],
                       capture_output=True, text=True)
    wall = time.time() - t0
    with open(stats) as f:
        user, system, rss_kb = f.read().split()[-3:]
    os.unlink(stats)
    if p.returncode != 0:
        print("failed: %s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
        sys.exit(1)
    return wall, float(user) + float(system), int(rss_kb) / 1024.0, p.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gfictl", required=True)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--incremental", type=int, default=100)
    ap.add_argument("--page-size", type=int, default=1000)
    a = ap.parse_args()
    base = tempfile.mkdtemp(prefix="gfi-taxii-bench-")
    try:
        certs = make_ca(os.path.join(base, "ca"))
        pw = os.path.join(base, "pw")
        with open(pw, "w") as f:
            f.write("benchpw\n")
        os.chmod(pw, 0o600)
        server = TaxiiServer(certs, users={"bench": "benchpw"}).start()
        t0 = time.time()
        server.add([mixed(i) for i in range(a.count)])
        print("server holds %d indicators (generated in %.1f s)" % (a.count, time.time() - t0))
        cfg = os.path.join(base, "gfi.toml")
        with open(cfg, "w") as f:
            f.write("""[indicators]
paths = []
[feeds]
dir = "%s/feeds"
[[feeds.taxii]]
name = "bench"
url = "%s"
username = "bench"
password_file = "%s"
ca_file = "%s"
interval = 0
page_size = %d
""" % (base, server.collection_url(), pw, certs["ca"], a.page_size))
        rows = []

        def measure(label, cmd):
            self0 = resource.getrusage(resource.RUSAGE_SELF)
            wall, cpu, rss, out = run(cmd)
            self1 = resource.getrusage(resource.RUSAGE_SELF)
            server_cpu = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
            rows.append((label, wall, cpu, server_cpu, rss))
            print("  %s: %s" % (label, out.splitlines()[-1] if out else ""))

        sync = [a.gfictl, "feeds", "sync", "--config", cfg]
        measure("first pull of %d" % a.count, sync)
        size = os.path.getsize(os.path.join(base, "feeds", "bench.json"))
        server.add([mixed(a.count + i) for i in range(a.incremental)])
        measure("incremental pull of %d" % a.incremental, sync)
        measure("nothing new", sync)
        measure("indicators check of the feed",
                [a.gfictl, "indicators", "check", os.path.join(base, "feeds", "bench.json")])
        print("\nfeed file: %.1f MB, page size %d\n" % (size / 1e6, a.page_size))
        print("| run | wall s | gfictl CPU s | server CPU s | gfictl peak RSS MB |")
        print("|---|--:|--:|--:|--:|")
        for label, wall, cpu, scpu, rss in rows:
            print("| %s | %.2f | %.2f | %.2f | %.0f |" % (label, wall, cpu, scpu, rss))
        server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
