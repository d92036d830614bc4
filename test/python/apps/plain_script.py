"""`python plain_script.py` running asyncio.run: pure standard library, for every supported Python.

Each block is the whole of its loop callback, and prints the truth measured around it, so the stall's
duration can be compared with it exactly. Exits with code 3, and prints a line: the probe must change
neither.
"""
import asyncio
import json
import os
import sys
import threading
import time


def block(name, seconds):
    t0 = time.time()
    time.sleep(seconds)  # BLOCK:sleep
    t1 = time.time()
    sys.stderr.write("TRUTH %s\n" % json.dumps({"name": name, "startMs": t0 * 1000, "durationMs": (t1 - t0) * 1000}))


def spin(name, seconds):
    t0 = time.time()
    n = 0
    # One line: 3.9 puts the loop's jump back on the line of its body.
    while time.time() - t0 < seconds: n += 1  # BLOCK:spin
    t1 = time.time()
    sys.stderr.write("TRUTH %s\n" % json.dumps({"name": name, "startMs": t0 * 1000, "durationMs": (t1 - t0) * 1000}))


async def main():
    loop = asyncio.get_running_loop()
    for i, seconds in enumerate((0.15, 0.17, 0.2, 0.16, 0.18)):
        # Wait a random part of the heartbeat before blocking, so the block starts anywhere in its period.
        await asyncio.sleep(0.05 + (i * 0.0037) % 0.01)
        loop.call_soon(block, "sleep-%d" % i, seconds)
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    loop.call_soon(spin, "spin", 0.15)
    await asyncio.sleep(0.05)
    # A second loop in its own thread, blocking too.
    t = threading.Thread(target=asyncio.run, args=(other(),), name="other-loop")
    t.start()
    await asyncio.sleep(0.3)
    t.join()


async def other():
    await asyncio.sleep(0.05)
    block("thread", 0.15)
    await asyncio.sleep(0.05)


if os.environ.get("PLAIN_SCRIPT_LOOP") == "uvloop":
    import uvloop

    uvloop.run(main())
else:
    asyncio.run(main())
print("plain script done")
sys.exit(3)
