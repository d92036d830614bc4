"""A minimal RFC 6455 websocket client, standard library only: what the probe needs to talk to its
host on loopback and nothing more (no extensions, no TLS, text frames out, text/ping/close in).

Blocking calls on one socket; _transport runs it from its own daemon thread.
"""
import base64
import hashlib
import os
import socket
import struct
from urllib.parse import urlsplit

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WebSocketError(Exception):
    pass


class Closed(WebSocketError):
    def __init__(self, code):
        super().__init__("closed with code %s" % code)
        self.code = code


def _mask(payload, key):
    n = len(payload)
    if not n:
        return payload
    # One big-int XOR instead of a Python loop per byte.
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


class WebSocket:
    def __init__(self, url, timeout, max_payload):
        parts = urlsplit(url)
        if parts.scheme != "ws" or not parts.hostname:
            raise WebSocketError("unsupported url")
        self.max_payload = max_payload
        host, port = parts.hostname, parts.port or 80
        self.sock = socket.create_connection((host, port), timeout=timeout)
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._handshake(host, port, parts.path or "/")
        except BaseException:
            self.sock.close()
            raise

    def _handshake(self, host, port, path):
        key = base64.b64encode(os.urandom(16))
        req = (
            "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key.decode())
        )
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise WebSocketError("handshake: connection closed")
            head += chunk
            if len(head) > 16384:
                raise WebSocketError("handshake: response too large")
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if len(lines[0].split(" ")) < 2 or lines[0].split(" ")[1] != "101":
            raise WebSocketError("handshake refused: %s" % lines[0][:80])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expect = base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != expect:
            raise WebSocketError("handshake: bad accept key")
        self._pending = rest

    def fileno(self):
        return self.sock.fileno()

    def send_frame(self, opcode, payload):
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        key = os.urandom(4)
        self.sock.sendall(head + key + _mask(payload, key))

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode("utf-8") if isinstance(text, str) else text)

    def _read_exact(self, n):
        while len(self._pending) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed(1006)
            self._pending += chunk
        out, self._pending = self._pending[:n], self._pending[n:]
        return out

    def buffered(self):
        return bool(self._pending)

    def recv_message(self):
        """The next text message (str), answering pings on the way. Raises Closed on a close frame."""
        parts = []
        while True:
            b0, b1 = self._read_exact(2)
            fin, opcode, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._read_exact(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._read_exact(8))
            if n > self.max_payload:
                raise WebSocketError("frame too large")
            key = self._read_exact(4) if b1 & 0x80 else None
            payload = self._read_exact(n)
            if key:
                payload = _mask(payload, key)
            if opcode == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                try:
                    self.send_frame(OP_CLOSE, payload[:2])
                except OSError:
                    pass
                raise Closed(code)
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                if opcode == OP_TEXT or (opcode == OP_CONT and data):
                    return data.decode("utf-8", "replace")
                parts = []

    def close(self, code=1000):
        try:
            self.send_frame(OP_CLOSE, struct.pack("!H", code))
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
