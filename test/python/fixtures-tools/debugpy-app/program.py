"""Debugged under debugpy with the probe: a breakpoint pauses the loop, then a real block follows."""
import asyncio
import os
import sys
import threading
import time


async def main():
    await asyncio.sleep(0.5)  # the probe connects and its heartbeat runs
    checkpoint = time.monotonic()  # BREAK: the debugger holds the loop here for about a second
    await asyncio.sleep(0.3)
    assert time.monotonic() - checkpoint >= 0.3
    time.sleep(0.3)  # BLOCK: a real stall after the pause
    await asyncio.sleep(0.6)  # the stall is reported before the program ends
    print("threads at exit: %s" % ", ".join(sorted(t.name for t in threading.enumerate())), flush=True)


if __name__ == "__main__":
    print("pid %d on Python %s" % (os.getpid(), sys.version.split()[0]), flush=True)
    asyncio.run(main())
