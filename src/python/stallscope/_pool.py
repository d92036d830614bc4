"""The occupancy of anyio's default thread limiter, the pool that FastAPI's `def` endpoints and sync
dependencies borrow a token from (40 by default): busy tokens, requests waiting for one, and how long
they waited, per lag interval. Read on the loop's thread at each tick, only once anyio made the
limiter (the probe never creates it).
"""
import sys


class PoolWatch:
    def __init__(self):
        self._limiter = None
        self._looked = 0
        self.busy_max = 0
        self.waiting_max = 0
        self.wait_since = None
        self.waited_max = 0.0
        self.capacity = 0

    def _find(self, now):
        if now - self._looked < 1.0:
            return None
        self._looked = now
        mod = sys.modules.get("anyio._backends._asyncio")
        var = getattr(mod, "_default_thread_limiter", None)
        if var is None:
            return None
        try:
            self._limiter = var.get(None)
        except Exception:
            self._limiter = None
        return self._limiter

    def note(self, now):
        lim = self._limiter or self._find(now)
        if lim is None:
            return
        try:
            busy = lim.borrowed_tokens
            waiting = len(lim._wait_queue) if hasattr(lim, "_wait_queue") else lim.statistics().tasks_waiting
            total = lim.total_tokens
            self.capacity = int(total) if total != float("inf") else 0
        except Exception:
            self._limiter = None
            return
        if busy > self.busy_max:
            self.busy_max = busy
        if waiting > self.waiting_max:
            self.waiting_max = waiting
        if waiting:
            if self.wait_since is None:
                self.wait_since = now
            self.waited_max = max(self.waited_max, now - self.wait_since)
        else:
            self.wait_since = None

    def take(self):
        if self._limiter is None:
            return None
        out = {
            "name": "anyio default thread limiter",
            "capacity": self.capacity,
            "busyMax": self.busy_max,
            "waitingMax": self.waiting_max,
            "waitedMaxMs": round(self.waited_max * 1000, 2),
        }
        self.busy_max = self.waiting_max = 0
        self.waited_max = 0.0
        return out
