"""A FastAPI app whose endpoints block the event loop in each way the Python probe tells apart.

Every blocking line carries a `# BLOCK:<name>` marker (the tests find the expected culprit line by
it), and every blocking call prints a `TRUTH {...}` line on stderr: when it started and how long it
took, measured around the call itself, to compare with the stall the probe reports.
"""
import contextlib
import hashlib
import json
import re
import sys
import time

from fastapi import FastAPI

app = FastAPI()
ROWS = [{"id": i, "name": "row %d" % i, "tags": ["a", "b", "c"], "score": i * 0.5} for i in range(150_000)]
BIG = [{"id": i, "name": "item %d" % i, "tags": ["x", "y"]} for i in range(30_000)]


@contextlib.contextmanager
def truth(name):
    t0 = time.time()
    yield
    t1 = time.time()
    sys.stderr.write("TRUTH %s\n" % json.dumps({"name": name, "startMs": t0 * 1000, "durationMs": (t1 - t0) * 1000}))
    sys.stderr.flush()


@app.get("/health")
async def health():
    return {"ok": True}


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    with truth("sleep"):
        time.sleep(0.2)  # BLOCK:sleep
    return {"item_id": item_id}


@app.get("/hash/{rounds}")
async def hash_password(rounds: int):
    with truth("pbkdf2"):
        digest = hashlib.pbkdf2_hmac("sha256", b"password", b"salt", rounds)  # BLOCK:pbkdf2
    return {"digest": digest.hex()}


@app.get("/cpu")
async def cpu():
    n = 0
    with truth("cpu"):
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.2:  # BLOCK:cpu
            n += 1
    return {"n": n}


@app.get("/json")
async def dump_json():
    with truth("json"):
        text = json.dumps(ROWS)  # BLOCK:json
    return {"bytes": len(text)}


@app.get("/regex")
async def regex():
    with truth("regex"):
        matched = re.match(r"(a+)+$", "a" * 22 + "b")  # BLOCK:regex
    return {"matched": matched is not None}


@app.get("/sync/sleep")
def sync_sleep():
    time.sleep(0.2)
    return {"slept": True}


@app.get("/sync/big")
def sync_big():
    return BIG


@app.get("/sync/json")
def sync_json():
    # One C call holding the GIL in a threadpool thread: the loop, waiting in its poll, cannot run.
    with truth("sync-json"):
        text = json.dumps(ROWS[:110_000])  # BLOCK:sync-json (~90 ms: a call not much over the threshold)
    return {"bytes": len(text)}


@app.get("/sync/cpu")
def sync_cpu():
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 0.3:  # BLOCK:sync-cpu
        n += 1
    return {"n": n}


@app.get("/validate/{email}")
async def validate(email: str):
    # Catastrophic backtracking on "aaaa…!": a C call that holds the GIL and, in practice, never returns.
    ok = re.match(r"^([a-zA-Z0-9]+)*@example\.com$", email) is not None  # BLOCK:hang
    return {"valid": ok}
