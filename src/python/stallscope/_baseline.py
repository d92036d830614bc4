"""What each thread had used before a stall began (CPU, and the loop thread's time waiting for a
core), refreshed at each watchdog wake, so that a stall no look caught can still be told: the OS did
not run the loop (a busy machine: no stall of the program's), or another thread held the GIL.
"""
import os
import threading
import time

from . import _gilio, _threads


def thread_cpu(ident):
    """CPU seconds a thread has used (None where the clock is not available)."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except Exception:
        return None


class RunQueue:
    """Seconds a thread spent runnable but not running (Linux schedstat), None where unknown."""

    def __init__(self, native_id=None):
        self.fd = None
        path = "/proc/thread-self/schedstat" if native_id is None else "/proc/self/task/%d/schedstat" % native_id
        try:
            self.fd = os.open(path, os.O_RDONLY)
        except OSError:
            self.fd = None

    def read(self):
        if self.fd is None:
            return None
        try:
            return int(_gilio.pread(self.fd, 128).split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            self.close()
            return None

    def close(self):
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None


class Baseline:
    __slots__ = ("t", "loop_cpu", "loop_queued", "others")

    def __init__(self, monitor, others):
        self.t = time.monotonic()
        self.loop_cpu = thread_cpu(monitor.ident)
        self.loop_queued = monitor.runq.read()
        self.others = others


class BusyThreads:
    """Where the threads that used CPU since the last wake were (the tuple a look records of
    another thread): so a stall no look caught can still name the line of the thread that starved
    the loop of the GIL, even once that thread has moved on. Only busy threads are looked at."""

    def __init__(self):
        self.cpu = None
        self.where = {}
        self.running = False  # some thread of the program's used CPU since the last wake

    def update(self, others, describe):
        self.running = False
        # A thread started since the last wake (a threadpool's first worker) used all its CPU since.
        before = self.cpu if self.cpu is not None else others
        for ident, c in others.items():
            if c - before.get(ident, 0.0) >= 0.001:
                self.running = True
                seen = describe(ident)
                if seen is not None:
                    self.where[ident] = seen
        for ident in list(self.where):
            if ident not in others:
                del self.where[ident]
        self.cpu = others


def others_cpu(skip):
    """{ident: CPU seconds} of the program's threads other than `skip` and the probe's."""
    out = {}
    for ident in list(threading._active):
        if ident in skip or _threads.is_own(ident):
            continue
        c = thread_cpu(ident)
        if c is not None:
            out[ident] = c
    return out


def explain(monitor, base, start, end, blocked, loops):
    """For a stall no look caught: 'os' (the loop's thread waited for a core), ('gil', ident) (another
    thread used the CPU while the loop's thread did not), or None (nothing to say). `loops`: the
    idents of the monitored loops' threads, which are no suspects."""
    if base is None or base.t > start:
        return None
    cpu = thread_cpu(monitor.ident)
    if cpu is None or base.loop_cpu is None:
        return None
    queued = monitor.runq.read()
    # Waiting for a core most of the time and running nothing meanwhile. (Code that blocks on a busy
    # machine waits for a core too, but it runs in between.)
    if queued is not None and base.loop_queued is not None and queued - base.loop_queued >= 0.5 * blocked and cpu - base.loop_cpu < 0.1 * blocked:
        return "os"
    window = end - base.t
    deltas = {}
    for ident, c1 in others_cpu(set(loops) | {monitor.ident}).items():
        # A thread started since the baseline (a threadpool's first worker) used all its CPU since.
        deltas[ident] = c1 - base.others.get(ident, 0.0)
    total = sum(deltas.values())
    if deltas and total >= 0.1 * window and cpu - base.loop_cpu <= 0.5 * total:
        busiest = max(deltas, key=deltas.get)
        if deltas[busiest] >= 0.05 * window:
            return ("gil", busiest)
    return None
