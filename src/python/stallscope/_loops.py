"""Finding every running event loop without the program's help.

Every loop implementation calls `asyncio.events._set_running_loop(loop)` when it starts running and
`(None)` when it stops: the pure-Python loop looks it up on `asyncio.events` each time, uvloop keeps
the `asyncio._set_running_loop` it saw when it was imported. Both names are replaced by one wrapper
before that (sitecustomize runs this right after `asyncio.events` is executed), which costs nothing
per request and sees private loops in other threads and nested `run_until_complete` alike.

This module imports no asyncio: it runs while asyncio itself is still being imported.
"""
import sys

_installed = None  # (events module, original function)
_listeners = []  # called as listener(loop, caller_frame) on start, listener(None, None) on stop


def install(events=None):
    """Wraps _set_running_loop (idempotent). `events`: the asyncio.events module (default: imported)."""
    global _installed
    if _installed is not None:
        return True
    if events is None:
        import asyncio.events as events
    original = events._set_running_loop
    if getattr(original, "_stallscope", False):
        return True

    def _set_running_loop(loop):
        original(loop)
        if _listeners:
            try:
                caller = sys._getframe(1) if loop is not None else None
                for listener in list(_listeners):
                    listener(loop, caller)
            except Exception:
                pass  # never break the loop

    _set_running_loop._stallscope = True
    _set_running_loop.__wrapped__ = original
    events._set_running_loop = _set_running_loop
    aio = sys.modules.get("asyncio")
    if aio is not None and getattr(aio, "_set_running_loop", None) is original:
        aio._set_running_loop = _set_running_loop
    _installed = (events, original)
    return True


def patch_asyncio_namespace():
    """asyncio/__init__ copies events' names after events ran: make sure it copied the wrapper."""
    if _installed is None:
        return
    events, original = _installed
    aio = sys.modules.get("asyncio")
    if aio is not None and getattr(aio, "_set_running_loop", None) is original:
        aio._set_running_loop = events._set_running_loop


def add_listener(fn):
    if fn not in _listeners:
        _listeners.append(fn)


def remove_listener(fn):
    if fn in _listeners:
        _listeners.remove(fn)


def running_loop():
    """The loop running in this thread, if any (for watch() called inside a coroutine)."""
    events = sys.modules.get("asyncio.events")
    if events is None:
        return None
    try:
        return events._get_running_loop()
    except Exception:
        return None

