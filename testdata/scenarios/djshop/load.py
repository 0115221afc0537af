"""Load driver for djshop: a fixed list of requests (deterministic shuffle)
sent by CLIENTS threads, each with its own keep-alive requests.Session and an
X-Request-ID header per request. Writes load-summary.json: per route the
count, errors and latency, and the request list (id, path, status, ms).

Usage: /usr/bin/python3 load.py BASE_URL OUT.json
"""
import json
import queue
import random
import sys
import threading
import time

import requests

COUNTS = {
    "/orders/": 60, "/orders/joined/": 60,
    "/account/": 90, "/account/cached/": 90,
    "/report/": 40, "/report/indexed/": 40,
    "/stock/": 60, "/stock/pooled/": 60,
    "/favicon.ico": 6,
}
CLIENTS = 4


def plan():
    reqs = []
    for route, n in COUNTS.items():
        for i in range(n):
            if route.startswith("/orders"):
                q = "?page=%d" % ((i * 7) % 80)
            elif route.startswith(("/account", "/report")):
                q = "?customer=%d" % (1 + (i * 131) % 1000)
            elif route.startswith("/stock"):
                q = "?sku=SKU-%04d" % (1 + (i * 11) % 300)
            else:
                q = ""
            reqs.append((route, q))
    random.Random(11).shuffle(reqs)
    return [("djs-%05d" % i, r, q) for i, (r, q) in enumerate(reqs, 1)]


def main(base, out):
    todo = queue.Queue()
    for r in plan():
        todo.put(r)
    done = []
    lock = threading.Lock()

    def client():
        with requests.Session() as http:
            while True:
                try:
                    rid, route, q = todo.get_nowait()
                except queue.Empty:
                    return
                t0 = time.time()
                try:
                    status = http.get(base + route + q, headers={"X-Request-ID": rid}, timeout=30).status_code
                except requests.RequestException:
                    status = 0
                with lock:
                    done.append({"rid": rid, "route": route, "path": route + q, "status": status,
                                 "start": round(t0, 4), "ms": round(1000 * (time.time() - t0), 2)})

    t0 = time.time()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - t0
    summary = {"started_unix": round(t0, 3), "wall_seconds": round(wall, 3), "clients": CLIENTS,
               "requests": len(done), "routes": {}, "list": sorted(done, key=lambda d: d["rid"])}
    for route in COUNTS:
        xs = sorted(d["ms"] for d in done if d["route"] == route)
        errs = sum(1 for d in done if d["route"] == route and d["status"] != (404 if route == "/favicon.ico" else 200))
        summary["routes"][route] = {"requests": len(xs), "errors": errs, "mean_ms": round(sum(xs) / len(xs), 2),
                                    "p50_ms": xs[len(xs) // 2], "p95_ms": xs[min(len(xs) - 1, int(0.95 * len(xs)))],
                                    "total_ms": round(sum(xs), 1)}
    with open(out, "w") as f:
        json.dump(summary, f, indent=1)
    print("%-18s %5s %4s %9s %9s" % ("route", "n", "err", "mean_ms", "p95_ms"))
    for route, s in summary["routes"].items():
        print("%-18s %5d %4d %9.1f %9.1f" % (route, s["requests"], s["errors"], s["mean_ms"], s["p95_ms"]))
    print("%d requests in %.1f s" % (len(done), wall))
    sys.exit(1 if any(s["errors"] for s in summary["routes"].values()) else 0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
