"""The probe's connection to its host: hello first, data only after the host's `welcome`.

It runs in its own daemon thread so that a slow host never delays the watchdog. While there is no
host, messages wait in a bounded buffer (the oldest dropped and counted, the count reported in a
`dropped` message once a host answers); it reconnects with backoff, and goes quiet for good on a
refusal close code or when no host ever answered: the app then runs as if no probe were there.
"""
import collections
import json
import os
import random
import select
import socket
import threading
import time

from . import _gilio, _threads
from ._websocket import Closed, WebSocket

MAX_FRAME_BYTES = 1024 * 1024
# Close codes the host refuses a probe with (bad token, bad frame, unsupported version, hello timeout).
_REFUSALS = {4001, 4002, 4003, 4004}


class Transport:
    def __init__(self, url, make_hello, on_message, max_buffer=2000, max_initial_attempts=6, max_reconnect_attempts=40):
        self.url = url
        self.make_hello = make_hello
        self.on_message = on_message
        self.max_buffer = max_buffer
        self.max_initial = max_initial_attempts
        self.max_reconnect = max_reconnect_attempts
        self.state = "waiting"  # waiting | open | quiet
        self._buffer = collections.deque()
        self._dropped = 0
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._wake_fd = self._wake_w.fileno()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = _threads.start_daemon(self._run, "stallscope-transport", "stallscope-io")

    # ---------------------------------------------------------------- any thread
    def send(self, msg):
        if self.state == "quiet":
            return
        with self._lock:
            if msg.get("type") == "stall":
                # An ongoing stall and its final version share an id: only the latest is worth sending.
                sid = msg["stall"]["id"]
                for i, m in enumerate(self._buffer):
                    if m.get("type") == "stall" and m["stall"]["id"] == sid:
                        del self._buffer[i]
                        break
            self._buffer.append(msg)
            if len(self._buffer) > self.max_buffer:
                self._buffer.popleft()
                self._dropped += 1
            self._idle.clear()
        self._wake()

    def flush(self, timeout):
        """Waits (at most `timeout` s) until everything queued was written, if a host is there."""
        if self.state == "open":
            self._idle.wait(timeout)

    def close(self):
        self.state = "quiet"
        self._wake()

    def _wake(self):
        try:
            _gilio.write(self._wake_fd, b"x")  # (the watchdog sends: it must keep the GIL)
        except OSError:
            pass  # the pipe is full: the thread is awake already

    # ---------------------------------------------------------------- its thread
    def _run(self):
        attempts, welcomed = 0, False
        while self.state != "quiet":
            attempts += 1
            ws = None
            try:
                ws = WebSocket(self.url, timeout=3.0, max_payload=MAX_FRAME_BYTES)
                ws.send_text(json.dumps(self.make_hello()))
                code = self._serve(ws)
                if code is None:
                    welcomed = welcomed or self.state == "open"
                    attempts = 0 if self.state == "open" else attempts
            except Closed as e:
                if e.code in _REFUSALS:
                    self.state = "quiet"
                    break
            except Exception:
                pass
            finally:
                if ws is not None:
                    ws.close()
            if self.state == "open":
                welcomed, attempts = True, 0
            if self.state == "quiet":
                break
            self.state = "waiting"
            limit = self.max_reconnect if welcomed else self.max_initial
            if attempts >= limit:
                self.state = "quiet"
                break
            delay = min(5.0, 0.1 * 2 ** min(attempts - 1, 6)) * (0.75 + random.random() * 0.5)
            time.sleep(delay)
        with self._lock:
            self._buffer.clear()
        self._idle.set()

    def _serve(self, ws):
        """Reads and writes until the connection ends (raises) or the probe goes quiet (None)."""
        ws.sock.settimeout(3.0)
        while self.state != "quiet":
            if self.state == "open":
                self._write_pending(ws)
            if not ws.buffered():
                r, _, _ = select.select([ws.sock, self._wake_r], [], [], 1.0)
                if self._wake_r in r:
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except OSError:
                        pass
                if ws.sock not in r:
                    continue
            text = ws.recv_message()
            try:
                msg = json.loads(text)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            if msg.get("type") == "welcome":
                self.state = "open"
                with self._lock:
                    dropped, self._dropped = self._dropped, 0
                if dropped:
                    ws.send_text(json.dumps({"type": "dropped", "pid": os.getpid(), "count": dropped}))
            try:
                self.on_message(msg)
            except Exception:
                pass
        return None

    def _write_pending(self, ws):
        while True:
            with self._lock:
                if not self._buffer:
                    self._idle.set()
                    return
                msg = self._buffer.popleft()
            try:
                text = json.dumps(msg, separators=(",", ":"))
            except (TypeError, ValueError):
                text = None
            if text is None or len(text) > MAX_FRAME_BYTES or len(text.encode("utf-8")) > MAX_FRAME_BYTES:
                with self._lock:
                    self._dropped += 1
                continue
            ws.send_text(text)
