"""Recompute goshop's ground-truth numbers from the recorded artifacts
(no hotpath code involved): load driver latencies, spans per route, the
PostgreSQL log (connections, statements per fingerprint), and the cumulative
share of the planted functions in the CPU, block and mutex profiles
(via `go tool pprof -top -cum`). Writes groundtruth.json, prints Markdown.

Usage: /usr/bin/python3 groundtruth.py   (in this directory; needs `go`)
"""
import collections
import gzip
import json
import re
import subprocess

load = json.load(open("load-summary.json"))
routes = [r for r in load["endpoints"]]
order = ["/orders", "/orders/join", "/rates", "/rates/shared", "/stock", "/stock/pooled", "/audit", "/audit/buffered",
         "/search", "/search/indexed", "/quote", "/quote/light"]
routes = [r for r in order if r in routes]

# ---- spans
spans_by_trace = collections.defaultdict(list)
for line in gzip.open("spans.otlp.jsonl.gz", "rt"):
    d = json.loads(line)
    for rs in d["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                spans_by_trace[s["traceId"]].append(s)
per = {r: collections.Counter() for r in routes}
dur = {r: collections.Counter() for r in routes}
pids = {r: [] for r in routes}
for tid, spans in spans_by_trace.items():
    roots = [s for s in spans if not s.get("parentSpanId")]
    if len(roots) != 1:
        continue
    root = roots[0]
    a = {x["key"]: list(x["value"].values())[0] for x in root.get("attributes", [])}
    r = a.get("http.route")
    if r not in per:
        continue
    per[r]["requests"] += 1
    dur[r]["request"] += int(root["endTimeUnixNano"]) - int(root["startTimeUnixNano"])
    ps = set()
    for s in spans:
        if s is root:
            continue
        per[r][s["name"]] += 1
        dur[r][s["name"]] += int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])
        sa = {x["key"]: list(x["value"].values())[0] for x in s.get("attributes", [])}
        if s["name"] == "SELECT":
            ps.add(sa.get("db.postgresql.backend_pid"))
    pids[r].append(len(ps))

# ---- postgres log
pg = collections.Counter()
fp = collections.defaultdict(lambda: [0, 0.0])
for line in gzip.open("postgres.log.gz", "rt"):
    if "connection authorized" in line:
        pg["connections"] += 1
    elif "disconnection: session time" in line:
        pg["disconnections"] += 1
    m = re.search(r"duration: ([\d.]+) ms  (execute|statement)[^:]*: (.*)", line)
    if m:
        pg["executions"] += 1
        f = fp[m.group(3).strip()]
        f[0] += 1
        f[1] += float(m.group(1))


# ---- profiles
def cum(profile, funcs):
    txt = subprocess.run(["go", "tool", "pprof", "-top", "-cum", "-nodecount=100000", "-nodefraction=0", "-edgefraction=0", profile],
                         capture_output=True, text=True).stdout
    total = None
    vals = {}
    unit = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1000, "min": 60000, "hrs": 3600000}

    def ms(v):
        m = re.match(r"([\d.]+)([a-zµ]+)", v)
        return float(m.group(1)) * unit[m.group(2)] if m else 0.0
    for line in txt.splitlines():
        m = re.search(r"of ([\d.]+[a-zµ]+) total", line)
        if m and total is None:
            total = ms(m.group(1))
        f = line.split()
        if len(f) >= 6 and f[-1] in funcs:
            vals[f[-1]] = ms(f[3])
    return total, vals


FUNCS = ["main.(*server).ordersNPlusOne", "main.(*server).ordersJoin", "main.(*server).fetchRateNewTransport",
         "main.(*server).ratesShared", "main.(*server).stockNewConn", "main.(*server).stockPooled",
         "main.(*server).appendAuditLocked", "main.(*server).auditBuffered", "main.(*server).searchUnindexed",
         "main.(*server).searchIndexed", "main.priceQuote", "main.(*server).quoteLight",
         "crypto/tls.(*Conn).HandshakeContext", "github.com/jackc/pgx/v5.ConnectConfig", "os.(*File).Sync"]
profiles = {}
for p in ("cpu", "block", "mutex"):
    total, vals = cum(p + ".pprof", FUNCS)
    profiles[p] = {"total_ms": round(total or 0, 2), "cum_ms": {k: round(v, 2) for k, v in vals.items()}}

out = {"load": load, "spans_per_route": {r: dict(per[r]) for r in routes},
       "span_ms_per_request": {r: {k: round(v / 1e6 / max(1, per[r]["requests"]), 2) for k, v in dur[r].items()} for r in routes},
       "postgres": dict(pg),
       "fingerprints": {k: {"count": v[0], "total_ms": round(v[1], 1)} for k, v in sorted(fp.items(), key=lambda x: -x[1][1])},
       "profiles": profiles}

print("| route | requests | mean ms (driver) | p95 ms | SELECT / req | distinct backend pids / req | db.connect / req | HTTP GET / req | http.connect / req | http.tls / req |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in routes:
    n = per[r]["requests"] or 1
    e = load["endpoints"][r]
    print("| `%s` | %d | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
        r, e["requests"], e["mean_ms"], e["p95_ms"], per[r]["SELECT"] / n, sum(pids[r]) / max(1, len(pids[r])),
        per[r]["db.connect"] / n, per[r]["HTTP GET"] / n, per[r]["http.connect"] / n, per[r]["http.tls"] / n))
print("\nspan ms per request:")
for r in routes:
    print("  %-16s %s" % (r, out["span_ms_per_request"][r]))
print("\npostgres:", dict(pg))
print("top fingerprints by total time:")
for k, v in list(out["fingerprints"].items())[:8]:
    print("  %6d  %9.1f ms  %s" % (v["count"], v["total_ms"], k[:110]))
for p, d in profiles.items():
    print("\n%s profile: total %.1f ms" % (p, d["total_ms"]))
    for k, v in sorted(d["cum_ms"].items(), key=lambda x: -x[1]):
        print("  %5.1f%%  %9.1f ms  %s" % (100 * v / d["total_ms"], v, k))

TWINS = [("n_plus_one", "/orders", "/orders/join"), ("http_client_churn", "/rates", "/rates/shared"),
         ("no_connection_pool", "/stock", "/stock/pooled"), ("lock_contention", "/audit", "/audit/buffered"),
         ("slow_query", "/search", "/search/indexed"), ("cpu_hotspot", "/quote", "/quote/light")]
print("\n| kind | route | twin | mean ms | twin mean ms | requests | twin delta x requests (s) |")
print("|---|---|---|---|---|---|---|")
out["twin_delta_s"] = {}
for kind, r, t in TWINS:
    a, b = load["endpoints"][r], load["endpoints"][t]
    d = (a["mean_ms"] - b["mean_ms"]) * a["requests"] / 1000
    out["twin_delta_s"][kind] = round(d, 2)
    print("| %s | `%s` | `%s` | %.1f | %.1f | %d | %.2f |" % (kind, r, t, a["mean_ms"], b["mean_ms"], a["requests"], d))
json.dump(out, open("groundtruth.json", "w"), indent=1)

# ---- planted.json: the scorecard's ground truth (see ../README.md). Every
# avoidable time is measured from the spans and profiles above.
def ms(route, name):
    return dur[route][name] / 1e6


def per_request_delta(route, twin, names):
    """(mean span ms per request on route − on its twin) × route's requests"""
    n, m = per[route]["requests"], per[twin]["requests"]
    return sum((ms(route, k) / n - ms(twin, k) / m) * n for k in names)


planted = {
    "service": "goshop",
    "stack": "Go net/http + pgx v5 on PostgreSQL 15, OpenTelemetry Go SDK",
    "artifacts": ".",
    "planted": [
        {"id": "search-slow", "kind": "slow_query", "function": "searchUnindexed", "file": "service.go", "route": "/search",
         "fingerprint": "from events where ref =",
         "avoidable_ms": round(per_request_delta("/search", "/search/indexed", ["SELECT"]), 1),
         "avoidable_how": "(SELECT span ms per /search request − per /search/indexed request) × /search requests",
         "sources": ["postgres.log.gz"]},
        {"id": "orders-n+1", "kind": "n_plus_one", "function": "ordersNPlusOne", "file": "service.go", "route": "/orders",
         "fingerprint": "from customers where id =",
         "avoidable_ms": round(per_request_delta("/orders", "/orders/join", ["SELECT"]), 1),
         "avoidable_how": "(SELECT span ms per /orders request − per /orders/join request) × /orders requests",
         "sources": ["spans.otlp.jsonl.gz"]},
        {"id": "stock-no-pool", "kind": "no_connection_pool", "function": "stockNewConn", "file": "service.go", "route": "/stock",
         "avoidable_ms": round(per_request_delta("/stock", "/stock/pooled", ["db.connect"]), 1),
         "avoidable_how": "(db.connect span ms per /stock request − per /stock/pooled request) × /stock requests",
         "sources": ["spans.otlp.jsonl.gz", "postgres.log.gz", "cpu.pprof"]},
        {"id": "rates-churn", "kind": "http_client_churn", "function": "ratesNewTransport", "file": "service.go", "route": "/rates",
         "avoidable_ms": round(per_request_delta("/rates", "/rates/shared", ["http.connect", "http.tls"]), 1),
         "avoidable_how": "(http.connect + http.tls span ms per /rates request − per /rates/shared request) × /rates requests",
         "sources": ["spans.otlp.jsonl.gz"]},
        {"id": "audit-lock", "kind": "lock_contention", "function": "appendAuditLocked", "file": "service.go", "route": "/audit",
         "avoidable_ms": round(profiles["mutex"]["cum_ms"].get("main.(*server).appendAuditLocked", 0), 1),
         "avoidable_how": "mutex profile delay charged to appendAuditLocked (go tool pprof -top -cum)",
         "sources": ["mutex.pprof", "block.pprof", "exec.trace"]},
        {"id": "quote-cpu", "kind": "cpu_hotspot", "function": "priceQuote", "file": "service.go", "route": "/quote",
         "avoidable_ms": round(profiles["cpu"]["cum_ms"].get("main.priceQuote", 0) / 2, 1),
         "avoidable_how": "½ × priceQuote's cumulative CPU time (a 2× speed-up; go tool pprof -top -cum)",
         "sources": ["cpu.pprof"]},
    ],
    "healthy": [{"route": "/orders/join", "function": "ordersJoin"}, {"route": "/rates/shared", "function": "ratesShared"},
                {"route": "/stock/pooled", "function": "stockPooled"}, {"route": "/audit/buffered", "function": "auditBuffered"},
                {"route": "/search/indexed", "function": "searchIndexed"}, {"route": "/quote/light", "function": "quoteLight"}],
    "context": [{"what": "the driver's ping", "fingerprint": "-- ping"}],
}
json.dump(planted, open("planted.json", "w"), indent=1)
