"""The probe's own threads: daemons (they never keep the program alive), hidden from debuggers.

pydevd (debugpy) neither traces nor suspends a thread marked `pydev_do_not_trace`, and leaves a
thread marked `is_pydev_daemon_thread` out of the threads it shows: so a breakpoint never freezes
the watchdog, and the user never sees it in the call stack view.

On Linux each is also named for the OS (`comm`, as the Node probe's worker is): `top -H`, `ps -L` and
per-thread CPU accounting tell the probe's cost apart from the program's.
"""
import sys
import threading

_OWN = set()  # idents of the probe's threads (never a culprit, never sampled)


def start_daemon(target, name, comm):
    """`comm`: the OS thread name (15 characters at most)."""
    def run():
        sys.settrace(None)  # a tracer inherited through threading.settrace (a debugger, coverage) has nothing to see here
        _OWN.add(threading.get_ident())
        _name_os_thread(comm)
        try:
            target()
        except Exception:
            pass  # the probe's failure must never reach the program
        finally:
            _OWN.discard(threading.get_ident())

    t = threading.Thread(target=run, name=name, daemon=True)
    t.pydev_do_not_trace = True
    t.is_pydev_daemon_thread = True
    t.start()
    return t


def _name_os_thread(comm):
    try:
        with open("/proc/thread-self/comm", "w") as f:
            f.write(comm[:15])
    except Exception:
        pass  # cosmetic (not Linux, or an old kernel)


def is_own(ident):
    return ident in _OWN


def own():
    return tuple(_OWN)


def after_fork():
    _OWN.clear()


def thread_ref(ident):
    """The protocol's ThreadRef of a Python thread: 0 for the main thread, else its native id."""
    if ident == threading.main_thread().ident:
        return {"id": 0, "name": "MainThread"}
    t = threading._active.get(ident)
    if t is None:
        return {"id": ident & 0x7FFFFFFF}
    native = getattr(t, "native_id", None)
    return {"id": native if native is not None else ident & 0x7FFFFFFF, "name": t.name[:256]}
