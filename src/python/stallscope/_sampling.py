"""One look at a blocked loop's thread (and, when it sits in its own poll, at the others).

Runs on the watchdog's thread holding the GIL: the loop's thread is paused meanwhile, so a look
keeps to what a stall needs and converts frames to plain data at once (no frame is kept alive).
"""
import sys
import time

from . import _causes, _frames, _handlers, _threads
from ._baseline import thread_cpu as _thread_cpu



class Sample:
    __slots__ = ("t", "late", "idle", "key", "frames", "culprit", "api", "scope", "paused", "others", "task", "cpu", "ran_without_gil", "in_call", "os_wait")

    def __init__(self):
        self.others = None
        self.scope = None
        self.api = None
        self.task = None
        self.ran_without_gil = None  # True, False, or None where this look did not tell
        self.os_wait = 0.0  # s the loop's thread waited for a core while this look waited for the GIL


def _in_own_poll(chain, entry_code):
    """The loop's thread is waiting in its poll, not running a callback."""
    for f in chain:
        code = f.f_code
        name = code.co_filename
        if code is entry_code:
            return True
        if _frames.is_probe_file(name) or name.endswith(_frames.SELECTORS_FILE):
            continue
        if name.endswith(_frames.BASE_EVENTS_FILE):
            if code.co_name == "_run_once":
                continue
            return code.co_name == "run_forever"
        return False
    return False


def _debugger_paused(chain):
    for f in chain:
        if f.f_code.co_name in ("do_wait_suspend", "_do_wait_suspend") and "pydevd" in f.f_code.co_filename:
            return True
    return False


def _busy_user_thread(chain):
    """The innermost user frame of a thread that may be holding the GIL, else None."""
    if not chain:
        return None
    top = chain[0].f_code
    if _frames.is_wait(top.co_filename, top.co_name):
        return None
    for i, f in enumerate(chain):
        if _frames.is_user_file(f.f_code.co_filename):
            return i
    return None


def take(monitor, late, now, probe_gil=False):
    # Where the loop's thread is, read first: after a C call that kept the GIL from this thread, it
    # waits on the instruction after that call until this thread lets go. Anything before this read
    # that took a switch interval (the probe of the CPU below takes most of one) would let it ask for
    # the GIL back, finish its callback, and be found in its poll.
    all_frames = sys._current_frames()
    top = all_frames.get(monitor.ident)
    chain = _frames.chain(top)
    where = [_frames.position(f) for f in chain]
    late_cpu = _ran_while_held(monitor) if probe_gil else None
    s = Sample()
    s.t, s.late = now, late
    s.paused = _debugger_paused(chain)
    s.idle = not s.paused and _in_own_poll(chain, monitor.entry_code)
    s.key = (id(top.f_code), where[0][0]) if top is not None else None
    s.in_call = top is not None and _causes.in_call(top.f_code, where[0][0])
    s.cpu = _thread_cpu(monitor.ident)
    s.ran_without_gil = late_cpu
    # Every other thread that runs the user's code: one of them may hold the GIL the loop waits for.
    s.others = _others(all_frames, monitor.ident)
    if s.idle:
        s.frames, s.culprit = [], None
        return s
    s.frames, s.culprit, at, seen = _frames.describe(chain, where)
    if at >= 0:
        s.api = _api(chain[at], seen)
    try:
        s.scope = _handlers.request_in(chain)
        if s.scope is None:
            s.task = _task_label(chain) or _handlers.task_handler(monitor.loop)
    except Exception:
        s.scope = None
    return s


def _others(all_frames, loop_ident):
    """{ident: what a look records of it} for the threads other than the loop's (and the probe's)
    that run the user's code."""
    out = {}
    for ident, f in all_frames.items():
        if ident == loop_ident or _threads.is_own(ident):
            continue
        other = _frames.chain(f)
        if _busy_user_thread(other) is None:
            continue
        seen = _other_seen(ident, other, _thread_cpu(ident))
        if seen is not None:
            out[ident] = seen
    return out


def _other_seen(ident, chain, cpu):
    """What a look records of a thread other than the loop's: (ident, frames, culprit, the code
    objects on its stack, the call on the culprit's line, its CPU seconds or None), or None if it
    runs no code of the user's."""
    frames, culprit, at, seen = _frames.describe(chain)
    if culprit is None:
        return None
    return (ident, frames, culprit, {x.f_code for x in chain}, _api(chain[at], seen), cpu)


def others_at_end(loop_ident):
    """The look the loop's own thread takes at the others as a stall ends: the thread that starved
    it of the GIL has just been made to let go of it, and is still where it was."""
    return _others(sys._current_frames(), loop_ident)


def _api(frame, seen):
    """The call on the culprit's line, where the look saw it (not where the thread is by now)."""
    lasti, line = seen
    return _causes.call_name(frame.f_code, lasti, line)


_CO_COROUTINE = 0x80


def _task_label(chain):
    """The outermost coroutine of the user's on the blocked stack: what the task is, in their words."""
    label = None
    for f in chain:
        code = f.f_code
        if code.co_flags & _CO_COROUTINE and _frames.is_user_file(code.co_filename):
            label = getattr(code, "co_qualname", code.co_name)
    return {"kind": "task", "label": label[:200]} if label else None


_HOLD = 0.003  # s: under the 5 ms switch interval, after which the loop's thread would ask for the GIL


def _ran_while_held(monitor):
    """Whether the loop's thread used CPU while this thread held the GIL: then it was in C code that
    had let go of the GIL (hashlib, zlib), not in Python code, which can only wait for the GIL
    meanwhile. On a busy machine the thread may not get a core in the window: no answer (None) then.
    Now and then a thread waiting for the GIL is charged CPU for the whole window without running
    any Python (seen outside the probe too), so one answer is a vote, not a verdict."""
    c0 = _thread_cpu(monitor.ident)
    if c0 is None:
        return None
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < _HOLD:
        pass
    # (Nothing in this window may let the GIL go, not even to read a file.)
    c1 = _thread_cpu(monitor.ident)
    if c1 is None or time.perf_counter() - t0 > 1.5 * _HOLD:
        return None  # this thread was descheduled, or gave the GIL up meanwhile
    return c1 - c0 >= _HOLD / 8


def look_at_thread(ident):
    """A look, after the stall, at the thread that starved the loop of the GIL (told by the CPU each
    used): what a look records of another thread, or None if it runs no code of the user's now."""
    return _other_seen(ident, _frames.chain(sys._current_frames().get(ident)), None)
