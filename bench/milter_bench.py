#!/usr/bin/env python3
"""Postfix throughput and latency with and without gfi-milter, in one run (run as root).

    bench/milter_bench.py --milter build/milter/gfi-milter [--indicators 1000000] [--messages 2000]

A private Postfix on loopback relays to smtp-sink (no dump). smtp-source sends realistic messages
(text + HTML with URLs + a base64 attachment; 10 KB and 200 KB) over 10 sessions; throughput is
messages accepted per second (smtp-source wall time). Latency: one client sends messages of 10,
50 and 100 KB one after another; the time from the end of DATA to the 250 reply (where the milter
works) is measured per message, and p50/p99 are reported with and without the milter. gfi-milter
runs with --indicators generated indicators loaded (domains, IPs, URLs, e-mail addresses, hashes)
and SPF off (a DNS round trip is not ours to measure), over a unix socket and over TCP; a fourth
configuration answers every message at MAIL FROM (allow-listed: the protocol alone). The
configurations run in turns for --rounds rounds and the median is reported."""

import argparse
import base64
import hashlib
import os
import random
import shutil
import statistics
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from postfix_harness import PrivatePostfix, free_port, wait_port  # noqa: E402


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


class Milter:
    def __init__(self, binary, base, feeds, socket_spec, user, allow_all=False):
        self.base = base
        os.makedirs(base, exist_ok=True)
        self.config = os.path.join(base, "gfi.toml")
        with open(self.config, "w") as f:
            f.write(f"""
[milter]
socket = "{socket_spec}"
user = "{user}"
pid_file = "{base}/run/pid"
status_file = "{base}/run/status.json"
spool_dir = "{base}/spool"
[indicators]
paths = ["{feeds}"]
reload_interval = 0
[quarantine]
dir = "{base}/q"
[spf]
enabled = false
""" + ('[allow]\nsenders = ["example.org"]\n' if allow_all else ""))
        self.log = open(os.path.join(base, "milter.log"), "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen([binary, "--config", self.config, "--foreground"],
                                     stdout=self.log, stderr=self.log)
        if socket_spec.startswith("inet:"):
            wait_port(int(socket_spec.split(":")[1].split("@")[0]), timeout=300, proc=self.proc)
        else:
            path = socket_spec.split(":", 1)[1]
            while not os.path.exists(path):
                if self.proc.poll() is not None:
                    raise RuntimeError("gfi-milter exited")
                time.sleep(0.05)
        self.start_seconds = time.monotonic() - t0

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
        self.proc.terminate()
        self.proc.wait(timeout=30)


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter", required=True)
    ap.add_argument("--indicators", type=int, default=1000000)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--latency-count", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3, help="throughput rounds (median reported)")
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="gfi-bench-")
    os.chmod(base, 0o755)
    feeds = os.path.join(base, "feeds")
    os.mkdir(feeds)
    os.chmod(feeds, 0o755)
    make_indicators(os.path.join(feeds, "bench.csv"), args.indicators)
    sink_port = free_port()
    sink = subprocess.Popen(["smtp-sink", "-u", "postfix", "-c", "127.0.0.1:%d" % sink_port,
                             "1000"], stdout=subprocess.DEVNULL)
    wait_port(sink_port)
    files = {}
    for size in (10 * 1024, 200 * 1024):
        files[size] = os.path.join(base, "msg-%d.eml" % size)
        with open(files[size], "wb") as f:
            f.write(make_message(size))
    results = {}
    # "allow-listed": the same daemon answering every message at MAIL FROM without scanning -
    # what the milter protocol alone costs.
    configs = [("no milter", None), ("gfi-milter unix socket", "unix"),
               ("gfi-milter TCP", "inet"), ("gfi-milter unix, allow-listed", "unix-allow")]
    envs = {}
    try:
        # Everything is started first; then the configurations take turns, round after round,
        # so that a slow spell of this shared machine hits them all alike (medians reported).
        for name, kind in configs:
            milter = None
            spec = None
            if kind in ("unix", "unix-allow"):
                mdir = "%s/m-%s" % (base, kind)
                spec = "unix:%s/milter.sock" % mdir
                os.makedirs(mdir, exist_ok=True)
                shutil.chown(mdir, "postfix")
                milter = Milter(args.milter, mdir, feeds, spec, "postfix",
                                allow_all=(kind == "unix-allow"))
            elif kind == "inet":
                port = free_port()
                spec = "inet:%d@127.0.0.1" % port
                milter = Milter(args.milter, base + "/m-inet", feeds, spec, "postfix")
            pf = PrivatePostfix(os.path.join(base, "pf-%s" % (kind or "none")), free_port(),
                                sink_port, milter=(spec.replace("@127.0.0.1", "").replace(
                                    "inet:", "inet:127.0.0.1:") if spec else None))
            pf.start()
            envs[name] = (pf, milter)
            throughput(pf, files[10 * 1024], 200, args.sessions)  # warm-up
            results[name] = {10240: [], 204800: [], "cpu_ms_10240": [], "cpu_ms_204800": []}
        for _ in range(args.rounds):
            for name, _kind in configs:
                pf, milter = envs[name]
                r = results[name]
                for size in (10 * 1024, 200 * 1024):
                    n = args.messages if size < 100000 else max(200, args.messages // 4)
                    cpu0 = milter.cpu_seconds() if milter else 0
                    r[size].append(throughput(pf, files[size], n, args.sessions))
                    if milter:
                        r["cpu_ms_%d" % size].append((milter.cpu_seconds() - cpu0) * 1000 / n)
        for name, _kind in configs:
            pf, milter = envs[name]
            r = results[name]
            for key in list(r):
                r[key] = statistics.median(r[key]) if r[key] else None
            if r["cpu_ms_10240"] is None:
                del r["cpu_ms_10240"], r["cpu_ms_204800"]
            r["lat"] = latencies(pf.smtpd_port, (10 * 1024, 50 * 1024, 100 * 1024),
                                 args.latency_count)
            if milter:
                r["rss"] = milter.rss_mb()
                r["start"] = milter.start_seconds
    finally:
        for pf, milter in envs.values():
            pf.stop()
            if milter:
                milter.stop()
        sink.terminate()
        shutil.rmtree(base, ignore_errors=True)

    base_r = results["no milter"]
    print("Postfix -> smtp-sink on loopback, %d smtp-source sessions, %d indicators loaded, "
          "median of %d rounds" % (args.sessions, args.indicators, args.rounds))
    print("%-24s %14s %14s %10s %10s" % ("", "10 KB msg/s", "200 KB msg/s", "RSS MB",
                                         "load s"))
    for name, _ in configs:
        r = results[name]
        print("%-24s %8.0f (%.2fx) %8.0f (%.2fx) %10s %10s" % (
            name, r[10240], r[10240] / base_r[10240], r[204800], r[204800] / base_r[204800],
            "%.0f" % r["rss"] if "rss" in r else "-", "%.1f" % r["start"] if "start" in r else "-"))
    for name, _ in configs[1:]:
        r = results[name]
        if "cpu_ms_10240" not in r:
            continue
        print("  %s: milter CPU per message %.2f ms (10 KB), %.2f ms (200 KB)" % (
            name, r["cpu_ms_10240"], r["cpu_ms_204800"]))
    print("end of DATA -> 250, ms (p50 / p99), %d messages per size, one at a time:"
          % args.latency_count)
    for name, _ in configs:
        lat = results[name]["lat"]
        cells = []
        for size in (10 * 1024, 50 * 1024, 100 * 1024):
            p50, p99 = lat[size]
            added = p99 - base_r["lat"][size][1]
            cells.append("%3d KB %5.2f / %5.2f%s" % (size // 1024, p50, p99,
                                                     "" if name == "no milter" else
                                                     " (+%.2f)" % added))
        print("  %-24s %s" % (name, "   ".join(cells)))


if __name__ == "__main__":
    sys.exit(main())
