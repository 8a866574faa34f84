"""Private Postfix instances, an smtp-sink capture server and an SMTP client
for end-to-end tests of the milter (Python standard library only).

Must run as root (``postfix -c DIR start`` and ``smtp-sink -u postfix``).

    from postfix_harness import Sink, PrivatePostfix, send, free_port

    with Sink(tmp / "sink") as sink, \\
         PrivatePostfix(tmp / "pf", free_port(), sink.port,
                        milter="unix:/run/gfi/milter.sock") as pf:
        pf.start()
        r = send(pf.smtpd_port, "a@example.org", ["b@example.com"], data)
        assert r.ok, r
        msg = sink.wait_for(1)[0]
        added, rest = split_postfix_received(msg.data)

Directories handed to Sink/PrivatePostfix, and all their parents, must be
traversable by the ``postfix`` user (o+x); a unix milter socket must be
connectable by ``postfix`` (smtpd and cleanup run as postfix, not chrooted).
"""

import grp
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time

__all__ = [
    "free_port", "wait_port", "Sink", "SinkMessage", "PrivatePostfix",
    "PostfixError", "send", "SendResult", "send_raw_dialog",
    "split_postfix_received", "normalize_crlf",
]

POSTFIX_USER = "postfix"
META_DIRECTORY = "/etc/postfix"          # postconf -dh meta_directory


# ---------------------------------------------------------------- helpers

def free_port(host="127.0.0.1"):
    """An unused TCP port on 127.0.0.1 (free at the time of the call)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port, timeout=10.0, host="127.0.0.1", proc=None):
    """Wait until something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if port_open(port, host):
            return True
        time.sleep(0.05)
    return False


def _postfix_ids():
    pw = pwd.getpwnam(POSTFIX_USER)
    return pw.pw_uid, pw.pw_gid


def _proc_ids(pid):
    """(pgid, sid) of a process, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    # fields[0] = state, [1] = ppid, [2] = pgrp, [3] = session
    if fields[0] == b"Z":
        return None
    return int(fields[2]), int(fields[3])


def _pid_alive(pid):
    return _proc_ids(pid) is not None


def _session_pids(leader):
    """All live processes whose process group or session is `leader`."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        ids = _proc_ids(int(name))
        if ids and leader in ids:
            out.append(int(name))
    return out


def normalize_crlf(data):
    """Turn bare LF (and bare CR) line ends into CRLF, as on the SMTP wire."""
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data.replace(b"\n", b"\r\n")


_RECEIVED_BY_POSTFIX = re.compile(rb"^Received: .*\r?\n(?:[ \t].*\r?\n)*", re.M)

# The date Postfix writes at the end of its Received header (src/global/mail_date.c):
# strftime("%a, %e %b %Y %H:%M:%S ") + "+HHMM" + strftime(" (%Z)"). "%e" pads a one-digit day
# with a space ("Tue,  1 Dec 2026"), and RFC 5322 allows folding white space between the parts in
# any case, so every gap is [ \t]+. "%Z" is not always a word: numeric zones ("(+03)", "(-0330)")
# exist in tzdata, so the comment is anything but parentheses and line breaks.
POSTFIX_DATE_RX = (rb"[A-Z][a-z]{2},[ \t]+\d{1,2}[ \t]+[A-Z][a-z]{2}[ \t]+\d{4}[ \t]+"
                   rb"\d\d:\d\d:\d\d[ \t]+[+-]\d{4}(?:[ \t]+\([^()\r\n]*\))?")


def split_postfix_received(data):
    """Split off the header block(s) Postfix's smtpd prepends.

    Without a milter/header_checks, Postfix adds exactly ONE header at the top:

        Received: from HELO (NAME [ADDR])\\r\\n
        \\tby MYHOSTNAME (Postfix) with ESMTP id QUEUEID\\r\\n
        \\tfor <RCPT>; DATE\\r\\n          (only "for <RCPT>" with 1 recipient)

    (or with ESMTPA/ESMTPS/ESMTPSA/SMTP etc., and "; DATE" on the "by" line
    for several recipients). Returns (list_of_added_header_bytes, rest):
    every leading Received header whose "by" clause says "(Postfix)".
    """
    added = []
    pos = 0
    while True:
        m = _RECEIVED_BY_POSTFIX.match(data, pos)
        if not m or b"(Postfix)" not in m.group(0):
            break
        added.append(m.group(0))
        pos = m.end()
    return added, data[pos:]


# ---------------------------------------------------------------- smtp-sink

class SinkMessage:
    """One message captured by smtp-sink -d.

    The dump file is (LF line ends, dot-unstuffed):
        X-Client-Addr: 127.0.0.1
        X-Client-Proto: ESMTP
        X-Helo-Args: <helo>                 (if HELO/EHLO was sent)
        X-Mail-Args: <sender> BODY=8BITMIME SIZE=...
        X-Rcpt-Args: <rcpt1> [ORCPT=...]   (one per RCPT, in order)
        Received: from <helo> ([addr])
        \\tby <host> (smtp-sink) with ESMTP id <random>;
        \\t<RFC 2822 date>
        <message as received, one line per SMTP line>
        <one extra empty line>
    """

    def __init__(self, path, raw):
        self.path = path
        self.raw = raw
        self.client_addr = None
        self.client_proto = None
        self.helo = None
        self.mail_args = None      # full X-Mail-Args text
        self.mail_from = None      # envelope sender without <>
        self.mail_params = []      # ["BODY=8BITMIME", "SIZE=123", ...]
        self.rcpts = []            # envelope recipients without <>
        self.rcpt_args = []        # full X-Rcpt-Args texts
        self.sink_received = b""
        lines = raw.split(b"\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith(b"Received: "):
                break
            key, _, val = line.partition(b": ")
            val = val.decode("utf-8", "surrogateescape")
            if key == b"X-Client-Addr":
                self.client_addr = val
            elif key == b"X-Client-Proto":
                self.client_proto = val
            elif key == b"X-Helo-Args":
                self.helo = val
            elif key == b"X-Mail-Args":
                self.mail_args = val
                self.mail_from, self.mail_params = self._addr_and_params(val)
            elif key == b"X-Rcpt-Args":
                self.rcpt_args.append(val)
                self.rcpts.append(self._addr_and_params(val)[0])
            else:
                raise ValueError("%s: unexpected smtp-sink record %r" % (path, line))
            i += 1
        if i >= len(lines) or i + 2 >= len(lines):
            raise ValueError("%s: no smtp-sink Received header" % path)
        # smtp-sink's own Received header is always exactly three lines.
        self.sink_received = b"\n".join(lines[i:i + 3]) + b"\n"
        body = lines[i + 3:]
        # body ends with: ..., last message line, "" (the extra empty line), ""
        if len(body) < 2 or body[-1] != b"" or body[-2] != b"":
            raise ValueError("%s: dump does not end with an empty line" % path)
        body = body[:-2]
        #: message bytes as received (after dot-unstuffing), CRLF line ends
        self.data = b"".join(l + b"\r\n" for l in body)

    @staticmethod
    def _addr_and_params(val):
        val = val.strip()
        if val.startswith("<"):
            end = val.find(">")
            if end < 0:
                return val[1:], []
            return val[1:end], val[end + 1:].split()
        parts = val.split()
        return (parts[0] if parts else ""), parts[1:]

    @property
    def headers(self):
        """Header block of .data (bytes, up to and excluding the empty line)."""
        head, sep, _ = self.data.partition(b"\r\n\r\n")
        return head + b"\r\n" if sep else self.data

    @property
    def body(self):
        _, sep, body = self.data.partition(b"\r\n\r\n")
        return body if sep else b""

    def __repr__(self):
        return "<SinkMessage %s from=%r rcpts=%r %d bytes>" % (
            os.path.basename(self.path), self.mail_from, self.rcpts, len(self.data))


class Sink:
    """smtp-sink on 127.0.0.1:port dumping each message into its own file.

    Sink(base_dir=None, port=None, extra_args=(), code=None)
      base_dir: directory for dump/ and sink.log (temp dir, removed on stop,
                when None).
      extra_args: more smtp-sink options, e.g. ["-8"] (no 8BITMIME),
                ["-f", "."] (reject at end of DATA), ["-q", "."] ...
    """

    def __init__(self, base_dir=None, port=None, extra_args=(), start=True):
        self._own_dir = base_dir is None
        self.base_dir = str(base_dir) if base_dir else tempfile.mkdtemp(prefix="sink.")
        self.port = port or free_port()
        self.dump_dir = os.path.join(self.base_dir, "dump")
        self.log_path = os.path.join(self.base_dir, "sink.log")
        self.extra_args = list(extra_args)
        self.proc = None
        self._logf = None
        if start:
            self.start()

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            return self
        uid, gid = _postfix_ids()
        os.makedirs(self.dump_dir, exist_ok=True)
        os.chmod(self.base_dir, 0o755)
        os.chown(self.dump_dir, uid, gid)
        os.chmod(self.dump_dir, 0o755)
        self._logf = open(self.log_path, "ab")
        cmd = ["smtp-sink", "-u", POSTFIX_USER,
               "-d", os.path.join(self.dump_dir, "%Y%m%d%H%M%S.")]
        cmd += self.extra_args + ["127.0.0.1:%d" % self.port, "200"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT,
                                     close_fds=True)
        if not wait_port(self.port, 10, proc=self.proc):
            self.stop()
            raise RuntimeError("smtp-sink did not start on port %d: %s"
                               % (self.port, self.log_text()))
        return self

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _open_files(self):
        if self.proc is None or self.proc.poll() is not None:
            return set()
        fd_dir = "/proc/%d/fd" % self.proc.pid
        out = set()
        try:
            for fd in os.listdir(fd_dir):
                try:
                    out.add(os.readlink(os.path.join(fd_dir, fd)))
                except OSError:
                    pass
        except OSError:
            pass
        return out

    def _complete_paths(self):
        """Dump files whose transaction has finished (smtp-sink keeps the file
        open from MAIL until end of DATA and deletes it on RSET/abort)."""
        try:
            names = os.listdir(self.dump_dir)
        except FileNotFoundError:
            return []
        paths = [os.path.join(self.dump_dir, n) for n in names]
        busy = self._open_files()  # snapshot AFTER the listing
        out = []
        for p in paths:
            if p in busy:
                continue
            try:
                out.append((os.stat(p).st_mtime_ns, p))
            except FileNotFoundError:
                pass
        return [p for _, p in sorted(out)]

    def raw_messages(self):
        """Contents (bytes) of the completed dump files, oldest first."""
        out = []
        for p in self._complete_paths():
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def messages(self):
        """Completed messages as SinkMessage objects, oldest first."""
        out = []
        for p in self._complete_paths():
            with open(p, "rb") as f:
                out.append(SinkMessage(p, f.read()))
        return out

    def count(self):
        return len(self._complete_paths())

    def wait_for(self, n, timeout=10.0):
        """Wait until at least n messages arrived; returns messages().
        Raises TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            if self.count() >= n:
                return self.messages()
            if time.monotonic() >= deadline:
                raise TimeoutError("sink on port %d: %d of %d messages after %.1fs"
                                   % (self.port, self.count(), n, timeout))
            time.sleep(0.05)

    def clear(self):
        """Delete the completed dump files."""
        for p in self._complete_paths():
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
        if self._logf is not None:
            self._logf.close()
            self._logf = None
        if self._own_dir and os.path.isdir(self.base_dir):
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# ---------------------------------------------------------------- Postfix

class PostfixError(RuntimeError):
    pass


# The complete master.cf of every private instance, written here in full. The host's own
# master.cf is never read or copied: it may carry listeners of its own (a release port on 127.0.0.1:10026, say) that the
# private instance would then take over.
_MASTER_CF = """\
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

DEFAULT_RELAY_DOMAINS = ("example.com, .example.com, example.net, .example.net, "
                         "example.org, .example.org")


def _parse_cf_text(text):
    """'k = v' lines (with continuation lines) -> ordered dict."""
    out = {}
    key = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace() and key is not None:
            out[key] += " " + line.strip()
            continue
        k, sep, v = line.partition("=")
        if not sep:
            raise ValueError("bad main.cf line: %r" % line)
        key = k.strip()
        out[key] = v.strip()
    return out


class PrivatePostfix:
    """A throwaway Postfix instance living in base_dir.

    Layout: base_dir/etc/{main.cf,master.cf}, base_dir/queue (queue_directory),
    base_dir/data (data_directory, owned by postfix; holds master.lock),
    base_dir/maillog (the log). The pid file is base_dir/queue/pid/master.pid.

    Mail is relayed to [127.0.0.1]:relay_port (DNS disabled). Clients in
    127.0.0.0/8 may relay anywhere; others (e.g. via XCLIENT ADDR=) only to
    relay_domains. Postfix does NOT rewrite or add headers (empty
    local_header_rewrite_clients) and does not fold long lines
    (smtp_line_length_limit = 0), so only its Received header is added.

    extra_main_cf: dict or 'k = v' text, overrides the defaults.
    extra_master_cf: text appended to master.cf.
    bypass_port: port of the milter-less smtpd (default: a free port).
    fast_start: create the queue directories ourselves and start with the
      quick-start flag (skips postfix-script's checks: ~0.1 s instead of ~1 s).

    Usable as a context manager: `with PrivatePostfix(...) as pf:` starts it
    and stops it (all its processes) on exit.
    """

    def __init__(self, base_dir, smtpd_port, relay_port, milter=None,
                 extra_main_cf=None, extra_master_cf=None, bypass_port=None,
                 myhostname="mx.test.example", relay_domains=DEFAULT_RELAY_DOMAINS,
                 fast_start=True):
        self.base_dir = os.path.abspath(str(base_dir))
        self.smtpd_port = int(smtpd_port)
        self.relay_port = int(relay_port)
        self.bypass_port = int(bypass_port) if bypass_port else free_port()
        self.milter = milter
        self.myhostname = myhostname
        self.relay_domains = relay_domains
        self.config_dir = os.path.join(self.base_dir, "etc")
        self.queue_dir = os.path.join(self.base_dir, "queue")
        self.data_dir = os.path.join(self.base_dir, "data")
        self.maillog_path = os.path.join(self.base_dir, "maillog")
        self.pid_file = os.path.join(self.queue_dir, "pid", "master.pid")
        self.extra_main_cf = extra_main_cf
        self.extra_master_cf = extra_master_cf
        self.master_pid = None
        self.fast_start = fast_start
        self._setup()

    # ----- configuration

    def main_cf_params(self):
        b = self.base_dir
        p = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": POSTFIX_USER,
            "setgid_group": "postdrop",
            "inet_interfaces": "127.0.0.1",
            # "all" (not ipv4) so that XCLIENT ADDR=IPV6:... is accepted
            "inet_protocols": "all",
            "myhostname": self.myhostname,
            "mydomain": "test.example",
            "myorigin": "$myhostname",
            "mydestination": "",
            "local_recipient_maps": "",
            "local_transport": "error:5.1.1 local delivery is disabled",
            "alias_maps": "",
            "alias_database": "",
            "biff": "no",
            "append_dot_mydomain": "no",
            "readme_directory": "no",
            "maillog_file": self.maillog_path,
            "maillog_file_prefixes": b,
            "relayhost": "[127.0.0.1]:%d" % self.relay_port,
            "smtp_dns_support_level": "disabled",
            "relay_domains": self.relay_domains,
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_authorized_xclient_hosts": "127.0.0.0/8",
            "smtpd_error_sleep_time": "0",
            # keep the message as sent: no header rewriting / adding
            # (127.0.0.1 would otherwise match permit_inet_interfaces), no
            # folding of lines longer than 998 by the smtp client.
            "local_header_rewrite_clients": "",
            "smtp_line_length_limit": "0",
            # milter
            "milter_default_action": "tempfail",
            "milter_protocol": "6",
            "milter_connect_timeout": "5s",
            "milter_command_timeout": "10s",
            "milter_content_timeout": "30s",
            # fast retries of deferred mail
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "smtp_connect_timeout": "5s",
            "delay_warning_time": "0",
        }
        if self.milter:
            p["smtpd_milters"] = self.milter
            p["non_smtpd_milters"] = self.milter
        extra = self.extra_main_cf
        if isinstance(extra, str):
            extra = _parse_cf_text(extra)
        if extra:
            p.update({k: str(v) for k, v in extra.items()})
        return p

    def _main_cf_text(self):
        return "".join("%s = %s\n" % kv for kv in self.main_cf_params().items())

    def _master_cf_text(self):
        src = _MASTER_CF
        out = []
        found = False
        for line in src.splitlines():
            if not line.strip() or line.lstrip().startswith("#") or line[0].isspace():
                out.append(line)
                continue
            f = line.split()
            if len(f) >= 8:
                if f[0] == "smtp" and f[1] == "inet":
                    f[0] = "127.0.0.1:%d" % self.smtpd_port
                    found = True
                f[4] = "n"  # no chroot: it would need etc files and hide the milter socket
                line = " ".join(f)
            out.append(line)
        if not found:
            out.append("127.0.0.1:%d inet n - n - - smtpd" % self.smtpd_port)
        out.append("# milter bypass (re-injection) port")
        out.append("127.0.0.1:%d inet n - n - - smtpd" % self.bypass_port)
        out.append("  -o syslog_name=postfix/bypass")
        out.append("  -o smtpd_milters=")
        out.append("  -o non_smtpd_milters=")
        if self.extra_master_cf:
            out.append(self.extra_master_cf.rstrip("\n"))
        return "\n".join(out) + "\n"

    def _setup(self):
        uid, gid = _postfix_ids()
        os.makedirs(self.base_dir, exist_ok=True)
        os.chmod(self.base_dir, 0o755)
        for d in (self.config_dir, self.queue_dir):
            os.makedirs(d, exist_ok=True)
            os.chown(d, 0, 0)
            os.chmod(d, 0o755)
        os.makedirs(self.data_dir, exist_ok=True)
        os.chown(self.data_dir, uid, gid)
        os.chmod(self.data_dir, 0o700)
        self.write_config()
        self._quick_start_ok = self.fast_start and self._create_queue_dirs()

    def _create_queue_dirs(self):
        """Create the queue subdirectories as listed in postfix-files (what
        `post-install create-missing` does, in ~1 ms instead of ~2 s), so that
        start() can skip the slow checks via the quick-start flag file."""
        path = os.path.join(META_DIRECTORY, "postfix-files")
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError:
            return False
        uid, gid = _postfix_ids()
        try:
            postdrop = grp.getgrnam("postdrop").gr_gid
        except KeyError:
            return False
        users = {"root": 0, "-": 0, "$mail_owner": uid}
        groups = {"root": 0, "-": 0, "$setgid_group": postdrop}
        entries = []
        for line in lines:
            f = line.split(":")
            if len(f) < 5 or f[1] != "d" or not f[0].startswith("$queue_directory/"):
                continue
            if f[2] not in users or f[3] not in groups:
                return False
            entries.append((f[0][len("$queue_directory/"):], users[f[2]],
                            groups[f[3]], int(f[4], 8)))
        if not entries:
            return False
        for name, u, g, mode in entries:
            d = os.path.join(self.queue_dir, name)
            os.makedirs(d, exist_ok=True)
            os.chown(d, u, g)
            os.chmod(d, mode)
        return True

    def write_config(self):
        for name, text in (("main.cf", self._main_cf_text()),
                           ("master.cf", self._master_cf_text())):
            path = os.path.join(self.config_dir, name)
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            # Postfix commands refuse to use a main.cf modified less than a
            # second ago and retry every 0.3 s ("postfix start" took 2+ s):
            # backdate it.
            past = time.time() - 60
            os.utime(tmp, (past, past))
            os.rename(tmp, path)

    def update_main_cf(self, params, reload=True):
        """Merge params (dict or text) into main.cf; reload if running."""
        if isinstance(params, str):
            params = _parse_cf_text(params)
        extra = self.extra_main_cf
        if isinstance(extra, str):
            extra = _parse_cf_text(extra)
        extra = dict(extra or {})
        extra.update(params)
        self.extra_main_cf = extra
        self.write_config()
        if reload and self.running():
            self.reload()

    # ----- commands

    def _env(self):
        env = dict(os.environ)
        env.pop("MAIL_CONFIG", None)
        env.setdefault("LANG", "C")
        return env

    def _run(self, args, check=True, timeout=30):
        r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=self._env(), timeout=timeout)
        if check and r.returncode != 0:
            raise PostfixError("%s failed (exit %d): %s%s\n--- maillog tail ---\n%s" % (
                " ".join(args), r.returncode, r.stdout.decode(errors="replace"),
                r.stderr.decode(errors="replace"), self.log()[-4000:]))
        return r

    def postconf(self, name):
        r = self._run(["postconf", "-c", self.config_dir, "-h", name])
        return r.stdout.decode().strip()

    def _read_master_pid(self):
        """PID of this instance's live master, or None. The pid file may be
        stale (PID reused), so the process must also have the queue
        directory as its working directory, as every Postfix daemon does."""
        try:
            with open(self.pid_file) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            cwd = os.readlink("/proc/%d/cwd" % pid)
        except OSError:
            return None
        if cwd != os.path.realpath(self.queue_dir) or not _pid_alive(pid):
            return None
        return pid

    def running(self):
        return self._read_master_pid() is not None

    def start(self, timeout=30):
        """postfix -c DIR start; waits until the smtpd ports answer."""
        if self.running():
            return self
        if self._quick_start_ok:
            # postfix-script skips check-fatal/check-warn (create-missing,
            # postsuper, permission checks: ~2 s) once; it deletes the file.
            open(os.path.join(self.queue_dir, "quick-start"), "w").close()
        try:
            r = self._run(["postfix", "-c", self.config_dir, "start"], check=False,
                          timeout=timeout)
        except subprocess.TimeoutExpired:
            r = None
        if r is None or r.returncode != 0:
            tty = ""
            try:
                self._kill_leftovers()
                t = subprocess.run(["script", "-qc", "postfix -c %s start" % self.config_dir,
                                    "/dev/null"], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env=self._env(), timeout=timeout)
                tty = t.stdout.decode(errors="replace")
            except Exception as e:  # noqa: BLE001 - diagnostics only
                tty = "(script failed: %r)" % e
            finally:
                self.stop()
            raise PostfixError(
                "postfix start failed in %s (exit %s)\n--- output ---\n%s%s\n"
                "--- script -qc output ---\n%s\n--- maillog ---\n%s" % (
                    self.config_dir, r.returncode if r else "timeout",
                    r.stdout.decode(errors="replace") if r else "",
                    r.stderr.decode(errors="replace") if r else "", tty, self.log()))
        self.master_pid = self._read_master_pid()
        for port in (self.smtpd_port, self.bypass_port):
            if not wait_port(port, 10):
                log = self.log()
                self.stop()
                raise PostfixError("postfix started but port %d does not answer\n%s"
                                   % (port, log))
        return self

    def stop(self, timeout=10):
        """postfix -c DIR stop, then make sure no process of the instance is
        left (SIGKILL after `timeout`). Idempotent."""
        pid = self._read_master_pid()
        if pid:
            try:
                self._run(["postfix", "-c", self.config_dir, "stop"], check=False,
                          timeout=timeout + 10)
            except subprocess.TimeoutExpired:
                pass
        # master is a session leader; its children (even orphaned ones, if
        # master died) keep its pid as session id.
        pid = pid or self.master_pid
        if pid:
            deadline = time.monotonic() + timeout
            while _session_pids(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            for p in _session_pids(pid):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.master_pid = None

    def _kill_leftovers(self):
        pid = self._read_master_pid() or self.master_pid
        if pid:
            for p in _session_pids(pid):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def processes(self):
        """PIDs of the live processes of this instance (master's session)."""
        pid = self._read_master_pid()
        return _session_pids(pid) if pid else []

    def reload(self):
        self._run(["postfix", "-c", self.config_dir, "reload"])

    def log(self):
        try:
            with open(self.maillog_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_log(self, pattern, timeout=10.0, start=0):
        """Wait for regex `pattern` in the maillog (from offset `start`);
        returns the match. Raises TimeoutError."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log(), start)
            if m:
                return m
            if time.monotonic() >= deadline:
                raise TimeoutError("no %r in maillog after %.1fs; tail:\n%s"
                                   % (pattern, timeout, self.log()[-3000:]))
            time.sleep(0.1)

    def queue(self):
        """Entries of `postqueue -j` (dicts: queue_name, queue_id, sender,
        recipients[{address, delay_reason?}], arrival_time, message_size...)."""
        r = self._run(["postqueue", "-c", self.config_dir, "-j"])
        return [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]

    def flush(self):
        self._run(["postqueue", "-c", self.config_dir, "-f"])

    def release_hold(self, queue_id):
        self._run(["postsuper", "-c", self.config_dir, "-H", queue_id])

    def hold(self, queue_id):
        self._run(["postsuper", "-c", self.config_dir, "-h", queue_id])

    def delete(self, queue_id="ALL"):
        self._run(["postsuper", "-c", self.config_dir, "-d", queue_id])

    def postcat(self, queue_id, opts=("-q",)):
        """postcat output for a queued message (e.g. opts=("-bh", "-q"))."""
        r = self._run(["postcat", "-c", self.config_dir] + list(opts) + [queue_id])
        return r.stdout

    def wait_queue_empty(self, timeout=10.0):
        """Wait until postqueue lists nothing. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            q = self.queue()
            if not q:
                return True
            if time.monotonic() >= deadline:
                raise TimeoutError("queue not empty after %.1fs: %s" % (timeout, q))
            time.sleep(0.1)

    def wait_queue(self, predicate, timeout=10.0):
        """Wait until predicate(queue_entries) is true; returns the entries."""
        deadline = time.monotonic() + timeout
        while True:
            q = self.queue()
            if predicate(q):
                return q
            if time.monotonic() >= deadline:
                raise TimeoutError("queue condition not met after %.1fs: %s" % (timeout, q))
            time.sleep(0.1)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# ---------------------------------------------------------------- SMTP client

class SendResult:
    """Outcome of send().

    stage: 'connect' | 'helo' | 'xclient' | 'mail' | 'rcpt' | 'data' | 'ok'
           (the stage that failed, or 'ok' when the message was accepted)
    code, message: the final DATA reply, or the reply of the first failing
           command (code -1: connection refused/lost or timeout, see .error)
    rcpt_replies: [(code, msg)] in recipient order
    queue_id: from "250 ... queued as XXXX"
    transcript: [(command, code, msg)]
    """

    def __init__(self):
        self.stage = "connect"
        self.code = None
        self.message = ""
        self.rcpt_replies = []
        self.queue_id = None
        self.transcript = []
        self.error = None

    @property
    def ok(self):
        return self.stage == "ok"

    def __repr__(self):
        return "<SendResult stage=%s code=%s msg=%r queue_id=%s rcpts=%r%s>" % (
            self.stage, self.code, self.message, self.queue_id, self.rcpt_replies,
            " error=%r" % self.error if self.error else "")


def _dec(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)


def _xclient_addr(addr):
    if ":" in addr and not addr.upper().startswith("IPV6:"):
        return "IPV6:" + addr
    return addr


def send(port, mail_from, rcpts, data, xclient_addr=None, helo="client.example",
         timeout=30, host="127.0.0.1", xclient=None, mail_options=None,
         rcpt_options=(), normalize_eol=True):
    """Send one message with smtplib; never raises on SMTP replies or
    connection trouble (see SendResult).

    EHLO helo, [XCLIENT ADDR=... NAME=[UNAVAILABLE] REVERSE_NAME=[UNAVAILABLE]
    (override/extend with the xclient dict, e.g. {"NAME": "h.example"}),
    EHLO helo], MAIL FROM, RCPT TO each, DATA. data is bytes; bare LFs are
    turned into CRLF (normalize_eol), a missing final CRLF is added, lines
    starting with '.' are dot-stuffed. BODY=8BITMIME is added to MAIL when
    data has 8-bit bytes, SMTPUTF8 for non-ASCII addresses (unless
    mail_options is given).
    """
    if isinstance(rcpts, str):
        rcpts = [rcpts]
    if isinstance(data, str):
        data = data.encode("utf-8")
    if normalize_eol:
        data = normalize_crlf(data)
    if mail_options is None:
        mail_options = ["BODY=8BITMIME"] if re.search(rb"[\x80-\xff]", data) else []
        if any(not a.isascii() for a in [mail_from] + list(rcpts)):
            mail_options.append("SMTPUTF8")
    res = SendResult()
    s = smtplib.SMTP(local_hostname=helo, timeout=timeout)

    def record(cmd, code, msg):
        msg = _dec(msg)
        res.transcript.append((cmd, code, msg))
        return code, msg

    def fail(stage, code, msg):
        res.stage, res.code, res.message = stage, code, msg
        return res

    try:
        code, msg = record("<connect>", *s.connect(host, port))
        if code != 220:
            return fail("connect", code, msg)
        res.stage = "helo"
        code, msg = record("EHLO " + helo, *s.ehlo(helo))
        if code != 250:
            return fail("helo", code, msg)
        if xclient_addr or xclient:
            attrs = {}
            if xclient_addr:
                attrs["ADDR"] = _xclient_addr(xclient_addr)
                # Without NAME Postfix keeps the old name ("localhost") for
                # the new address; say "no PTR" instead (client=unknown[ADDR]).
                attrs["NAME"] = "[UNAVAILABLE]"
                attrs["REVERSE_NAME"] = "[UNAVAILABLE]"
            attrs.update(xclient or {})
            args = " ".join("%s=%s" % kv for kv in attrs.items())
            res.stage = "xclient"
            code, msg = record("XCLIENT " + args, *s.docmd("XCLIENT", args))
            if code != 220:
                return fail("xclient", code, msg)
            code, msg = record("EHLO " + helo, *s.ehlo(helo))
            if code != 250:
                return fail("helo", code, msg)
        res.stage = "mail"
        code, msg = record("MAIL FROM:<%s>" % mail_from, *s.mail(mail_from, list(mail_options)))
        if code != 250:
            return fail("mail", code, msg)
        res.stage = "rcpt"
        first_bad = None
        for r in rcpts:
            code, msg = record("RCPT TO:<%s>" % r, *s.rcpt(r, list(rcpt_options)))
            res.rcpt_replies.append((code, msg))
            if code not in (250, 251) and first_bad is None:
                first_bad = (code, msg)
        if not any(c in (250, 251) for c, _ in res.rcpt_replies):
            if first_bad is None:
                first_bad = (None, "no recipients")
            return fail("rcpt", *first_bad)
        res.stage = "data"
        code, msg = record("DATA", *s.docmd("DATA"))
        if code != 354:
            return fail("data", code, msg)
        payload = re.sub(rb"(?m)^\.", b"..", data)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        s.send(payload + b".\r\n")
        code, msg = record("<end of data>", *s.getreply())
        if code != 250:
            return fail("data", code, msg)
        m = re.search(r"queued as ([0-9A-Za-z]+)", msg)
        res.queue_id = m.group(1) if m else None
        res.stage, res.code, res.message = "ok", code, msg
        return res
    except (smtplib.SMTPException, OSError) as e:
        res.error = e
        res.code = -1
        res.message = "%s: %s" % (type(e).__name__, e)
        return res
    finally:
        try:
            if s.sock:
                s.quit()
        except (smtplib.SMTPException, OSError):
            pass
        s.close()


def send_raw_dialog(port, lines, host="127.0.0.1", timeout=30):
    """Low-level dialog. Reads the greeting, then sends each element of
    `lines` (str/bytes, CRLF appended) and reads one reply after each; after a
    354 reply, lines are sent without waiting until a line equal to "." has
    been sent (its reply is then read). Returns [(sent, code, text)], the
    greeting as (None, code, text). Stops early when the server closes.
    """
    out = []
    sock = socket.create_connection((host, port), timeout=timeout)
    f = sock.makefile("rb")

    def reply():
        texts = []
        while True:
            line = f.readline(65536)
            if not line:
                return -1, "\n".join(texts) or "connection closed"
            texts.append(_dec(line[4:].rstrip(b"\r\n")))
            if line[3:4] != b"-":
                try:
                    return int(line[:3]), "\n".join(texts)
                except ValueError:
                    return -1, "\n".join(texts)

    try:
        code, text = reply()
        out.append((None, code, text))
        in_data = False
        for line in lines:
            b = line.encode("utf-8") if isinstance(line, str) else line
            if not b.endswith(b"\r\n"):
                b += b"\r\n"
            sock.sendall(b)
            if in_data and b != b".\r\n":
                continue
            in_data = False
            code, text = reply()
            out.append((line, code, text))
            if code == 354:
                in_data = True
            if code == -1:
                break
    except OSError as e:
        out.append(("<error>", -1, "%s: %s" % (type(e).__name__, e)))
    finally:
        f.close()
        sock.close()
    return out
