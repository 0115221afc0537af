"""A tiny local upstream for pyshop's outbound calls (exchange rates), on loopback.

    /rate?cur=EUR  -> {"cur": "EUR", "rate": 1.08}   after 10 ms
    /fx            -> {"rate": 1.1}                   after 30 ms
"""
import asyncio
import sys

from aiohttp import web

RATES = {"EUR": 1.08, "GBP": 1.27, "JPY": 0.0067}


async def rate(request):
    await asyncio.sleep(0.010)
    cur = request.query.get("cur", "EUR")
    return web.json_response({"cur": cur, "rate": RATES.get(cur, 1.0)})


async def fx(request):
    await asyncio.sleep(0.030)
    return web.json_response({"rate": 1.1})


app = web.Application()
app.router.add_get("/rate", rate)
app.router.add_get("/fx", fx)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=lambda *a: print("upstream ready", flush=True))
