"""The probe's side of one host session: hello, the messages the host reads, and what the host
asks back (`configure`). Lag samples are sent in batches; listening sockets once found.
"""
import collections
import os
import platform
import sys

from . import _listening
from ._transport import Transport

PROTOCOL_VERSION = 2
MAX_LAG_BATCH = 1000
_LAG_FLUSH = 0.5  # s
# A server listens once its start-up is done (uvicorn: after importing the app): look often at first,
# then seldom (each look reads the network namespace's socket table).
_SCAN_DELAYS = (0.05, 0.1, 0.2, 0.3) + (0.5,) * 60
# s between looks once a server was found: another one (an admin port) is rarer, and each look is
# most of an idle server's cost to the probe while looks come every half second.
_SCAN_FOUND = 2.0
_SCAN_LATER = 10.0


def _argv():
    argv = getattr(sys, "orig_argv", None)
    if not argv:
        argv = [sys.executable] + list(sys.argv)
    return [str(a)[:1024] for a in argv[:256]]


class Session:
    def __init__(self, core, options, started_at_ms):
        self.core = core
        self.options = options
        self.threshold_ms = options.threshold_ms
        self.started_at_ms = started_at_ms
        self.lag = collections.deque(maxlen=20000)
        self.lag_flushed = 0.0
        self.servers = set()
        self.scan_at, self.scans = None, 0
        self.transport = Transport(options.url, self.hello, self.on_message)

    def hello(self):
        msg = {
            "type": "hello",
            "protocolVersion": PROTOCOL_VERSION,
            "token": self.options.token,
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "argv": _argv(),
            "cwd": os.getcwd(),
            "runtime": {"name": "python", "version": platform.python_version()},
            "mode": "full" if self.options.stacks else "lag-only",
            "startedAtMs": round(self.started_at_ms, 2),
        }
        if self.options.session_id:
            msg["sessionId"] = self.options.session_id
        gilfree = self.core.gilfree
        path = gilfree.path() if gilfree is not None else None
        if path:
            msg["hangFile"] = path
        return msg

    def on_message(self, msg):
        if msg.get("type") == "configure":
            t = msg.get("thresholdMs")
            if isinstance(t, (int, float)) and 10 <= t <= 60_000:
                self.threshold_ms = float(t)
                self.core.recompute_threshold()

    def send(self, msg):
        self.transport.send(msg)

    def loop_started(self, now):
        if self.scan_at is None:
            self.scan_at = now + _SCAN_DELAYS[0]

    def periodic(self, now):
        if self.lag and now - self.lag_flushed >= _LAG_FLUSH:
            self.lag_flushed = now
            batch = []
            while self.lag and len(batch) < MAX_LAG_BATCH:
                batch.append(self.lag.popleft())
            self.send({"type": "lag", "samples": batch})
        if self.scan_at is not None and now >= self.scan_at:
            self.scans += 1
            self._scan()
            delay = _SCAN_DELAYS[self.scans] if self.scans < len(_SCAN_DELAYS) else _SCAN_LATER
            self.scan_at = now + (max(delay, _SCAN_FOUND) if self.servers else delay)

    def next_due(self, now):
        t = self.scan_at if self.scan_at is not None else now + 1.0
        if self.lag:
            t = min(t, self.lag_flushed + _LAG_FLUSH)
        return t

    def _scan(self):
        try:
            # Until a port is found, each scan reads the tables: the schedule thins out, so this is bounded.
            found = _listening.listening(force=not self.servers)
        except Exception:
            return
        if found or self.servers:
            try:
                self.core.refresh_routes()
            except Exception:
                pass
        for address, port in found or ():
            if (address, port) in self.servers:
                continue
            self.servers.add((address, port))
            self.send({"type": "listening", "server": {"pid": os.getpid(), "protocol": "http", "address": address, "port": port}})

    def close(self, timeout):
        if self.lag:
            self.lag_flushed = 0.0
            self.periodic(self.lag_flushed + _LAG_FLUSH)
        self.transport.flush(timeout)
