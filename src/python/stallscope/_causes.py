"""Why the loop was blocked, from what the watchdog saw.

The watchdog's own wait for the GIL is the tell. It asks for the GIL when its wait ends:
  - Python code on the loop's thread gives it up only after a full switch interval (5 ms by
    default), at every look;
  - a C call that released the GIL (time.sleep, blocking I/O, hashlib) lets it in as soon as the
    OS runs the watchdog (on a busy machine not always at once, so a share of quick looks is
    enough); a sleeping call uses no CPU between looks, and a computing one goes on using CPU
    while the watchdog holds the GIL (Python code cannot: it waits for the GIL);
  - a C call that holds the GIL (json.dumps, a regex) lets it in only when it returns, so the one
    sample comes late, taken on the call's line just before the loop moves on.
A loop thread seen in its own poll while the loop is late was starved of the GIL by another thread:
that thread's line is the culprit.
"""
import dis
import linecache
import re
import sys

HOLDS_GIL_LATE = 0.015  # s: a GIL wait this long means the loop's thread held it in a C call
_names = {}


def switch_interval():
    try:
        return sys.getswitchinterval()
    except Exception:
        return 0.005


def classify(samples, start, end=None):
    """Cause of a stall that began at `start` (and ended at `end`, monotonic s) from its looks at
    the loop's thread."""
    if not samples:
        return None
    switch = switch_interval()
    first = samples[0]
    # The watchdog got the GIL only when the call returned: it waited for most of the stall so far,
    # and the loop moved on right after that one look.
    # (Less the time the loop's thread itself waited for a core: a busy machine that preempts a
    # thread holding the GIL in Python code keeps the watchdog waiting too.)
    held = first.late - first.os_wait
    if first.in_call and held >= max(HOLDS_GIL_LATE, 3 * switch) and first.late >= 0.3 * (first.t - start):
        if end is None or end - first.t < max(0.02, first.late / 2):
            return {"kind": "native", "holdsGil": True}
    # Seen between instructions of its own (a loop's back-edge, arithmetic): it was running Python.
    # A thread inside a C call is always seen at that call's instruction.
    if any(not x.in_call for x in samples):
        return {"kind": "python"}
    # Python code gives the GIL up only after a full switch interval: a look that got in sooner
    # found the loop's thread in a C call that had released it (hashlib, compression, I/O).
    # Other threads may hand the GIL over early now and then, so it takes a share of quick looks.
    quick = sum(1 for x in samples if x.late < 0.5 * switch)
    # Still on the CPU while the watchdog held the GIL: a C call that let go of it (hashlib, zlib),
    # by most of the looks that could tell, and one of them got in quickly. (A thread spinning on
    # a clock in Python is now and then charged CPU for a whole window it spent waiting.)
    told = [x.ran_without_gil for x in samples if x.ran_without_gil is not None]
    if told and 2 * sum(told) > len(told) and quick:
        return {"kind": "native", "holdsGil": False}
    # Asleep between the looks (sleep, I/O, a lock): no CPU at all, where the clock is readable.
    if len(samples) >= 2 and first.cpu is not None and samples[-1].cpu is not None:
        if samples[-1].cpu - first.cpu < 0.05 * (samples[-1].t - first.t):
            return {"kind": "native", "holdsGil": False}
    if quick >= max(1, 0.6 * len(samples)):
        return {"kind": "native", "holdsGil": False}
    return {"kind": "python"}


def early_cause(look, cpu_at_end, end):
    """The cause that the one look taken before the turn became a stall can tell, with the loop
    thread's own CPU from that look to the turn's end: Python code seen between its own
    instructions; or, seen at a call, asleep in it since (a C call that let the GIL go: sleep, I/O,
    a lock); or on the CPU, having kept the watchdog waiting a whole switch interval, as only Python
    code does. A quicker look on the CPU may be a C call computing without the GIL, or Python that
    another thread's hand-over let in early: nothing is said then."""
    if not look.in_call:
        return {"kind": "python"}
    if look.cpu is None or cpu_at_end is None or end - look.t < 0.005:
        return None
    if cpu_at_end - look.cpu < 0.05 * (end - look.t):
        return {"kind": "native", "holdsGil": False}
    if look.late - look.os_wait >= 0.8 * switch_interval():
        return {"kind": "python"}
    return None


_LOADS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR"}
_ATTRS = {"LOAD_ATTR", "LOAD_METHOD"}


def call_name(code, lasti, line):
    """The dotted name of the call on `line` at or before instruction `lasti` (`time.sleep`), best effort."""
    key = (code, lasti)
    if key in _names:
        return _names[key]
    name = None
    try:
        chains, starts, cur, cur_line, call_at = [], [], None, None, None
        for ins in dis.get_instructions(code):
            if ins.starts_line is not None and ins.starts_line is not False:
                cur_line = ins.starts_line if isinstance(ins.starts_line, int) and not isinstance(ins.starts_line, bool) else getattr(ins, "line_number", cur_line)
            ln = getattr(ins, "line_number", None) or cur_line
            if ins.offset > lasti:
                break
            # (A frame inside a call shows the last cache entry of its CALL: the instruction before.)
            call_at = _start(ins)
            if ln != line:
                cur = None
                continue
            base = ins.opname
            if base in _LOADS and isinstance(ins.argval, str):
                cur = [ins.argval.replace("NULL + ", "")]
                chains.append(cur)
                starts.append(_start(ins))
            elif base in _ATTRS and cur is not None and isinstance(ins.argval, str):
                cur.append(ins.argval.replace("NULL|self + ", ""))
            else:
                cur = None
        # 3.11+: the call under way spans its callee and arguments, so its callee is the chain that
        # starts where it does (`re.match(p, os.environ.get(k))` is re.match, not the last one).
        callee = [c for c, at in zip(chains, starts) if call_at is not None and at == call_at]
        dotted = [c for c in chains if len(c) > 1]
        pick = callee[-1] if callee else dotted[-1] if dotted else (chains[0] if chains else None)
        name = ".".join(pick)[:256] if pick else None
    except Exception:
        name = None
    if len(_names) < 4096:
        _names[key] = name
    return name


def _start(ins):
    """(line, column) where an instruction's source starts (3.11+), else None."""
    pos = getattr(ins, "positions", None)
    if pos is None or pos.lineno is None or pos.col_offset is None:
        return None
    return (pos.lineno, pos.col_offset)


def _starting_a_thread(sample):
    """The loop's thread waits in Thread.start() for the new thread to run, which needs the GIL
    (anyio starting a threadpool worker while the others hold the GIL)."""
    return any(f["function"] in ("Thread.start", "start") and f["file"].endswith("threading.py") for f in sample.frames[:8])


def _busiest(samples):
    """The other thread that used the most CPU between the looks, else the one seen most often."""
    counts, latest = {}, {}
    for s in samples:
        for ident, other in s.others.items():
            counts[ident] = counts.get(ident, 0) + 1
            latest[ident] = other
    if not counts:
        return None

    def rank(ident):
        d = _cpu_delta(samples, ident)
        return (d if d is not None else -1.0, counts[ident])

    return latest[max(counts, key=rank)]


def gil_holder(samples):
    """The thread that starved the loop's thread of the GIL while it was running code (its own poll
    is told by _baseline), as the tuple a look recorded, or None: the loop's thread waits for a new
    thread to start, or crawls through its code using a fraction of the CPU that another thread
    running the user's code uses."""
    if not any(s.others for s in samples):
        return None
    if all(_starting_a_thread(s) for s in samples):
        return _busiest(samples)
    if len(samples) < 2:
        return None
    first, last = samples[0], samples[-1]
    wall = last.t - first.t
    if wall < 0.015 or first.cpu is None or last.cpu is None:
        return None
    if all(s.key == first.key for s in samples) and first.culprit is not None and first.frames and first.frames[0] is first.culprit:
        return None  # stuck in one call of the user's own (a sleep): it blocked the loop itself
    idents = set().union(*(s.others.keys() for s in samples))
    deltas = {i: d for i, d in ((i, _cpu_delta(samples, i)) for i in idents) if d is not None}
    if not deltas:
        return None
    holder = max(deltas, key=deltas.get)
    loop_cpu = last.cpu - first.cpu
    # The threads running the user's code share the GIL (and the machine's cores) among themselves.
    total = sum(deltas.values())
    # (On a busy machine the threads get a fraction of a core between them: the share tells.)
    if total >= 0.1 * wall and deltas[holder] >= 0.05 * wall and loop_cpu <= 0.5 * total:
        return seen_most(samples, holder)
    return None


def seen_most(samples, ident):
    """Thread `ident` as the looks saw it on the line they found it on most often (ties: the latest
    look), or None: the line it spent the stall on, not the one it had reached when the stall ended
    (its `return`, once it let the loop go)."""
    seen = [s.others[ident] for s in samples if ident in s.others]
    if not seen:
        return None

    def line(other):
        culprit = other[2]
        return (culprit["file"], culprit["line"]) if culprit else None

    votes = {}
    for other in seen:
        votes[line(other)] = votes.get(line(other), 0) + 1
    return max(reversed(seen), key=lambda other: (line(other) is not None, votes[line(other)]))


def _cpu_delta(samples, ident):
    seen = [s.others[ident][5] for s in samples if ident in s.others and s.others[ident][5] is not None]
    return seen[-1] - seen[0] if len(seen) >= 2 else None


_DOTTED_CALL = re.compile(r"([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)\s*\(")


def call_in_source(filename, line):
    """(name, 1-based column) of the first dotted call on a source line (`json.dumps`), for a frame
    known only by file:line; (None, None) if there is none."""
    try:
        text = linecache.getline(filename, line)
    except Exception:
        return None, None
    m = _DOTTED_CALL.search(text.split("#", 1)[0])
    return (m.group(1)[:256], m.start(1) + 1) if m else (None, None)


# The instructions a frame shows while it is inside a call it made (3.11: PRECALL or CALL, as the
# call was specialised). A pause at the eval breaker right after a call shows the same, so only the
# other instructions are evidence: of Python code running.
_IN_CALL = {"PRECALL", "CALL", "CALL_KW", "CALL_FUNCTION", "CALL_METHOD", "CALL_FUNCTION_KW", "CALL_FUNCTION_EX"}
_opnames = {}


def in_call(code, lasti):
    """Whether a frame paused at `lasti` is inside a call (else between its own instructions)."""
    ops = _opnames.get(code)
    if ops is None:
        try:
            kw = {"show_caches": True} if sys.version_info >= (3, 11) else {}
            ops = {i.offset: i.opname for i in dis.get_instructions(code, **kw)}
        except Exception:
            ops = {}
        if len(_opnames) < 1024:
            _opnames[code] = ops
    op = ops.get(lasti)
    return op is None or op in _IN_CALL  # unknown: no evidence either way
