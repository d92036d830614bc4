"""The bench's blocking kinds, one endpoint each, with the line that blocks marked `# BLOCK:<kind>`.
Every call appends its ground truth ({kind, startMs, durationMs} of the blocking call) to $TRUTH_FILE."""
import hashlib
import json
import os
import re
import time

from fastapi import FastAPI

app = FastAPI()
ROWS = [{"id": i, "name": "row-%d" % i, "value": i * 0.5, "tags": ["x", "y"]} for i in range(80_000)]
EXPORT = ROWS[:4_000]
# Twice the rows for the threadpool's json.dumps: its stall counts from when the loop next had work due, up
# to a heartbeat period after the call began (~12 ms on asyncio), so a call of ROWS' ~65 ms reads about the
# threshold, and whether it is flagged at all would say more about the machine than about the probe.
DEF_ROWS = ROWS * 2
_truth = open(os.environ.get("TRUTH_FILE", os.devnull), "a", buffering=1)


class truth:
    """Times the blocking call itself, on a clock the probe shares (epoch ms)."""

    def __init__(self, kind):
        self.kind = kind

    def __enter__(self):
        self.t0 = time.time()
        self.p0 = time.perf_counter()

    def __exit__(self, *exc):
        ms = (time.perf_counter() - self.p0) * 1000
        _truth.write(json.dumps({"kind": self.kind, "startMs": self.t0 * 1000, "durationMs": ms, "pid": os.getpid()}) + "\n")


@app.get("/sleep")
async def sleep_kind():
    with truth("sleep"):
        time.sleep(0.2)  # BLOCK:sleep
    return {}


@app.get("/pbkdf2")
async def pbkdf2_kind():
    with truth("pbkdf2"):
        hashlib.pbkdf2_hmac("sha256", b"correct horse", b"salt", 300_000)  # BLOCK:pbkdf2
    return {}


@app.get("/cpu")
async def cpu_kind():
    with truth("cpu"):
        end = time.perf_counter() + 0.2
        while time.perf_counter() < end: pass  # BLOCK:cpu  # noqa: E701
    return {}


@app.get("/json")
async def json_kind():
    with truth("json"):
        json.dumps(ROWS)  # BLOCK:json
    return {}


@app.get("/regex")
async def regex_kind():
    with truth("regex"):
        re.match(r"(a+)+$", "a" * 22 + "b")  # BLOCK:regex
    return {}


@app.get("/def-json")
def def_json_kind():
    with truth("def-json"):
        json.dumps(DEF_ROWS)  # BLOCK:def-json
    return {}


@app.get("/def-export")
def def_export_kind():
    return EXPORT  # serialized by FastAPI on the loop after this returns: no line of ours blocks
