#!/usr/bin/env python3
"""Differential test: Python's email package is the oracle for gfictl inspect.

Generates messages with random structure (nested multiparts, attached messages, base64 / quoted-
printable / 8bit bodies, non-ASCII file names that Python encodes with RFC 2231 or RFC 2047, LF,
CRLF or bare CR line ends, text and HTML with URLs), reads each back with Python's email parser,
and checks that `gfictl inspect --json` reports the same attachments (decoded sha256 and file
name) and the same URL hosts. Exit 0 when every message agrees; prints each disagreement otherwise.
"""
import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import urllib.parse
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

WORDS = ["invoice", "report", "urgent", "payment", "update", "account", "review", "notice"]
HOSTS = ["evil.example", "Login.Phish.Example", "cdn.files.example.net", "bücher.example",
         "xn--caf-dma.example", "sub.domain.test", "192.0.2.55", "mail.example.org",
         "www.shop.example", "a-b.c-d.example"]
NAMES = ["report.pdf", "facture été.pdf", "данные.xlsx", "photo 1.JPG", "archive.zip",
         "résumé.docx", "notes.txt", "漢字.bin", "a" * 90 + ".dat", "plain.bin"]


def rand_url(rng):
    host = rng.choice(HOSTS)
    path = "/".join(rng.choice(WORDS) for _ in range(rng.randint(0, 3)))
    scheme = rng.choice(["http", "https"])
    return f"{scheme}://{host}/{path}"


def rand_text(rng, urls):
    words = [rng.choice(WORDS) for _ in range(rng.randint(5, 40))]
    for u in urls:
        words.insert(rng.randint(0, len(words)), u)
    lines, line = [], []
    for w in words:
        line.append(w)
        if rng.random() < 0.15:
            lines.append(" ".join(line))
            line = []
    lines.append(" ".join(line))
    return "\n".join(lines) + "\n"


def fill_leaf(rng, m, allow_8bit):
    kind = rng.random()
    if kind < 0.3:
        urls = [rand_url(rng) for _ in range(rng.randint(0, 3))]
        ctes = ["quoted-printable", "base64"] + (["8bit"] if allow_8bit else [])
        m.set_content(rand_text(rng, urls), cte=rng.choice(ctes))
        return
    if kind < 0.5:
        urls = [rand_url(rng) for _ in range(rng.randint(1, 3))]
        html = "<html><body>" + "".join(
            f'<p><a href="{u.replace("&", "&amp;")}">{rng.choice(WORDS)}</a></p>' for u in urls)
        html += "</body></html>\n"
        m.set_content(html, subtype="html", cte=rng.choice(["quoted-printable", "base64"]))
        return
    data = rng.randbytes(rng.choice([0, 1, 2, 3, 100, 1000, 5000, 70000]))
    name = rng.choice(NAMES)
    if rng.random() < 0.5:
        m.set_content(data, maintype="application", subtype="octet-stream",
                      disposition="attachment", filename=name)
    else:
        m.set_content(data, maintype="image", subtype="png", filename=name)


def fill(rng, m, depth, allow_8bit):
    """Gives message `m` random content: a leaf, or a multipart of random parts, some of them
    attached messages (message/rfc822) with their own random structure."""
    if depth >= 3 or rng.random() < 0.3:
        fill_leaf(rng, m, allow_8bit)
        return
    if rng.random() < 0.7:
        m.make_mixed()
    else:
        m.make_alternative()
    for _ in range(rng.randint(1, 4)):
        child = EmailMessage()
        if rng.random() < 0.15:
            inner = EmailMessage()
            inner["From"] = "inner@example.com"
            inner["Subject"] = "inner " + rng.choice(WORDS)
            fill(rng, inner, depth + 1, False)
            child.set_content(inner)
        else:
            fill(rng, child, depth + 1, allow_8bit)
        m.attach(child)


def make_message(rng):
    m = EmailMessage()
    m["From"] = "Sender <sender@example.com>"
    m["To"] = "rcpt@example.net"
    m["Subject"] = "Test " + " ".join(rng.choice(WORDS) for _ in range(3)) + " é"
    fill(rng, m, 0, True)
    return m.as_bytes(policy=policy.SMTP if rng.random() < 0.5 else policy.default)


def bare_cr(raw):
    """The message with every line ending in a bare CR, which Python's email reads as line ends."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r")


URL_RE = re.compile(r"https?://[^\s\"<>']+")


def python_reading(raw):
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    attachments, hosts = [], set()
    for part in msg.walk():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        ctype = part.get_content_type()
        name = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if not ctype.startswith("text/") or name:
            attachments.append((hashlib.sha256(payload).hexdigest(), name or ""))
        if ctype.startswith("text/"):
            text = part.get_content()
            if ctype == "text/html":
                text = text.replace("&amp;", "&")
            for u in URL_RE.findall(text):
                host = urllib.parse.urlsplit(u).hostname
                if not host:
                    continue
                if not re.fullmatch(r"[0-9.]+", host):
                    host = host.encode("idna").decode("ascii")
                hosts.add(host.lower().rstrip("."))
    return sorted(attachments), hosts


def gfictl_reading(obj):
    attachments = sorted((p["sha256"], p.get("filename", "")) for p in obj["parts"]
                         if p.get("attachment"))
    hosts = {o["value"] for o in obj["observables"]
             if o["type"] in ("domain", "ip") and o["where"] in ("body.text", "body.html")}
    return attachments, hosts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gfictl", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    compared_attachments = compared_hosts = 0
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(args.count):
            raw = make_message(rng)
            if i % 8 == 7:
                raw = bare_cr(raw)
            path = os.path.join(tmp, f"m{i:04d}.eml")
            with open(path, "wb") as f:
                f.write(raw)
            files.append(path)
        out = subprocess.run([args.gfictl, "inspect", "--json", *files], capture_output=True,
                             check=False)
        if out.returncode != 0:
            print("gfictl failed:", out.returncode, out.stderr.decode(errors="replace"))
            return 1
        lines = out.stdout.decode().splitlines()
        if len(lines) != len(files):
            print(f"expected {len(files)} JSON lines, got {len(lines)}")
            return 1
        for path, line in zip(files, lines):
            obj = json.loads(line)
            with open(path, "rb") as f:
                raw = f.read()
            py_att, py_hosts = python_reading(raw)
            g_att, g_hosts = gfictl_reading(obj)
            if b"\n" not in raw:
                # Bare CR: Python's email does not join quoted-printable soft line breaks at a bare
                # CR ("logi=" CR "n.example" gives it "logi"), gfictl does; hosts are not compared.
                py_hosts = g_hosts
            compared_attachments += len(py_att)
            compared_hosts += len(py_hosts)
            if py_att != g_att or py_hosts != g_hosts:
                failures += 1
                if failures <= 5:
                    keep = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                        "gfi-diff-" + os.path.basename(path))
                    with open(keep, "wb") as f:
                        f.write(raw)
                    print(f"MISMATCH {os.path.basename(path)} (kept as {keep})")
                    if py_att != g_att:
                        print("  python attachments:", py_att)
                        print("  gfictl attachments:", g_att)
                    if py_hosts != g_hosts:
                        print("  python hosts:", sorted(py_hosts))
                        print("  gfictl hosts:", sorted(g_hosts))
    print(f"compared {compared_attachments} attachments and {compared_hosts} URL hosts")
    if compared_attachments == 0 or compared_hosts == 0:
        print("the generator produced nothing to compare")
        return 1
    print(f"{args.count - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
