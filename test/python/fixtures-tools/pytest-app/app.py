"""A FastAPI app under test: one endpoint blocks its event loop, the others do not."""
import asyncio
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    time.sleep(0.25)  # BLOCK: sync sleep in an async endpoint
    return {"item_id": item_id}


@app.get("/quiet/{item_id}")
async def quiet_item(item_id: int):
    await asyncio.sleep(0.25)
    return {"item_id": item_id}


@app.get("/threadpool/{item_id}")
def threadpool_item(item_id: int):
    time.sleep(0.25)  # a def endpoint: runs in the threadpool, the loop goes on
    return {"item_id": item_id}
