"""Prints what the probe's sitecustomize must leave as it was: the user's own sitecustomize ran and
is the module `sitecustomize`, and the user's PYTHONPATH entry is still on sys.path."""
import asyncio
import os
import sys

import sitecustomize

print("ran=%s module=%s usersite_on_path=%s" % (
    os.environ.get("USER_SITECUSTOMIZE_RAN"),
    os.path.basename(os.path.dirname(sitecustomize.__file__)),
    any(p.endswith("usersite") for p in sys.path),
))


async def main():
    await asyncio.sleep(0.05)


asyncio.run(main())
