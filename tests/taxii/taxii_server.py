#!/usr/bin/env python3
"""A TAXII 2.1 server for tests and benchmarks, written from the OASIS TAXII 2.1 specification
(Python standard library only: http.server + ssl).

Endpoints: discovery (/taxii2/), one API root (/api1/), its collections, each collection, and
its objects (GET /api1/collections/ID/objects/ with added_after, limit, next; the envelope's
more/next; X-TAXII-Date-Added-First/Last). Errors are TAXII error objects with a title: 401 (no or
bad credentials, with WWW-Authenticate), 403 (a collection the user may not read), 404, 406 (an
Accept that is not application/taxii+json;version=2.1). HTTP Basic and Bearer authentication.
TLS with a throwaway CA made by make_ca() (the openssl command line), optionally requiring a
client certificate.

Failure modes for tests, switchable while it runs: fail_page (HTTP 500 on the Nth page of a
pull), slow_seconds (delay before answering objects requests), oversize_bytes (pad object pages
to at least this size), bad_json (an invalid envelope). Every request is logged in `requests`
(path, query, auth kind) so tests can assert what the client asked for.

Use it in-process (TaxiiServer(...).start()) or from the command line:
    taxii_server.py --dir /tmp/ca --port 8443 --objects bundle.json --user u:p --token T
"""

import argparse
import base64
import datetime
import json
import os
import ssl
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MEDIA = "application/taxii+json;version=2.1"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
FORBIDDEN_COLLECTION = "52892447-4d7e-4f70-b94d-d7f22742ff63"


def make_ca(directory, client=False):
    """A throwaway CA and a server certificate for localhost/127.0.0.1 (and a client certificate
    when asked), in `directory`. Returns a dict of file names."""
    os.makedirs(directory, exist_ok=True)
    p = lambda n: os.path.join(directory, n)  # noqa: E731

    def run(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=gfi test CA",
        "-keyout", p("ca.key"), "-out", p("ca.pem"))
    ext = p("server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout",
        p("server.key"), "-out", p("server.csr"))
    run("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
        "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", p("server.pem"))
    files = {"ca": p("ca.pem"), "cert": p("server.pem"), "key": p("server.key")}
    if client:
        with open(p("client.ext"), "w") as f:
            f.write("extendedKeyUsage=clientAuth\n")
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=gfi client", "-keyout",
            p("client.key"), "-out", p("client.csr"))
        run("x509", "-req", "-in", p("client.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", p("client.ext"), "-out", p("client.pem"))
        os.chmod(p("client.key"), 0o600)
        files.update(client_cert=p("client.pem"), client_key=p("client.key"))
    return files


def taxii_time(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(s):
    s = s.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    return datetime.datetime.fromisoformat(s)


class TaxiiServer:
    def __init__(self, certs, users=None, tokens=None, require_client_cert=False, max_page=None):
        self.certs = certs
        self.users = dict(users or {})    # user -> password (Basic)
        self.tokens = set(tokens or [])   # Bearer tokens
        self.forbidden_users = set()      # authenticated, but may not read the collection (403)
        self.max_page = max_page          # the server's own page size bound
        self.require_client_cert = require_client_cert
        self.lock = threading.Lock()
        self.entries = []                 # (date_added, object) in order added
        self.clock = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        self.requests = []                # dicts: path, query, auth
        self.fail_page = 0                # HTTP 500 on the Nth objects page of a pull (0 = never)
        self.slow_seconds = 0.0
        self.oversize_bytes = 0
        self.bad_json = False
        self.page_no_next = False         # page by added_after only (more without next)
        self._pages_served = 0
        self._sessions = {}               # next token -> (filter args, offset)
        self.httpd = None

    # -- data ---------------------------------------------------------------------------------
    def add(self, objects):
        """Adds objects (each gets its own, strictly increasing date_added). Returns the last
        date_added as TAXII text."""
        with self.lock:
            for o in objects:
                self.clock += datetime.timedelta(milliseconds=1)
                self.entries.append((self.clock, o))
            return taxii_time(self.clock)

    def reset_pull(self):
        """Starts counting pages for fail_page from 0 again."""
        self._pages_served = 0

    def object_requests(self):
        return [r for r in self.requests if r["path"].endswith("/objects/")]

    # -- serving ------------------------------------------------------------------------------
    def start(self, port=0, host="127.0.0.1"):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                server._handle(self)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certs["cert"], self.certs["key"])
        if self.require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(self.certs["ca"])
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()

    def base_url(self):
        return "https://localhost:%d" % self.port

    def collection_url(self, collection=COLLECTION):
        return "%s/api1/collections/%s/" % (self.base_url(), collection)

    def _send(self, h, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", MEDIA)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        try:
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def _error(self, h, status, title, description="", headers=None):
        self._send(h, status, {"title": title, "description": description,
                               "http_status": str(status)}, headers)

    def _auth(self, h):
        """'basic:USER', 'bearer', None (no credentials) or False (bad credentials)."""
        value = h.headers.get("Authorization")
        if not value:
            return None
        kind, _, cred = value.partition(" ")
        if kind.lower() == "basic":
            try:
                user, _, pw = base64.b64decode(cred).decode().partition(":")
            except Exception:
                return False
            return "basic:" + user if self.users.get(user) == pw else False
        if kind.lower() == "bearer":
            return "bearer" if cred in self.tokens else False
        return False

    def _handle(self, h):
        url = urlsplit(h.path)
        query = parse_qs(url.query)
        auth = self._auth(h)
        with self.lock:
            self.requests.append({"path": url.path, "query": query,
                                  "auth": auth if auth else ("none" if auth is None else "bad"),
                                  "accept": h.headers.get("Accept", "")})
        if self.users or self.tokens:
            if not auth:
                return self._error(h, 401, "Authentication required" if auth is None
                                   else "Invalid credentials", "",
                                   {"WWW-Authenticate": 'Basic realm="taxii"'})
        accept = (h.headers.get("Accept") or "").replace(" ", "").lower()
        if "application/taxii+json" not in accept or (
                "version=" in accept and "version=2.1" not in accept):
            return self._error(h, 406, "Not Acceptable",
                               "The server offers application/taxii+json;version=2.1")
        parts = [p for p in url.path.split("/") if p]
        if parts == ["taxii2"]:
            return self._send(h, 200, {
                "title": "gfi test TAXII server", "default": self.base_url() + "/api1/",
                "api_roots": [self.base_url() + "/api1/"]})
        if parts == ["api1"]:
            return self._send(h, 200, {"title": "test API root", "versions": [MEDIA],
                                       "max_content_length": 10485760})
        if parts == ["api1", "collections"]:
            return self._send(h, 200, {"collections": [self._collection(COLLECTION),
                                                       self._collection(FORBIDDEN_COLLECTION)]})
        if len(parts) >= 3 and parts[:2] == ["api1", "collections"]:
            cid = parts[2]
            if cid not in (COLLECTION, FORBIDDEN_COLLECTION):
                return self._error(h, 404, "Collection not found", "No collection " + cid)
            user_forbidden = isinstance(auth, str) and auth.startswith("basic:") and \
                auth[6:] in self.forbidden_users
            if len(parts) == 3:
                return self._send(h, 200, self._collection(cid))
            if parts[3:] == ["objects"]:
                if cid == FORBIDDEN_COLLECTION or user_forbidden:
                    return self._error(h, 403, "Forbidden",
                                       "The user may not read this collection")
                return self._objects(h, query)
        return self._error(h, 404, "Not found", "No such endpoint")

    def _collection(self, cid):
        return {"id": cid, "title": "test collection " + cid[:8], "can_read": cid == COLLECTION,
                "can_write": False, "media_types": ["application/stix+json;version=2.1"]}

    def _objects(self, h, query):
        if self.slow_seconds:
            time.sleep(self.slow_seconds)
        with self.lock:
            self._pages_served += 1
            page_no = self._pages_served
        if self.fail_page and page_no == self.fail_page:
            return self._error(h, 500, "Internal test failure",
                               "fail_page is set to %d" % self.fail_page)
        if self.bad_json:
            return self._send(h, 200, b'{"objects": [{"id": ')
        try:
            limit = int(query.get("limit", ["100"])[0])
            if limit < 1:
                raise ValueError
        except ValueError:
            return self._error(h, 400, "Bad limit")
        if self.max_page:
            limit = min(limit, self.max_page)
        added_after = query.get("added_after", [None])[0]
        offset = 0
        token = query.get("next", [None])[0]
        if token is not None:
            if token not in self._sessions:
                return self._error(h, 400, "Unknown next")
            offset = self._sessions.pop(token)
        with self.lock:
            rows = list(self.entries)
        if added_after:
            try:
                after = parse_time(added_after)
            except ValueError:
                return self._error(h, 400, "Bad added_after", added_after)
            rows = [r for r in rows if r[0] > after]
        page = rows[offset:offset + limit]
        more = offset + limit < len(rows)
        body = {"more": more}
        if page:
            body["objects"] = [o for _, o in page]
        if more and not self.page_no_next:
            tok = uuid.uuid4().hex
            self._sessions[tok] = offset + limit
            body["next"] = tok
        headers = {}
        if page:
            headers["X-TAXII-Date-Added-First"] = taxii_time(page[0][0])
            headers["X-TAXII-Date-Added-Last"] = taxii_time(page[-1][0])
        data = json.dumps(body).encode()
        if self.oversize_bytes and len(data) < self.oversize_bytes:
            body["x_padding"] = "x" * (self.oversize_bytes - len(data))
            data = json.dumps(body).encode()
        self._send(h, 200, data, headers)


def indicator(n, value=None, modified="2026-01-01T00:00:00.000Z", revoked=False, kind="domain",
              ident=None):
    """A STIX 2.1 indicator for `value` (default: a unique domain)."""
    if value is None:
        value = "host%d.taxii-test.example" % n
    patterns = {"domain": "[domain-name:value = '%s']", "ipv4": "[ipv4-addr:value = '%s']",
                "url": "[url:value = '%s']", "sha256": "[file:hashes.'SHA-256' = '%s']"}
    o = {"type": "indicator", "spec_version": "2.1",
         "id": ident or "indicator--%s" % uuid.UUID(int=n + 1),
         "created": "2026-01-01T00:00:00.000Z", "modified": modified,
         "name": "test indicator %d" % n, "pattern": patterns[kind] % value,
         "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
         "indicator_types": ["malicious-activity"]}
    if revoked:
        o["revoked"] = True
    return o


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, help="where the throwaway CA is written")
    ap.add_argument("--port", type=int, default=8443)
    ap.add_argument("--objects", help="a STIX bundle whose objects the collection holds")
    ap.add_argument("--generate", type=int, default=0, help="N generated domain indicators")
    ap.add_argument("--user", action="append", default=[], help="USER:PASSWORD (Basic)")
    ap.add_argument("--token", action="append", default=[], help="a Bearer token")
    a = ap.parse_args()
    certs = make_ca(a.dir)
    users = dict(u.split(":", 1) for u in a.user)
    s = TaxiiServer(certs, users=users, tokens=a.token)
    if a.objects:
        with open(a.objects) as f:
            s.add(json.load(f).get("objects", []))
    s.add([indicator(i) for i in range(a.generate)])
    s.start(a.port)
    print("collection %s (CA %s)" % (s.collection_url(), certs["ca"]), flush=True)
    try:
        s.thread.join()
    except KeyboardInterrupt:
        s.stop()


if __name__ == "__main__":
    main()
