"""Writes an asyncio debug log (testdata/trace/asyncio.log) from a real
aiohttp program, the way a misbehaving async service writes one:

  * a handler that calls blocking time.sleep() inside a coroutine, so
    asyncio's debug mode warns "Executing <Task …> took N seconds";
  * a blocking call inside a plain callback (a <Handle …> warning);
  * an aiohttp ClientSession created per call and never closed, so aiohttp
    reports "Unclosed client session" and "Unclosed connector".

Run with Debian's python3 and python3-aiohttp:
    /usr/bin/python3 asyncio_app.py 2> ../asyncio.log
"""
import asyncio
import gc
import logging
import time

import aiohttp
from aiohttp import web

logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(levelname)s %(name)s %(message)s")
logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


async def orders(request):
    time.sleep(0.06)  # blocking I/O stand-in inside aiohttp's request task
    return web.Response(text="ok")


async def handler(n):
    await asyncio.sleep(0)
    time.sleep(0.1)  # blocking call in our own task
    await asyncio.sleep(0)
    return n


def on_timer():
    time.sleep(0.08)  # blocking inside a callback


async def fetch(url):
    session = aiohttp.ClientSession()  # a new session per call, never closed
    async with session.get(url) as resp:
        return await resp.text()


async def main():
    loop = asyncio.get_running_loop()
    loop.slow_callback_duration = 0.05
    app = web.Application()
    app.router.add_get("/orders", orders)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    url = "http://127.0.0.1:%d/orders" % port
    for _ in range(3):
        await fetch(url)
    await asyncio.gather(*(asyncio.create_task(handler(i)) for i in range(2)))
    loop.call_soon(on_timer)
    await asyncio.sleep(0.01)
    gc.collect()
    await asyncio.sleep(0.01)
    await runner.cleanup()


asyncio.run(main(), debug=True)
gc.collect()
