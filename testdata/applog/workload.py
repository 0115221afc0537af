"""The application-log recorder's workload: one small Python service, logged
through one logging layout into one file, with every logger in it.

    workload.py LAYOUT OUT.log TRUTH.json PGPORT     (record.sh runs it)
    workload.py --list                               (the layout names)

In this process: an aiohttp server (aiohttp.access, default access format)
whose handlers run SQLAlchemy statements (asyncpg with its pool, and
psycopg2 with a NullPool: a new connection per request, from a worker
thread), block the event loop with time.sleep (asyncio debug mode's
slow-callback warning), leak an aiohttp ClientSession, and fail once (a
traceback of the app's own logger); a uvicorn server (uvicorn.access,
uvicorn.error). In a subprocess: gunicorn (gthread worker) serving a Django
app (djangoapp.py: django.db.backends, gunicorn.access, gunicorn.error),
logging through the same layout into the same file.

Every record also reaches a counting handler, which writes the ground
truth to TRUTH.json: records per logger, and what SQLAlchemy, Django,
asyncio and the access loggers logged, counted from the LogRecord objects
(their msg format strings and args), never from the formatted text.
"""
import asyncio
import collections
import gc
import glob
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


# ------------------------------------------------------------------ layouts

class JSONFormatter(logging.Formatter):
    """A hand-written json Formatter, as many services have one."""

    def format(self, record):
        d = {"asctime": self.formatTime(record), "name": record.name, "levelname": record.levelname,
             "threadName": record.threadName, "taskName": getattr(record, "taskName", None),
             "process": record.process, "message": record.getMessage()}
        if record.exc_info:
            d["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(d)


def make_formatter(layout):
    """The Formatter of one layout (also a dictConfig factory for gunicorn)."""
    if layout == "json":
        return JSONFormatter()
    if layout == "jsonlogger":
        from pythonjsonlogger import jsonlogger
        return jsonlogger.JsonFormatter(
            "%(asctime)s %(name)s %(levelname)s %(threadName)s %(taskName)s %(process)d %(message)s")
    if layout == "structlog":
        import structlog
        return structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.JSONRenderer(),
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.processors.CallsiteParameterAdder(
                    [structlog.processors.CallsiteParameter.THREAD_NAME,
                     structlog.processors.CallsiteParameter.PROCESS]),
                structlog.processors.format_exc_info,
            ])
    spec = LAYOUTS[layout]
    return logging.Formatter(spec["fmt"], spec.get("datefmt"), style=spec.get("style", "%"))


LAYOUTS = {
    # logging.basicConfig()'s default
    "basic": {"fmt": logging.BASIC_FORMAT},
    "threadtask": {"fmt": "%(asctime)s %(levelname)s %(name)s [%(threadName)s/%(taskName)s] %(message)s"},
    "threadfirst": {"fmt": "%(asctime)s [%(threadName)s] %(levelname)s %(name)s: %(message)s"},
    # the logging cookbook's layout, with a custom datefmt
    "datefmt": {"fmt": "%(asctime)s - %(name)s - %(levelname)s - %(message)s", "datefmt": "%d/%b/%Y %H:%M:%S"},
    "levelfirst": {"fmt": "%(levelname)-8s %(asctime)s.%(msecs)03d %(name)s:%(lineno)d %(message)s",
                   "datefmt": "%Y-%m-%dT%H:%M:%S"},
    "syslog": {"fmt": "%(name)s[%(process)d]: %(levelname)s %(message)s"},
    "epoch": {"fmt": "%(created)f %(process)d %(threadName)s %(levelname)s %(name)s %(message)s"},
    "isozone": {"fmt": "%(asctime)s|%(levelname)s|%(name)s|%(threadName)s|%(message)s",
                "datefmt": "%Y-%m-%dT%H:%M:%S%z"},
    # Django's documentation's "verbose" formatter: no logger name
    "djangoverbose": {"fmt": "{levelname} {asctime} {module} {process:d} {thread:d} {message}", "style": "{"},
    # gunicorn's own default ("generic"): no logger name either
    "gunicorn": {"fmt": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s", "datefmt": "[%Y-%m-%d %H:%M:%S %z]"},
    "json": {},
    "jsonlogger": {},
    "structlog": {},
}


class TaskNameFilter(logging.Filter):
    """Python 3.11's LogRecord has no taskName (3.12 adds it): add it."""

    def filter(self, record):
        if not hasattr(record, "taskName"):
            try:
                t = asyncio.current_task()
            except RuntimeError:
                t = None
            record.taskName = t.get_name() if t is not None else None
        return True


# ------------------------------------------------------------- ground truth

ACCESS = ("aiohttp.access", "uvicorn.access", "gunicorn.access")


class GroundTruth(logging.Handler):
    """Counts the records as logging hands them out, from their fields."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.reset()

    def reset(self):
        self.pid = os.getpid()
        self.loggers = collections.Counter()
        self.counts = collections.Counter()
        self.seen = {}

    def emit(self, record):
        if os.getpid() != self.pid:  # a forked gunicorn worker starts afresh
            self.reset()
        name = record.name
        msg = record.msg if isinstance(record.msg, str) else str(record.msg)
        args = record.args if isinstance(record.args, tuple) else ()
        self.loggers[name] += 1
        c = self.counts
        if name.startswith("sqlalchemy.engine"):
            if msg.endswith("] %r") or "[SQL parameters hidden" in msg:
                c["sa_param_lines"] += 1
            elif not msg.startswith(("Col ", "Row ")):
                c["sa_statements"] += 1
        elif name.startswith("sqlalchemy.pool"):
            if msg.startswith("Created new connection") and args:
                c["sa_opened"] += 1
            elif msg == "%s connection %r" and len(args) == 2:
                c["sa_closed"] += 1
                self.seen.pop(id(args[1]), None)
            elif msg == "Connection %r checked out from pool" and args:
                if self.seen.get(id(args[0])):
                    c["sa_reused"] += 1
                else:
                    self.seen[id(args[0])] = True
        elif name == "django.db.backends" and msg.startswith("(%.3f) %s; args=%s"):
            c["django_statements"] += 1
        elif name == "asyncio":
            first = record.getMessage().split("\n", 1)[0]
            if msg.startswith("Executing %s took %.3f seconds"):
                c["slow_callbacks"] += 1
            elif first == "Unclosed client session":
                c["unclosed_sessions"] += 1
            elif first == "Unclosed connector":
                c["unclosed_connectors"] += 1
        elif name in ACCESS:
            c[name] += 1
        self.write()

    def write(self):
        tmp = "%s.%d.tmp" % (self.path, self.pid)
        with open(tmp, "w") as f:
            json.dump({"pid": self.pid, "records": dict(self.loggers), "counts": dict(self.counts)}, f)
        os.replace(tmp, "%s.%d" % (self.path, self.pid))


LEVELS = {"sqlalchemy.engine": logging.INFO, "sqlalchemy.pool": logging.DEBUG, "asyncio": logging.DEBUG,
          "aiohttp.access": logging.INFO, "uvicorn.access": logging.INFO, "uvicorn.error": logging.INFO,
          "gunicorn.access": logging.INFO, "gunicorn.error": logging.INFO, "django.db.backends": logging.DEBUG,
          "shop": logging.INFO, "py.warnings": logging.WARNING}


def dict_config(layout, out, truth):
    """The same logging set-up as a dictConfig (gunicorn's logconfig_dict)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"f": {"()": "workload.make_formatter", "layout": layout}},
        "filters": {"task": {"()": "workload.TaskNameFilter"}},
        "handlers": {
            "file": {"class": "logging.FileHandler", "filename": out, "mode": "a", "formatter": "f", "filters": ["task"]},
            "truth": {"()": "workload.GroundTruth", "path": truth},
        },
        "root": {"level": "WARNING", "handlers": ["file", "truth"]},
        "loggers": {n: {"level": logging.getLevelName(lv), "propagate": True} for n, lv in LEVELS.items()},
    }


# ------------------------------------------------------------------ service

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("port %d never opened" % port)


def blocking_callback():
    time.sleep(0.06)  # a plain callback that blocks the loop: <Handle …> took


async def amain(pgport, gport):
    import aiohttp
    import uvicorn
    from aiohttp import web
    from sqlalchemy import create_engine, text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    loop = asyncio.get_running_loop()
    loop.slow_callback_duration = 0.05
    log = logging.getLogger("shop")
    aengine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:%d/shop" % pgport,
                                  logging_name="orders", pool_logging_name="orders", pool_size=3)
    nopool = create_engine("postgresql+psycopg2://postgres@127.0.0.1:%d/shop" % pgport, poolclass=NullPool)

    async def rate_app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"rate": 1.1}'})

    uport, aport = free_port(), free_port()
    userver = uvicorn.Server(uvicorn.Config(rate_app, host="127.0.0.1", port=uport, log_config=None, lifespan="off"))
    userver.install_signal_handlers = lambda: None
    utask = asyncio.create_task(userver.serve())
    while not userver.started:
        await asyncio.sleep(0.05)

    async def orders(request):
        cid = int(request.match_info["cid"])
        async with aengine.connect() as conn:
            # logging_token: SQLAlchemy tags this connection's echo lines
            conn = await conn.execution_options(logging_token="req-" + uuid.uuid4().hex[:8])
            rows = (await conn.execute(text("SELECT id, total FROM orders WHERE customer_id = :c ORDER BY id"),
                                       {"c": cid})).all()
            items = 0
            for oid, _ in rows:  # N+1
                items += len((await conn.execute(text("SELECT sku, qty FROM items WHERE order_id = :o"),
                                                 {"o": oid})).all())
        log.info("orders of customer %d: %d orders, %d items", cid, len(rows), items)
        return web.json_response({"orders": len(rows), "items": items})

    def stock_sync(sku):
        with nopool.connect() as c:  # a new connection per request
            return c.execute(text("SELECT qty FROM stock WHERE sku = :s"), {"s": sku}).scalar()

    async def stock(request):
        qty = await loop.run_in_executor(None, stock_sync, request.match_info["sku"])
        return web.json_response({"qty": qty})

    async def report(request):
        time.sleep(0.12)  # blocks the event loop
        async with aengine.connect() as conn:
            total = (await conn.execute(text("SELECT sum(total) FROM orders"))).scalar()
        return web.json_response({"total": total})

    async def rates(request):
        session = aiohttp.ClientSession()  # a new session per call, never closed
        async with session.get("http://127.0.0.1:%d/rate" % uport) as r:
            body = await r.json()
        return web.json_response(body)

    async def users(request):
        async with aiohttp.ClientSession() as s:
            async with s.get("http://127.0.0.1:%d/users" % gport) as r:
                return web.json_response(await r.json())

    async def user(request):
        async with aiohttp.ClientSession() as s:
            async with s.get("http://127.0.0.1:%d/user/%s" % (gport, request.match_info["n"])) as r:
                return web.json_response(await r.json())

    async def fail(request):
        try:
            {}["missing"]
        except KeyError:
            log.exception("lookup failed")
        return web.json_response({"ok": False}, status=500)

    app = web.Application()
    app.add_routes([web.get("/orders/{cid}", orders), web.get("/stock/{sku}", stock), web.get("/report", report),
                    web.get("/rates", rates), web.get("/users", users), web.get("/user/{n}", user),
                    web.get("/fail", fail)])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", aport).start()
    log.info("serving on %d, rates on %d, django on %d", aport, uport, gport)

    base = "http://127.0.0.1:%d" % aport
    async with aiohttp.ClientSession() as client:
        async def get(path):
            async with client.get(base + path) as r:
                await r.read()

        for rnd in range(3):
            await asyncio.gather(get("/orders/1"), get("/orders/2"), get("/stock/A%d" % rnd), get("/stock/B"),
                                 get("/report"), get("/users"), get("/user/%d" % (rnd + 1)))
            await get("/rates")
            gc.collect()  # the leaked session and connector are reported when collected
            await asyncio.sleep(0.05)
        await get("/fail")
        loop.call_soon(blocking_callback)
        await asyncio.sleep(0.1)

    await runner.cleanup()
    userver.should_exit = True
    await utask
    await aengine.dispose()
    nopool.dispose()
    gc.collect()
    await asyncio.sleep(0.05)


def main():
    if sys.argv[1:] == ["--list"]:
        print(" ".join(LAYOUTS))
        return
    layout, out, truth, pgport = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    import logging.config
    sys.path.insert(0, HERE)
    logging.config.dictConfig(dict_config(layout, out, truth))
    logging.captureWarnings(True)
    warnings.simplefilter("always", ResourceWarning)

    gport = free_port()
    env = dict(os.environ, APPLOG_LAYOUT=layout, APPLOG_OUT=out, APPLOG_TRUTH=truth, APPLOG_PGPORT=str(pgport),
               APPLOG_GPORT=str(gport), PYTHONPATH=HERE)
    guni = subprocess.Popen([PY, "-m", "gunicorn", "-c", os.path.join(HERE, "gunicorn_conf.py"), "djangoapp:application"],
                            cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(gport)
        asyncio.run(amain(pgport, gport), debug=True)
    finally:
        guni.terminate()
        guni.wait(20)
    logging.shutdown()

    # Merge the counts of this process and gunicorn's master and worker.
    records, counts = collections.Counter(), collections.Counter()
    for p in glob.glob(truth + ".*"):
        if p.endswith(".tmp"):
            continue
        with open(p) as f:
            d = json.load(f)
        records.update(d["records"])
        counts.update(d["counts"])
        os.remove(p)
    with open(truth, "w") as f:
        json.dump({"layout": layout, "format": LAYOUTS[layout], "records": dict(sorted(records.items())),
                   "counts": dict(sorted(counts.items()))}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    threading.current_thread().name = "MainThread"
    main()
