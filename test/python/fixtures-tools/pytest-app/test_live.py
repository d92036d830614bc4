"""The pytest plugin with a live uvicorn server that the test starts in a thread of its own."""
import contextlib
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from app import app


@contextlib.contextmanager
def live_server(loop):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, loop=loop, http="h11", log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield "http://127.0.0.1:%d" % sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


LOOPS = ["asyncio", "uvloop"]


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.stallscope(budget_ms=100)
def test_live_blocking(loop):
    with live_server(loop) as url:
        assert httpx.get(url + "/items/5").json() == {"item_id": 5}


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.stallscope(budget_ms=100)
def test_live_quiet(loop):
    with live_server(loop) as url:
        assert httpx.get(url + "/quiet/6").json() == {"item_id": 6}


@pytest.fixture(scope="module")
def server_from_fixture():
    """A server started in setup, before the test's watch begins: its loop is already running then."""
    with live_server("asyncio") as url:
        yield url


@pytest.mark.stallscope(budget_ms=100)
def test_fixture_server_blocking(server_from_fixture):
    assert httpx.get(server_from_fixture + "/items/7").json() == {"item_id": 7}


@pytest.mark.stallscope(budget_ms=100)
def test_fixture_server_quiet(server_from_fixture):
    assert httpx.get(server_from_fixture + "/quiet/8").json() == {"item_id": 8}
