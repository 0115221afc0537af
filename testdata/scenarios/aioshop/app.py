"""aioshop: an asyncio shop API (aiohttp server, SQLAlchemy 1.4 Core in
asyncio mode over asyncpg, PostgreSQL) with seven problems planted on
purpose, each next to a healthy twin. Planted lines carry `# PLANTED <kind>`.

    route               handler                        planted problem
    /products           product_page                   n_plus_one (a loop of awaits, one query per product)
    /products/joined    product_page_joined            healthy (one LEFT JOIN)
    /cart               cart_view                      cacheable_duplicate (feature flags read per request)
    /cart/cached        cart_view_cached               healthy (flags cached for 60 s)
    /inventory          inventory_engine_per_request   no_connection_pool (an engine per request)
    /inventory/pooled   inventory_pooled               healthy (the app's pooled engine)
    /convert            convert                        http_client_churn (a ClientSession per call, never closed)
    /convert/shared     convert_shared                 healthy (one ClientSession for the app)
    /quote              quote_blocking                 blocking_io_in_async (time.sleep)
    /quote/async        quote_async                    healthy (asyncio.sleep)
    /tax                tax_urllib                     blocking_io_in_async (urllib.request)
    /tax/async          tax_async                      healthy (aiohttp)
    /shipping           shipping_requests              blocking_io_in_async (requests.get)
    /shipping/executor  shipping_executor              healthy (requests.get in the default executor)

Run under the instrumentation launcher (record.sh does):
    PYTHONASYNCIODEBUG=1 /usr/bin/python3 otelwrap.py --spans S --profile P -- app.py --port N --dsn D --upstream U --log L
"""
import argparse
import asyncio
import functools
import json
import logging
import signal
import time
import urllib.request

import aiohttp
import requests
from aiohttp import web
from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, Numeric, String, Table, func, select
from sqlalchemy.ext.asyncio import create_async_engine

log = logging.getLogger("aioshop")
meta = MetaData()
products = Table("products", meta, Column("id", Integer, primary_key=True), Column("sku", String(20), unique=True),
                 Column("name", String(80)), Column("price", Numeric(10, 2)))
reviews = Table("reviews", meta, Column("id", Integer, primary_key=True),
                Column("product_id", Integer, ForeignKey("products.id"), index=True),
                Column("stars", Integer), Column("body", String(200)))
flags = Table("feature_flags", meta, Column("name", String(40), primary_key=True), Column("enabled", Boolean))
cart_lines = Table("cart_lines", meta, Column("id", Integer, primary_key=True), Column("cart_id", Integer, index=True),
                   Column("sku", String(20)), Column("qty", Integer))
stock = Table("stock", meta, Column("sku", String(20), primary_key=True), Column("warehouse", String(20)),
              Column("qty", Integer))

ARGS = None
db = None                   # the app's engine: a pool of 5 connections
PAGE = 20
CONNECT_ARGS = {"server_settings": {"application_name": "aioshop"}}


# ------------------------------------------------------------------- logging

class TaskNameFilter(logging.Filter):
    """Python 3.11's LogRecord has no taskName (3.12 adds it): take it from the running task."""

    def filter(self, record):
        try:
            task = asyncio.current_task()
        except RuntimeError:
            task = None
        record.taskName = task.get_name() if task is not None else "-"
        return True


def setup_logging(path):
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s/%(taskName)s] %(message)s"))
    handler.addFilter(TaskNameFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name, level in (("sqlalchemy.engine", logging.INFO), ("sqlalchemy.pool", logging.DEBUG),
                        ("asyncio", logging.DEBUG), ("aiohttp.access", logging.INFO), ("aioshop", logging.INFO)):
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(True)


@web.middleware
async def request_log(request, handler):
    log.info("%s %s -> %s", request.method, request.path_qs, getattr(handler, "__name__", "?"))
    return await handler(request)


# ---------------------------------------------------------------- n_plus_one

async def product_page(request):
    page = int(request.query.get("page", "0"))
    async with db.connect() as conn:
        rows = (await conn.execute(select(products).order_by(products.c.id).limit(PAGE).offset(page * PAGE))).all()
        out = []
        for p in rows:
            revs = (await conn.execute(select(reviews.c.stars, reviews.c.body).where(reviews.c.product_id == p.id))).all()  # PLANTED n_plus_one
            out.append({"sku": p.sku, "name": p.name, "price": str(p.price), "reviews": [[s, b] for s, b in revs]})
    return web.json_response(out)


async def product_page_joined(request):
    page = int(request.query.get("page", "0"))
    ids = select(products.c.id).order_by(products.c.id).limit(PAGE).offset(page * PAGE).scalar_subquery()
    q = (select(products.c.id, products.c.sku, products.c.name, products.c.price, reviews.c.stars, reviews.c.body)
         .select_from(products.outerjoin(reviews, reviews.c.product_id == products.c.id))
         .where(products.c.id.in_(ids)).order_by(products.c.id, reviews.c.id))
    async with db.connect() as conn:
        rows = (await conn.execute(q)).all()
    out = {}
    for r in rows:
        p = out.setdefault(r.id, {"sku": r.sku, "name": r.name, "price": str(r.price), "reviews": []})
        if r.stars is not None:
            p["reviews"].append([r.stars, r.body])
    return web.json_response(list(out.values()))


# ------------------------------------------------------- cacheable_duplicate

async def load_flags(conn):
    return dict((await conn.execute(select(flags.c.name, flags.c.enabled))).all())  # PLANTED cacheable_duplicate: same rows every request


async def cart_lines_of(conn, cart):
    rows = (await conn.execute(select(cart_lines.c.sku, cart_lines.c.qty).where(cart_lines.c.cart_id == cart))).all()
    return [[s, q] for s, q in rows]


async def cart_view(request):
    cart = int(request.query.get("cart", "1"))
    async with db.connect() as conn:
        fl = await load_flags(conn)
        lines = await cart_lines_of(conn, cart)
    return web.json_response({"cart": cart, "lines": lines, "express": fl.get("express_checkout", False)})


_flags_cache = {"until": 0.0, "value": None}


async def cached_flags():
    if _flags_cache["until"] < time.monotonic():
        async with db.connect() as conn:
            _flags_cache["value"] = await load_flags(conn)
        _flags_cache["until"] = time.monotonic() + 60
    return _flags_cache["value"]


async def cart_view_cached(request):
    cart = int(request.query.get("cart", "1"))
    fl = await cached_flags()
    async with db.connect() as conn:
        lines = await cart_lines_of(conn, cart)
    return web.json_response({"cart": cart, "lines": lines, "express": fl.get("express_checkout", False)})


# -------------------------------------------------------- no_connection_pool

async def inventory_engine_per_request(request):
    sku = request.query.get("sku", "SKU-0001")
    engine = create_async_engine(ARGS.dsn, connect_args=CONNECT_ARGS)  # PLANTED no_connection_pool: an engine per request
    try:
        async with engine.connect() as conn:  # PLANTED no_connection_pool: a new PostgreSQL session every time
            row = (await conn.execute(select(stock.c.warehouse, stock.c.qty).where(stock.c.sku == sku))).one()
    finally:
        await engine.dispose()
    return web.json_response({"sku": sku, "warehouse": row.warehouse, "qty": row.qty})


async def inventory_pooled(request):
    sku = request.query.get("sku", "SKU-0001")
    async with db.connect() as conn:
        row = (await conn.execute(select(stock.c.warehouse, stock.c.qty).where(stock.c.sku == sku))).one()
    return web.json_response({"sku": sku, "warehouse": row.warehouse, "qty": row.qty})


# --------------------------------------------------------- http_client_churn

CURRENCIES = ("GBP", "CHF", "USD")


async def fetch_rate(cur):
    http = aiohttp.ClientSession()  # PLANTED http_client_churn: new session, connector, DNS, TCP and TLS per call; never closed
    async with http.get(ARGS.upstream + "/rates", params={"cur": cur}) as r:
        return (await r.json())["rate"]


async def convert(request):
    amount = float(request.query.get("amount", "100"))
    rates = {}
    for cur in CURRENCIES:
        rates[cur] = await fetch_rate(cur)
    return web.json_response({c: round(amount * r, 2) for c, r in rates.items()})


async def convert_shared(request):
    amount = float(request.query.get("amount", "100"))
    http = request.app["http"]
    rates = {}
    for cur in CURRENCIES:
        async with http.get(ARGS.upstream + "/rates", params={"cur": cur}) as r:
            rates[cur] = (await r.json())["rate"]
    return web.json_response({c: round(amount * r, 2) for c, r in rates.items()})


# ------------------------------------------------------ blocking_io_in_async

QUOTE_PAUSE = 0.06  # the partner's rate limit: one quote per 60 ms


async def quote_blocking(request):
    time.sleep(QUOTE_PAUSE)  # PLANTED blocking_io_in_async: time.sleep on the event loop
    return web.json_response({"quote": 42.0, "valid_s": 30})


async def quote_async(request):
    await asyncio.sleep(QUOTE_PAUSE)
    return web.json_response({"quote": 42.0, "valid_s": 30})


async def tax_urllib(request):
    with urllib.request.urlopen(ARGS.upstream + "/tax?region=EU", timeout=5) as r:  # PLANTED blocking_io_in_async: urllib
        tax = json.load(r)
    return web.json_response({"vat": tax["vat"]})


async def tax_async(request):
    async with request.app["http"].get(ARGS.upstream + "/tax", params={"region": "EU"}) as r:
        tax = await r.json()
    return web.json_response({"vat": tax["vat"]})


async def shipping_requests(request):
    zone = request.query.get("zone", "1")
    r = requests.get(ARGS.upstream + "/ship", params={"zone": zone}, timeout=5)  # PLANTED blocking_io_in_async: requests
    return web.json_response(r.json())


async def shipping_executor(request):
    zone = request.query.get("zone", "1")
    call = functools.partial(requests.get, ARGS.upstream + "/ship", params={"zone": zone}, timeout=5)
    r = await asyncio.get_running_loop().run_in_executor(None, call)
    return web.json_response(r.json())


# ------------------------------------------------------------------ plumbing

ROUTES = [
    ("/products", product_page), ("/products/joined", product_page_joined),
    ("/cart", cart_view), ("/cart/cached", cart_view_cached),
    ("/inventory", inventory_engine_per_request), ("/inventory/pooled", inventory_pooled),
    ("/convert", convert), ("/convert/shared", convert_shared),
    ("/quote", quote_blocking), ("/quote/async", quote_async),
    ("/tax", tax_urllib), ("/tax/async", tax_async),
    ("/shipping", shipping_requests), ("/shipping/executor", shipping_executor),
]


async def create_schema():
    """Schema and data, as the service sets them up on start (before any request)."""
    async with db.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        await conn.execute(products.insert().values([
            {"id": i, "sku": "SKU-%04d" % i, "name": "Product %d" % i, "price": 5 + i % 90} for i in range(1, 401)]))
        await conn.execute(reviews.insert().values([
            {"product_id": 1 + i % 400, "stars": 1 + i % 5, "body": "review %d" % i} for i in range(2000)]))
        await conn.execute(flags.insert().values([
            {"name": n, "enabled": i % 2 == 0} for i, n in enumerate(
                ("express_checkout", "new_search", "gift_cards", "reviews_v2", "dark_mode", "wishlist",
                 "loyalty", "chat", "coupons", "bundles", "klarna", "apple_pay"))]))
        await conn.execute(cart_lines.insert().values([
            {"cart_id": 1 + i % 200, "sku": "SKU-%04d" % (1 + i * 7 % 400), "qty": 1 + i % 3} for i in range(600)]))
        await conn.execute(stock.insert().values([
            {"sku": "SKU-%04d" % i, "warehouse": ("north", "south")[i % 2], "qty": i * 13 % 250} for i in range(1, 401)]))
    async with db.connect() as conn:
        n = (await conn.execute(select(func.count()).select_from(reviews))).scalar()
    log.info("schema ready: %d tables, %d reviews", len(meta.tables), n)


async def main():
    global ARGS, db
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--dsn", required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--log", required=True)
    ARGS = p.parse_args()
    setup_logging(ARGS.log)
    loop = asyncio.get_running_loop()
    loop.slow_callback_duration = 0.04
    db = create_async_engine(ARGS.dsn, pool_size=5, max_overflow=0, connect_args=CONNECT_ARGS)
    await create_schema()

    app = web.Application(middlewares=[request_log])
    for path, handler in ROUTES:
        app.router.add_get(path, handler)
    app["http"] = aiohttp.ClientSession()
    runner = web.AppRunner(app, access_log_format='%a "%r" %s %b %Tf "%{User-Agent}i" %{X-Request-ID}i')
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", ARGS.port).start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("aioshop listening on 127.0.0.1:%d", ARGS.port)
    print("aioshop ready", flush=True)
    await stop.wait()
    await runner.cleanup()
    await app["http"].close()
    await db.dispose()
    log.info("aioshop stopped")


if __name__ == "__main__":
    asyncio.run(main())
