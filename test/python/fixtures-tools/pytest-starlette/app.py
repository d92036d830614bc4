"""A Starlette app (no FastAPI: it runs on every supported Python here): one route blocks its loop."""
import asyncio
import time

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def read_item(request):
    time.sleep(0.25)  # BLOCK: sync sleep in an async endpoint
    return JSONResponse({"item_id": int(request.path_params["item_id"])})


async def quiet_item(request):
    await asyncio.sleep(0.25)
    return JSONResponse({"item_id": int(request.path_params["item_id"])})


app = Starlette(routes=[Route("/items/{item_id}", read_item), Route("/quiet/{item_id}", quiet_item)])
