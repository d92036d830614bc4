"""Runs the test app as `fastapi run` and `fastapi dev` do, and as many a `main.py` does: uvicorn.run()
in the program's own process; with --reload (fastapi dev), uvicorn's reloader spawns the server."""
import os
import sys

import uvicorn

if __name__ == "__main__":
    reload = "--reload" in sys.argv
    here = os.path.dirname(os.path.abspath(__file__))
    uvicorn.run("fastapi_app:app", host="127.0.0.1", port=0, reload=reload, reload_dirs=[here] if reload else None)
