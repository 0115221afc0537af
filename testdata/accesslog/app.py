"""The toy shop every recorded server runs (or proxies to).

One routing function serves three front ends: WSGI for gunicorn, ASGI for
uvicorn, and an aiohttp application. Routes carry ids of the kinds access
logs are full of (numbers, uuids, sha1 hashes, mixed ids, query strings);
/slow/… sleeps, /error fails, unknown paths are 404.

    gunicorn app:wsgi        uvicorn app:asgi        python3 app.py aiohttp PORT…
"""
import asyncio
import re
import sys
import time

ROUTES = [
    ("GET", re.compile(r"^/orders$"), 200, 0.0),
    ("POST", re.compile(r"^/orders$"), 201, 0.0),
    ("GET", re.compile(r"^/orders/[0-9]+$"), 200, 0.0),
    ("GET", re.compile(r"^/users/[0-9a-f-]{36}/profile$"), 200, 0.0),
    ("GET", re.compile(r"^/files/[0-9a-f]{40}$"), 200, 0.0),
    ("GET", re.compile(r"^/items/[a-z0-9_-]+$"), 200, 0.0),
    ("GET", re.compile(r"^/search$"), 200, 0.0),
    ("GET", re.compile(r"^/slow/[0-9]+$"), 200, 0.35),
    ("GET", re.compile(r"^/error$"), 500, 0.0),
]


def route(method, path):
    """(status, body, delay seconds) for a request."""
    for m, rx, status, delay in ROUTES:
        if m == method and rx.match(path):
            return status, ('{"path": "%s"}\n' % path).encode(), delay
    return 404, b'{"error": "not found"}\n', 0.0


REASONS = {200: "OK", 201: "Created", 404: "Not Found", 500: "Internal Server Error"}


def wsgi(environ, start_response):
    status, body, delay = route(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/"))
    if environ.get("CONTENT_LENGTH"):
        environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    time.sleep(delay)
    start_response("%d %s" % (status, REASONS[status]),
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


async def asgi(scope, receive, send):
    if scope["type"] != "http":
        return
    while True:  # drain the body
        msg = await receive()
        if not msg.get("more_body"):
            break
    status, body, delay = route(scope["method"], scope["path"])
    await asyncio.sleep(delay)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def aiohttp_main(ports_formats):
    """Serve the shop on each (port, access_log_format, log file) with one
    aiohttp runner each (a runner has one access-log format)."""
    import logging
    from aiohttp import web

    async def handle(request):
        await request.read()
        status, body, delay = route(request.method, request.path)
        await asyncio.sleep(delay)
        return web.Response(status=status, body=body, content_type="application/json")

    async def serve():
        runners = []
        for port, fmt, path in ports_formats:
            log = logging.getLogger("aiohttp.access.%d" % port)
            log.setLevel(logging.INFO)
            log.propagate = False
            h = logging.FileHandler(path)
            h.setFormatter(logging.Formatter("%(message)s"))
            log.addHandler(h)
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handle)
            runner = web.AppRunner(app, access_log=log, access_log_format=fmt)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            runners.append(runner)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__" and sys.argv[1:2] == ["aiohttp"]:
    args = sys.argv[2:]
    aiohttp_main([(int(args[i]), args[i + 1], args[i + 2]) for i in range(0, len(args), 3)])
