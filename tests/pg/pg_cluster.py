"""A private PostgreSQL cluster for tests, like the private Postfix: initdb into a temporary
directory (as the postgres user when run as root: initdb refuses root), no TCP port, the Unix
socket in that directory. stop() and start() may be called again (the database going away and
coming back); remove() stops it and deletes everything.

    with PgCluster() as pg:
        pg.create_database("gfi_test")
        dsn = pg.dsn("gfi_test")
"""
import os
import pwd
import shutil
import subprocess
import tempfile

PG_BIN = os.environ.get("GFI_PG_BIN", "/usr/lib/postgresql/15/bin")


def available():
    return os.path.exists(os.path.join(PG_BIN, "initdb"))


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class PgCluster:
    def __init__(self, max_connections=60, fsync=False, base_dir=None):
        """fsync=False (tests: durability is the server's, not under test); a benchmark of
        durable writes wants fsync=True and base_dir on the disk under test."""
        if not available():
            raise RuntimeError(f"{PG_BIN}/initdb missing (install postgresql)")
        self.fsync = fsync
        self.root = tempfile.mkdtemp(prefix="gfi-pg.", dir=base_dir)
        os.chmod(self.root, 0o755)
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres" if _has_user("postgres") else "nobody"
            pw = pwd.getpwnam(self.user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.data = os.path.join(self.root, "data")
        self.max_connections = max_connections
        self._as_pg([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust", "-U",
                     "postgres", "--no-sync", "-E", "UTF8", "--locale=C"],
                    stdout=subprocess.DEVNULL)
        self.start()

    def _prefix(self):
        return ["runuser", "-u", self.user, "--"] if self.user else []

    def _as_pg(self, cmd, check=True, **kw):
        return subprocess.run(self._prefix() + cmd, check=check, **kw)

    def start(self):
        self._as_pg([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l",
                     os.path.join(self.root, "log"), "-w", "-o",
                     f"-c listen_addresses='' -k {self.root} "
                     f"-c fsync={'on' if self.fsync else 'off'} "
                     f"-c max_connections={self.max_connections}", "start"],
                    stdout=subprocess.DEVNULL)

    def stop_command(self):
        """A shell command that stops the server (for a test binary to run mid-use)."""
        return " ".join(self._prefix() + [os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m",
                                          "fast", "-w", "stop"]) + " >/dev/null"

    def stop(self, check=True):
        self._as_pg([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "fast", "-w",
                     "stop"], check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def psql(self, sql, db="postgres"):
        r = self._as_pg([os.path.join(PG_BIN, "psql"), "-h", self.root, "-U", "postgres", "-d",
                         db, "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                        capture_output=True)
        return r.stdout.decode()

    def create_database(self, name):
        self.psql(f"CREATE DATABASE {name}")

    def dsn(self, db):
        return f"host={self.root} dbname={db} user=postgres"

    def remove(self):
        self.stop(check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
