#!/usr/bin/env python3
"""Self-test of postfix_harness.py (run as root):

    python3 tests/e2e/harness_selftest.py

Exit status 0 = pass; otherwise the failing check is printed (with maillog
tails). Needs Postfix (postfix, smtp-sink, postqueue, postsuper) installed.
"""

import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from postfix_harness import (  # noqa: E402
    POSTFIX_DATE_RX, PrivatePostfix, Sink, free_port, normalize_crlf, port_open, send,
    split_postfix_received,
)

SENDER = "alice@example.org"
RCPTS = ["bob@example.com", "carol@example.net"]
OVERALL_TIMEOUT = 120  # hard stop (SIGALRM) so a hang still cleans up


class Fail(Exception):
    pass


def check(cond, what, *details):
    if not cond:
        raise Fail(what + ("".join("\n    " + str(d) for d in details)))


def first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n if len(a) != len(b) else -1


def build_message():
    """~10 KB MIME message: dot lines, long lines (1200-char header, 1500 and
    5000-char body lines), 8-bit part, base64 part, no final newline."""
    crlf = b"\r\n"
    h = [
        b"From: Alice Example <alice@example.org>",
        b"To: Bob <bob@example.com>, carol@example.net",
        b"Subject: harness self-test: a folded subject line that goes on",
        b"\tand on across a continuation line",
        b"Date: Mon, 02 Jan 2023 10:00:00 +0000",
        b"Message-ID: <selftest.1@client.example>",
        b"MIME-Version: 1.0",
        b"X-Long-Header: " + b"h" * 1200,
        b"X-Spaces:   value with  odd   spacing\t",
        b'Content-Type: multipart/mixed; boundary="=_b1"',
    ]
    p1 = [
        b"--=_b1",
        b"Content-Type: text/plain; charset=us-ascii",
        b"Content-Transfer-Encoding: 7bit",
        b"",
        b".leading dot",
        b"..two leading dots",
        b".",
        b"a line with only a dot above (and below)",
        b".",
        b"From the start of a line (mbox escaping must not happen)",
        b"trailing spaces   ",
        b"\ttab-indented line",
        b"",
        b"",
        b"long: " + b"L" * 1494,          # 1500 characters
        b"longer: " + b"x" * 4992,        # 5000 characters (> line_length_limit)
    ]
    latin = bytes(range(0xA0, 0x100))
    p2 = [
        b"--=_b1",
        b"Content-Type: text/plain; charset=iso-8859-1",
        b"Content-Transfer-Encoding: 8bit",
        b"",
        b"8bit: " + latin,
        b"caf\xe9 na\xefve \xc5ngstr\xf6m \x80\x81\x9f\xff",
        b".\xe9 dot then 8bit",
    ]
    head = crlf.join(h) + crlf + crlf + crlf.join(p1) + crlf + crlf.join(p2) + crlf
    p3_head = (b"--=_b1" + crlf + b"Content-Type: application/octet-stream" + crlf
               + b"Content-Transfer-Encoding: base64" + crlf + crlf)
    tail = b"--=_b1--" + crlf + b"epilogue line without final newline"
    room = 10 * 1024 - len(head) - len(p3_head) - len(tail)
    b64 = []
    i = 0
    while room > 78:
        b64.append((b"QUJD" * 19)[:76 - (i % 3)])
        room -= len(b64[-1]) + 2
        i += 1
    msg = head + p3_head + crlf.join(b64) + crlf + tail
    assert not msg.endswith(b"\n")
    return msg


def main():
    t_all = time.monotonic()
    top = tempfile.mkdtemp(prefix="pf-harness-selftest.")
    os.chmod(top, 0o755)  # postfix must traverse it (queue, dump dir)
    instances = []
    sinks = []
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(lambda: [s.stop() for s in sinks])
            stack.callback(lambda: [p.stop() for p in instances])

            sink = Sink(os.path.join(top, "sink"))
            sinks.append(sink)

            # ---- instance A: no milter
            a = PrivatePostfix(os.path.join(top, "a"), free_port(), sink.port)
            instances.append(a)
            t0 = time.monotonic()
            a.start()
            t_start_a = time.monotonic() - t0
            print("instance A up: smtpd %d, bypass %d, start %.3fs"
                  % (a.smtpd_port, a.bypass_port, t_start_a))

            # ---- instance B: unreachable milter, tempfail; runs concurrently
            b = PrivatePostfix(os.path.join(top, "b"), free_port(), sink.port,
                               milter="unix:/nonexistent.sock")
            instances.append(b)
            b.start()
            check(a.running() and b.running(), "both instances should run",
                  a.processes(), b.processes())
            check(a.master_pid != b.master_pid, "distinct master processes")
            print("instances A (master %d) and B (master %d) run at once"
                  % (a.master_pid, b.master_pid))
            for p in (a.postconf("multi_instance_enable"),
                      b.postconf("multi_instance_enable")):
                check(p == "no", "multi_instance_enable should stay 'no'", p)

            # ---- 1. byte-exact relay through A
            msg = build_message()
            print("message size %d bytes" % len(msg))
            r = send(a.smtpd_port, SENDER, RCPTS, msg)
            check(r.ok and r.code == 250 and r.queue_id, "send to A failed", r,
                  r.transcript)
            got = sink.wait_for(1, 15)
            check(len(got) == 1, "exactly one message expected at sink", got)
            m = got[0]
            check(m.mail_from == SENDER, "envelope sender", m.mail_from)
            check(m.rcpts == RCPTS, "envelope recipients", m.rcpts)
            check("BODY=8BITMIME" in m.mail_params, "8BITMIME kept", m.mail_args)
            expected = normalize_crlf(msg) + b"\r\n"  # send() ends the last line
            added, rest = split_postfix_received(m.data)
            check(len(added) == 1, "Postfix should add exactly one header",
                  added, m.data[:600])
            rx = (rb"Received: from client\.example \(localhost \[127\.0\.0\.1\]\)\r\n"
                  rb"\tby mx\.test\.example \(Postfix\) with ESMTP id "
                  + r.queue_id.encode() + rb";\r\n"
                  rb"\t" + POSTFIX_DATE_RX + rb"\r\n")
            check(re.fullmatch(rx, added[0]), "unexpected Received header", added[0])
            exp_h, _, exp_b = expected.partition(b"\r\n\r\n")
            got_h, _, got_b = rest.partition(b"\r\n\r\n")
            check(got_h == exp_h, "original headers changed",
                  "first difference at byte %d" % first_diff(got_h, exp_h),
                  got_h[:800])
            check(got_b == exp_b, "body changed",
                  "first difference at byte %d" % first_diff(got_b, exp_b),
                  "got %d bytes, expected %d" % (len(got_b), len(exp_b)))
            check(m.data == added[0] + expected, "whole message mismatch")
            print("1. 10 KB message relayed byte-exact; Postfix added only:\n   "
                  + added[0].decode().replace("\r\n", "\n   ").rstrip())
            sink.clear()

            # ---- 2. XCLIENT, one recipient ("for <rcpt>" variant), relay denial
            r = send(a.smtpd_port, SENDER, ["dave@example.com"],
                     b"Subject: xclient\r\n\r\nhi\r\n", xclient_addr="203.0.113.45")
            check(r.ok, "send with XCLIENT failed", r, r.transcript)
            m = sink.wait_for(1, 15)[0]
            added, rest = split_postfix_received(m.data)
            check(len(added) == 1 and added[0].startswith(
                b"Received: from client.example (unknown [203.0.113.45])\r\n"
                b"\tby mx.test.example (Postfix) with ESMTP id ")
                and b"\r\n\tfor <dave@example.com>; " in added[0],
                "XCLIENT address/one-recipient Received header", added)
            check(rest == b"Subject: xclient\r\n\r\nhi\r\n", "XCLIENT message body", rest)
            r = send(a.smtpd_port, SENDER, ["eve@elsewhere.test", "dave@example.com"],
                     b"Subject: x\r\n\r\nx\r\n", xclient_addr="2001:db8::7")
            check(r.ok and r.rcpt_replies[0][0] == 554 and r.rcpt_replies[1][0] == 250,
                  "mixed rcpt replies expected (554 relay denied, 250)", r)
            r = send(a.smtpd_port, SENDER, ["eve@elsewhere.test"], b"x\r\n",
                     xclient_addr="203.0.113.46")
            check(r.stage == "rcpt" and r.code == 554 and r.queue_id is None,
                  "relay denial should fail at rcpt with 554", r)
            sink.wait_for(2, 15)
            sink.clear()
            print("2. XCLIENT (IPv4/IPv6), per-recipient replies and relay denial ok")

            # ---- 3. unreachable milter + tempfail -> 4xx; bypass port delivers
            r = send(b.smtpd_port, SENDER, RCPTS, msg)
            check(r.code is not None and 400 <= r.code < 500 and r.stage != "ok",
                  "expected a 4xx from instance B (milter unavailable)", r, r.transcript)
            check("milter-reject" in b.log(), "B's log should show milter-reject",
                  b.log()[-1500:])
            print("3. milter unix:/nonexistent.sock -> %d %s at stage %r"
                  % (r.code, r.message, r.stage))
            r = send(b.bypass_port, SENDER, RCPTS, msg)
            check(r.ok, "bypass port of B should accept", r, r.transcript)
            m = sink.wait_for(1, 15)[0]
            check(split_postfix_received(m.data)[1] == normalize_crlf(msg) + b"\r\n",
                  "bypass message body")
            sink.clear()
            print("   bypass port %d of B accepted and relayed the message" % b.bypass_port)

            # ---- 4. deferred mail, hold/release, fast retry
            sink.stop()
            r = send(a.smtpd_port, SENDER, ["frank@example.com"], b"Subject: retry\r\n\r\nr\r\n")
            check(r.ok, "send for retry test", r)
            qid = r.queue_id
            a.wait_queue(lambda q: any(e["queue_id"] == qid and e["queue_name"] == "deferred"
                                       for e in q), 15)
            a.hold(qid)
            q = a.wait_queue(lambda q: any(e["queue_id"] == qid and e["queue_name"] == "hold"
                                           for e in q), 5)
            sink = Sink(os.path.join(top, "sink2"), port=sink.port)
            sinks.append(sink)
            time.sleep(1.5)
            check(sink.count() == 0, "held message must not be delivered")
            a.release_hold(qid)
            t0 = time.monotonic()
            m = sink.wait_for(1, 10)[0]
            t_retry = time.monotonic() - t0
            check(m.rcpts == ["frank@example.com"], "retried message", m)
            a.wait_queue_empty(5)
            print("4. deferred -> hold -> released -> delivered by a queue run %.1fs "
                  "after release (no flush)" % t_retry)

            # ---- 5. send() never raises
            r = send(free_port(), SENDER, RCPTS, b"x")
            check(r.stage == "connect" and r.code == -1 and r.error is not None,
                  "send to a closed port should report, not raise", r)

            # ---- 6. stop: all processes gone, ports closed; start+stop timing
            for p in (a, b):
                procs = p.processes()
                check(procs, "instance should have processes before stop")
                t0 = time.monotonic()
                p.stop()
                t_stop = time.monotonic() - t0
                check(not p.processes() and not p.running(), "processes left after stop",
                      p.processes())
                check(not port_open(p.smtpd_port) and not port_open(p.bypass_port),
                      "ports still open after stop")
                print("6. %s stopped in %.3fs (%d processes before)"
                      % (os.path.basename(p.base_dir), t_stop, len(procs)))
            a.stop()  # idempotent

            c = PrivatePostfix(os.path.join(top, "c"), free_port(), sink.port)
            instances.append(c)
            t0 = time.monotonic()
            c.start()
            t1 = time.monotonic()
            c.stop()
            t2 = time.monotonic()
            check(not c.processes(), "processes left after stop of C")
            print("timing: fresh instance start %.3fs + stop %.3fs = %.3fs"
                  % (t1 - t0, t2 - t1, t2 - t0))
        print("PASS (%.1fs)" % (time.monotonic() - t_all))
        return 0
    except Exception as e:  # noqa: BLE001 - report everything as a failure
        if isinstance(e, Fail):
            print("FAIL: %s" % e, file=sys.stderr)
        else:
            print("FAIL: unexpected %s" % type(e).__name__, file=sys.stderr)
            traceback.print_exc()
        for p in instances:
            print("---- maillog of %s (tail) ----\n%s" % (p.base_dir, p.log()[-3000:]),
                  file=sys.stderr)
        for s in sinks:
            text = s.log_text()
            if text:
                print("---- smtp-sink log ----\n" + text[-1500:], file=sys.stderr)
        return 1
    finally:
        for p in instances:
            p.stop()
        for s in sinks:
            s.stop()
        shutil.rmtree(top, ignore_errors=True)


def _alarm(signum, frame):
    raise TimeoutError("self-test exceeded %ds" % OVERALL_TIMEOUT)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("FAIL: must run as root (postfix start, smtp-sink -u postfix)", file=sys.stderr)
        sys.exit(2)
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(OVERALL_TIMEOUT)
    sys.exit(main())
