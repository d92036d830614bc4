"""The one view of a thread that needs no GIL: faulthandler's timer thread (C) dumps every thread's
stack when it is not cancelled in time. The watchdog arms it after its own wake-up, while no other
thread of the program's runs: if the watchdog still cannot get the GIL by then (the loop's thread
holds it in a C call: json.dumps, a regex), the dump shows that call at its exact line while it
lasts, where a look could only tell it once it ended, and may find the loop a line on by then.

faulthandler has one such timer per process, so it is only used with a host session, never where
pytest is loaded (its faulthandler_timeout uses the same timer), and never across a fork (cancelled
before, re-armed after). The host reads the same file while the watchdog cannot (see _hangfile).
"""
import faulthandler
import os
import re
import sys
import tempfile
import time

from . import _frames, _gilio, _hangfile, _threads

# s after the watchdog's planned wake-up. faulthandler reads every thread's frames without the GIL,
# which is safe only while they hold still: while one C call keeps the GIL, not while threads running
# Python pass it around (a GIL convoy of CPU-bound threads, or a machine too busy to run the watchdog,
# delays it a few switch intervals). A dump taken then can crash the process. Hence no arming while
# other threads run, and a margin far beyond such delays. A call shorter than the margin is still told
# on its line: the watchdog waits for the GIL and looks before the loop's thread moves past it.
MARGIN = 0.25
# s past MARGIN a timer may be left to fire: each arm starts a thread (and cancelling one joins it),
# so a timer still due within MARGIN..MARGIN+SLACK of the next planned wake-up is kept, not re-armed.
SLACK = 0.15
# s before its timer is due that a wake-up cancels it, so it never fires while this thread runs
# Python (a wake with a stall, chores or a late start cancels it at once).
GUARD = 0.05
_THREAD = re.compile(rb"^(?:Current thread|Thread) (0x[0-9a-fA-F]+)")
_FRAME = re.compile(rb'^  File "(.*)", line (\d+) in (.*)$')


class GilFreeDump:
    def __init__(self):
        self.file = tempfile.TemporaryFile()
        # faulthandler is given the descriptor, not the file: with a file it calls its flush(), which
        # can let the GIL go at an arm, and a loop running Python or a C call then keeps this thread
        # waiting (its next wake-up late, its look after a C call missed).
        self.fd = self.file.fileno()
        try:
            self.board = _hangfile.Board(self.fd)
        except Exception:
            self.board = None  # (dumps still reach the watchdog; the host sees no hang while it lasts)
        self.start = _hangfile.HEADER if self.board is not None else 0
        os.lseek(self.fd, self.start, os.SEEK_SET)
        self.armed = False
        self.disabled = False
        self.deadline = 0.0
        self.may_have_fired = False

    def path(self):
        """Where the host opens this file (Linux), if it can read it there."""
        if self.board is None or not self.usable():
            return None
        path = "/proc/%d/fd/%d" % (os.getpid(), self.fd)
        return path if os.path.exists(path) else None

    def usable(self):
        if self.disabled or "_pytest" in sys.modules:
            self.disabled = True
            return False
        return True

    def arm(self, seconds):
        """Fires unless cancelled within MARGIN..MARGIN+SLACK of `seconds` from now (the watchdog's
        planned wake-up): a timer already armed for that window is kept."""
        if not self.usable():
            return
        due = time.monotonic() + seconds + MARGIN
        if self.armed and due <= self.deadline <= due + SLACK:
            return
        self.cancel()
        try:
            faulthandler.dump_traceback_later(seconds + MARGIN + SLACK, repeat=False, file=self.fd, exit=False)
            self.armed = True
            self.deadline = due + SLACK
        except Exception:
            self.disabled = True

    def cancel(self):
        if self.armed:
            self.armed = False
            if not self.disabled and "_pytest" not in sys.modules:
                faulthandler.cancel_dump_traceback_later()
                # (Its timer started a moment before `deadline` was read: a cancel this close may
                # have come after it fired.)
                self.may_have_fired = self.may_have_fired or time.monotonic() >= self.deadline - 0.002

    def take(self):
        """{thread ident: [(file, line, function), ...] innermost first} dumped since the last take
        (call it after cancel()). Reads the file only if the timer may have fired, keeping the GIL
        (see _gilio)."""
        if not self.may_have_fired:
            return {}
        self.may_have_fired = False
        try:
            data = _gilio.read_all(self.fd, offset=self.start)
            # Cancelled before this is read, so nothing writes meanwhile: start the dumps afresh.
            _gilio.empty(self.fd, self.start)
        except OSError:
            return {}
        if not data:
            return {}
        stacks, current = {}, None
        for line in data.splitlines():
            if line.startswith(b"Timeout"):
                stacks, current = {}, None  # only the latest dump counts
                continue
            m = _THREAD.match(line)
            if m:
                current = stacks.setdefault(int(m.group(1), 16), [])
                continue
            m = _FRAME.match(line)
            if m and current is not None:
                current.append((os.fsdecode(m.group(1)), int(m.group(2)), m.group(3).decode("utf-8", "replace")))
        return stacks


def in_own_poll(stack, entry_code):
    """A loop's thread dumped in its poll: the selector's select, the loop's own run, or (uvloop,
    whose poll is C) the frame that started the loop."""
    file, _line, function = stack[0]
    if any(file.endswith(suffix) and (functions is None or function in functions) for suffix, functions in _frames.POLL_FRAMES):
        return True
    return entry_code is not None and file == entry_code.co_filename and function == entry_code.co_name


def holder(stacks, loop_ident):
    """(ident, stack) of the one thread of the program's that a dump shows running the user's
    code, not waiting: the thread that held the GIL. None if none or several could be."""
    found = [
        (ident, stack)
        for ident, stack in stacks.items()
        if ident != loop_ident and stack and not _threads.is_own(ident)
        and not _frames.is_wait(stack[0][0], stack[0][2]) and any(_frames.is_user_file(f) for f, _l, _fn in stack)
    ]
    return found[0] if len(found) == 1 else None
