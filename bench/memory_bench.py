#!/usr/bin/env python3
"""gfi-milter's memory with many indicators: steady after start, peak at start, peak during each
reload and steady after it (run as root: the daemon drops to the postfix user, and resetting its
peak needs /proc/PID/clear_refs).

    bench/memory_bench.py --milter build/milter/gfi-milter --gfictl build/cli/gfictl \
        [--indicators 1000000] [--reloads 10]

The daemon runs the shipped rules/gfi-milter.toml (bench/milter_bench.py's rewrite: private
paths, a unix socket, the postfix user) over --indicators generated indicators in one CSV feed
(milter_bench's mix: domains, IPs, URLs, addresses, SHA-256 and MD5). No mail is sent: this
measures what the snapshot costs. Figures come from /proc/PID/status: VmRSS (resident now) and
VmHWM (the peak), the peak reset before each reload by writing 5 to /proc/PID/clear_refs. Each
reload rewrites the feed with the same indicators in a new order (so the daemon really builds a
new snapshot) and waits with `gfictl reload --wait`; "steady" is VmRSS two seconds after the
reload finished. Printed as a Markdown table for the README."""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import milter_bench  # noqa: E402


def status_kib(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0])
    return out


def reset_peak(pid):
    with open("/proc/%d/clear_refs" % pid, "w") as f:
        f.write("5\n")


def shuffle_feed(path, seed):
    with open(path) as f:
        lines = f.readlines()
    random.Random(seed).shuffle(lines)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.rename(tmp, path)


def mib(kib):
    return "%.0f" % (kib / 1024)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter", required=True)
    ap.add_argument("--gfictl", required=True)
    ap.add_argument("--indicators", type=int, default=1000000)
    ap.add_argument("--reloads", type=int, default=10)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("memory_bench: run as root")
    base = tempfile.mkdtemp(prefix="gfi-mem-", dir="/var/tmp")
    daemon = None
    try:
        os.chmod(base, 0o755)
        os.mkdir(os.path.join(base, "feeds"))
        feeds = os.path.join(base, "feeds")
        feed = os.path.join(feeds, "bench.csv")
        t0 = time.monotonic()
        milter_bench.make_indicators(feed, args.indicators)
        print("generated %d indicators in %.1f s (%.0f MB of CSV)" %
              (args.indicators, time.monotonic() - t0, os.path.getsize(feed) / 1e6), flush=True)
        shutil.chown(base, "postfix", "postfix")  # the daemon makes its state directories
        spec = "unix:" + os.path.join(base, "run", "milter.sock")
        cfg = milter_bench.shipped_config(base, spec, feeds, "127.0.0.1:53",
                                          {("indicators", "reload_interval"): 0})
        config_path = os.path.join(base, "gfi-milter.toml")
        daemon = milter_bench.gfi_milter(args.milter, base, spec, cfg)
        time.sleep(2)
        pid = daemon.proc.pid
        first = status_kib(pid)
        print("started in %.1f s" % daemon.start_seconds, flush=True)
        rows = [("start", daemon.start_seconds, first["VmHWM"], first["VmRSS"])]
        for i in range(1, args.reloads + 1):
            shuffle_feed(feed, i)
            reset_peak(pid)
            t = time.monotonic()
            r = subprocess.run([args.gfictl, "reload", "--config", config_path, "--wait",
                                "--timeout", "600"], capture_output=True, text=True)
            took = time.monotonic() - t
            if r.returncode != 0:
                sys.exit("reload %d failed (%d): %s%s\n%s" % (i, r.returncode, r.stdout, r.stderr,
                                                             daemon.log()[-2000:]))
            peak = status_kib(pid)["VmHWM"]
            time.sleep(2)
            rows.append(("reload %d" % i, took, peak, status_kib(pid)["VmRSS"]))
            print("reload %d: %.1f s, peak %s MiB, then %s MiB" %
                  (i, took, mib(peak), mib(rows[-1][3])), flush=True)
        print()
        print("%d indicators, shipped config, %d reloads; MiB from /proc/PID/status" %
              (args.indicators, args.reloads))
        print()
        print("| | seconds | peak (VmHWM) | steady after (VmRSS) |")
        print("|---|--:|--:|--:|")
        for name, secs, peak, steady in rows:
            print("| %s | %.1f | %s | %s |" % (name, secs, mib(peak), mib(steady)))
        steady0 = first["VmRSS"]
        worst_reload = max(r[2] for r in rows[1:]) if len(rows) > 1 else 0
        print()
        print("peak at start / steady: %.2fx; worst reload peak / steady: %.2fx; steady after "
              "%d reloads / after start: %.2fx" %
              (first["VmHWM"] / steady0, worst_reload / steady0 if worst_reload else 0,
               args.reloads, rows[-1][3] / steady0))
    finally:
        if daemon:
            daemon.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
