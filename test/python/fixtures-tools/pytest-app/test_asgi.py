"""The pytest plugin with httpx's in-process ASGITransport, under anyio's pytest plugin."""
import httpx
import pytest

from app import app


def client():
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.anyio
@pytest.mark.stallscope(budget_ms=100)
async def test_blocking_endpoint():
    async with client() as c:
        assert (await c.get("/items/1")).json() == {"item_id": 1}


@pytest.mark.anyio
@pytest.mark.stallscope(budget_ms=100)
async def test_quiet_endpoint():
    async with client() as c:
        assert (await c.get("/quiet/2")).json() == {"item_id": 2}


@pytest.mark.anyio
@pytest.mark.stallscope(budget_ms=100)
async def test_def_endpoint():
    async with client() as c:
        assert (await c.get("/threadpool/3")).json() == {"item_id": 3}


@pytest.mark.anyio
async def test_fixture_sees_the_stall_under_a_raised_budget(stallscope):
    stallscope.budget_ms = 1000
    async with client() as c:
        await c.get("/items/4")
    over = [s for s in stallscope.stalls if s["durationMs"] > 200]
    assert over, stallscope.stalls
    assert over[0]["handler"]["label"] == "GET /items/{item_id}"
    assert stallscope.over_budget() == []


@pytest.mark.anyio
async def test_fixture_default_budget(stallscope):
    assert stallscope.budget_ms == 100
    async with client() as c:
        await c.get("/items/5")


@pytest.fixture
def anyio_backend():
    return "asyncio"
