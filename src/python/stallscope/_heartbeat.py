"""One running loop's heartbeat: a `call_later` tick whose lateness is the loop's lag.

Exact duration. A tick that runs late says the loop was blocked, but not since when: the blocking
callback may have started anywhere in the interval before the tick was due, so `lateness` alone
under-states a stall by up to one period (the prototype's 4-8 ms). With the pure-Python loop the
selector's `select` is wrapped to add up the time the loop sat idle in it, so a gap's blocked time
is the gap minus that idle time, as the Node probe does with libuv's idle time. A loop that holds
still in `select` only because another thread holds the GIL counts as idle there, so the blocked
time is never less than the lateness. uvloop's C loop shows no idle time: there the start is taken
as half a period before the tick was due (the expected value) and the period is shorter.

Everything here runs on the loop's thread, once per tick: a clock read, a compare, a list append.
The pure-Python loop's heartbeat parks while the loop sits idle in select (a tick that finds the
whole period idle arms no next one), so an idle server pays nothing. A socket waking it re-arms the
tick. A timer waking it (uvicorn's own tick every 100 ms, a keep-alive timeout) starts a turn that
the next select call times instead: a short one that leaves nothing to run goes back to sleep
parked, and only a busy one re-arms the tick. (Re-arming at every return made each of those
wake-ups two: the tick's own, a period later, to find the loop idle again.)
"""
import collections
import threading
import time

from . import _baseline, _options, _pool, _threads

_mono = time.monotonic
# s a turn after idle may run and still go back to sleep parked: a timer's tick, not a request's work.
TURN_BUSY = 0.001


class LoopMonitor:
    def __init__(self, loop, core):
        self.loop = loop
        self.core = core
        self.ident = threading.get_ident()
        self.thread = _threads.thread_ref(self.ident)
        self.native_id = getattr(threading, "get_native_id", lambda: None)()
        self.runq = _baseline.RunQueue(self.native_id)
        self.bases = collections.deque(maxlen=3)  # watchdog-owned: what threads had used before
        self.slept = None  # watchdog-owned: (when it went to sleep, this thread's run-queue time then)
        self.idle = 0.0
        self.exact = self._wrap_selector()
        self.period = _options.heartbeat_for(core.threshold_ms, self.exact)
        self.entry_code = None  # code of the frame that started the loop (its "own poll" for uvloop)
        self.poll_codes = set()
        self.stall = None  # the stall the watchdog sees open (watchdog-owned)
        self.early = None  # (tick, look): the watchdog's early look at a long turn (watchdog-owned)
        self.gilfree = None  # (when, stack) faulthandler dumped of this thread (watchdog-owned)
        self.running = True
        self.parked = False  # no tick armed: the loop sat idle in select (pure-Python loop only)
        self.unparked_at = 0.0  # when select last returned to the parked loop
        self.pool = _pool.PoolWatch()
        # Store the last tick / the parked flag where the host reads them while this process cannot
        # speak (see _hangfile); None without a host session.
        self.mark_last = self.mark_parked = None
        now = _mono()
        self.last = now
        self.last_idle = 0.0
        self.win_start, self.win_idle, self.win_cpu, self.win_lags = now, 0.0, time.thread_time(), []
        self._arm(now)

    def _wrap_selector(self):
        sel = getattr(self.loop, "_selector", None)
        select = getattr(sel, "select", None)
        if select is None or getattr(select, "_stallscope", False):
            return False
        mono = _mono

        def timed_select(timeout=None):
            t0 = mono()
            if self.handle is None and not self.parked and self.running:
                try:
                    timeout = self._turn_ended(t0, timeout)
                except Exception:
                    pass  # (never into the loop's own select)
            events = None
            try:
                events = select(timeout)
                return events
            finally:
                t1 = mono()
                self.idle += t1 - t0
                if self.parked:
                    self._unpark(t1, t0 + timeout if timeout is not None and timeout >= 0 else None, bool(events))

        timed_select._stallscope = True
        try:
            sel.select = timed_select
        except Exception:
            return False
        self._unwrap = lambda: sel.__dict__.pop("select", None)
        return True

    def stop(self):
        if self.running and self.win_lags and threading.get_ident() == self.ident:
            self._close_window(_mono())
        self.running = False
        if self.handle is not None:
            try:
                self.handle.cancel()
            except Exception:
                pass
        self.runq.close()
        unwrap = getattr(self, "_unwrap", None)
        if unwrap:
            try:
                unwrap()
            except Exception:
                pass

    def _tick(self):
        self.handle = None
        now = _mono()
        gap = now - self.last
        lateness = now - self.due
        if lateness < 0:
            lateness = 0.0
        idle_before = self.last_idle
        self.win_lags.append(lateness)
        self.pool.note(now)
        self._beat(now, gap, lateness)
        if not self.running:
            return
        if self.exact and self.stall is None and self.idle - idle_before >= 0.9 * gap:
            # Idle in select all along: no tick until select returns (see _unpark), so an idle loop
            # costs nothing; the watchdog leaves a parked loop alone.
            self.parked = True
            if self.mark_parked is not None:
                self.mark_parked(1.0)
            return
        self._arm(now)

    def _arm(self, now):
        """The next tick, a period from now."""
        self.due = now + self.period
        self.handle = self.loop.call_later(self.period, self._tick)

    def _beat(self, now, gap, lateness):
        """A turn ended at `now`, `gap` after the last beat: a gap over the threshold (or one the
        watchdog opened a stall for) is told, and the lag window closes when it is due."""
        if gap * 1000 >= self.core.threshold_ms or self.stall is not None:
            self._gap_ended(now, gap, lateness)
        self.last, self.last_idle = now, self.idle
        if self.mark_last is not None:
            self.mark_last(now)
        if now - self.win_start >= self.core.lag_interval:
            self._close_window(now)

    def _unpark(self, now, due, io):
        """select returned to a parked loop: the gap starts now (it was idle until now), unless it
        returned a stall's length after its timeout (`due`): then a timer it had due waited that
        long, while another thread held the GIL (told like any stall no look caught).

        `io`: woken by a socket or another thread (a request, a threadpool job done): the tick
        resumes at once. A request's turn may hand work to a thread and sleep again, and only a
        tick due meanwhile sees that thread keep the GIL from the loop. A timer's turn is followed
        by select instead (_turn_ended)."""
        if due is not None and (now - due) * 1000 >= self.core.threshold_ms:
            self.core.gap_ended(self, now, now - due, now - due, due)
        self.last, self.last_idle = now, self.idle
        if self.mark_last is not None:
            self.mark_last(now)
        self.unparked_at = now
        if io:
            try:
                self._arm(now)
            except Exception:
                return
        else:
            self.due = now + self.period  # where a tick would be due: the turn's lateness counts from it
        self.parked = False  # after `last`: the watchdog never sees a running loop with a stale beat
        if self.mark_parked is not None:
            self.mark_parked(0.0)  # (so is the host)
        # The watchdog leaves a parked loop alone: told now, it takes its early look at this turn
        # in time, should the turn block.
        wd = self.core.watchdog
        if wd is not None:
            wd.poke(now)

    def _turn_ended(self, now, timeout):
        """A turn since select's return ended (the loop calls select again): a beat. While the loop
        has been awake less than TURN_BUSY, a turn that left callbacks ready is followed as well (a
        timer's turn resolves a future, the next one runs the task it wakes), and one that left
        nothing parks again; past that the tick resumes, which this select must not sleep past (its
        timeout was worked out before the tick existed). Returns the timeout."""
        self._beat(now, now - self.last, max(0.0, now - self.due))
        if now - self.unparked_at < TURN_BUSY and self.stall is None:
            if timeout != 0:
                self.parked = True
                if self.mark_parked is not None:
                    self.mark_parked(1.0)
            return timeout
        try:
            self._arm(now)
        except Exception:
            return timeout
        return self.period if timeout is None or timeout > self.period else timeout

    def _gap_ended(self, now, gap, lateness):
        if self.exact:
            blocked = max(gap - (self.idle - self.last_idle), lateness)
        else:
            blocked = min(gap, lateness + self.period / 2)
        self.core.gap_ended(self, now, blocked, lateness, self.last)

    def _close_window(self, now):
        lags = sorted(self.win_lags) or [0.0]  # (a window of short turns after idle has no tick)
        n = len(lags)
        interval = now - self.win_start
        if self.exact:
            busy = interval - (self.idle - self.win_idle)
        else:
            busy = time.thread_time() - self.win_cpu
        sample = {
            "pid": self.core.pid,
            "threadId": self.thread["id"],
            "atMs": round(self.core.epoch(now), 2),
            "intervalMs": round(interval * 1000, 2),
            "p50Ms": round(lags[n // 2] * 1000, 2),
            "p99Ms": round(lags[min(n - 1, int(n * 0.99))] * 1000, 2),
            "maxMs": round(lags[-1] * 1000, 2),
            "elu": round(min(1.0, max(0.0, busy / interval)), 3) if interval > 0 else 0.0,
        }
        pool = self.pool.take()
        if pool is not None:
            sample["pool"] = pool
        self.core.lag_sample(sample)
        self.win_start, self.win_idle, self.win_lags = now, self.idle, []
        if not self.exact:
            self.win_cpu = time.thread_time()


def _flush_gap(self):
    """Ends the current gap now if it is a stall (called on the loop's thread, e.g. by Watch.stop
    right after blocking code, before the loop could tick again)."""
    if threading.get_ident() != self.ident or not self.running or self.parked:
        return
    now = _mono()
    gap = now - self.last
    if gap * 1000 >= self.core.threshold_ms:
        self._gap_ended(now, gap, max(0.0, now - self.due))
        self.last, self.last_idle = now, self.idle
        if self.mark_last is not None:
            self.mark_last(now)


LoopMonitor.flush_gap = _flush_gap
