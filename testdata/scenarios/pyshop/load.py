"""Load driver for pyshop: hits every endpoint a fixed number of times, in a
deterministic shuffled order, from CONCURRENCY concurrent clients, and writes
load-summary.json (requests, errors, mean/p50/p95/max latency per endpoint).

Usage: /usr/bin/python3 load.py BASE_URL OUT.json
"""
import asyncio
import json
import random
import sys
import time

import aiohttp

COUNTS = {
    "/orders": 40, "/orders/eager": 40,
    "/rates": 40, "/rates/shared": 40,
    "/account": 60, "/account/cached": 60,
    "/stock": 40, "/stock/pooled": 40,
    "/report": 25, "/report/async": 25,
}
CONCURRENCY = 4


def plan():
    rnd = random.Random(7)
    reqs = []
    for route, n in COUNTS.items():
        for i in range(n):
            if route.startswith("/orders"):
                q = "?page=%d" % (i % 50)
            elif route.startswith("/stock"):
                q = "?sku=SKU-%04d" % (1 + (i * 7) % 300)
            else:
                q = ""
            reqs.append((route, q))
    rnd.shuffle(reqs)
    return reqs


async def main(base, out):
    reqs = plan()
    lat = {r: [] for r in COUNTS}
    errors = {r: 0 for r in COUNTS}
    queue = asyncio.Queue()
    for r in reqs:
        queue.put_nowait(r)

    async def client(http):
        while not queue.empty():
            route, q = queue.get_nowait()
            t0 = time.perf_counter()
            try:
                async with http.get(base + route + q) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors[route] += 1
            except Exception:
                errors[route] += 1
            lat[route].append(1000 * (time.perf_counter() - t0))

    t0 = time.time()
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(client(http) for _ in range(CONCURRENCY)))
    wall = time.time() - t0

    summary = {"started_unix": round(t0, 3), "wall_seconds": round(wall, 3), "concurrency": CONCURRENCY,
               "requests": len(reqs), "endpoints": {}}
    for route, xs in lat.items():
        xs = sorted(xs)
        summary["endpoints"][route] = {
            "requests": len(xs), "errors": errors[route],
            "mean_ms": round(sum(xs) / len(xs), 2), "p50_ms": round(xs[len(xs) // 2], 2),
            "p95_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.95))], 2), "max_ms": round(xs[-1], 2),
            "total_ms": round(sum(xs), 1)}
    with open(out, "w") as f:
        json.dump(summary, f, indent=1)
    print("%-16s %5s %4s %9s %9s %9s" % ("route", "n", "err", "mean_ms", "p95_ms", "total_ms"))
    for route, s in summary["endpoints"].items():
        print("%-16s %5d %4d %9.1f %9.1f %9.0f" % (route, s["requests"], s["errors"], s["mean_ms"], s["p95_ms"], s["total_ms"]))
    print("wall %.1fs" % wall)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
