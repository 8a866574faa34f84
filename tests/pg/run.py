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
import pwd
import shutil
import subprocess
import sys
import tempfile

PG_BIN = os.environ.get("GFI_PG_BIN", "/usr/lib/postgresql/15/bin")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store-contract", required=True)
    ap.add_argument("--hit-contract")
    ap.add_argument("--pg-test", required=True)
    args = ap.parse_args()
    if not os.path.exists(os.path.join(PG_BIN, "initdb")):
        print(f"pg_store: {PG_BIN}/initdb missing (install postgresql)", file=sys.stderr)
        return 1
    root = tempfile.mkdtemp(prefix="gfi-pg.")
    os.chmod(root, 0o755)
    user = None
    if os.geteuid() == 0:
        user = "postgres" if _has_user("postgres") else "nobody"
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data = os.path.join(root, "data")

    def as_pg(cmd, **kw):
        if user is not None:
            cmd = ["runuser", "-u", user, "--"] + cmd
        return subprocess.run(cmd, check=True, **kw)

    pg_ctl = os.path.join(PG_BIN, "pg_ctl")
    stop = [pg_ctl, "-D", data, "-m", "fast", "-w", "stop"]
    stop_cmd = " ".join((["runuser", "-u", user, "--"] if user else []) + stop) + " >/dev/null"
    try:
        as_pg([os.path.join(PG_BIN, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
               "--no-sync", "-E", "UTF8", "--locale=C"], stdout=subprocess.DEVNULL)
        as_pg([pg_ctl, "-D", data, "-l", os.path.join(root, "log"), "-w", "-o",
               f"-c listen_addresses='' -k {root} -c fsync=off -c max_connections=60",
               "start"], stdout=subprocess.DEVNULL)
        as_pg([os.path.join(PG_BIN, "psql"), "-h", root, "-U", "postgres", "-d", "postgres",
               "-q", "-c", "CREATE DATABASE gfi_test"])
        env = dict(os.environ, GFI_TEST_PG_DSN=f"host={root} dbname=gfi_test user=postgres")
        runs = [[args.store_contract, "*- PgBackend"]]
        if args.hit_contract:
            runs.append([args.hit_contract, "*- PgBackend"])
        runs.append([args.pg_test, "[pg]"])
        for cmd in runs:
            print("+", " ".join(cmd), flush=True)
            if subprocess.run(cmd, env=env).returncode != 0:
                return 1
        # Last: the server stopped under a store in use.
        env["GFI_TEST_PG_STOP"] = stop_cmd
        print("+", args.pg_test, "[stop]", flush=True)
        if subprocess.run([args.pg_test, "[stop]"], env=env).returncode != 0:
            return 1
        return 0
    finally:
        subprocess.run(([ "runuser", "-u", user, "--"] if user else []) + stop,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


if __name__ == "__main__":
    sys.exit(main())
