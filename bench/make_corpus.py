#!/usr/bin/env python3
"""Writes a benchmark corpus of generated messages: make_corpus.py DIR MIX COUNT [SEED].

MIX is "text" (text and HTML bodies with URLs, a few small attachments) or "attachments"
(PDF/ZIP/binary attachments of 50 KB to 2 MB, base64). Deterministic for a given seed.
"""
import io
import os
import random
import sys
import zipfile
from email.message import EmailMessage

WORDS = ("the invoice payment account review update please click here to verify your login "
         "details before the deadline expires contact support team regards").split()


def text_body(rng, n_words, n_urls):
    words = [rng.choice(WORDS) for _ in range(n_words)]
    for _ in range(n_urls):
        words.insert(rng.randrange(len(words)),
                     f"https://host{rng.randrange(1000)}.example.com/{rng.choice(WORDS)}?id={rng.randrange(10**6)}")
    out, line = [], []
    for w in words:
        line.append(w)
        if len(line) > 12:
            out.append(" ".join(line))
            line = []
    out.append(" ".join(line))
    return "\n".join(out) + "\n"


def message(rng, mix, i):
    m = EmailMessage()
    m["From"] = f"user{i}@sender{rng.randrange(100)}.example"
    m["To"] = "victim@corp.example"
    m["Subject"] = "Message " + " ".join(rng.choice(WORDS) for _ in range(5))
    m["Message-ID"] = f"<{i}.{rng.randrange(10**9)}@mx.sender.example>"
    m["Received"] = (f"from mx{i % 50}.sender.example (mx{i % 50}.sender.example "
                     f"[198.51.100.{i % 250}]) by mx.corp.example; Mon, 23 Nov 2026 00:00:00 +0000")
    body = text_body(rng, rng.randint(200, 2000) if mix == "text" else 80, rng.randint(2, 20))
    m.set_content(body)
    html = "<html><body>" + "".join(
        f'<p>{line} <a href="https://link{rng.randrange(500)}.example.net/p?x=1&amp;y=2">here</a></p>'
        for line in body.splitlines()[:60]) + "</body></html>"
    m.add_alternative(html, subtype="html")
    if mix == "attachments":
        for k in range(rng.randint(1, 3)):
            size = rng.choice([50_000, 200_000, 800_000, 2_000_000])
            kind = rng.random()
            if kind < 0.3:
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                    z.writestr(f"doc{k}.txt", (" ".join(rng.choice(WORDS) for _ in range(size // 6))))
                    z.writestr(f"bin{k}.exe", rng.randbytes(size // 4))
                m.add_attachment(buf.getvalue(), maintype="application", subtype="zip",
                                 filename=f"files{k}.zip")
            else:
                m.add_attachment(rng.randbytes(size), maintype="application", subtype="pdf",
                                 filename=f"report-{k}.pdf")
    elif rng.random() < 0.2:
        m.add_attachment(rng.randbytes(rng.randint(1000, 20000)), maintype="image",
                         subtype="png", filename="logo.png")
    return m.as_bytes()


def main():
    out, mix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    for i in range(count):
        with open(os.path.join(out, f"{mix}-{i:05d}.eml"), "wb") as f:
            f.write(message(rng, mix, i))


if __name__ == "__main__":
    main()
