"""pytest plugin: fail a test during which an event loop stalled longer than a budget.

Load it with ``pytest -p stallscope`` (the probe's folder on PYTHONPATH) or, once the package is
installed, through its ``pytest11`` entry point. Three ways to ask for a budget:

* ``@pytest.mark.stallscope(budget_ms=100)`` on a test, class or module;
* the ``stallscope`` fixture: ``stallscope.budget_ms``, and ``stallscope.stalls`` to assert on;
* ``--stallscope-budget-ms=100`` (or the ``stallscope_budget_ms`` ini value) for every test.

Only the test's call phase is watched: fixtures that start servers or import apps do their slow,
one-off work in setup, and that is not the test's stall. Every event loop of the process counts
(the test's own, under anyio or pytest-asyncio, and a live uvicorn server's in another thread).
Needs pytest 7.4 or newer (new-style hook wrappers).
"""

import os

import pytest

from . import watch

DEFAULT_BUDGET_MS = 100.0
# The probe reports stalls longer than its threshold: at most 50 ms, so a test sees the stalls
# under its budget too; at least the probe's floor.
_MAX_THRESHOLD_MS = 50.0
_MIN_THRESHOLD_MS = 10.0

_LIBRARY_DIRS = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)
_STACK_LINES = 8

_budget_key = pytest.StashKey()
_fixture_key = pytest.StashKey()


class StallBudget:
    """What the ``stallscope`` fixture gives a test: its budget, which it may change, and the stalls
    seen so far (the protocol's Stall dicts: durationMs, culprit, frames, handler, cause, ...)."""

    def __init__(self, budget_ms):
        self.budget_ms = budget_ms
        self._watch = None

    @property
    def stalls(self):
        """Every stall so far, including one that just ended (a stall is told when its loop runs
        again, a moment after the code that blocked returned: stop() waits for it)."""
        if self._watch is None:
            return []
        self._watch.stop()
        self._watch.start()
        return list(self._watch.stalls)

    def over_budget(self):
        return [s for s in self.stalls if s.get("durationMs", 0) > self.budget_ms]


def pytest_addoption(parser):
    group = parser.getgroup("stallscope", "event loop stalls (Stallscope)")
    group.addoption(
        "--stallscope-budget-ms",
        type=float,
        default=None,
        metavar="MS",
        help="fail every test during which an event loop stalled longer than MS milliseconds",
    )
    parser.addini("stallscope_budget_ms", "like --stallscope-budget-ms, for every test", default=None)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "stallscope(budget_ms=%g): fail the test if an event loop stalled longer than budget_ms during it" % DEFAULT_BUDGET_MS,
    )
    _suite_budget(config)  # a bad value stops the run here, before any test
    # Wrap the loop hook now, before a test module imports uvloop (which copies the unwrapped one);
    # until a watch starts, it calls no one and costs nothing.
    from . import _loops

    _loops.install()


def pytest_collection_modifyitems(config, items):
    """When any test has a budget, the probe watches loops from now on: a server that a fixture
    starts (in setup) runs a loop that the test's own watch must know when its call phase begins."""
    if any(_wants_budget(item) for item in items):
        watch(threshold_ms=_MAX_THRESHOLD_MS).stop()


def _wants_budget(item):
    return (
        item.get_closest_marker("stallscope") is not None
        or "stallscope" in getattr(item, "fixturenames", ())
        or _suite_budget(item.config) is not None
    )


def _suite_budget(config):
    """The budget for every test from --stallscope-budget-ms or the ini value, or None."""
    option = config.getoption("stallscope_budget_ms", None)
    if option is not None:
        return _positive(option, "--stallscope-budget-ms")
    ini = config.getini("stallscope_budget_ms")
    if ini not in (None, ""):
        return _positive(ini, "stallscope_budget_ms")
    return None


@pytest.fixture
def stallscope(request):
    """The test's stall budget (``budget_ms``, settable) and the stalls seen during it (``stalls``)."""
    budget = StallBudget(_budget_of(request.node) or DEFAULT_BUDGET_MS)
    request.node.stash[_fixture_key] = budget
    return budget


def pytest_runtest_setup(item):
    item.stash[_budget_key] = _budget_of(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    holder = item.stash.get(_fixture_key, None)
    budget = holder.budget_ms if holder is not None else item.stash.get(_budget_key, None)
    if budget is None:
        return (yield)
    stall_watch = watch(threshold_ms=_threshold_for(budget))
    if holder is not None:
        holder._watch = stall_watch
    try:
        result = yield
    except BaseException:
        stall_watch.stop()
        # The test failed on its own: keep its failure, and show the stalls beside it.
        over = _over(stall_watch.stalls, _final_budget(holder, budget))
        if over:
            item.add_report_section("call", "stallscope", describe(over, _final_budget(holder, budget), str(item.config.rootpath)))
        raise
    stall_watch.stop()
    budget = _final_budget(holder, budget)
    over = _over(stall_watch.stalls, budget)
    if over:
        pytest.fail(describe(over, budget, str(item.config.rootpath)), pytrace=False)
    return result


def _budget_of(item):
    """The budget asked for by marker, option or ini value (in that order), or None."""
    marker = item.get_closest_marker("stallscope")
    if marker is not None:
        value = marker.kwargs.get("budget_ms", marker.args[0] if marker.args else DEFAULT_BUDGET_MS)
        return _positive(value, "@pytest.mark.stallscope(budget_ms=...)")
    return _suite_budget(item.config)


def _positive(value, where):
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number > 0:
        raise pytest.UsageError("%s: the budget must be a positive number of milliseconds, not %r" % (where, value))
    return number


def _final_budget(holder, budget):
    return holder.budget_ms if holder is not None else budget


def _threshold_for(budget_ms):
    return max(_MIN_THRESHOLD_MS, min(_MAX_THRESHOLD_MS, budget_ms))


def _over(stalls, budget_ms):
    latest = {}
    for stall in stalls:  # a stall may be reported while ongoing, then again when it ended
        latest[stall.get("id", id(stall))] = stall
    over = [s for s in latest.values() if s.get("durationMs", 0) > budget_ms]
    return sorted(over, key=lambda s: -s.get("durationMs", 0))


def describe(stalls, budget_ms, rootdir=None):
    """The failure text: the worst stall in one line, its stack, then every other stall over budget."""
    worst = stalls[0]
    lines = ["event loop stalled %s > budget %s at %s" % (_ms(worst.get("durationMs", 0)), _ms(budget_ms), _summary(worst, rootdir))]
    frames = worst.get("frames") or []
    if frames:
        lines.append("  stack (innermost first):")
        lines.extend("    %s in %s" % (_where(f, rootdir), f.get("function") or "?") for f in frames[:_STACK_LINES])
        if len(frames) > _STACK_LINES:
            lines.append("    ... %d more" % (len(frames) - _STACK_LINES))
    if len(stalls) > 1:
        lines.append("  %d stalls over budget:" % len(stalls))
        lines.extend("    %s at %s" % (_ms(s.get("durationMs", 0)), _summary(s, rootdir)) for s in stalls)
    return "\n".join(lines)


def _summary(stall, rootdir):
    """`app.py:17 in GET /items/{item_id} (time.sleep)`: where, in which handler, and why."""
    culprit = stall.get("culprit") or (stall.get("frames") or [None])[0]
    text = _where(culprit, rootdir) if culprit else "an unknown line"
    handler = stall.get("handler") or {}
    label = handler.get("label")
    if label:
        text += " in %s" % (label if handler.get("kind") == "http" else "%s %s" % (handler.get("kind", "task"), label))
    why = _cause(stall.get("cause") or {}, culprit)
    return text + (" (%s)" % why if why else "")


def _cause(cause, culprit):
    kind = cause.get("kind")
    thread = (cause.get("thread") or {}).get("name")
    if kind == "gil":
        return "the GIL was held by thread %s" % thread if thread else "the GIL was held by another thread"
    if kind == "gc":
        return "garbage collection"
    if cause.get("api"):
        return cause["api"]
    if kind == "native":
        return "a C call holding the GIL" if cause.get("holdsGil") else "a blocking C call"
    if kind == "python" and culprit and culprit.get("function"):
        return "Python code in %s" % culprit["function"]
    return None


def _where(frame, rootdir):
    path = frame.get("file") or "?"
    for marker in _LIBRARY_DIRS:  # a dependency is named as it is imported: fastapi/routing.py
        at = path.rfind(marker)
        if at >= 0:
            return "%s:%s" % (path[at + len(marker):], frame.get("line", "?"))
    if rootdir and os.path.isabs(path):
        try:
            relative = os.path.relpath(path, rootdir)
        except ValueError:  # another drive on Windows
            relative = path
        if not relative.startswith(".."):
            path = relative
    return "%s:%s" % (path, frame.get("line", "?"))


def _ms(value):
    return "%d ms" % round(value)
