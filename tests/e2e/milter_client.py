"""A minimal milter protocol client (the MTA's side, protocol version 6), standard library only:
enough to send what Postfix cannot (a single header packet over 64 KiB; Postfix cuts headers
at ~60 KB for milters) and to read the filter's replies. Each reply is (code, data); code is
the reply's command letter: c continue, a accept, r reject, t tempfail, d discard, y reply code,
h add header, i insert header, m change header, q quarantine."""

import socket
import struct

SMFIF_ADDHDRS, SMFIF_CHGHDRS, SMFIF_QUARANTINE, SMFIF_SETSYMLIST = 0x01, 0x10, 0x20, 0x100
MODIFICATIONS = b"hibmq+-"  # header, body, quarantine and recipient changes before the verdict


class MilterClient:
    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def close(self):
        try:
            self._send(b"Q", b"")
        except OSError:
            pass
        self.sock.close()

    def _send(self, cmd, data):
        self.sock.sendall(struct.pack("!I", len(data) + 1) + cmd + data)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("milter closed the connection")
            buf += chunk
        return buf

    def reply(self):
        (n,) = struct.unpack("!I", self._recv_exact(4))
        body = self._recv_exact(n)
        return body[:1].decode(), body[1:]

    def command(self, cmd, data=b""):
        """Sends one command and returns the replies up to and including the final one."""
        self._send(cmd, data)
        out = []
        while True:
            code, data = self.reply()
            out.append((code, data))
            if code.encode() not in MODIFICATIONS:
                return out

    def negotiate(self, actions=SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
                  protocol=0):
        return self.command(b"O", struct.pack("!III", 6, actions, protocol))

    def macro(self, for_cmd, **macros):
        data = for_cmd + b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in macros.items())
        self._send(b"D", data)

    def connect(self, hostname, addr, port=25):
        return self.command(b"C", hostname.encode() + b"\0" + b"4" + struct.pack("!H", port) +
                            addr.encode() + b"\0")

    def helo(self, name):
        return self.command(b"H", name.encode() + b"\0")

    def mail(self, addr):
        return self.command(b"M", b"<" + addr.encode() + b">\0")

    def rcpt(self, addr):
        return self.command(b"R", b"<" + addr.encode() + b">\0")

    def data(self):
        return self.command(b"T")

    def header(self, name, value):
        return self.command(b"L", name.encode() + b"\0" + value.encode() + b"\0")

    def eoh(self):
        return self.command(b"N")

    def body(self, chunk):
        return self.command(b"B", chunk)

    def eom(self):
        return self.command(b"E")
