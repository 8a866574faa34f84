"""Shared pieces of the end-to-end tests: a gfi-milter process, a dnsmasq with SPF test zones,
test messages. Standard library only; run as root."""

import base64
import hashlib
import io
import os
import signal
import socket
import subprocess
import time
import zipfile

from postfix_harness import free_port, port_open, wait_port


class GfiMilter:
    """gfi-milter with a generated config. In the foreground its stderr (the log, LOG_PERROR) goes
    to a file; with background=True it is started as an init script would (no --foreground) and
    only start-up errors reach that file (the rest goes to syslog)."""

    def __init__(self, binary, base_dir, config_text_fn, unix=False, background=False):
        self.binary = binary
        self.base = base_dir
        self.config_text_fn = config_text_fn  # fn(socket spec) -> toml text
        self.port = free_port()
        self.unix_path = os.path.join(base_dir, "milter.sock") if unix else None
        self.proc = None
        self.background = background
        self.pid = None
        self.config_path = os.path.join(base_dir, "gfi-milter.toml")
        self.log_path = os.path.join(base_dir, "milter.log")
        with open(self.config_path, "w") as f:
            f.write(config_text_fn(self.config_socket))

    @property
    def config_socket(self):
        """The socket as gfi-milter's config names it."""
        return "unix:" + self.unix_path if self.unix_path else "inet:%d@127.0.0.1" % self.port

    @property
    def socket(self):
        """The socket as Postfix's smtpd_milters names it."""
        return "unix:" + self.unix_path if self.unix_path else "inet:127.0.0.1:%d" % self.port

    def start(self, timeout=30):
        if self.unix_path and os.path.exists(self.unix_path):
            os.unlink(self.unix_path)  # left by a killed daemon; wait for the new one's
        if self.background:
            return self._start_background(timeout)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "--config", self.config_path, "--foreground"],
                                     stdout=log, stderr=log)
        log.close()
        if self.unix_path:
            deadline = time.monotonic() + timeout
            while not os.path.exists(self.unix_path):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gfi-milter did not start: %s" % self.log())
                time.sleep(0.05)
        else:
            wait_port(self.port, timeout=timeout, proc=self.proc)
        return self

    def _start_background(self, timeout):
        """Without --foreground: the starting process must exit 0 only once the daemon serves."""
        r = subprocess.run([self.binary, "--config", self.config_path], capture_output=True,
                           timeout=timeout)
        with open(self.log_path, "ab") as f:
            f.write(r.stdout + r.stderr)
        if r.returncode != 0:
            raise RuntimeError("gfi-milter (background) exited %d: %s" % (
                r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")))
        with open(self.pid_file) as f:
            self.pid = int(f.read().strip())
        if self.unix_path:
            if not os.path.exists(self.unix_path):
                raise RuntimeError("background start returned before the socket existed")
        elif not port_open(self.port):
            raise RuntimeError("background start returned before the port listened")
        return self

    @property
    def pid_file(self):
        with open(self.config_path) as f:
            for line in f:
                if line.startswith("pid_file"):
                    return line.split("=", 1)[1].strip().strip('"')
        raise RuntimeError("no pid_file in " + self.config_path)

    def running(self):
        if self.background:
            return self.pid is not None and os.path.exists("/proc/%d" % self.pid)
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        if self.background:
            os.kill(self.pid, sig)
        else:
            self.proc.send_signal(sig)

    def kill(self, sig=signal.SIGKILL):
        if not self.running():
            return
        self.send_signal(sig)
        if self.background:
            deadline = time.monotonic() + 20
            while os.path.exists("/proc/%d" % self.pid):
                if time.monotonic() > deadline:
                    raise RuntimeError("gfi-milter pid %d did not stop" % self.pid)
                time.sleep(0.02)
        else:
            self.proc.wait(timeout=20)

    def stop(self):
        self.kill(signal.SIGTERM)

    def reload(self):
        self.send_signal(signal.SIGUSR1)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Dnsmasq:
    """dnsmasq on 127.0.0.1:PORT answering only the given TXT/A records (NXDOMAIN for the rest)."""

    def __init__(self, txt=(), hosts=()):
        self.port = free_port()
        args = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                "--no-hosts", "--pid-file=", "--bind-interfaces", "--listen-address=127.0.0.1",
                "--port=%d" % self.port, "--user=root", "--local=/#/"]
        for name, value in txt:
            args.append("--txt-record=%s,%s" % (name, value))
        for name, addr in hosts:
            args.append("--host-record=%s,%s" % (name, addr))
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # ready when it answers a query
            if self.proc.poll() is not None:
                raise RuntimeError("dnsmasq exited: %s" % self.proc.stderr.read().decode())
            if self._answers():
                return
            time.sleep(0.05)
        raise RuntimeError("dnsmasq did not answer on port %d" % self.port)

    def _answers(self):
        q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + \
            b"\x05probe\x04test\x00\x00\x10\x00\x01"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        try:
            s.sendto(q, ("127.0.0.1", self.port))
            data, _ = s.recvfrom(512)
            return data[:2] == b"\x12\x34"
        except OSError:
            return False
        finally:
            s.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def message(subject, body="Hello.\n", headers=(), html=None, attachments=(), msgid=None):
    """A small MIME message as bytes (LF line ends; the SMTP client sends CRLF)."""
    boundary = "=_gfi_test_boundary"
    msgid = msgid or "<%s@test.example>" % hashlib.sha1(subject.encode()).hexdigest()[:16]
    lines = ["From: Sender <sender@example.org>", "To: rcpt@example.com",
             "Subject: %s" % subject, "Message-ID: %s" % msgid,
             "Date: Mon, 30 Nov 2026 12:00:00 +0000", "MIME-Version: 1.0"]
    lines += list(headers)
    if not html and not attachments:
        lines += ["Content-Type: text/plain; charset=us-ascii", "", body]
        return ("\n".join(lines)).encode()
    lines += ['Content-Type: multipart/mixed; boundary="%s"' % boundary, "", "preamble",
              "--" + boundary, "Content-Type: text/plain; charset=us-ascii", "", body]
    if html:
        lines += ["--" + boundary, "Content-Type: text/html; charset=us-ascii", "", html]
    for name, data in attachments:
        lines += ["--" + boundary, "Content-Type: application/octet-stream",
                  'Content-Disposition: attachment; filename="%s"' % name,
                  "Content-Transfer-Encoding: base64", ""]
        b64 = base64.b64encode(data).decode()
        lines += [b64[i:i + 76] for i in range(0, len(b64), 76)]
    lines += ["--" + boundary + "--", ""]
    return ("\n".join(lines)).encode()


def zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()
