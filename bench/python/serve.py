"""Starts uvicorn for the bench on a free port and writes {"port", "pid"} to $PORT_FILE once it listens.

    python serve.py MODULE:APP LOOP      LOOP: asyncio | uvloop (HTTP parser: httptools in both)
"""
import json
import os
import socket
import sys

import uvicorn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
app_ref, loop = sys.argv[1], sys.argv[2]
# IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP (accepted ones inherit
# it); without it Nagle and delayed ACKs add 40 ms to every response on the pure-Python loop.
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.listen(2048)  # connections that arrive before the loop runs wait in the backlog
with open(os.environ["PORT_FILE"] + ".tmp", "w") as f:
    json.dump({"port": sock.getsockname()[1], "pid": os.getpid()}, f)
os.rename(os.environ["PORT_FILE"] + ".tmp", os.environ["PORT_FILE"])
config = uvicorn.Config(app_ref, loop=loop, http="httptools", access_log=False, log_level="warning", lifespan="off", backlog=2048)
uvicorn.Server(config).run(sockets=[sock])
