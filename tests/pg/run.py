#!/usr/bin/env python3
"""A private PostgreSQL for the shared-store tests (ctest pg_store).

Runs initdb into a temporary directory (as the postgres user when started as root: initdb
refuses root), starts the server with no TCP port (a Unix socket in that directory), creates a
database and runs the given test binaries against it with GFI_TEST_PG_DSN set: the contract
suites filtered to the PostgreSQL backend, then pg_store_test, whose last case stops the server.
The cluster is stopped and removed at the end, whatever happened.

usage: run.py --store-contract BIN --hit-contract BIN --pg-test BIN
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_cluster import PG_BIN, PgCluster, available  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store-contract", required=True)
    ap.add_argument("--hit-contract")
    ap.add_argument("--pg-test", required=True)
    args = ap.parse_args()
    if not available():
        print(f"pg_store: {PG_BIN}/initdb missing (install postgresql)", file=sys.stderr)
        return 1
    with PgCluster() as pg:
        pg.create_database("gfi_test")
        env = dict(os.environ, GFI_TEST_PG_DSN=pg.dsn("gfi_test"))
        runs = [[args.store_contract, "*- PgBackend"]]
        if args.hit_contract:
            runs.append([args.hit_contract, "*- PgBackend"])
            runs.append([args.hit_contract, "pg hit store:*"])
        runs.append([args.pg_test, "[pg]"])
        for cmd in runs:
            print("+", " ".join(cmd), flush=True)
            if subprocess.run(cmd, env=env).returncode != 0:
                return 1
        # Last: the server stopped under a store in use.
        env["GFI_TEST_PG_STOP"] = pg.stop_command()
        print("+", args.pg_test, "[stop]", flush=True)
        if subprocess.run([args.pg_test, "[stop]"], env=env).returncode != 0:
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
