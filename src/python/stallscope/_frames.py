"""From Python frame objects to the protocol's frames, and which of them is the user's code.

The user's code is everything but the standard library, installed packages (site-packages,
dist-packages), their console launchers and the probe itself; the culprit of a stall is the
innermost such frame.
"""
import itertools
import os
import sys
import sysconfig

MAX_STACK_FRAMES = 50
PROBE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _not_user_prefixes():
    dirs = set()
    # (scripts: the launchers pip writes for console entry points, `.venv/bin/gunicorn`, whose
    # `sys.exit(run())` is the outermost frame of every stack of the program they start.)
    for key in ("stdlib", "platstdlib", "purelib", "platlib", "scripts"):
        try:
            d = sysconfig.get_paths().get(key)
        except Exception:
            d = None
        if d:
            dirs.add(os.path.realpath(d))
            dirs.add(os.path.abspath(d))
    for base in {sys.base_prefix, sys.base_exec_prefix}:
        for d in ("lib", "lib64"):
            dirs.add(os.path.join(base, d, "python%d.%d" % sys.version_info[:2]))
    dirs.add(PROBE_DIR)
    return tuple(d.rstrip(os.sep) + os.sep for d in dirs)


NOT_USER_PREFIXES = _not_user_prefixes()
PACKAGE_MARKERS = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)
_user_cache = {}


def is_user_file(filename):
    r = _user_cache.get(filename)
    if r is None:
        r = not (
            filename.startswith("<")
            or filename.startswith(NOT_USER_PREFIXES)
            or any(m in filename for m in PACKAGE_MARKERS)
        )
        if len(_user_cache) < 10000:
            _user_cache[filename] = r
    return r


def is_probe_file(filename):
    return filename.startswith(PROBE_DIR + os.sep)


def chain(frame, limit=200):
    """The frames from `frame` outwards, innermost first."""
    out = []
    while frame is not None and len(out) < limit:
        out.append(frame)
        frame = frame.f_back
    return out


def _column(code, lasti):
    positions = getattr(code, "co_positions", None)  # 3.11+
    if positions is None or lasti < 0:
        return 1
    try:
        pos = next(itertools.islice(positions(), lasti // 2, None), None)
    except Exception:
        pos = None
    col = pos[2] if pos else None
    return col + 1 if isinstance(col, int) else 1


_abs_cache = {}


def _path(filename):
    if filename.startswith("<") or os.path.isabs(filename):
        return filename
    # (abspath asks the OS for the working directory, which lets the GIL go: once per file.)
    p = _abs_cache.get(filename)
    if p is None:
        p = os.path.abspath(filename)
        if len(_abs_cache) < 10000:
            _abs_cache[filename] = p
    return p


def position(frame):
    """(instruction, line) of a frame, read together: a look's own Python lets the GIL go now and
    then, and the thread looked at may move on meanwhile (from a call's line to the next one)."""
    lasti, line = frame.f_lasti, frame.f_lineno
    return lasti, line or frame.f_code.co_firstlineno or 1


def to_frame(frame, where=None):
    code = frame.f_code
    lasti, line = where or position(frame)
    return {
        "file": _path(code.co_filename),
        "line": max(1, line),
        "column": _column(code, lasti),
        "function": getattr(code, "co_qualname", code.co_name),
    }


def describe(frames, positions=None):
    """(protocol frames, culprit frame or None, index of the culprit in `frames` or -1, the
    culprit's (instruction, line) as its protocol frame says). `positions`: each frame's, read
    before (see position)."""
    out, culprit, at, seen = [], None, -1, None
    for i, f in enumerate(frames):
        name = f.f_code.co_filename
        if is_probe_file(name):
            continue
        where = positions[i] if positions is not None else position(f)
        fr = None
        if len(out) < MAX_STACK_FRAMES:
            fr = to_frame(f, where)
            out.append(fr)
        if culprit is None and is_user_file(name):
            culprit, at, seen = fr or to_frame(f, where), i, where
    return out, culprit, at, seen


def from_dump(stack):
    """(protocol frames, culprit) from faulthandler's [(file, line, function)], innermost first."""
    out, culprit = [], None
    for file, line, function in stack:
        if is_probe_file(file):
            continue
        fr = {"file": _path(file), "line": max(1, line), "column": 1, "function": function}
        if len(out) < MAX_STACK_FRAMES:
            out.append(fr)
        if culprit is None and is_user_file(file):
            culprit = fr
    return out, culprit


SELECTORS_FILE = os.sep + "selectors.py"
BASE_EVENTS_FILE = os.sep + "base_events.py"
# A pure-Python loop's poll as a dump shows its innermost frame: (file suffix, its functions, or None
# for any). The host reads dumps by the same rule (see _hangfile).
POLL_FRAMES = ((SELECTORS_FILE, None), (BASE_EVENTS_FILE, ("_run_once", "run_forever")))
# A thread whose innermost function is one of these, outside the user's code, waits (for a lock, a
# queue, I/O) with the GIL let go: it is not the thread that holds it.
WAIT_FUNCTIONS = frozenset({"wait", "get", "select", "poll", "acquire", "_wait_for_tstate_lock", "accept", "recv", "recv_into", "readline", "read"})


def is_wait(file, function):
    return function in WAIT_FUNCTIONS and not is_user_file(file)
