"""Blocks just over the 50 ms threshold, each the whole of a timer callback of an otherwise idle
loop: by the time the stall can be told (a heartbeat after the threshold) the block has ended, so
its line must come from a look taken while it ran. Alternates a call that sleeps and Python that
spins; prints the truth measured around each block."""
import asyncio
import json
import os
import sys
import time


def block(name, seconds):
    t0 = time.time()
    time.sleep(seconds)  # BLOCK:sleep
    t1 = time.time()
    sys.stderr.write("TRUTH %s\n" % json.dumps({"name": name, "startMs": t0 * 1000, "durationMs": (t1 - t0) * 1000}))


def spin(name, seconds):
    t0 = time.time()
    n = 0
    while time.time() - t0 < seconds: n += 1  # BLOCK:spin
    t1 = time.time()
    sys.stderr.write("TRUTH %s\n" % json.dumps({"name": name, "startMs": t0 * 1000, "durationMs": (t1 - t0) * 1000}))


async def main():
    loop = asyncio.get_running_loop()
    for i in range(10):
        await asyncio.sleep(0.12 + (i * 0.0037) % 0.01)
        fn = block if i % 2 == 0 else spin
        loop.call_soon(fn, "%s-%d" % (fn.__name__, i), 0.056 + 0.002 * (i % 4))
    await asyncio.sleep(0.1)


if os.environ.get("NEAR_LOOP") == "uvloop":
    import uvloop

    uvloop.run(main())
else:
    asyncio.run(main())
