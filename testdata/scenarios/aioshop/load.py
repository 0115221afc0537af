"""Load driver for aioshop: a fixed list of requests (deterministic shuffle)
sent by CLIENTS concurrent aiohttp clients on one keep-alive session, with an
X-Request-ID header each. Writes load-summary.json: per route the count,
errors and latency, and the request list.

Usage: /usr/bin/python3 load.py BASE_URL OUT.json
"""
import asyncio
import json
import random
import sys
import time

import aiohttp

COUNTS = {
    "/products": 40, "/products/joined": 40,
    "/cart": 60, "/cart/cached": 60,
    "/inventory": 40, "/inventory/pooled": 40,
    "/convert": 30, "/convert/shared": 30,
    "/quote": 25, "/quote/async": 25,
    "/tax": 25, "/tax/async": 25,
    "/shipping": 25, "/shipping/executor": 25,
}
CLIENTS = 2


def plan():
    reqs = []
    for route, n in COUNTS.items():
        for i in range(n):
            if route.startswith("/products"):
                q = "?page=%d" % ((i * 3) % 20)
            elif route.startswith("/cart"):
                q = "?cart=%d" % (1 + (i * 17) % 200)
            elif route.startswith("/inventory"):
                q = "?sku=SKU-%04d" % (1 + (i * 11) % 400)
            elif route.startswith("/convert"):
                q = "?amount=%d" % (10 + i)
            elif route.startswith("/shipping"):
                q = "?zone=%d" % (1 + i % 4)
            else:
                q = ""
            reqs.append((route, q))
    random.Random(5).shuffle(reqs)
    return [("aio-%05d" % i, r, q) for i, (r, q) in enumerate(reqs, 1)]


async def main(base, out):
    todo = asyncio.Queue()
    for r in plan():
        todo.put_nowait(r)
    done = []

    async def client(http):
        while not todo.empty():
            rid, route, q = todo.get_nowait()
            t0 = time.time()
            try:
                async with http.get(base + route + q, headers={"X-Request-ID": rid}) as resp:
                    await resp.read()
                    status = resp.status
            except aiohttp.ClientError:
                status = 0
            done.append({"rid": rid, "route": route, "path": route + q, "status": status, "start": round(t0, 4),
                         "ms": round(1000 * (time.time() - t0), 2)})

    t0 = time.time()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
    wall = time.time() - t0
    summary = {"started_unix": round(t0, 3), "wall_seconds": round(wall, 3), "clients": CLIENTS,
               "requests": len(done), "routes": {}, "list": sorted(done, key=lambda d: d["rid"])}
    for route in COUNTS:
        xs = sorted(d["ms"] for d in done if d["route"] == route)
        summary["routes"][route] = {
            "requests": len(xs), "errors": sum(1 for d in done if d["route"] == route and d["status"] != 200),
            "mean_ms": round(sum(xs) / len(xs), 2), "p50_ms": xs[len(xs) // 2],
            "p95_ms": xs[min(len(xs) - 1, int(0.95 * len(xs)))], "total_ms": round(sum(xs), 1)}
    with open(out, "w") as f:
        json.dump(summary, f, indent=1)
    print("%-20s %5s %4s %9s %9s" % ("route", "n", "err", "mean_ms", "p95_ms"))
    for route, s in summary["routes"].items():
        print("%-20s %5d %4d %9.1f %9.1f" % (route, s["requests"], s["errors"], s["mean_ms"], s["p95_ms"]))
    print("%d requests in %.1f s" % (len(done), wall))
    return 1 if any(s["errors"] for s in summary["routes"].values()) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
