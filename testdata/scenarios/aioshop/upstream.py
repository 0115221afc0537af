"""The partner APIs aioshop calls, on loopback over HTTPS (a self-signed
certificate for `localhost`, made by record.sh): /rates (10 ms), /tax and
/ship (40 ms each). Not instrumented: a dependency, not the service.

Usage: /usr/bin/python3 upstream.py PORT CERT KEY
"""
import asyncio
import ssl
import sys

from aiohttp import web

RATES = {"EUR": 1.0, "GBP": 0.86, "CHF": 0.97, "USD": 1.09}


async def rates(request):
    await asyncio.sleep(0.010)
    return web.json_response({"cur": request.query.get("cur", "EUR"), "rate": RATES.get(request.query.get("cur"), 1.0)})


async def tax(request):
    await asyncio.sleep(0.040)
    return web.json_response({"region": request.query.get("region", "EU"), "vat": 0.2})


async def ship(request):
    await asyncio.sleep(0.040)
    return web.json_response({"zone": request.query.get("zone", "1"), "price": 4.9, "days": 2})


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    app = web.Application()
    app.router.add_get("/rates", rates)
    app.router.add_get("/tax", tax)
    app.router.add_get("/ship", ship)
    web.run_app(app, host="127.0.0.1", port=port, ssl_context=ctx, access_log=None, print=None)


if __name__ == "__main__":
    main()
