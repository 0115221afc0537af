"""Recompute pyshop's ground-truth numbers from the recorded artifacts
(no hotpath code involved): per route requests and latency (load driver),
SQL statements / connections / outbound calls per request (spans), asyncio
slow-callback warnings per route (task names joined through the spans),
unclosed aiohttp sessions, PostgreSQL connections, profile shares of the
planted functions. Writes groundtruth.json and prints a Markdown summary.

Usage: /usr/bin/python3 groundtruth.py   (in this directory)
"""
import collections
import gzip
import json
import re

load = json.load(open("load-summary.json"))
routes = list(load["endpoints"])

# ---- spans
per = {r: collections.Counter() for r in routes}
dur = {r: collections.Counter() for r in routes}
task_route = {}
for line in gzip.open("spans.otlp.jsonl.gz", "rt"):
    d = json.loads(line)
    spans = [s for rs in d["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    root = next(s for s in spans if not s.get("parentSpanId"))
    a = {x["key"]: list(x["value"].values())[0] for x in root["attributes"]}
    r = a["http.route"]
    task_route[a["asyncio.task.name"]] = r
    per[r]["requests"] += 1
    dur[r]["request"] += int(root["endTimeUnixNano"]) - int(root["startTimeUnixNano"])
    for s in spans:
        if s is root:
            continue
        per[r][s["name"]] += 1
        dur[r][s["name"]] += int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])

# ---- asyncio log
slow = collections.Counter()
slow_s = collections.Counter()
unclosed = collections.Counter()
for line in open("asyncio.log"):
    m = re.search(r"Executing <(.*) took ([\d.]+) seconds", line)
    if m:
        t = re.search(r"name='(Task-\d+)'", m.group(1))
        r = task_route.get(t.group(1), "?") if t else "(handle: " + m.group(1).split()[0] + ")"
        slow[r] += 1
        slow_s[r] += float(m.group(2))
    for kind in ("Unclosed client session", "Unclosed connector"):
        if "ERROR" in line and line.rstrip().endswith(kind):
            unclosed[kind] += 1

# ---- postgres log
pg = collections.Counter()
for line in gzip.open("postgres.log.gz", "rt"):
    if "connection authorized" in line:
        pg["connections"] += 1
    elif "disconnection: session time" in line:
        pg["disconnections"] += 1
    elif re.search(r"duration: [\d.]+ ms  (execute|statement)", line):
        pg["executions"] += 1

# ---- profile
prof = collections.Counter()
total = 0
keys = {
    "render_orders (app.py": "n_plus_one: render_orders (lazy loads)",
    "_load_for_state (sqlalchemy/orm/strategies.py": "n_plus_one: LazyLoader._load_for_state",
    "fetch_rate_new_session (app.py": "http_client_churn: fetch_rate_new_session",
    "fetch_rate_leaky (app.py": "http_client_churn: fetch_rate_leaky",
    "account_uncached (app.py": "cacheable_duplicate: account_uncached",
    "load_site_settings (app.py": "cacheable_duplicate: load_site_settings (all routes)",
    "orders_lazy (app.py": "n_plus_one: orders_lazy (all)",
    "orders_eager (app.py": "healthy: orders_eager",
    "rates_new_session (app.py": "http_client_churn: rates_new_session (all)",
    "stock_pooled (app.py": "healthy: stock_pooled",
    "report_async (app.py": "healthy: report_async",
    "stock_nopool (app.py": "no_connection_pool: stock_nopool",
    "report_blocking (app.py": "blocking_io_in_async: report_blocking (all)",
    "backoff (app.py": "blocking_io_in_async: backoff (time.sleep)",
    "fx_rate_sync (app.py": "blocking_io_in_async: fx_rate_sync (requests)",
    "read_template (app.py": "blocking_io_in_async: read_template (file read)",
    "order_count_sync (app.py": "blocking_io_in_async: order_count_sync (psycopg2)",
    "extract_stack (": "recorder overhead: asyncio debug-mode extract_stack",
    "select (selectors.py": "idle: event loop waiting in select",
}
for line in open("profile.folded"):
    stack, n = line.rsplit(" ", 1)
    n = int(n)
    total += n
    for k, name in keys.items():
        if k in stack:
            prof[name] += n
meta = json.load(open("profile-meta.json"))
ms_per_sample = 1000 * meta["seconds"] / meta["samples"]

out = {"load": load, "spans_per_route": {r: dict(per[r]) for r in routes},
       "span_ms_per_route": {r: {k: round(v / 1e6, 1) for k, v in dur[r].items()} for r in routes},
       "slow_callbacks": {r: {"count": slow[r], "seconds": round(slow_s[r], 3)} for r in slow},
       "unclosed": dict(unclosed), "postgres": dict(pg),
       "profile": {"samples": total, "ms_per_sample": round(ms_per_sample, 3),
                   "shares": {k: {"samples": v, "share": round(v / total, 4)} for k, v in prof.most_common()}}}
json.dump(out, open("groundtruth.json", "w"), indent=1)

print("| route | requests | mean ms (driver) | SQL stmts / req | db.connect / req | outbound HTTP / req | http.connect / req | slow callbacks (s) |")
print("|---|---|---|---|---|---|---|---|")
for r in routes:
    n = per[r]["requests"] or 1
    print("| `%s` | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %d (%.2f s) |" % (
        r, load["endpoints"][r]["requests"], load["endpoints"][r]["mean_ms"],
        (per[r]["SELECT"]) / n, per[r]["db.connect"] / n, per[r]["HTTP GET"] / n, per[r]["http.connect"] / n,
        slow[r], slow_s[r]))
others = {k: v for k, v in slow.items() if k not in routes}
print("\nslow callbacks not tied to a request task:", others)
print("unclosed:", dict(unclosed), " postgres:", dict(pg))
print("\nprofile: %d samples, %.2f ms/sample" % (total, ms_per_sample))
for k, v in prof.most_common():
    print("  %5.1f%%  %5d  %s" % (100 * v / total, v, k))

# ---- twin deltas: (mean(problem) - mean(healthy twin)) x requests(problem), from the load driver
TWINS = [("n_plus_one", "/orders", "/orders/eager"), ("http_client_churn", "/rates", "/rates/shared"),
         ("cacheable_duplicate", "/account", "/account/cached"), ("no_connection_pool", "/stock", "/stock/pooled"),
         ("blocking_io_in_async", "/report", "/report/async")]
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
# avoidable time is measured from the spans or the asyncio log above.
fn_ms = collections.Counter()  # (route, code.function) -> SELECT span ms
for line in gzip.open("spans.otlp.jsonl.gz", "rt"):
    d = json.loads(line)
    spans = [s for rs in d["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    root = next(s for s in spans if not s.get("parentSpanId"))
    r = {x["key"]: list(x["value"].values())[0] for x in root["attributes"]}["http.route"]
    for s in spans:
        if s["name"] == "SELECT":
            fn = {x["key"]: list(x["value"].values())[0] for x in s.get("attributes", [])}.get("code.function", "")
            fn_ms[(r, fn)] += (int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])) / 1e6


def ms(route, name):
    return dur[route][name] / 1e6


def per_request_delta(route, twin, name):
    """(mean span ms per request on route − on its twin) × route's requests"""
    n, m = per[route]["requests"], per[twin]["requests"]
    return (ms(route, name) / n - ms(twin, name) / m) * n


planted = {
    "service": "pyshop",
    "stack": "Python 3.11 asyncio: aiohttp + SQLAlchemy 1.4 (asyncpg) on PostgreSQL 15",
    "artifacts": ".",
    "planted": [
        {"id": "orders-n+1", "kind": "n_plus_one", "function": "render_orders", "file": "app.py", "route": "/orders",
         "fingerprint": "from order_items where",
         "avoidable_ms": round(per_request_delta("/orders", "/orders/eager", "SELECT"), 1),
         "avoidable_how": "(SELECT span ms per /orders request − per /orders/eager request) × /orders requests",
         "sources": ["postgres.log.gz", "spans.otlp.jsonl.gz", "sqlalchemy.log.gz", "profile.folded"]},
        {"id": "stock-no-pool", "kind": "no_connection_pool", "function": "stock_nopool", "file": "app.py", "route": "/stock",
         "avoidable_ms": round(ms("/stock", "db.connect"), 1),
         "avoidable_how": "Σ db.connect span ms on /stock (the pooled twin connects 0 times per request)",
         "sources": ["postgres.log.gz", "spans.otlp.jsonl.gz", "sqlalchemy.log.gz", "profile.folded"]},
        {"id": "settings-read", "kind": "cacheable_duplicate", "function": "load_site_settings", "file": "app.py", "route": "/account",
         "fingerprint": "from settings where",
         "avoidable_ms": round(fn_ms[("/account", "load_site_settings")] * (1 - 1 / max(1, per["/account"]["requests"] * 3)), 1),
         "avoidable_how": "Σ settings SELECT span ms on /account, all but the first (a cache answers them)",
         # spans bind %s placeholders: they show the repeats, not that the values are equal
         "sources": ["postgres.log.gz", "sqlalchemy.log.gz"]},
        {"id": "profile-read", "kind": "cacheable_duplicate", "function": "load_profile", "file": "app.py", "route": "/account",
         "fingerprint": "from profiles where",
         "avoidable_ms": round(fn_ms[("/account", "load_profile")] * (1 - 1 / max(1, per["/account"]["requests"])), 1),
         "avoidable_how": "Σ profile SELECT span ms on /account, all but the first",
         "sources": ["postgres.log.gz", "sqlalchemy.log.gz"]},
        {"id": "report-blocking", "kind": "blocking_io_in_async", "function": "report_blocking", "file": "app.py", "route": "/report",
         "avoidable_ms": round(slow_s["/report"] * 1000, 1),
         "avoidable_how": "Σ asyncio slow-callback seconds of the /report tasks (task names joined through the spans)",
         "sources": ["asyncio.log", "profile.folded"]},
        {"id": "rates-churn", "kind": "http_client_churn", "function": "fetch_rate_new_session", "file": "app.py", "route": "/rates",
         "avoidable_ms": round(per_request_delta("/rates", "/rates/shared", "http.connect"), 1),
         "avoidable_how": "(http.connect span ms per /rates request − per /rates/shared request) × /rates requests",
         "sources": ["spans.otlp.jsonl.gz", "profile.folded"]},
    ],
    "healthy": [{"route": "/orders/eager", "function": "orders_eager"}, {"route": "/rates/shared", "function": "rates_shared_session"},
                {"route": "/account/cached", "function": "account_cached"}, {"route": "/stock/pooled", "function": "stock_pooled"},
                {"route": "/report/async", "function": "report_async"}],
    "context": [{"what": "asyncpg type introspection on every new connection", "fingerprint": "from pg_catalog.pg_type"}],
}
json.dump(planted, open("planted.json", "w"), indent=1)
