# Stallscope's Python probe, loaded by the interpreter at start-up because Stallscope puts this
# folder first on PYTHONPATH (`stallscope run`, `stallscope check`, the VS Code extension).
#
# It stays tiny and lazy: nothing happens unless STALLSCOPE_OPTIONS is set, and even then the probe
# itself is imported only when the program imports asyncio (a meta-path hook fires right after
# `asyncio.events` is executed, before uvloop could copy `asyncio._set_running_loop`). Then it
# runs the sitecustomize this file shadows (the user's own, the distribution's), as if we were
# not here. Written for any Python 3 so that an unsupported one gets one clear line, not a crash.
import os
import sys


def _stallscope_boot():
    raw = os.environ.get("STALLSCOPE_OPTIONS")
    if raw is None or '"enabled":false' in raw.replace(" ", ""):
        return
    if sys.version_info < (3, 9):
        sys.stderr.write(
            "stallscope: Python %d.%d is not supported by the probe (3.9 or newer is needed); "
            "running without it.\n" % sys.version_info[:2]
        )
        return
    import time

    started_at_ms = time.time() * 1000
    here = os.path.dirname(os.path.abspath(__file__))

    def load(events_module):
        try:
            if here not in sys.path:
                sys.path.insert(0, here)
            import stallscope

            stallscope._start_from_env(events_module, started_at_ms)
        except Exception as e:  # the probe must never stop the program
            sys.stderr.write("stallscope: the probe could not start (%r); running without it.\n" % (e,))

    class StallscopeAsyncioHook:
        """Runs the probe right after asyncio.events is executed, once."""

        def find_spec(self, name, path, target=None):
            if name != "asyncio.events":
                return None
            try:
                sys.meta_path.remove(self)
            except ValueError:
                pass
            from importlib.machinery import PathFinder

            spec = PathFinder.find_spec(name, path)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_then_probe(module):
                exec_module(module)
                load(module)

            spec.loader.exec_module = exec_then_probe
            return spec

    events = sys.modules.get("asyncio.events")
    if events is not None:
        load(events)
    else:
        sys.meta_path.insert(0, StallscopeAsyncioHook())


def _stallscope_chain():
    """Runs the next sitecustomize on sys.path, and leaves it as `sitecustomize` in sys.modules."""
    here = os.path.normcase(os.path.dirname(os.path.abspath(__file__)))
    rest = [p for p in sys.path if os.path.normcase(os.path.abspath(p or os.curdir)) != here]
    from importlib.machinery import PathFinder
    import importlib.util

    spec = PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


try:
    _stallscope_boot()
except Exception:
    pass
_stallscope_chain()
