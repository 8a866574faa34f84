#!/usr/bin/env python3
"""The PostgreSQL quarantine store's figures: durable Put per second (10 KB and 200 KB, one and
four writers; fsync on, synchronous_commit on, the cluster under /var/tmp on this machine's
disk) and List latency with ENTRIES rows, against a private cluster started for the run (initdb,
pg_ctl; tests/pg/pg_cluster.py) and removed after. Run as root:

    bench/pg_bench.py --bench build/bench/quarantine_bench [--entries 1000000]
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "pg"))
from pg_cluster import PgCluster  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="build/bench/quarantine_bench")
    ap.add_argument("--entries", type=int, default=1000000)
    ap.add_argument("--dir", default="/var/tmp", help="where the cluster lives (the disk)")
    a = ap.parse_args()
    with PgCluster(fsync=True, base_dir=a.dir) as pg:
        pg.create_database("gfi_bench")
        print(pg.psql("SHOW server_version").strip(), "fsync", pg.psql("SHOW fsync").strip(),
              "synchronous_commit", pg.psql("SHOW synchronous_commit").strip(), flush=True)
        return subprocess.run([a.bench, "--pg", pg.dsn("gfi_bench"), str(a.entries)]).returncode


if __name__ == "__main__":
    sys.exit(main())
