"""The watchdog: one daemon thread per process that notices a loop whose heartbeat is late, looks at
it while it is still blocked, and tells the stall when the heartbeat comes back.

It does not poll: it sleeps until the earliest moment a loop could be `threshold` late (the last
tick + one period + the threshold), and while a stall is open, until its next look.
"""
import collections
import threading
import time

from . import _baseline, _causes, _frames, _gcwatch, _gilfree, _handlers, _sampling

_mono = time.monotonic
MAX_SAMPLES = 20
SAMPLE_EVERY = 0.02  # s between looks at an open stall
# s before the threshold that a turn still running gets an early look: a block just over the
# threshold has often ended by the time the stall can be told (a period later), taking its line with
# it. The lead covers the wait for the GIL (a switch interval) and the look itself.
EARLY_LEAD = 0.015
# s the session's own chores (lag batches, port scans) may wait for a loop in a long turn: their file
# and socket calls let the GIL go, and each time a loop running Python keeps it a switch interval,
# enough to make this thread miss its look at the turn.
CHORES_WAIT_MAX = 1.0


class OpenStall:
    def __init__(self, monitor, seq, now, last):
        self.monitor = monitor
        self.id = "%d.%d.%d" % (monitor.core.pid, monitor.thread["id"], seq)
        self.opened_at_tick = last
        self.detected = now
        self.samples = []
        self.next_sample = now
        self.sent_ongoing = False
        self.victims = None
        self.starved_by = None  # the look at the thread that held the GIL, when it is told so
        self.early = None  # the early look at this turn, if one was taken before it became a stall
        self.cpu_at_end = None  # the loop's thread's CPU time as the stall ended


class Watchdog:
    def __init__(self, core):
        self.core = core
        self.wake = threading.Event()
        self.ended = collections.deque()
        self.seq = 0
        self.gilfree = None  # faulthandler's timer (core.gilfree, once a loop runs)
        self.busy = _baseline.BusyThreads()
        self.chores_due = 0.0
        self.poked_at = None  # when a loop leaving select asked for a wake-up (see poke)
        self.first_looks = {}  # {loop thread ident: (its last tick, look)} taken first in a late wake

    def run(self):
        core = self.core
        intended = _mono()
        runq = _baseline.RunQueue()
        queued_before = runq.read() or 0.0
        while not core.stopped:
            now = _mono()
            gilfree = self.gilfree
            if gilfree is not None and gilfree.armed and (
                    gilfree.deadline - now < _gilfree.GUARD or self.ended or now >= self.chores_due
                    or any(m.stall is not None for m in list(core.monitors.values()))):
                # A wake-up with more than the usual to do, or late: the timer must not fire while
                # this thread runs Python. (Else it stays armed: see _gilfree.SLACK.)
                gilfree.cancel()
            # How late this thread got the GIL after its wait: the lateness less the time the OS
            # kept it waiting for a core (a busy machine), which says nothing about the GIL.
            queued = runq.read() or 0.0
            late = max(0.0, now - intended - max(0.0, queued - queued_before))
            # Kept waiting for the GIL, by a C call that held it: the loop's thread waits on the
            # instruction after that call only until this thread lets go of the GIL, which telling a
            # stall that ended may do (a source file read). So it is looked at first.
            # (A look is kept until its turn's stall is told: the loop's thread tells the end of that
            # turn only once it runs again, which may be after this thread's next wake-up.)
            if late >= _causes.HOLDS_GIL_LATE:
                for m in list(core.monitors.values()):
                    if m.running and not m.parked:
                        try:
                            self.first_looks[m.ident] = (m.last, _sampling.take(m, late, now))
                        except Exception:
                            pass
            if gilfree is not None and not gilfree.armed:
                # If it fired, it fired at its deadline. (Read keeping the GIL: see _gilio.)
                self._gilfree_dump(gilfree.take(), gilfree.deadline)
            while self.ended:
                # Taken off only once told: Watch.stop() waits for an empty queue.
                try:
                    self._finish(*self.ended[0])
                except Exception:
                    pass
                self.ended.popleft()
            next_wake = now + 1.0
            monitors = [m for m in list(core.monitors.values()) if m.running]
            others = _baseline.others_cpu({m.ident for m in monitors}) if monitors else {}
            self.busy.update(others, _sampling.look_at_thread)
            for m in monitors:
                st = m.stall
                if st is None:
                    m.bases.append(_baseline.Baseline(m, others))
                    if m.parked:
                        continue  # idle in select: its return re-arms the tick and wakes this thread
                    deadline = m.last + m.period + core.threshold_ms / 1000
                    if now < deadline:
                        next_wake = min(next_wake, deadline, self._early_look(m, late, now))
                        continue
                    last = m.last
                    self.seq += 1
                    st = OpenStall(m, self.seq, now, last)
                    if m.last != last:
                        continue  # the loop ticked meanwhile
                    st.early = _early_for(m, last)
                    m.stall = st
                if st.opened_at_tick != m.last:
                    continue  # its end is on its way through self.ended
                if len(st.samples) < MAX_SAMPLES and now >= st.next_sample:
                    self._look(st, late, now)
                    # The first looks come quickly: two give the threads' CPU use, which tells GIL starvation.
                    st.next_sample = now + (SAMPLE_EVERY / 2 if len(st.samples) < 3 else SAMPLE_EVERY)
                next_wake = min(next_wake, st.next_sample if len(st.samples) < MAX_SAMPLES else now + 0.25)
            # A loop is in a turn that may block once it missed a tick, or when it has just left
            # select, with no tick armed yet (the turn after idle is the one a timer or a request
            # runs in).
            in_turn = any(not m.parked and (m.stall is not None or now - m.last >= m.period or m.handle is None) for m in monitors)
            if now >= self.chores_due and (not in_turn or now >= self.chores_due + CHORES_WAIT_MAX):
                try:
                    self.chores_due = core.periodic(now)
                except Exception:
                    self.chores_due = now + 1.0
            next_wake = min(next_wake, self.chores_due + (CHORES_WAIT_MAX if in_turn else 0.0))
            timeout = max(0.0005, next_wake - _mono())
            queued_before = runq.read() or 0.0
            for m in monitors:
                q = m.runq.read()
                m.slept = (_mono(), q) if q is not None else None
            if gilfree is None and core.monitors:
                gilfree = self.gilfree = core.gilfree
            if gilfree is not None:
                if core.monitors and not self.busy.running:
                    gilfree.arm(timeout)
                else:
                    # Not while other threads run: they may be passing the GIL around as they run
                    # Python, and a dump then can crash the program (see _gilfree.MARGIN).
                    gilfree.cancel()
            intended = _mono() + timeout
            self.wake.wait(timeout)
            self.wake.clear()
            poked, self.poked_at = self.poked_at, None
            if poked is not None and poked < intended:
                intended = max(poked, intended - timeout)

    def poke(self, now):
        """Wake up now, for a loop that left select: the turn it starts may block. How late this
        thread then gets the GIL counts from now, as after a timed wait: a loop that went straight
        into a C call holding the GIL keeps it waiting, and the look must know it."""
        self.poked_at = now
        self.wake.set()

    def _gilfree_dump(self, stacks, when):
        """faulthandler dumped the stacks because this thread could not get the GIL. A loop's thread
        seen running then was inside a C call holding it; one seen in its own poll was waiting for
        the GIL too, and the dump shows the thread that held it. Kept for that stall (matched by
        time: the loop may have ticked since)."""
        for m in list(self.core.monitors.values()):
            stack = stacks.get(m.ident)
            if not stack:
                continue
            if _gilfree.in_own_poll(stack, m.entry_code):
                holder = _gilfree.holder(stacks, m.ident)
                m.gilfree = (when, None, holder) if holder is not None else None
            else:
                m.gilfree = (when, stack, None)

    def _look(self, st, late, now):
        m = st.monitor
        try:
            s = self._take(m, st.opened_at_tick, late, now, probe_gil=len(st.samples) < 3)
        except Exception:
            return
        # The loop's thread's wait for a core since this thread went to sleep, in the share that
        # fell within this thread's wait for the GIL (the rest was its sleep).
        queued = m.runq.read()
        if m.slept is not None and queued is not None:
            since, queued0 = m.slept
            window = now - since
            if window > 0:
                s.os_wait = max(0.0, queued - queued0) * min(1.0, late / window)
        st.samples.append(s)
        if len(st.samples) == 1 and not s.paused:
            try:
                st.victims = _handlers.in_flight(m.loop, s.scope)
            except Exception:
                st.victims = None
        last = m.last
        if st.opened_at_tick != last:
            return  # the loop ticked while this thread looked (the GIL changed hands): the end is on its way
        if not st.sent_ongoing and not s.idle:
            st.sent_ongoing = True
            if s.paused:
                self.core.pause(st.id, m, self.core.epoch(last), None)
            else:
                blocked = max(0.0, now - last)  # so far, at most
                self.core.stall(self._build(st, self.core.epoch(last), blocked, ongoing=True))

    def _take(self, m, tick, late, now, probe_gil=False):
        """A look at the loop's thread in the turn after `tick`: the one taken first on a late wake,
        if it is of that turn, else a new one."""
        first = self._kept_look(m, tick)
        return first if first is not None else _sampling.take(m, late, now, probe_gil=probe_gil)

    def _kept_look(self, m, tick):
        """The look taken first on a late wake at the turn after `tick`, once (None if none was)."""
        first = self.first_looks.get(m.ident)
        if first is None or first[0] != tick:
            return None
        del self.first_looks[m.ident]
        return first[1]

    def _early_look(self, m, late, now):
        """A look at a turn that has run a threshold less the lead, kept for the stall it may
        become: a block just over the threshold keeps its line (and what it can tell of the cause,
        see _causes.early_cause). Returns when it is due, or infinity once taken."""
        last = m.last
        if m.early is not None and m.early[0] == last:
            return float("inf")
        threshold = self.core.threshold_ms / 1000
        due = last + threshold - min(EARLY_LEAD, threshold / 2)
        if now < due:
            return due
        try:
            s = self._take(m, last, late, now)
        except Exception:
            s = None
        # (Kept only if the loop has not ticked while this thread waited for the GIL.)
        m.early = (last, s) if s is not None and not s.idle and not s.paused and m.last == last else (last, None)
        return float("inf")

    def _finish(self, monitor, end, blocked, lateness, since, others_at_end=None, cpu_at_end=None):
        """A gap ended (the tick at `end` after the one at `since`): tell the stall, if it was one.
        `others_at_end`: the loop's thread's own look at the other threads as it ended; `cpu_at_end`:
        its CPU time then."""
        st = monitor.stall
        monitor.stall = None
        core = self.core
        if st is not None and not monitor.exact and st.samples and all(s.idle for s in st.samples):
            blocked = lateness  # starved of the GIL while due: it was not running anything before
        if blocked * 1000 < core.threshold_ms:
            if st is not None and st.sent_ongoing and not any(s.paused for s in st.samples):
                core.stall(self._build(st, core.epoch(end - blocked), blocked, end=end), force=True)
            return
        if st is None:
            self.seq += 1
            st = OpenStall(monitor, self.seq, end, since)
            st.early = _early_for(monitor, since)
        first = self._kept_look(monitor, since) if st.opened_at_tick == since else None
        if first is not None:
            # The look this thread took first on waking late, at this turn, that no open stall took: the
            # loop ticked while this thread told the stall before (its end came in the same wake).
            st.samples.insert(0, first)
        if any(s.paused for s in st.samples):
            core.pause(st.id, monitor, core.epoch(end - blocked), core.epoch(end))
            return
        looks = [s for s in st.samples if not s.paused]
        if all(s.idle for s in looks):
            # No look saw the loop's thread run anything: from what each thread used meanwhile, the
            # OS did not run it (nothing of the program's blocked it), or another thread held the GIL.
            # (An early look that saw it running rules out the OS, not a thread that then took the
            # GIL: the watchdog, starved too, got no look after it.)
            base = next((b for b in reversed(monitor.bases) if b.t <= end - blocked), None)
            verdict = _baseline.explain(monitor, base, end - blocked, end, blocked, {m.ident for m in list(core.monitors.values())})
            if verdict == "os":
                if st.early is None:
                    return
                verdict = None
            if verdict is not None:
                # The line the looks found it on most; else where it was as the stall ended, or is
                # now; else where it was last seen busy.
                ident = verdict[1]
                st.starved_by = (_causes.seen_most(looks, ident) or (others_at_end or {}).get(ident)
                                 or _sampling.look_at_thread(ident) or self.busy.where.get(ident)
                                 or (ident, [], None, set(), None, None))
        st.cpu_at_end = cpu_at_end
        core.stall(self._build(st, core.epoch(end - blocked), blocked, end=end))
        monitor.gilfree = None

    def _build(self, st, start_ms, blocked, ongoing=False, end=None):
        m = st.monitor
        core = self.core
        start = (end if end is not None else _mono()) - blocked
        stall = {
            "id": st.id,
            "pid": core.pid,
            "thread": m.thread,
            "startMs": round(start_ms, 2),
            "durationMs": round(blocked * 1000, 2),
            "detectedMs": round(core.epoch(st.detected), 2),
            "culprit": None,
            "frames": [],
            "handler": None,
        }
        if ongoing:
            stall["ongoing"] = True
        looks = [s for s in st.samples if not s.paused]
        on_loop = [s for s in looks if not s.idle]
        starved_by = st.starved_by or _causes.gil_holder(on_loop)
        holder = dumped_holder(m, st) if not on_loop else None
        if holder is not None:
            # faulthandler saw the loop's thread wait in its poll while another ran: the line and
            # thread that held the GIL, taken while it held it (a look after the stall finds the
            # thread moved on, a line or more past the call).
            frames, culprit = _frames.from_dump(holder[1])
            if culprit is not None or starved_by is None:
                starved_by = (holder[0], frames, culprit, set(), None, None)
        cause = None
        if starved_by is not None:
            ident, frames, culprit, codes, _api, _cpu = starved_by
            stall["frames"], stall["culprit"] = frames, culprit
            cause = {"kind": "gil", "thread": core.thread_ref(ident)}
            try:
                scope = _handlers.request_running(m.loop, codes)
                if scope is not None:
                    stall["handler"] = _handlers.http_handler(scope)
                else:
                    # Its request may be answered by now: the route whose endpoint it was running.
                    stall["handler"] = next(filter(None, (_handlers.route_of_function(f["file"], f["function"].rsplit(".", 1)[-1])
                                                           for f in reversed(frames) if _frames.is_user_file(f["file"]))), None)
            except Exception:
                pass
        elif not on_loop and dumped_for(m, st) is not None:
            # No look got in before the loop moved on; faulthandler's dump saw the loop's thread in
            # the call that kept the GIL from the watchdog.
            stall["frames"], stall["culprit"], cause = _in_dumped_call(dumped_for(m, st))
        elif on_loop or st.early is not None:
            # The early look, taken before the turn became a stall, is the first look at it: a
            # look at the stall may come only after the block, in the rest of its turn.
            early = st.early
            seen = ([early] if early is not None else []) + on_loop
            best = next((s for s in seen if s.culprit is not None), seen[0])
            stall["frames"], stall["culprit"] = best.frames, best.culprit
            # The request and task come from the looks that saw the culprit's line: a turn can run one
            # request's block and then another's (a sleep, then a big response's serialization), and a
            # label from the second on the first's line would be wrong twice.
            labelled = seen if best.culprit is None else [s for s in seen if s is best or _same_line(s.culprit, best.culprit)]
            scope = next((s.scope for s in labelled if s.scope is not None), None)
            if best is early:
                # Only the looks that saw the same line tell more of what it did.
                same = [s for s in on_loop if _same_line(s.culprit, early.culprit)]
                if same:
                    cause = _causes.classify([early] + same, start, end)
                elif on_loop:
                    # The turn went on to other work: only the span up to the next look is the early line's.
                    cause = _causes.early_cause(early, on_loop[0].cpu, on_loop[0].t)
                elif end is not None:
                    cause = _causes.early_cause(early, st.cpu_at_end, end)
            else:
                cause = _causes.classify(seen, start, end)
            if cause is not None and cause["kind"] == "native" and best.api:
                cause["api"] = best.api
            dumped = dumped_for(m, st)
            if dumped is not None and (best.culprit is None or cause is not None and cause.get("holdsGil")):
                # The watchdog could not get the GIL: the look may have come a few steps after the
                # call returned (into code not the user's); the dump was taken inside it.
                frames, culprit, dumped_cause = _in_dumped_call(dumped)
                if culprit is not None:
                    stall["frames"], stall["culprit"], cause = frames, culprit, dumped_cause
            if scope is not None:
                stall["handler"] = _handlers.http_handler(scope)
            else:
                stall["handler"] = next((s.task for s in labelled if s.task is not None), None)
        if starved_by is None and stall["handler"] is None and stall["culprit"] is not None:
            # The request is not known (a dump's stack has no locals; or the loop moved on while a
            # look walked it): the route whose endpoint the culprit's function is.
            try:
                stall["handler"] = _handlers.route_of_function(stall["culprit"]["file"], stall["culprit"]["function"])
            except Exception:
                pass
        if end is not None:
            gc = _gcwatch.overlap(m.ident, end - blocked, end)
            if gc >= 0.5 * blocked:
                cause = {"kind": "gc"}
            elif cause is None or stall["culprit"] is None:
                _gcwatch.enable_on_demand()
        if cause is not None:
            stall["cause"] = cause
        if st.victims:
            folded = collections.Counter(st.victims)
            delayed = round(blocked * 1000, 2)
            stall["victims"] = [
                {"label": label, "delayedMs": delayed, "state": "in-flight", **({"count": n} if n > 1 else {})}
                for label, n in folded.most_common(50)
            ]
        return stall


def _in_dumped_call(dump):
    """The loop's thread as faulthandler dumped it, inside the call that kept the GIL from the
    watchdog: (frames, culprit, cause), the cause a C call holding the GIL at the culprit's line,
    or None without a line of the user's."""
    frames, culprit = _frames.from_dump(dump[1])
    if culprit is None:
        return frames, None, None
    cause = {"kind": "native", "holdsGil": True}
    api, column = _causes.call_in_source(culprit["file"], culprit["line"])
    if api:
        cause["api"], culprit["column"] = api, column
    return frames, culprit, cause


def _same_line(a, b):
    return a is not None and b is not None and a["file"] == b["file"] and a["line"] == b["line"]


def _early_for(monitor, tick):
    """The early look at the turn that began at `tick`, if one caught it running."""
    e = monitor.early
    return e[1] if e is not None and e[0] == tick else None


def dumped_for(monitor, st):
    """faulthandler's dump of the loop's thread inside a call holding the GIL, taken during this
    stall: (when, stack), if any."""
    d = monitor.gilfree
    return (d[0], d[1]) if d is not None and d[1] is not None and d[0] > st.opened_at_tick else None


def dumped_holder(monitor, st):
    """(ident, stack) of the thread that held the GIL while faulthandler saw the loop's thread wait
    for it in its poll, during this stall, if any."""
    d = monitor.gilfree
    return d[2] if d is not None and d[2] is not None and d[0] > st.opened_at_tick else None
