"""What each thread had used before a stall began (CPU, and the loop thread's time waiting for a
core), refreshed at each watchdog wake, so that a stall no look caught can still be told: the OS did
not run the loop (a busy machine: no stall of the program's), or another thread held the GIL.
"""
import os
import threading
import time

from . import _threads


def thread_cpu(ident):
    """CPU seconds a thread has used (None where the clock is not available)."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except Exception:
        return None


def _gil_keeping_pread():
    """pread(fd, n) -> bytes that keeps the GIL (ctypes.PyDLL), else os.pread. A read of /proc never
    blocks, and os.pread lets the GIL go: a loop's thread running Python then takes it back for a
    whole switch interval, so every such read would cost the watchdog 5 ms during a stall."""
    try:
        import ctypes

        libc = ctypes.PyDLL(None, use_errno=True)
        pread = libc.pread
        pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_longlong]
        pread.restype = ctypes.c_ssize_t
        buf = ctypes.create_string_buffer(128)
    except Exception:
        return os.pread

    def read(fd, n):
        got = pread(fd, buf, min(n, 128), 0)
        if got < 0:
            raise OSError(ctypes.get_errno(), "pread")
        return buf.raw[:got]

    return read


_pread = None


class RunQueue:
    """Seconds a thread spent runnable but not running (Linux schedstat), None where unknown."""

    def __init__(self, native_id=None):
        global _pread
        self.fd = None
        path = "/proc/thread-self/schedstat" if native_id is None else "/proc/self/task/%d/schedstat" % native_id
        try:
            self.fd = os.open(path, os.O_RDONLY)
        except OSError:
            self.fd = None
        if self.fd is not None and _pread is None:
            _pread = _gil_keeping_pread()

    def read(self):
        if self.fd is None:
            return None
        try:
            return int(_pread(self.fd, 128).split()[1]) / 1e9
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
        self.cpu = {}
        self.where = {}

    def update(self, others, describe):
        for ident, c in others.items():
            if c - self.cpu.get(ident, c) >= 0.001:
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


def explain(monitor, base, start, end, blocked):
    """For a stall no look caught: 'os' (the loop's thread waited for a core), ('gil', ident) (another
    thread used the CPU while the loop's thread did not), or None (nothing to say)."""
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
    for ident, c0 in base.others.items():
        c1 = thread_cpu(ident)
        if c1 is not None:
            deltas[ident] = c1 - c0
    total = sum(deltas.values())
    if deltas and total >= 0.1 * window and cpu - base.loop_cpu <= 0.5 * total:
        busiest = max(deltas, key=deltas.get)
        if deltas[busiest] >= 0.05 * window:
            return ("gil", busiest)
    return None
