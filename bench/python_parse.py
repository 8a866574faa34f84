#!/usr/bin/env python3
"""Python's email package on the same corpus: python_parse.py DIR [SECONDS].

Prints MB/s and messages/s for parse only, for parse + decode of every leaf ("full decode"), and
for parse + decode + md5/sha1/sha256 of attachments (the same work as gfi's parse+decode+hash).
"""
import hashlib
import os
import sys
import time
from email import policy
from email.parser import BytesParser


def run(name, msgs, seconds, fn):
    total = count = 0
    start = time.perf_counter()
    while True:
        for m in msgs:
            fn(m)
            total += len(m)
            count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    print(f"{name:<26} {total / elapsed / 1e6:10.1f} MB/s {count / elapsed:10.0f} msg/s")


def parse(raw):
    return BytesParser(policy=policy.compat32).parsebytes(raw)


def decode(raw, hashes):
    msg = parse(raw)
    for part in msg.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        if hashes and (not part.get_content_type().startswith("text/") or part.get_filename()):
            hashlib.md5(data).hexdigest()
            hashlib.sha1(data).hexdigest()
            hashlib.sha256(data).hexdigest()


def main():
    d = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    msgs = []
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n), "rb") as f:
            msgs.append(f.read())
    run("python parse", msgs, seconds, parse)
    run("python full decode", msgs, seconds, lambda m: decode(m, False))
    run("python decode+hash", msgs, seconds, lambda m: decode(m, True))


if __name__ == "__main__":
    main()
