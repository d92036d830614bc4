"""The bench's hello-world FastAPI app (the same one with and without the probe)."""
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def root():
    return {"hello": "world"}
