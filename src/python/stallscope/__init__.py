"""Stallscope's Python probe: finds the code that blocks an asyncio event loop (asyncio or uvloop),
with its exact line, its route and its cause.

Loaded without any change to the program by `sitecustomize` (see there) when Stallscope runs it; or
used in-process, e.g. by the pytest plugin:

    with stallscope.watch(threshold_ms=50) as w:
        ...                      # run the code under test
    assert not w.stalls, w.stalls[0]["culprit"]

`import stallscope` stays cheap: asyncio is not imported here.
"""
import sys
import threading

__all__ = ["watch", "Watch"]

# `pytest -p stallscope` registers this module: pytest then loads the plugin named here.
pytest_plugins = ["stallscope.pytest_plugin"]


class Watch:
    """Collects the stalls of every loop of this process while it is active (a context manager)."""

    def __init__(self, threshold_ms=50, on_stall=None):
        from ._options import clamp_threshold

        self.threshold_ms = clamp_threshold(threshold_ms)
        self.on_stall = on_stall
        self.stalls = []
        self._lock = threading.Lock()
        self._active = False

    def start(self):
        from . import _core, _loops

        if self._active:
            return self
        _loops.install()
        _loops.patch_asyncio_namespace()
        core = _core.get()
        core.watches.append(self)
        core.recompute_threshold()
        self._active = True
        core.adopt_running_loop()
        return self

    def stop(self):
        """Stops collecting, after the stall that is ending now (if any) was told."""
        from . import _core

        if not self._active:
            return self
        core = _core.get()
        wd = core.watchdog
        if wd is not None:
            import threading
            import time

            for m in list(core.monitors.values()):
                m.flush_gap()
            now = time.monotonic()
            # A loop in another thread (a live server's) tells a gap's end at its next tick, which may
            # come after the response the test waited for: on a loaded machine, after this call.
            me = threading.get_ident()
            gaps = [(m, m.last) for m in list(core.monitors.values())
                    if m.ident != me and m.running and not m.parked and (now - m.last) * 1000 >= core.threshold_ms]
            deadline = now + 0.5
            while (wd.ended or any(m.last == last and m.running for m, last in gaps)) and time.monotonic() < deadline:
                wd.wake.set()
                time.sleep(0.002)
        self._active = False
        if self in core.watches:
            core.watches.remove(self)
        core.recompute_threshold()
        return self

    def _add(self, stall):
        with self._lock:
            self.stalls.append(stall)
        if self.on_stall is not None:
            try:
                self.on_stall(stall)
            except Exception:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def watch(threshold_ms=50, on_stall=None):
    """Starts collecting stalls of at least `threshold_ms` (a Watch; use it as a context manager)."""
    return Watch(threshold_ms, on_stall).start()


def _start_from_env(events_module, started_at_ms):
    """Called by sitecustomize right after `asyncio.events` ran (STALLSCOPE_OPTIONS is set): wraps
    the loop hook, and from the first running loop on, reports to the host the options name."""
    from . import _loops

    def first_loop(loop, caller):
        # The rest of the probe is imported when a loop first runs, not by every program that
        # imports asyncio; the loop runs nothing before this returns, so it is no stall of its own.
        _loops.remove_listener(first_loop)
        from . import _core, _options

        options = _options.from_env()
        if options is None or not options.enabled:
            return
        core = _core.get(options, started_at_ms)
        core.on_loop(loop, caller)

    _loops.install(events_module)
    _loops.add_listener(first_loop)


def _asyncio_imported():
    """After `import asyncio` finished: its namespace holds the wrapped _set_running_loop."""
    from . import _loops

    _loops.patch_asyncio_namespace()


if sys.version_info < (3, 9):  # pragma: no cover - the sitecustomize checks first
    raise ImportError("stallscope needs Python 3.9 or newer")
