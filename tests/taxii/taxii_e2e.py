#!/usr/bin/env python3
"""End-to-end tests of the TAXII 2.1 pull: `gfictl feeds sync|status` against tests/taxii's
server (TLS with a throwaway CA), then `gfictl indicators lookup|check` and `gfictl scan` on the
feed it wrote. Fast: short timeouts, small collections.

    tests/taxii/taxii_e2e.py --gfictl build/cli/gfictl [--milter build/milter/gfi-milter] [-k NAME]

Each test prints ok/FAIL; the exit status is 1 when any failed."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import ssl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taxii_server import (COLLECTION, FORBIDDEN_COLLECTION, TaxiiServer, indicator,  # noqa: E402
                          make_ca)

PASSWORD = "s3cr3t-PASSWORD-never-shown"
TOKEN = "t0ken-NEVER-shown-4711"
USER = "gfi"
ARGS = None
CERTS = None
OUTPUTS = []  # every stdout/stderr text gfictl printed, checked for secrets at the end


class Env:
    def __init__(self, **server_args):
        self.base = tempfile.mkdtemp(prefix="gfi-taxii-")
        self.feeds = os.path.join(self.base, "feeds")
        self.secrets = os.path.join(self.base, "secrets")
        os.mkdir(self.secrets, 0o750)
        self.password_file = os.path.join(self.secrets, "ecs.password")
        self.token_file = os.path.join(self.secrets, "ecs.token")
        for path, text in ((self.password_file, PASSWORD), (self.token_file, TOKEN)):
            with open(path, "w") as f:
                f.write(text + "\n")
            os.chmod(path, 0o640)
        self.server = TaxiiServer(CERTS, users={USER: PASSWORD}, tokens=[TOKEN],
                                  **server_args).start()
        self.config = os.path.join(self.base, "gfi-milter.toml")
        self.write_config()

    def close(self):
        self.server.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def write_config(self, url=None, auth="basic", extra="", interval=0, page_size=1000,
                     ca=True, password_file=None):
        lines = [
            "[milter]",
            'status_file = "%s/status.json"' % self.base,
            'pid_file = "%s/gfi-milter.pid"' % self.base,
            'spool_dir = "%s/spool"' % self.base,
            'socket = "unix:%s/milter.sock"' % self.base,
            "[indicators]",
            "paths = []",
            "reload_interval = 1",
            "[spf]",
            "enabled = false",
            "[quarantine]",
            'dir = "%s/quarantine"' % self.base,
            "[feeds]",
            'dir = "%s"' % self.feeds,
            "[[feeds.taxii]]",
            'name = "ecs"',
            'url = "%s"' % (url or self.server.collection_url()),
            "interval = %d" % interval,
            "timeout = 2",
            "connect_timeout = 2",
            "page_size = %d" % page_size,
        ]
        if ca:
            lines.append('ca_file = "%s"' % CERTS["ca"])
        if auth == "basic":
            lines += ['username = "%s"' % USER,
                      'password_file = "%s"' % (password_file or self.password_file)]
        elif auth == "bearer":
            lines.append('token_file = "%s"' % self.token_file)
        lines.append(extra)
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def gfictl(self, *args, check=None):
        p = subprocess.run([ARGS.gfictl, *args], capture_output=True, text=True, timeout=60)
        OUTPUTS.append(p.stdout + p.stderr)
        if "Sanitizer" in p.stderr:  # the ASan build of the suite: a report is a failure
            raise AssertionError("gfictl %s: sanitizer report:\n%s" % (" ".join(args), p.stderr))
        if check is not None and p.returncode != check:
            raise AssertionError("gfictl %s: exit %d, want %d\nstdout: %s\nstderr: %s" %
                                 (" ".join(args), p.returncode, check, p.stdout, p.stderr))
        return p

    def sync(self, *names, check=None):
        return self.gfictl("feeds", "sync", "--config", self.config, *names, check=check)

    def feed_path(self):
        return os.path.join(self.feeds, "ecs.json")

    def feed_bytes(self):
        with open(self.feed_path(), "rb") as f:
            return f.read()

    def state(self):
        with open(os.path.join(self.feeds, ".state", "ecs.json")) as f:
            return json.load(f)

    def lookup(self, value):
        p = self.gfictl("indicators", "lookup", "--json", "--config", self.config, value)
        return json.loads(p.stdout.strip().splitlines()[-1])["matches"]

    def scan(self, domain):
        msg = os.path.join(self.base, "msg.eml")
        with open(msg, "w") as f:
            f.write("From: a@sender.example\r\nTo: b@corp.example\r\nSubject: hi\r\n\r\n"
                    "see http://%s/login\r\n" % domain)
        return self.gfictl("scan", "--json", "--config", self.config, msg)


def expect(cond, what, p=None):
    if not cond:
        extra = "" if p is None else "\nstdout: %s\nstderr: %s" % (p.stdout, p.stderr)
        raise AssertionError(what + extra)


# ---------------------------------------------------------------------------------------------

def test_first_pull_then_lookup_and_scan(env):
    env.server.add([indicator(i) for i in range(5)])
    p = env.sync(check=0)
    expect("ecs: ok: 5 objects held" in p.stdout, "one ok line with the count", p)
    expect("replaced" in p.stdout, "the feed file is written", p)
    reqs = env.server.object_requests()
    expect(len(reqs) == 1 and "added_after" not in reqs[0]["query"], "first pull takes all")
    expect(reqs[0]["accept"] == "application/taxii+json;version=2.1", "Accept header")
    expect(reqs[0]["auth"] == "basic:" + USER, "HTTP Basic")
    env.gfictl("indicators", "check", env.feed_path(), check=0)
    m = env.lookup("host3.taxii-test.example")
    expect(len(m) == 1 and m[0]["state"] == "active" and m[0]["feed"] == "ecs",
           "indicator from the pulled feed, named by its source: %r" % m)
    s = env.scan("www.host2.taxii-test.example")
    expect(s.returncode == 1 and "host2.taxii-test.example" in s.stdout, "scan matches", s)
    expect(sorted(os.listdir(env.feeds)) == [".state", "ecs.json"], "only the feed is a feed file")


def test_paging_with_next(env):
    env.server.add([indicator(i) for i in range(7)])
    env.write_config(page_size=3)
    p = env.sync(check=0)
    expect("7 objects held" in p.stdout and "3 page(s)" in p.stdout, "7 objects in 3 pages", p)
    reqs = env.server.object_requests()
    expect(len(reqs) == 3, "3 requests")
    expect("next" not in reqs[0]["query"] and "next" in reqs[1]["query"] and
           "next" in reqs[2]["query"], "next followed")
    expect(all(r["query"]["limit"] == ["3"] for r in reqs), "limit sent")


def test_paging_by_date_without_next(env):
    env.server.page_no_next = True
    env.server.add([indicator(i) for i in range(5)])
    env.write_config(page_size=2)
    p = env.sync(check=0)
    expect("5 objects held" in p.stdout, "all pulled", p)
    reqs = env.server.object_requests()
    expect(len(reqs) == 3 and "added_after" in reqs[1]["query"], "pages by added_after")


def test_server_page_bound_smaller_than_limit(env):
    env.server.max_page = 2
    env.server.add([indicator(i) for i in range(5)])
    p = env.sync(check=0)
    expect("5 objects held" in p.stdout, "the server's own page size is followed", p)


def test_incremental_pull_asks_only_for_new(env):
    env.server.add([indicator(i) for i in range(4)])
    env.sync(check=0)
    last = env.state()["date_added_last"]
    expect(last, "date_added_last stored")
    env.server.add([indicator(i) for i in range(10, 12)])
    n_before = len(env.server.object_requests())
    p = env.sync(check=0)
    reqs = env.server.object_requests()[n_before:]
    expect(len(reqs) == 1 and reqs[0]["query"].get("added_after") == [last],
           "added_after = the last X-TAXII-Date-Added-Last: %r" % reqs)
    expect("6 objects held, 2 received" in p.stdout, "2 new, 6 held", p)
    expect(len(env.lookup("host11.taxii-test.example")) == 1, "new indicator there")
    expect(len(env.lookup("host1.taxii-test.example")) == 1, "old indicator kept")


def test_restart_resumes_from_state(env):
    env.server.add([indicator(i) for i in range(3)])
    env.sync(check=0)
    st = env.state()
    expect(st["objects"] == 3 and st["last_success"] > 0 and st["consecutive_failures"] == 0,
           "state persisted: %r" % st)
    before = env.feed_bytes()
    # A new process (every gfictl run is one) resumes: nothing new -> the file is left alone.
    p = env.sync(check=0)
    reqs = env.server.object_requests()
    expect(reqs[-1]["query"].get("added_after") == [st["date_added_last"]], "resumed")
    expect("unchanged" in p.stdout and env.feed_bytes() == before, "unchanged feed", p)
    # The feed file removed: the store is gone, so the next pull is a full one.
    os.unlink(env.feed_path())
    p = env.sync(check=0)
    expect("full pull" in p.stdout and "3 objects held" in p.stdout, "full pull again", p)
    expect("added_after" not in env.server.object_requests()[-1]["query"], "no added_after")


def test_revoked_version_withdraws(env):
    ident = "indicator--11111111-2222-4333-8444-555555555555"
    env.server.add([indicator(0, value="revoke-me.example", ident=ident,
                              modified="2026-01-01T00:00:00.000Z")])
    env.sync(check=0)
    expect(env.scan("revoke-me.example").returncode == 1, "matches before")
    env.server.add([indicator(0, value="revoke-me.example", ident=ident, revoked=True,
                              modified="2026-02-01T00:00:00.000Z")])
    env.sync(check=0)
    m = env.lookup("revoke-me.example")
    expect(len(m) == 1 and m[0]["state"] == "revoked", "one version, revoked: %r" % m)
    s = env.scan("revoke-me.example")
    expect(s.returncode == 0, "withdrawn: no match", s)
    # An older version arriving later does not bring it back.
    env.server.add([indicator(0, value="revoke-me.example", ident=ident,
                              modified="2026-01-15T00:00:00.000Z")])
    env.sync(check=0)
    expect(env.lookup("revoke-me.example")[0]["state"] == "revoked", "latest modified wins")


def test_expired_version_withdraws(env):
    ident = "indicator--21111111-2222-4333-8444-555555555555"
    env.server.add([indicator(0, value="expire-me.example", ident=ident)])
    env.sync(check=0)
    o = indicator(0, value="expire-me.example", ident=ident, modified="2026-03-01T00:00:00.000Z")
    o["valid_until"] = "2026-01-02T00:00:00Z"
    env.server.add([o])
    env.sync(check=0)
    expect(env.lookup("expire-me.example")[0]["state"] == "expired", "expired")
    expect(env.scan("expire-me.example").returncode == 0, "no match")


def test_failure_mid_pull_changes_nothing(env):
    env.server.add([indicator(i) for i in range(2)])
    env.write_config(page_size=2)
    env.sync(check=0)
    before, st = env.feed_bytes(), env.state()
    env.server.add([indicator(i) for i in range(10, 16)])
    env.server.reset_pull()
    env.server.fail_page = 2
    p = env.sync(check=1)
    err = p.stderr
    expect("ecs: FAILED: " + env.server.collection_url() in err, "source and URL named", p)
    expect("page 2: HTTP 500 (server error): Internal test failure" in err, "cause named", p)
    expect(env.feed_bytes() == before, "feed file unchanged")
    st2 = env.state()
    expect(st2["date_added_last"] == st["date_added_last"] and st2["objects"] == 2 and
           st2["consecutive_failures"] == 1 and "HTTP 500" in st2["last_error"], "state: %r" % st2)
    expect(len(env.lookup("host10.taxii-test.example")) == 0, "page 1's objects not in service")
    env.server.fail_page = 0
    p = env.sync(check=0)
    expect("8 objects held" in p.stdout, "next pull gets everything", p)
    expect(env.state()["consecutive_failures"] == 0, "failures reset")


def test_invalid_envelope_refused(env):
    env.server.add([indicator(0)])
    env.sync(check=0)
    before = env.feed_bytes()
    env.server.bad_json = True
    p = env.sync(check=1)
    expect("invalid TAXII envelope" in p.stderr, "named", p)
    expect(env.feed_bytes() == before, "unchanged")


def test_invalid_indicator_refused(env):
    env.server.add([indicator(0)])
    env.sync(check=0)
    before = env.feed_bytes()
    bad = indicator(5)
    bad["pattern"] = "[domain-name:value = "
    env.server.add([bad])
    p = env.sync(check=1)
    expect("the merged feed does not load" in p.stderr and "pattern" in p.stderr, "named", p)
    expect(env.feed_bytes() == before, "unchanged")


def test_bad_credentials_401(env):
    bad = os.path.join(env.secrets, "wrong.password")
    with open(bad, "w") as f:
        f.write("wrong\n")
    os.chmod(bad, 0o600)
    env.write_config(password_file=bad)
    p = env.sync(check=1)
    expect("HTTP 401 (authentication failed): Invalid credentials" in p.stderr, "401 named", p)
    expect(env.server.collection_url() in p.stderr, "URL named", p)
    expect(not os.path.exists(env.feed_path()), "no feed file")
    env.write_config(auth="none")
    p = env.sync(check=1)
    expect("HTTP 401 (authentication failed): Authentication required" in p.stderr, "no creds", p)


def test_forbidden_403_and_not_found_404(env):
    env.write_config(url=env.server.collection_url(FORBIDDEN_COLLECTION))
    p = env.sync(check=1)
    expect("HTTP 403 (forbidden: no access to this collection): Forbidden" in p.stderr, "403", p)
    env.write_config(url=env.server.collection_url("00000000-0000-4000-8000-000000000000"))
    p = env.sync(check=1)
    expect("HTTP 404 (not found: check the collection URL): Collection not found" in p.stderr,
           "404", p)


def test_server_endpoints_and_406(env):
    ctx = ssl.create_default_context(cafile=CERTS["ca"])
    import base64
    auth = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()

    def get(path, accept="application/taxii+json;version=2.1"):
        req = urllib.request.Request(env.server.base_url() + path,
                                     headers={"Accept": accept, "Authorization": auth})
        try:
            with urllib.request.urlopen(req, context=ctx) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)
    st, d = get("/taxii2/")
    expect(st == 200 and d["api_roots"], "discovery")
    st, d = get("/api1/")
    expect(st == 200 and "application/taxii+json;version=2.1" in d["versions"], "API root")
    st, d = get("/api1/collections/")
    expect(st == 200 and any(c["id"] == COLLECTION for c in d["collections"]), "collections")
    st, d = get("/api1/collections/%s/" % COLLECTION)
    expect(st == 200 and d["can_read"], "collection")
    st, d = get("/api1/collections/%s/objects/" % COLLECTION, accept="application/json")
    expect(st == 406 and d["title"] == "Not Acceptable", "406 with an error object")


def test_bearer_token(env):
    env.server.add([indicator(0)])
    env.write_config(auth="bearer")
    env.sync(check=0)
    expect(env.server.object_requests()[-1]["auth"] == "bearer", "Bearer sent")


def test_client_certificate(env):
    env.server.stop()
    env.server = TaxiiServer(CERTS, users={USER: PASSWORD}, require_client_cert=True).start()
    env.server.add([indicator(0)])
    env.write_config()
    p = env.sync(check=1)
    expect("ecs: FAILED" in p.stderr, "refused without a client certificate", p)
    env.write_config(extra='client_cert = "%s"\nclient_key = "%s"' %
                     (CERTS["client_cert"], CERTS["client_key"]))
    env.sync(check=0)


def test_untrusted_server_certificate(env):
    env.write_config(ca=False)
    p = env.sync(check=1)
    expect("TLS" in p.stderr and "not trusted" in p.stderr, "TLS failure named", p)


def test_slow_server_times_out(env):
    env.server.add([indicator(0)])
    env.server.slow_seconds = 4
    t0 = time.time()
    p = env.sync(check=1)
    expect("timed out" in p.stderr, "timeout named", p)
    expect(time.time() - t0 < 4, "gave up after the configured timeout")


def test_oversized_response_refused(env):
    env.server.add([indicator(0)])
    env.server.oversize_bytes = 300000
    env.write_config(extra="max_response_bytes = 100000")
    p = env.sync(check=1)
    expect("response larger than max_response_bytes (100000), refused" in p.stderr, "named", p)
    expect(not os.path.exists(env.feed_path()), "no feed")


def test_world_readable_secret_refused(env):
    os.chmod(env.password_file, 0o644)
    p = env.sync(check=1)
    expect(env.password_file in p.stderr and "readable by others" in p.stderr, "named", p)
    expect(not env.server.object_requests(), "nothing sent")
    os.chmod(env.password_file, 0o640)
    env.sync(check=0)


def test_status_text_and_json(env):
    env.server.add([indicator(i) for i in range(3)])
    p = env.gfictl("feeds", "status", "--config", env.config, check=1)
    expect("last success: never" in p.stdout, "never pulled", p)
    env.sync(check=0)
    p = env.gfictl("feeds", "status", "--json", "--config", env.config, check=0)
    d = json.loads(p.stdout)
    s = d["sources"][0]
    expect(s["name"] == "ecs" and s["objects"] == 3 and s["last_success"] > 0 and
           s["date_added_last"] and s["last_error"] == "" and s["next_pull"] is None, repr(s))
    env.server.fail_page = 1
    env.server.reset_pull()
    env.sync(check=1)
    p = env.gfictl("feeds", "status", "--config", env.config, check=1)
    expect("objects held: 3" in p.stdout and "last error: HTTP 500" in p.stdout, "text", p)
    p = env.gfictl("config", "show", "--config", env.config, check=0)
    expect("feeds.taxii.0.password_file" in p.stdout, "config show lists the keys", p)


def test_unknown_source_and_config_errors(env):
    p = env.sync("nosuch", check=2)
    expect("no [[feeds.taxii]] source named 'nosuch'" in p.stderr, "named", p)
    with open(env.config, "a") as f:
        f.write('[[feeds.taxii]]\nname = "ecs"\nurl = "https://x.example/c/"\n')
    p = env.sync(check=2)
    expect("duplicate source 'ecs'" in p.stderr, "duplicate refused", p)
    env.write_config(url="http://plain.example/collections/x/")
    p = env.sync(check=2)
    expect("is not an https:// collection URL" in p.stderr, "https only", p)


def test_lock_prevents_concurrent_pull(env):
    import fcntl
    env.server.add([indicator(0)])
    os.makedirs(os.path.join(env.feeds, ".state"), exist_ok=True)
    with open(os.path.join(env.feeds, ".state", "ecs.lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        p = env.sync(check=1)
    expect("busy: another process is pulling this source" in p.stderr, "busy", p)
    env.sync(check=0)


def test_root_sync_gives_files_the_feeds_dir_owner(env):
    if os.geteuid() != 0:
        print("  (skipped: not root)")
        return
    import pwd
    nobody = pwd.getpwnam("nobody")
    os.makedirs(env.feeds)
    os.chown(env.feeds, nobody.pw_uid, nobody.pw_gid)
    env.server.add([indicator(0)])
    env.sync(check=0)
    for rel in ("ecs.json", ".state", ".state/ecs.json", ".state/ecs.lock"):
        st = os.stat(os.path.join(env.feeds, rel))
        expect(st.st_uid == nobody.pw_uid, "%s belongs to the daemon user, not root" % rel)
    expect(oct(os.stat(env.feed_path()).st_mode & 0o777) == "0o640", "feed mode 0640")


def test_daemon_pulls_every_interval(env):
    if not ARGS.milter:
        print("  (skipped: no --milter)")
        return
    env.server.add([indicator(i) for i in range(3)])
    env.write_config(interval=1)
    with open(env.config) as f:
        text = f.read()
    text = text.replace("[milter]\n", '[milter]\nuser = "root"\n', 1)
    with open(env.config, "w") as f:
        f.write(text)
    d = subprocess.Popen([ARGS.milter, "--config", env.config, "--foreground"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 15
        ok = False
        while time.time() < deadline:
            time.sleep(0.5)
            p = env.gfictl("status", "--json", "--config", env.config)
            try:
                st = json.loads(p.stdout)
            except ValueError:
                continue
            src = (st.get("taxii") or {}).get("sources") or [{}]
            if src[0].get("objects") == 3 and st.get("indicators") == 3:
                ok = True
                break
        expect(ok, "daemon pulled and loaded the feed: %s" % p.stdout)
        env.server.add([indicator(i) for i in range(10, 12)])
        deadline = time.time() + 15
        ok = False
        while time.time() < deadline:
            time.sleep(0.5)
            st = json.loads(env.gfictl("status", "--json", "--config", env.config).stdout)
            if st.get("indicators") == 5:
                ok = True
                break
        expect(ok, "the next interval's pull is loaded too")
        p = env.gfictl("status", "--config", env.config)
        expect("taxii ecs:" in p.stdout and "5 objects" in p.stdout, "gfictl status shows it", p)
    finally:
        d.terminate()
        try:
            d.wait(10)
        except subprocess.TimeoutExpired:
            d.kill()
        OUTPUTS.append(d.stderr.read() if d.stderr else "")


def main():
    global ARGS, CERTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--gfictl", required=True)
    ap.add_argument("--milter")
    ap.add_argument("-k", help="run tests whose name contains this")
    ARGS = ap.parse_args()
    ca_dir = tempfile.mkdtemp(prefix="gfi-taxii-ca-")
    CERTS = make_ca(ca_dir, client=True)
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    failed = []
    t_start = time.time()
    for name, fn in tests:
        if ARGS.k and ARGS.k not in name:
            continue
        env = Env()
        t0 = time.time()
        try:
            fn(env)
            print("ok: %s (%.1f s)" % (name, time.time() - t0))
        except Exception:
            failed.append(name)
            print("FAIL: %s\n%s" % (name, traceback.format_exc()))
        finally:
            env.close()
    # The secrets never appear in anything gfictl (or the daemon) printed.
    leaked = [o for o in OUTPUTS if PASSWORD in o or TOKEN in o]
    if leaked:
        failed.append("secrets_never_printed")
        print("FAIL: a secret appeared in output:\n" + leaked[0])
    else:
        print("ok: secrets_never_printed (%d outputs checked)" % len(OUTPUTS))
    shutil.rmtree(ca_dir, ignore_errors=True)
    print("%d failed, %.1f s" % (len(failed), time.time() - t_start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
