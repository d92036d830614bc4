"""Garbage-collection pauses, to tell a stall that the collector caused.

A gc.callbacks entry runs at every collection, young ones included, so it is only registered when
asked for (`gc: "always"`) or from the first stall that a look could not explain.
"""
import collections
import gc
import threading
import time

_mono = time.monotonic
_log = collections.deque(maxlen=64)  # (thread ident, start, end)
_started = {}
_on = False


def _callback(phase, info):
    ident = threading.get_ident()
    if phase == "start":
        _started[ident] = _mono()
    else:
        t0 = _started.pop(ident, None)
        if t0 is not None:
            t1 = _mono()
            if t1 - t0 > 0.001:
                _log.append((ident, t0, t1))


def enable():
    global _on
    if not _on:
        _on = True
        gc.callbacks.append(_callback)


enable_on_demand = enable


def overlap(ident, start, end):
    """Seconds of collection on thread `ident` within [start, end]."""
    total = 0.0
    for t, a, b in list(_log):
        if t == ident and b > start and a < end:
            total += min(b, end) - max(a, start)
    return total
