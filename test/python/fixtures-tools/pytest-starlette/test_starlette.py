"""The pytest plugin on a Starlette app, in-process (httpx ASGITransport under anyio) and live (uvicorn)."""
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from app import app


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.stallscope(budget_ms=100)
@pytest.mark.parametrize("path", ["/items/1", "/quiet/1"])
async def test_asgi(path):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        assert (await c.get(path)).json() == {"item_id": 1}


@pytest.mark.stallscope(budget_ms=100)
@pytest.mark.parametrize("path", ["/items/2", "/quiet/2"])
def test_live(path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, loop="asyncio", http="h11", log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        assert httpx.get("http://127.0.0.1:%d%s" % (sock.getsockname()[1], path)).json() == {"item_id": 2}
    finally:
        server.should_exit = True
        thread.join(10)
