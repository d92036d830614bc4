"""The probe's process-wide state: the loops it watches, its watchdog, and who hears of stalls (the
host session from STALLSCOPE_OPTIONS, and in-process watch() calls). Created lazily, reset in a
forked child (each worker process reports with its own pid).
"""
import os
import sys
import threading
import time

from . import _frames, _gcwatch, _handlers, _listening, _loops, _sampling, _threads
from ._heartbeat import LoopMonitor
from ._watchdog import Watchdog

_mono = time.monotonic
CO_COROUTINE = 0x80


class Core:
    def __init__(self, options=None, started_at_ms=None):
        self.options = options
        self.started_at_ms = started_at_ms if started_at_ms is not None else time.time() * 1000
        self.watches = []
        self.session = None
        self._reset()

    def _reset(self):
        if self.board is not None:
            self.board.detach_all()
        self.pid = os.getpid()
        self.offset = time.time() - _mono()
        self.monitors = {}
        self.stopped = False
        self.watchdog = None
        self.session = None
        self.gilfree = None  # faulthandler's timer and the file it dumps to, with a host session
        self.lag_interval = (self.options.lag_interval_ms if self.options else 100.0) / 1000
        self.recompute_threshold()

    # ------------------------------------------------------------ settings
    def recompute_threshold(self):
        ts = [w.threshold_ms for w in self.watches]
        if self.session is not None:
            ts.append(self.session.threshold_ms)
        elif self.options is not None and self.options.url:
            ts.append(self.options.threshold_ms)
        self.threshold_ms = min(ts) if ts else 50.0
        self._describe()

    def refresh_routes(self):
        """The user's routes as the host labels a hang with them (once the server listens, its app
        is imported; routes added later are found at a later scan)."""
        board = self.board
        if board is None:
            return
        routes = _handlers.user_routes(_frames.is_user_file)
        if routes != board.routes:
            board.routes = routes
            self._describe()

    def _describe(self):
        if self.board is not None:
            try:
                self.board.describe(self)
            except Exception:
                pass

    @property
    def board(self):
        """The head of faulthandler's file, which the host reads while this process cannot speak."""
        gilfree = getattr(self, "gilfree", None)
        return gilfree.board if gilfree is not None else None

    def epoch(self, mono):
        return (mono + self.offset) * 1000

    thread_ref = staticmethod(_threads.thread_ref)

    # ------------------------------------------------------------ loops
    def on_loop(self, loop, caller):
        ident = threading.get_ident()
        if loop is None:
            m = self.monitors.pop(ident, None)
            if m is not None:
                now = _mono()
                if not m.parked and (now - m.last) * 1000 >= self.threshold_ms:
                    m._gap_ended(now, now - m.last, max(0.0, now - m.due))
                self._stop(m)
                self._describe()
                self._thread_state(m, "exit")
            return
        m = self.monitors.get(ident)
        if m is not None:
            if m.loop is loop:
                return
            self._stop(m)
        # The probe's own start-up (threads, imports) comes first: it is not the program's stall.
        self._ensure_started()
        m = LoopMonitor(loop, self)
        m.entry_code = caller.f_code if caller is not None else None
        self.monitors[ident] = m
        if self.board is not None:
            self.board.attach(m)
            self._describe()
        if self.session is not None:
            self.session.loop_started(_mono())
        self._thread_state(m, "online")
        self.watchdog.wake.set()

    def _stop(self, monitor):
        monitor.stop()
        if self.board is not None:
            self.board.detach(monitor)

    def adopt_running_loop(self):
        """Watches the loop running in this thread (watch() called from a coroutine)."""
        loop = _loops.running_loop()
        if loop is None or threading.get_ident() in self.monitors:
            return
        caller, frame = None, sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_flags & CO_COROUTINE:
                caller = frame.f_back
            frame = frame.f_back
        self.on_loop(loop, caller)

    def _thread_state(self, monitor, state):
        """A loop in a thread other than the main one: its own lane on the host's timeline."""
        if self.session is not None and monitor.thread["id"] != 0:
            self.session.send({"type": "thread", "pid": self.pid, "thread": monitor.thread, "state": state})

    def _ensure_started(self):
        with _lock:
            self._start_once()

    def _start_once(self):
        if self.watchdog is None:
            self.watchdog = Watchdog(self)
            _threads.start_daemon(self.watchdog.run, "stallscope-watchdog", "stallscope")
        if self.session is None and self.options is not None and self.options.url and self.options.enabled:
            from ._gilfree import GilFreeDump
            from ._session import Session

            try:
                self.gilfree = GilFreeDump()
            except Exception:
                self.gilfree = None
            self.session = Session(self, self.options, self.started_at_ms)
            if self.options.gc == "always":
                _gcwatch.enable()

    # ------------------------------------------------------------ from the heartbeat (loop thread)
    def gap_ended(self, monitor, now, blocked, lateness, since):
        wd = self.watchdog
        stalled = blocked * 1000 >= self.threshold_ms
        if wd is not None and (stalled or monitor.stall is not None):
            others = None
            st = monitor.stall
            if stalled and (st is None or all(x.idle for x in st.samples)):
                # No look saw this thread run anything: it may have waited for the GIL, and the
                # watchdog may not get it before the thread that held it has moved on.
                try:
                    others = _sampling.others_at_end(monitor.ident)
                except Exception:
                    others = None
            # The loop's thread's own CPU as the gap ended: what it did since a look before.
            cpu = time.thread_time() if stalled else None
            wd.ended.append((monitor, now, blocked, lateness, since, others, cpu))
            wd.wake.set()

    def lag_sample(self, sample):
        if self.session is not None:
            self.session.lag.append(sample)

    # ------------------------------------------------------------ from the watchdog
    def stall(self, stall, force=False):
        ongoing = stall.get("ongoing", False)
        s = self.session
        if s is not None and (force or ongoing or stall["durationMs"] >= s.threshold_ms):
            s.send({"type": "stall", "stall": stall})
        if not ongoing:
            for w in list(self.watches):
                if stall["durationMs"] >= w.threshold_ms:
                    w._add(stall)

    def pause(self, pause_id, monitor, start_ms, end_ms):
        if self.session is not None:
            self.session.send({
                "type": "pause",
                "pause": {"id": pause_id, "pid": self.pid, "threadId": monitor.thread["id"], "startMs": round(start_ms, 2),
                          "endMs": round(end_ms, 2) if end_ms is not None else None, "reason": "debugger"},
            })

    def periodic(self, now):
        if self.session is not None:
            self.session.periodic(now)
            return self.session.next_due(now)
        return now + 1.0

    # ------------------------------------------------------------ lifecycle
    def before_fork(self):
        # faulthandler's timer thread does not survive a fork: the child must not find it armed.
        wd = self.watchdog
        if wd is not None and wd.gilfree is not None:
            try:
                wd.gilfree.cancel()
            except Exception:
                pass

    def after_fork(self):
        _threads.after_fork()
        _listening.forget()
        self._reset()

    def at_exit(self):
        for ident, m in list(self.monitors.items()):
            now = _mono()
            if (now - m.last) * 1000 >= self.threshold_ms and m.running and not m.parked:
                m._gap_ended(now, now - m.last, max(0.0, now - m.due))
        wd = self.watchdog
        if wd is not None:
            wd.wake.set()
            deadline = _mono() + 0.5
            while wd.ended and _mono() < deadline:
                time.sleep(0.005)
        if self.session is not None:
            self.session.close(1.0)


_core = None
_lock = threading.RLock()


def get(options=None, started_at_ms=None):
    global _core
    with _lock:
        if _core is None:
            _core = Core(options, started_at_ms)
            _loops.add_listener(_core.on_loop)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(before=_core.before_fork, after_in_child=_core.after_fork)
            import atexit

            atexit.register(_safe_exit)
        return _core


def _safe_exit():
    try:
        if _core is not None:
            _core.at_exit()
    except Exception:
        pass
