#!/usr/bin/env python3
"""Postfix throughput and latency: bare, through a null milter, and through gfi-milter as shipped,
in one interleaved run (run as root).

    bench/milter_bench.py --milter build/milter/gfi-milter [--indicators 1000000] [--messages 2000]
    bench/milter_bench.py --milter build/milter/gfi-milter --quick      (smoke run, minutes)

A private Postfix on loopback (one per configuration) relays to smtp-sink (no dump). smtp-source
sends realistic messages (text + HTML with URLs + a base64 attachment; 10 KB and 200 KB) over 10
sessions; throughput is messages accepted per second (smtp-source wall time). Configurations:

- Postfix alone;
- bench/null_milter (target null_milter): does nothing, but negotiates exactly what gfi-milter
  negotiates on that transport, so it is the protocol's floor; once plain and once inserting two
  headers at end of message (gfi-milter's SPF headers), over a unix socket and over TCP;
- gfi-milter with rules/gfi-milter.toml as shipped (SPF on) - only the socket, user, pid/status/
  spool/quarantine paths, indicator path (--indicators generated indicators) and the SPF resolver
  (a dnsmasq on loopback publishing "v=spf1 ip4:127.0.0.1 -all" for the sender's domain) are
  changed - over a unix socket and over TCP. smtp-source connects from 127.0.0.1, a loopback
  client, for which SPF gives none without a DNS query (both SPF headers are still added): these
  rows measure SPF's header traffic, not its DNS round trip;
- the same with SPF off (no header added), and with the sender allow-listed (answered at MAIL
  FROM: the protocol alone, no scan).

All are started first; then they take turns, round after round (--rounds), so that a slow spell
of this shared machine hits them all alike. msg/s is the median over rounds; the ratios are
medians of the per-round ratios, to Postfix alone and to the null milter of the same transport
(with two headers for the SPF-on rows, without for the others). Daemon CPU per message comes
from /proc/PID/stat (user + system, all threads; dnsmasq's share is not in it). Latency: one
client sends messages of 10, 50 and 100 KB one after another; the time from the end of DATA to
the 250 reply (where the milter works) is measured per message, p50/p99 per configuration.
The tables are Markdown, for the README.

--hits measures the cost of hit recording instead: every message matches two indicators (action
tag: delivered, two X-GFI headers, two hit records per message), and gfi-milter runs with SPF off
once with [hits] enabled = false and once with it on (the shipped default), over a unix socket,
beside Postfix alone and the null milter; "daemon CPU ms/msg" is the figure to compare.

    bench/milter_bench.py --milter build/milter/gfi-milter --hits [--indicators 100000]"""

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import statistics
import socket
import struct
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from postfix_harness import PrivatePostfix, free_port, wait_port  # noqa: E402
from gfi_env import Dnsmasq  # noqa: E402

SHIPPED_CONFIG = os.path.join(HERE, "..", "rules", "gfi-milter.toml")
SENDER = "bench@example.org"
SIZES = (10 * 1024, 200 * 1024)
LATENCY_SIZES = (10 * 1024, 50 * 1024, 100 * 1024)


def make_indicators(path, n):
    rnd = random.Random(42)
    with open(path, "w") as f:
        for i in range(n):
            k = i % 6
            if k == 0:
                f.write("domain,d%d-%x.example\n" % (i, rnd.getrandbits(32)))
            elif k == 1:
                f.write("ip,10.%d.%d.%d\n" % (rnd.randrange(256), rnd.randrange(256),
                                             rnd.randrange(256)))
            elif k == 2:
                f.write("url,http://u%d.example/p/%x\n" % (i, rnd.getrandbits(40)))
            elif k == 3:
                f.write("email,user%d@m%d.example\n" % (i, i % 5000))
            elif k == 4:
                f.write("sha256,%s\n" % hashlib.sha256(b"%d" % i).hexdigest())
            else:
                f.write("md5,%s\n" % hashlib.md5(b"%d" % i).hexdigest())


def make_message(size, seq=0):
    """A clean multipart message of about `size` bytes: text, HTML with links, an attachment."""
    rnd = random.Random(size + seq)
    text = "\n".join("Line %d of the report, see https://docs.example.org/page/%d for more." %
                     (i, i) for i in range(40))
    html = "<html><body>" + "".join('<p>Item %d <a href="https://shop.example.net/item/%d">'
                                     'buy</a></p>' % (i, i) for i in range(40)) + "</body></html>"
    head = ("From: Bench <bench@example.org>\nTo: rcpt@example.com\nSubject: bench %d\n"
            "Message-ID: <bench-%d-%d@example.org>\nDate: Mon, 30 Nov 2026 12:00:00 +0000\n"
            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n" %
            (seq, size, seq))
    parts = head + "--b\nContent-Type: text/plain\n\n" + text + "\n--b\nContent-Type: text/html\n\n" \
        + html + "\n"
    room = max(0, size - len(parts) - 200)
    blob = base64.b64encode(bytes(rnd.getrandbits(8) for _ in range(room * 3 // 4))).decode()
    att = "\n".join(blob[i:i + 76] for i in range(0, len(blob), 76))
    parts += ("--b\nContent-Type: application/pdf\nContent-Disposition: attachment; "
              "filename=\"r.pdf\"\nContent-Transfer-Encoding: base64\n\n" + att + "\n--b--\n")
    return parts.encode()


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string for the ASCII paths used here
    return "[" + ", ".join(toml_value(x) for x in v) + "]"


def rewrite_config(text, overrides):
    """`text` (a TOML file of [section] key = value lines) with the (section, key) -> value
    overrides applied; every override must replace exactly one line of the file, and the result
    must differ from the file in those keys only (checked by parsing both)."""
    out, section, done = [], None, set()
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            section = stripped.strip("[]").strip()
        elif stripped.startswith("[["):
            section = None
        elif section and "=" in stripped and not stripped.startswith("#"):
            key = stripped.split("=", 1)[0].strip()
            if (section, key) in overrides:
                if (section, key) in done:
                    raise RuntimeError("%s.%s twice in the shipped config" % (section, key))
                line = "%s = %s" % (key, toml_value(overrides[(section, key)]))
                done.add((section, key))
        out.append(line)
    missing = set(overrides) - done
    if missing:
        raise RuntimeError("not in the shipped config: %s" % ", ".join(
            "%s.%s" % k for k in sorted(missing)))
    new = "\n".join(out) + "\n"
    old_t, new_t = tomllib.loads(text), tomllib.loads(new)
    changed = set()
    for sec in set(old_t) | set(new_t):
        o, n = old_t.get(sec, {}), new_t.get(sec, {})
        for key in set(o) | set(n):
            if o.get(key) != n.get(key):
                changed.add((sec, key))
    if not changed <= set(overrides):
        raise RuntimeError("config rewrite changed more than asked: %s" % sorted(changed))
    for k, v in overrides.items():
        if new_t[k[0]][k[1]] != v:
            raise RuntimeError("config rewrite: %s.%s is %r" % (k[0], k[1], new_t[k[0]][k[1]]))
    return new


def shipped_config(base, spec, feeds, resolver, extra=None):
    """rules/gfi-milter.toml as shipped, with what must be private to the bench moved into base.
    The daemon runs as postfix (the shipped gfi-milter user and gfi-milter-mta group need not
    exist here, and the unix socket must be Postfix's to open); `extra` overrides more keys."""
    overrides = {
        ("milter", "socket"): spec,
        ("milter", "user"): "postfix",
        ("milter", "socket_group"): "",  # the socket is postfix's own: no MTA group needed
        ("milter", "pid_file"): base + "/run/gfi-milter.pid",
        ("milter", "status_file"): base + "/run/status.json",
        ("milter", "spool_dir"): base + "/spool",
        ("indicators", "paths"): [feeds],
        ("quarantine", "dir"): base + "/quarantine",
        ("spf", "resolvers"): [resolver],
    }
    overrides.update(extra or {})
    with open(SHIPPED_CONFIG) as f:
        return rewrite_config(f.read(), overrides)


class Daemon:
    """A milter process started in the foreground, its output in base/daemon.log."""

    def __init__(self, argv, base, spec, user=None):
        self.base = base
        self.spec = spec
        self.log_path = os.path.join(base, "daemon.log")
        log = open(self.log_path, "wb")
        t0 = time.monotonic()
        kw = {"user": user, "group": user} if user else {}
        self.proc = subprocess.Popen(argv, stdout=log, stderr=log, **kw)
        log.close()
        if spec.startswith("inet:"):
            if not wait_port(int(spec.split(":")[1].split("@")[0]), timeout=600, proc=self.proc):
                raise RuntimeError("%s did not listen: %s" % (argv[0], self.log()))
        else:
            path = spec.split(":", 1)[1]
            while not os.path.exists(path):
                if self.proc.poll() is not None:
                    raise RuntimeError("%s exited: %s" % (argv[0], self.log()))
                time.sleep(0.05)
        self.start_seconds = time.monotonic() - t0

    @property
    def postfix_spec(self):
        """The socket as Postfix's smtpd_milters names it."""
        if self.spec.startswith("inet:"):
            port, host = self.spec[5:].split("@")
            return "inet:%s:%s" % (host, port)
        return self.spec

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def rss_mb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def gfi_milter(binary, base, spec, config_text):
    path = os.path.join(base, "gfi-milter.toml")
    with open(path, "w") as f:
        f.write(config_text)
    return Daemon([binary, "--config", path, "--foreground"], base, spec)


def null_milter(binary, base, spec, headers):
    return Daemon([binary] + (["-H"] if headers else []) + [spec], base, spec, user="postfix")


def negotiation(daemon):
    """What the daemon answers to a milter option negotiation offering every action and protocol
    flag (as Postfix does): (actions, protocol flags, macro lists)."""
    if daemon.spec.startswith("inet:"):
        port, host = daemon.spec[5:].split("@")
        s = socket.create_connection((host, int(port)), timeout=10)
    else:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(daemon.spec.split(":", 1)[1])
    try:
        body = b"O" + struct.pack(">III", 6, 0x1FF, 0x1FFFFF)
        s.sendall(struct.pack(">I", len(body)) + body)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError("%s closed the negotiation" % daemon.spec)
            data += chunk
    finally:
        s.close()
    reply = data[4:4 + struct.unpack(">I", data[:4])[0]]
    if reply[:1] != b"O":
        raise RuntimeError("%s: negotiation reply %r" % (daemon.spec, reply[:1]))
    _version, actions, protocol = struct.unpack(">III", reply[1:13])
    macros, rest = {}, reply[13:]
    while len(rest) >= 5:
        stage = struct.unpack(">I", rest[:4])[0]
        end = rest.index(b"\0", 4)
        macros[stage] = rest[4:end].decode()
        rest = rest[end + 1:]
    return actions, protocol, macros


def check_verdicts(cfg, daemon):
    """After the warm-up: the daemon did what the row claims (SPF passed, or was off, or the
    sender was allow-listed; every message accepted; no header refused)."""
    log = daemon.log()
    if cfg.kind.startswith("null"):
        if "failed" in log:
            raise RuntimeError("%s: %s" % (cfg.label, log))
        return
    if cfg.kind == "allow":
        if "allowed by [allow] senders" not in log:
            raise RuntimeError("%s: no message allow-listed:\n%s" % (cfg.label, log[-3000:]))
        return
    # smtp-source connects from 127.0.0.1: SPF does not apply to loopback clients (result none,
    # both headers still added, no DNS query), so the shipped rows carry the header traffic of SPF
    # but not its DNS round trip.
    want = "none" if cfg.kind == "shipped" else "none-checked"
    action = "tag" if cfg.kind.startswith("hits") else "accept"
    seen = {}
    for line in log.splitlines():
        if " action=" in line and " spf=" in line:
            action = line.split(" action=", 1)[1].split()[0]
            spf = line.split(" spf=", 1)[1].split()[0]
            seen[(action, spf)] = seen.get((action, spf), 0) + 1
    if not seen or set(seen) != {(action, want)}:
        raise RuntimeError("%s: verdicts %r, expected all %s with spf=%s:\n%s" % (
            cfg.label, seen, action, want, log[-3000:]))


class Config:
    """One row: kind (none, null, null+h, shipped, spf-off, allow), transport (unix, tcp) and the
    kind of null milter row of the same transport it is compared with."""

    def __init__(self, label, kind, transport=None, floor=None):
        self.label, self.kind, self.transport, self.floor = label, kind, transport, floor

    @property
    def key(self):
        return "%s/%s" % (self.kind, self.transport)

    @property
    def floor_key(self):
        return "%s/%s" % (self.floor, self.transport) if self.floor else None


CONFIGS = [
    Config("Postfix alone", "none"),
    Config("null milter", "null", "unix"),
    Config("null milter, 2 headers added", "null+h", "unix", floor="null"),
    Config("gfi-milter as shipped (SPF on)", "shipped", "unix", floor="null+h"),
    Config("gfi-milter, SPF off", "spf-off", "unix", floor="null"),
    Config("gfi-milter, sender allow-listed", "allow", "unix", floor="null"),
    Config("null milter", "null", "tcp"),
    Config("null milter, 2 headers added", "null+h", "tcp", floor="null"),
    Config("gfi-milter as shipped (SPF on)", "shipped", "tcp", floor="null+h"),
    Config("gfi-milter, SPF off", "spf-off", "tcp", floor="null"),
]


# --hits: the same daemon with hit recording off and on, every message a hit.
HITS_CONFIGS = [
    Config("Postfix alone", "none"),
    Config("null milter", "null", "unix"),
    Config("gfi-milter, SPF off, hit recording off", "hits-off", "unix", floor="null"),
    Config("gfi-milter, SPF off, hit recording on", "hits-on", "unix", floor="null"),
]
# Matched by every bench message (its text and HTML links): two hit records per message.
HIT_INDICATORS = "domain,docs.example.org,tag,bench-hit-text\ndomain,shop.example.net,tag,bench-hit-html\n"


def throughput(pf, msgfile, n, sessions):
    t0 = time.monotonic()
    subprocess.run(["smtp-source", "-s", str(sessions), "-m", str(n), "-F", msgfile,
                    "-f", "bench@example.org", "-t", "rcpt@example.com", "-M", "client.example",
                    "127.0.0.1:%d" % pf.smtpd_port], check=True, capture_output=True)
    dt = time.monotonic() - t0
    wait_empty(pf)
    return n / dt


def wait_empty(pf, timeout=300):
    deadline = time.monotonic() + timeout
    while pf.queue() and time.monotonic() < deadline:
        time.sleep(0.2)


def latencies(port, sizes, count):
    """Per size: end-of-DATA -> 250 times (ms) for `count` messages, one session each."""
    out = {}
    for size in sizes:
        samples = []
        for i in range(count):
            data = make_message(size, i).replace(b"\n", b"\r\n")
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            f = s.makefile("rb")

            def reply():
                while True:
                    line = f.readline()
                    if line[3:4] != b"-":
                        return line

            reply()
            for cmd in (b"EHLO client.example", b"MAIL FROM:<bench@example.org>",
                        b"RCPT TO:<rcpt@example.com>", b"DATA"):
                s.sendall(cmd + b"\r\n")
                reply()
            s.sendall(data + b"\r\n")
            t0 = time.perf_counter()
            s.sendall(b".\r\n")
            r = reply()
            samples.append((time.perf_counter() - t0) * 1000)
            if not r.startswith(b"250"):
                raise RuntimeError("latency probe got %r" % r)
            s.sendall(b"QUIT\r\n")
            s.close()
        samples.sort()
        out[size] = (samples[len(samples) // 2], samples[min(len(samples) - 1,
                                                             int(len(samples) * 0.99))])
    return out


def start_config(cfg, args, base, feeds, resolver, sink_port):
    """The daemon (None for Postfix alone) and the Postfix instance of one row."""
    daemon = None
    if cfg.kind != "none":
        d = os.path.join(base, cfg.key.replace("/", "-"))
        os.makedirs(d)
        shutil.chown(d, "postfix", "postfix")
        spec = "unix:%s/milter.sock" % d if cfg.transport == "unix" else \
            "inet:%d@127.0.0.1" % free_port()
        if cfg.kind.startswith("null"):
            daemon = null_milter(args.null_milter, d, spec, headers=(cfg.kind == "null+h"))
        else:
            extra = {"spf-off": {("spf", "enabled"): False},
                     "hits-on": {("spf", "enabled"): False},
                     "hits-off": {("spf", "enabled"): False, ("hits", "enabled"): False},
                     "allow": {("allow", "senders"): ["example.org"]}}.get(cfg.kind)
            daemon = gfi_milter(args.milter, d, spec,
                                shipped_config(d, spec, feeds, resolver, extra))
    try:
        pf = PrivatePostfix(os.path.join(base, "pf-" + cfg.key.replace("/", "-")), free_port(),
                            sink_port, milter=daemon.postfix_spec if daemon else None)
        pf.start()
    except BaseException:
        if daemon:
            daemon.stop()
        raise
    return pf, daemon


def median_ratio(num, den):
    if not num or not den:
        return None
    return statistics.median(a / b for a, b in zip(num, den))


def fmt(x, spec):
    return "-" if x is None else spec % x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--milter", required=True, help="gfi-milter binary")
    ap.add_argument("--null-milter", help="null_milter binary (default: bench/null_milter in "
                    "the build directory of --milter)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 20,000 indicators, 300 messages, 1 round, 20 latency probes")
    ap.add_argument("--indicators", type=int)
    ap.add_argument("--messages", type=int, help="10 KB messages per round (200 KB: a quarter)")
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--latency-count", type=int)
    ap.add_argument("--rounds", type=int, help="throughput rounds (median reported)")
    ap.add_argument("--hits", action="store_true",
                    help="measure hit recording: [hits] off and on, every message a hit")
    args = ap.parse_args()
    global CONFIGS
    if args.hits:
        CONFIGS = HITS_CONFIGS
    for name, full, quick in (("indicators", 1000000, 20000), ("messages", 2000, 300),
                              ("latency_count", 300, 20), ("rounds", 3, 1)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    warmup = 50 if args.quick else 200
    if args.null_milter is None:
        args.null_milter = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(args.milter))), "bench", "null_milter")
    for b in (args.milter, args.null_milter):
        if not os.access(b, os.X_OK):
            ap.error("%s: not an executable (build target %s)" % (b, os.path.basename(b)))
    load0 = os.getloadavg()

    base = tempfile.mkdtemp(prefix="gfi-bench-")
    os.chmod(base, 0o755)
    feeds = os.path.join(base, "feeds")
    os.mkdir(feeds)
    os.chmod(feeds, 0o755)
    make_indicators(os.path.join(feeds, "bench.csv"), args.indicators)
    if args.hits:
        with open(os.path.join(feeds, "hits.csv"), "w") as f:
            f.write(HIT_INDICATORS)
    files = {}
    for size in SIZES:
        files[size] = os.path.join(base, "msg-%d.eml" % size)
        with open(files[size], "wb") as f:
            f.write(make_message(size))
    counts = {SIZES[0]: args.messages, SIZES[1]: max(50, args.messages // 4)}
    results = {c.key: {"tput": {s: [] for s in SIZES}, "cpu": {s: [] for s in SIZES}}
               for c in CONFIGS}
    envs = {}
    sink = dns = None
    try:
        dns = Dnsmasq(txt=[(SENDER.split("@")[1], "v=spf1 ip4:127.0.0.1 -all")])
        resolver = "127.0.0.1:%d" % dns.port
        sink_port = free_port()
        sink = subprocess.Popen(["smtp-sink", "-u", "postfix", "-c", "127.0.0.1:%d" % sink_port,
                                 "1000"], stdout=subprocess.DEVNULL)
        wait_port(sink_port)
        # Everything is started (and checked) first; then the rows take turns, round after round.
        for cfg in CONFIGS:
            pf, daemon = start_config(cfg, args, base, feeds, resolver, sink_port)
            envs[cfg.key] = (pf, daemon)
            throughput(pf, files[SIZES[0]], warmup, args.sessions)
            if daemon:
                check_verdicts(cfg, daemon)
        # The null milter is the floor only if it negotiates what gfi-milter negotiates.
        negotiated = {}
        for cfg in CONFIGS:
            if cfg.kind != "none":
                negotiated[cfg.key] = negotiation(envs[cfg.key][1])
        for cfg in CONFIGS:
            if cfg.kind.startswith("null"):
                gfi = next(v for k, v in negotiated.items()
                           if k.endswith("/" + cfg.transport) and not k.startswith("null"))
                if negotiated[cfg.key] != gfi:
                    raise RuntimeError("%s %s negotiates %r, gfi-milter %r" % (
                        cfg.label, cfg.transport, negotiated[cfg.key], gfi))
        for _ in range(args.rounds):
            for cfg in CONFIGS:
                pf, daemon = envs[cfg.key]
                r = results[cfg.key]
                for size in SIZES:
                    cpu0 = daemon.cpu_seconds() if daemon else 0
                    r["tput"][size].append(throughput(pf, files[size], counts[size],
                                                      args.sessions))
                    if daemon:
                        r["cpu"][size].append((daemon.cpu_seconds() - cpu0) * 1000 /
                                              counts[size])
        for cfg in CONFIGS:
            pf, daemon = envs[cfg.key]
            r = results[cfg.key]
            r["lat"] = latencies(pf.smtpd_port, LATENCY_SIZES, args.latency_count)
            if daemon:
                r["rss"] = daemon.rss_mb()
                r["start"] = daemon.start_seconds
                check_verdicts(cfg, daemon)
                if cfg.kind == "hits-on":  # the records were written, none dropped
                    time.sleep(6)  # the status file is rewritten every 5 s
                    with open(os.path.join(daemon.base, "run", "status.json")) as f:
                        r["hits"] = json.load(f)["hits"]
    finally:
        for pf, daemon in envs.values():
            pf.stop()
            if daemon:
                daemon.stop()
        if sink:
            sink.terminate()
            sink.wait()
        if dns:
            dns.stop()
        shutil.rmtree(base, ignore_errors=True)
    report(args, results, negotiated, load0, os.getloadavg())


def report(args, results, negotiated, load0, load1):
    bare = results["none/None"]
    print("Postfix 3.7 -> smtp-sink on loopback, %d smtp-source sessions, %d and %d messages of "
          "10 and 200 KB per round, %d indicators loaded, median of %d round(s)%s; %d CPUs, "
          "load average %.1f before, %.1f after." % (
              args.sessions, args.messages, max(50, args.messages // 4), args.indicators,
              args.rounds, " (--quick)" if args.quick else "", os.cpu_count(), load0[0],
              load1[0]))
    for transport in ("unix", "tcp"):
        gfi = [v for k, v in negotiated.items()
               if k.endswith("/" + transport) and not k.startswith("null")]
        if not gfi:
            continue
        actions, protocol, macros = gfi[0]
        print("Negotiated over %s by gfi-milter and the null milter alike: actions 0x%x, protocol "
              "0x%x, macros %s." % (transport, actions, protocol, " ".join(
                  "%d:%s" % kv for kv in sorted(macros.items()))))
    print()
    print("| configuration | socket | 10 KB msg/s | x Postfix | x null | 200 KB msg/s | x Postfix "
          "| x null | daemon CPU ms/msg (10 KB / 200 KB) | RSS MB | start s |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for cfg in CONFIGS:
        r = results[cfg.key]
        floor = results[cfg.floor_key] if cfg.floor_key else None
        cells = [cfg.label, cfg.transport or "-"]
        for size in SIZES:
            t = r["tput"][size]
            cells += ["%.0f" % statistics.median(t),
                      "-" if cfg.kind == "none" else fmt(median_ratio(t, bare["tput"][size]),
                                                         "%.2f"),
                      fmt(median_ratio(t, floor["tput"][size]) if floor else None, "%.2f")]
        cpu = r["cpu"]
        cells.append("%.2f / %.2f" % (statistics.median(cpu[SIZES[0]]),
                                      statistics.median(cpu[SIZES[1]])) if cpu[SIZES[0]] else "-")
        cells.append(fmt(r.get("rss"), "%.0f"))
        cells.append(fmt(r.get("start"), "%.1f"))
        print("| " + " | ".join(cells) + " |")
    for cfg in CONFIGS:
        h = results[cfg.key].get("hits")
        if h:
            print()
            print("%s: %d hit records written in %d batches, %d dropped, %d write errors." % (
                cfg.label, h["written"], h["batches"], h["dropped"], h["write_errors"]))
    print()
    print("x null: to the null milter of the same socket (with 2 headers added for the SPF-on "
          "rows, plain for the others).")
    print()
    print("End of DATA -> 250 reply, ms, p50 / p99 (extra p99 over Postfix alone), %d messages "
          "per size, one at a time:" % args.latency_count)
    print()
    print("| configuration | socket | " + " | ".join("%d KB" % (s // 1024) for s in LATENCY_SIZES)
          + " |")
    print("|---|---|" + "--:|" * len(LATENCY_SIZES))
    for cfg in CONFIGS:
        lat = results[cfg.key]["lat"]
        cells = [cfg.label, cfg.transport or "-"]
        for size in LATENCY_SIZES:
            p50, p99 = lat[size]
            extra = "" if cfg.kind == "none" else " (%+.2f)" % (p99 - bare["lat"][size][1])
            cells.append("%.2f / %.2f%s" % (p50, p99, extra))
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
