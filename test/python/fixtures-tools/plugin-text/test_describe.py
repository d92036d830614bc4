"""The plugin's failure text for each kind of stall, from stall records shaped as the probe sends them."""
import os

from stallscope.pytest_plugin import describe

ROOT = os.path.abspath(os.sep + os.path.join("work", "app"))


def stall(ms, line, cause, handler=None, frames=None):
    culprit = {"file": os.path.join(ROOT, "app.py"), "line": line, "column": 5, "function": "read_item"}
    return {"id": "1.0.%d" % line, "durationMs": ms, "culprit": culprit, "frames": frames if frames is not None else [culprit], "handler": handler, "cause": cause}


HTTP = {"kind": "http", "label": "GET /items/{item_id}", "route": "/items/{item_id}", "path": "/items/1"}


def first_line(s, budget=100):
    return describe([s], budget, ROOT).split("\n")[0]


def test_each_cause_in_words():
    base = "event loop stalled 212 ms > budget 100 ms at app.py:17 in GET /items/{item_id}"
    assert first_line(stall(212.4, 17, {"kind": "native", "api": "time.sleep", "holdsGil": False}, HTTP)) == base + " (time.sleep)"
    assert first_line(stall(212, 17, {"kind": "python"}, HTTP)) == base + " (Python code in read_item)"
    assert first_line(stall(212, 17, {"kind": "native", "holdsGil": True}, HTTP)) == base + " (a C call holding the GIL)"
    assert first_line(stall(212, 17, {"kind": "gc"}, HTTP)) == base + " (garbage collection)"
    gil = {"kind": "gil", "thread": {"id": 4242, "name": "AnyIO worker thread"}}
    assert first_line(stall(212, 17, gil, HTTP)) == base + " (the GIL was held by thread AnyIO worker thread)"


def test_task_handler_and_no_culprit():
    task = stall(80, 9, {"kind": "python"}, {"kind": "task", "label": "main"})
    assert first_line(task, 50) == "event loop stalled 80 ms > budget 50 ms at app.py:9 in task main (Python code in read_item)"
    lost = dict(task, culprit=None, frames=[], handler=None, cause={})
    assert first_line(lost, 50) == "event loop stalled 80 ms > budget 50 ms at an unknown line"


def test_stack_names_dependencies_as_imported_and_lists_every_stall_over_budget():
    lib = {"file": os.sep + os.path.join("venv", "lib", "python3.11", "site-packages", "fastapi", "routing.py"), "line": 360, "column": 1, "function": "run_endpoint_function"}
    worst = stall(300, 17, {"kind": "native", "api": "time.sleep"}, HTTP)
    worst["frames"] = [worst["culprit"], lib]
    text = describe([worst, stall(150, 30, {"kind": "python"}, HTTP)], 100, ROOT).split("\n")
    assert text[1:4] == ["  stack (innermost first):", "    app.py:17 in read_item", "    fastapi/routing.py:360 in run_endpoint_function"]
    assert text[4] == "  2 stalls over budget:"
    assert text[6] == "    150 ms at app.py:30 in GET /items/{item_id} (Python code in read_item)"
