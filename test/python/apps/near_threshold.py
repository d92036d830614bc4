"""Blocks just over the threshold (60 ms against 50), each from an idle loop (the pure-Python loop's
heartbeat is parked in select when it starts): such a block has often ended by the time a stall can
be told, a heartbeat period after the threshold. Each prints the truth measured around it.
"""
import asyncio
import json
import os
import sys
import time


def spin(name, seconds):
    t0 = time.time()
    while time.time() - t0 < seconds:  # BLOCK:near
        pass
    sys.stderr.write("TRUTH %s\n" % json.dumps({"name": name, "startMs": t0 * 1000, "durationMs": (time.time() - t0) * 1000}))


async def main():
    for i in range(int(os.environ.get("BLOCKS", "6"))):
        # Idle long enough to park, and a start anywhere in the watchdog's own rhythm.
        await asyncio.sleep(0.2 + (i * 0.0137) % 0.05)
        spin("near-%d" % i, float(os.environ.get("BLOCK_MS", "60")) / 1000)


if os.environ.get("NEAR_LOOP") == "uvloop":
    import uvloop

    uvloop.install()
asyncio.run(main())
