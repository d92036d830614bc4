"""A small FastAPI order service for `npm run demo:python`: which of its endpoints block the event loop?

    GET /health                 does nothing: its latency is the time it waited for the loop
    GET /orders/{order_id}      async def + a synchronous call: blocks the loop while it runs
    GET /invoices/{invoice_id}  def + the same synchronous call: runs in the threadpool, the loop goes on
    GET /export                 def, but returns a big payload: FastAPI serializes it on the loop
"""
import time

from fastapi import FastAPI

app = FastAPI(title="python-demo")

ROWS = [{"id": i, "sku": "SKU-%05d" % i, "qty": i % 7, "price": round(i * 1.37, 2), "tags": ["a", "b", "c"]} for i in range(3_000)]


def fetch_order_from_legacy_db(order_id: int) -> dict:
    """A synchronous driver call (think psycopg2, requests): 80 ms of waiting."""
    time.sleep(0.08)
    return {"id": order_id, "status": "shipped"}


@app.get("/health")
async def health():
    return {"ok": True}


@app.get("/orders/{order_id}")
async def get_order(order_id: int):
    return fetch_order_from_legacy_db(order_id)  # sync call inside async def: the loop waits


@app.get("/invoices/{invoice_id}")
def get_invoice(invoice_id: int):
    return fetch_order_from_legacy_db(invoice_id)  # same call in a def endpoint: a threadpool thread waits


@app.get("/export")
def export_rows():
    return ROWS  # validated and serialized by FastAPI on the event loop, after this returns
