"""What the host reads of this process while the probe cannot speak. A C call that holds the GIL
keeps every Python thread of the probe's from running, its websocket included, for as long as it
lasts: forever, for a regex that never returns. faulthandler's C timer still dumps the stacks into
this file (see _gilfree), and the host reads the file through /proc/<pid>/fd/<n> (the hello names
it), so it can show the hang while it lasts. Layout (read by src/core/hangFile.ts):

  0..8          MAGIC
  64 + 16 * i   slot i < SLOTS: f64 the last tick of the loop given slot i (time.monotonic()),
                f64 1.0 while that loop is parked idle in select (see _heartbeat)
  1024..HEADER  JSON, NUL-padded: the clock, the threshold, which files are not the user's, the loops,
                the routes of the user's modules (to label a hang with its route)
  HEADER..      faulthandler's dumps

A loop's thread writes its slot at each tick: a store into shared memory, no call to the OS. The JSON
is written again only when the loops, the threshold or the routes change.
"""
import functools
import json
import mmap
import os
import struct

from . import _frames, _threads

HEADER = 16384
MAGIC = b"STLHANG1"
SLOTS = 16
_SLOT0 = 64
_JSON_AT = 1024
_F64 = struct.Struct("<d")


class Board:
    def __init__(self, fd):
        os.ftruncate(fd, HEADER)
        self.map = mmap.mmap(fd, HEADER)
        self.map[0:len(MAGIC)] = MAGIC
        self.free = list(range(SLOTS))
        self.slots = {}  # {monitor: slot}
        self.routes = {}  # {file: {function: handler}} (see _handlers.user_routes)

    def attach(self, monitor):
        """Gives a loop a slot (none once SLOTS loops have one: those are not shown while hung)."""
        if not self.free:
            return
        i = self.free.pop(0)
        self.slots[monitor] = i
        at = _SLOT0 + 16 * i
        monitor.mark_last = functools.partial(_F64.pack_into, self.map, at)
        monitor.mark_parked = functools.partial(_F64.pack_into, self.map, at + 8)
        monitor.mark_parked(1.0 if monitor.parked else 0.0)
        monitor.mark_last(monitor.last)

    def detach(self, monitor):
        i = self.slots.pop(monitor, None)
        monitor.mark_last = monitor.mark_parked = None
        if i is not None:
            self.free.append(i)

    def describe(self, core):
        """Writes what the host needs to read a dump as the probe would (see _frames)."""
        doc = {
            "offsetMs": core.offset * 1000,  # epoch ms = monotonic s * 1000 + offsetMs
            "thresholdMs": core.threshold_ms,
            "notUser": list(_frames.NOT_USER_PREFIXES),
            "packageMarkers": list(_frames.PACKAGE_MARKERS),
            "probe": _frames.PROBE_DIR + os.sep,
            "waits": sorted(_frames.WAIT_FUNCTIONS),
            "polls": [[suffix, list(functions) if functions is not None else None] for suffix, functions in _frames.POLL_FRAMES],
            "own": ["%#x" % ident for ident in _threads.own()],
            "loops": [],
            "routes": self.routes,
        }
        for m, i in sorted(self.slots.items(), key=lambda kv: kv[1]):
            entry = m.entry_code
            doc["loops"].append({
                "slot": i,
                "ident": "%#x" % m.ident,
                "thread": m.thread,
                "entry": [entry.co_filename, entry.co_name] if entry is not None else None,
            })
        data = json.dumps(doc, separators=(",", ":")).encode()
        if len(data) > HEADER - _JSON_AT:
            doc["routes"] = {}
            data = json.dumps(doc, separators=(",", ":")).encode()
        while len(data) > HEADER - _JSON_AT and doc["loops"]:
            doc["loops"].pop()
            data = json.dumps(doc, separators=(",", ":")).encode()
        if len(data) > HEADER - _JSON_AT:
            data = b""
        self.map[_JSON_AT:HEADER] = data + b"\0" * (HEADER - _JSON_AT - len(data))

    def detach_all(self):
        """In a forked child: the map is shared with the parent, whose board it is."""
        for m in list(self.slots):
            m.mark_last = m.mark_parked = None
        self.slots.clear()
