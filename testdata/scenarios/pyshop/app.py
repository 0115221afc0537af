"""pyshop: a small aiohttp + SQLAlchemy (asyncio, asyncpg) shop service on
PostgreSQL with the five bottlenecks of a hand-written performance review
planted on purpose, each in its own endpoint, next to a healthy twin.

Run by record.sh:  /usr/bin/python3 app.py --port P --dsn postgresql+asyncpg://... --out DIR

    route              function                planted problem
    /orders            orders_lazy             n_plus_one (lazy relationships in a loop)
    /orders/eager      orders_eager            healthy (selectinload)
    /rates             rates_new_session       http_client_churn (ClientSession per call, one never closed)
    /rates/shared      rates_shared_session    healthy (one shared ClientSession)
    /account           account_uncached        cacheable_duplicate (settings + profile read on every request)
    /account/cached    account_cached          healthy (TTL cache)
    /stock             stock_nopool            no_connection_pool (NullPool engine)
    /stock/pooled      stock_pooled            healthy (QueuePool engine)
    /report            report_blocking         blocking_io_in_async (time.sleep, requests, file read, psycopg2)
    /report/async      report_async            healthy (asyncio.sleep, aiohttp, executor, asyncpg)
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time

import aiohttp
import psycopg2
import requests
from aiohttp import web
from sqlalchemy import Column, ForeignKey, Integer, Numeric, String, Text, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import declarative_base, relationship, selectinload, sessionmaker
from sqlalchemy.pool import NullPool

import instrument

Base = declarative_base()


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(80), nullable=False)
    email = Column(String(120), nullable=False)


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)
    total = Column(Numeric(10, 2), nullable=False)
    customer = relationship(Customer, lazy="select")
    items = relationship("OrderItem", lazy="select", order_by="OrderItem.id")


class OrderItem(Base):
    __tablename__ = "order_items"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    sku = Column(String(20), nullable=False)
    qty = Column(Integer, nullable=False)
    price = Column(Numeric(10, 2), nullable=False)


class Setting(Base):
    __tablename__ = "settings"
    key = Column(String(40), primary_key=True)
    scope = Column(String(20), nullable=False)
    value = Column(Text, nullable=False)


class Profile(Base):
    __tablename__ = "profiles"
    user_id = Column(Integer, primary_key=True)
    display_name = Column(String(80), nullable=False)
    locale = Column(String(10), nullable=False)
    currency = Column(String(3), nullable=False)


ARGS = None
TRACE = None            # aiohttp client TraceConfig (spans for outbound calls)
pool_engine = None      # healthy: QueuePool
nopool_engine = None    # planted: NullPool, a new PostgreSQL connection per checkout
PooledSession = None
shared_http = None      # healthy: one ClientSession for the whole process
sync_pg = None          # psycopg2 connection used (wrongly) from coroutines
PAGE = 20


def make_engines(dsn):
    global pool_engine, nopool_engine, PooledSession
    pool_engine = create_async_engine(dsn, pool_size=5, max_overflow=5)
    nopool_engine = create_async_engine(dsn, poolclass=NullPool)  # PLANTED no_connection_pool
    PooledSession = sessionmaker(pool_engine, class_=AsyncSession, expire_on_commit=False)
    instrument.instrument_engine(pool_engine, "QueuePool")
    instrument.instrument_engine(nopool_engine, "NullPool")


# ------------------------------------------------------------ n_plus_one


def render_orders(orders):
    out = []
    for o in orders:
        out.append({
            "id": o.id,
            "total": str(o.total),
            "customer": o.customer.name,                       # PLANTED n_plus_one: lazy load per order
            "items": [[i.sku, i.qty] for i in o.items],        # PLANTED n_plus_one: lazy load per order
        })
    return out


async def orders_lazy(request):
    page = int(request.query.get("page", "0"))
    async with PooledSession() as s:
        res = await s.execute(select(Order).order_by(Order.id).limit(PAGE).offset(page * PAGE))
        orders = res.scalars().all()
        body = await s.run_sync(lambda sync_session: render_orders(orders))
    return web.json_response(body)


async def orders_eager(request):
    page = int(request.query.get("page", "0"))
    async with PooledSession() as s:
        res = await s.execute(select(Order).options(selectinload(Order.customer), selectinload(Order.items))
                              .order_by(Order.id).limit(PAGE).offset(page * PAGE))
        body = render_orders(res.scalars().all())
    return web.json_response(body)


# ------------------------------------------------------ http_client_churn

CURRENCIES = ("EUR", "GBP", "JPY")


async def fetch_rate_new_session(cur):
    async with aiohttp.ClientSession(trace_configs=[TRACE]) as http:  # PLANTED http_client_churn
        async with http.get(ARGS.upstream + "/rate", params={"cur": cur}) as r:
            return (await r.json())["rate"]


async def fetch_rate_leaky(cur):
    http = aiohttp.ClientSession(trace_configs=[TRACE])  # PLANTED http_client_churn, never closed
    r = await http.get(ARGS.upstream + "/rate", params={"cur": cur})
    return (await r.json())["rate"]


async def rates_new_session(request):
    rates = {}
    for cur in CURRENCIES[:2]:
        rates[cur] = await fetch_rate_new_session(cur)
    rates[CURRENCIES[2]] = await fetch_rate_leaky(CURRENCIES[2])
    return web.json_response(rates)


async def rates_shared_session(request):
    rates = {}
    for cur in CURRENCIES:
        async with shared_http.get(ARGS.upstream + "/rate", params={"cur": cur}) as r:
            rates[cur] = (await r.json())["rate"]
    return web.json_response(rates)


# ---------------------------------------------------- cacheable_duplicate

USER_ID = 42  # the logged-in user of the load driver


async def load_site_settings(s):
    res = await s.execute(select(Setting.key, Setting.value).where(Setting.scope == "site"))  # PLANTED cacheable_duplicate
    return dict(res.all())


async def load_profile(s, user_id):
    return await s.get(Profile, user_id)  # PLANTED cacheable_duplicate (same user every request)


async def page_context(s):
    # three helpers each re-read the same settings: 3 identical queries per request
    currency = (await load_site_settings(s))["currency"]
    theme = (await load_site_settings(s))["theme"]
    locale = (await load_site_settings(s))["locale"]
    return {"currency": currency, "theme": theme, "locale": locale}


async def account_uncached(request):
    async with PooledSession() as s:
        ctx = await page_context(s)
        prof = await load_profile(s, USER_ID)
        ctx["user"] = prof.display_name
    return web.json_response(ctx)


_cache = {}


async def cached(key, ttl, loader):
    hit = _cache.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    val = await loader()
    _cache[key] = (time.monotonic() + ttl, val)
    return val


async def account_cached(request):
    async def settings():
        async with PooledSession() as s:
            return await load_site_settings(s)

    async def profile():
        async with PooledSession() as s:
            return (await load_profile(s, USER_ID)).display_name

    st = await cached("settings", 300, settings)
    ctx = {"currency": st["currency"], "theme": st["theme"], "locale": st["locale"]}
    ctx["user"] = await cached(("profile", USER_ID), 300, profile)
    return web.json_response(ctx)


# ---------------------------------------------------- no_connection_pool

STOCK_SQL = text("select qty from stock where sku = :sku")
PRICE_SQL = text("select price from prices where sku = :sku")


async def stock_level(engine, sku):
    async with engine.connect() as c:  # NullPool: connect + disconnect each time
        return (await c.execute(STOCK_SQL, {"sku": sku})).scalar()


async def price_of(engine, sku):
    async with engine.connect() as c:
        return (await c.execute(PRICE_SQL, {"sku": sku})).scalar()


async def stock_nopool(request):
    sku = request.query.get("sku", "SKU-0001")
    qty = await stock_level(nopool_engine, sku)  # PLANTED no_connection_pool
    price = await price_of(nopool_engine, sku)   # PLANTED no_connection_pool
    return web.json_response({"sku": sku, "qty": qty, "price": str(price)})


async def stock_pooled(request):
    sku = request.query.get("sku", "SKU-0001")
    qty = await stock_level(pool_engine, sku)
    price = await price_of(pool_engine, sku)
    return web.json_response({"sku": sku, "qty": qty, "price": str(price)})


# --------------------------------------------------- blocking_io_in_async

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report-template.txt")


def backoff():
    time.sleep(0.05)  # PLANTED blocking_io_in_async: time.sleep in a coroutine's call path


def fx_rate_sync():
    with instrument.sync_span("HTTP GET", "requests", **{"http.method": "GET", "http.url": ARGS.upstream + "/fx"}):
        return requests.get(ARGS.upstream + "/fx", timeout=5).json()["rate"]  # PLANTED blocking_io_in_async: sync HTTP


def read_template():
    with instrument.sync_span("file.read", "io", instrument.KIND_INTERNAL, **{"file.path": ARGS.template}):
        with open(ARGS.template, "rb") as f:  # PLANTED blocking_io_in_async: sync file read
            chunks = []
            while True:
                chunk = f.read(65536)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)


def order_count_sync():
    with instrument.sync_span("SELECT", "psycopg2", **{"db.system": "postgresql", "db.statement": "select count(*), sum(total) from orders"}):
        with sync_pg.cursor() as cur:
            cur.execute("select count(*), sum(total) from orders")  # PLANTED blocking_io_in_async: sync DB driver
            return cur.fetchone()


async def report_blocking(request):
    backoff()
    rate = fx_rate_sync()
    tpl = read_template()
    n, total = order_count_sync()
    return web.json_response({"orders": n, "total": str(float(total) * rate), "template_bytes": len(tpl)})


def _read_all(path):
    with open(path, "rb") as f:
        return f.read()


async def report_async(request):
    await asyncio.sleep(0.05)
    async with shared_http.get(ARGS.upstream + "/fx") as r:
        rate = (await r.json())["rate"]
    tpl = await asyncio.get_running_loop().run_in_executor(None, _read_all, ARGS.template)
    async with pool_engine.connect() as c:
        n, total = (await c.execute(text("select count(*), sum(total) from orders"))).one()
    return web.json_response({"orders": n, "total": str(float(total) * rate), "template_bytes": len(tpl)})


# ------------------------------------------------------------- plumbing

ROUTES = [
    ("/orders", orders_lazy), ("/orders/eager", orders_eager),
    ("/rates", rates_new_session), ("/rates/shared", rates_shared_session),
    ("/account", account_uncached), ("/account/cached", account_cached),
    ("/stock", stock_nopool), ("/stock/pooled", stock_pooled),
    ("/report", report_blocking), ("/report/async", report_async),
]


def make_app(writer):
    @web.middleware
    async def tracing(request, handler):
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else request.path
        fn = getattr(handler, "__wrapped__", handler)
        code = fn.__code__ if hasattr(fn, "__code__") else None
        span = instrument.Span("GET " + route, instrument.KIND_SERVER, None, route=route, scope="aiohttp_server", **{
            "thread.name": threading.current_thread().name, "asyncio.task.name": asyncio.current_task().get_name(),
            "http.method": request.method, "http.route": route, "http.url": str(request.url),
            "http.target": request.path_qs, "code.function": fn.__name__,
            "code.filepath": "app.py", "code.lineno": code.co_firstlineno if code else 0})
        token = instrument.current_span.set(span)
        try:
            resp = await handler(request)
            span.attrs["http.status_code"] = resp.status
            return resp
        except web.HTTPException as e:
            span.attrs["http.status_code"] = e.status
            raise
        except Exception as e:
            span.attrs["http.status_code"] = 500
            span.finish(error=repr(e)[:200])
            raise
        finally:
            instrument.current_span.reset(token)
            span.finish()
            writer.export(span)

    app = web.Application(middlewares=[tracing])
    for path, h in ROUTES:
        app.router.add_get(path, h)
    return app


async def main():
    global ARGS, TRACE, shared_http, sync_pg
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--dsn", required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--template", default=TEMPLATE)
    p.add_argument("--out", required=True)
    ARGS = p.parse_args()

    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = 0.05
    instrument.setup_logging(ARGS.out)
    instrument.trace_greenlets()
    sampler = instrument.Sampler(threading.get_ident(), 0.005)
    writer = instrument.SpanWriter(os.path.join(ARGS.out, "spans.otlp.jsonl"), "pyshop")
    TRACE = instrument.client_trace_config()

    make_engines(ARGS.dsn)
    shared_http = aiohttp.ClientSession(trace_configs=[TRACE])
    sync_pg = psycopg2.connect(ARGS.dsn.replace("postgresql+asyncpg", "postgresql"))
    sync_pg.autocommit = True

    runner = web.AppRunner(make_app(writer), access_log_format='%a %t "%r" %s %b %Tf')
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", ARGS.port).start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sampler.start()
    print("pyshop ready on", ARGS.port, flush=True)
    await stop.wait()
    meta = sampler.write(os.path.join(ARGS.out, "profile.folded"))
    await runner.cleanup()
    await shared_http.close()
    await pool_engine.dispose()
    await nopool_engine.dispose()
    sync_pg.close()
    writer.close()
    meta["spans"] = writer.spans
    with open(os.path.join(ARGS.out, "profile-meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("pyshop stopped", meta, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
