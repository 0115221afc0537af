"""aioshop's ground truth, computed from the artifacts alone (artifacts/: the
PostgreSQL log, the mixed application log, the OTLP JSON spans, the loop
profile), never from the service code. Writes planted.json (the scorecard's
input, schema in ../README.md) and groundtruth.md (the same numbers for a
human, with cross-checks: spans against the PostgreSQL log,
pg_stat_statements.csv written by record.sh after the run, the profile).

Usage: /usr/bin/python3 groundtruth.py     (any directory)
"""
import collections
import csv
import datetime
import gzip
import io
import json
import os
import re
import statistics
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ART = os.path.join(HERE, "artifacts")


def art(name):
    p = os.path.join(ART, name)
    return gzip.open(p, "rt", encoding="utf-8") if name.endswith(".gz") else open(p, encoding="utf-8")


def mean(xs):
    return statistics.fmean(xs) if xs else 0.0


# ------------------------------------------------------------- spans

spans = []
for line in art("traces.jsonl.gz"):
    for rs in json.loads(line)["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                s["scope"] = ss["scope"]["name"]
                s["a"] = {x["key"]: list(x["value"].values())[0] for x in s["attributes"]}
                s["ms"] = (int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])) / 1e6
                spans.append(s)
by_id = {s["spanId"]: s for s in spans}


def root_of(s):
    while s.get("parentSpanId") in by_id:
        s = by_id[s["parentSpanId"]]
    return s


servers = [s for s in spans if s["kind"] == 2]
server_ms = sum(s["ms"] for s in servers)
children = collections.defaultdict(list)    # server span id -> its descendants
for s in spans:
    r = root_of(s)
    if r is not s and r["kind"] == 2:
        children[r["spanId"]].append(s)
requests_of = collections.defaultdict(list)  # route -> server spans
for s in servers:
    requests_of[s["a"]["http.route"]].append(s)
handler_of = {r: ss[0]["a"]["code.function"] for r, ss in requests_of.items()}
handler_line = {r: (ss[0]["a"]["code.filepath"], int(ss[0]["a"]["code.lineno"])) for r, ss in requests_of.items()}


def under(route, pred):
    """Per request of route: the descendant spans matching pred."""
    return [[c for c in children[s["spanId"]] if pred(c)] for s in requests_of.get(route, [])]


# ---------------------------------------------------------- app.log

APP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ([A-Z]+) (\S+) \[([^/\]]*)/([^\]]*)\] (.*)$")
records = []
for raw in art("app.log.gz"):
    raw = raw.rstrip("\n")
    m = APP.match(raw)
    if m:
        records.append({"t": m.group(1), "level": m.group(2), "logger": m.group(3), "thread": m.group(4),
                        "task": m.group(5), "msg": m.group(6)})
    elif records:
        records[-1]["msg"] += "\n" + raw
task_route = {}
for r in records:
    m = re.match(r"^GET (\S+) -> (\w+)$", r["msg"]) if r["logger"] == "aioshop" else None
    if m:
        task_route[r["task"]] = m.group(1).split("?")[0]
slow = collections.defaultdict(list)          # route -> slow-callback seconds
for r in records:
    m = re.match(r"^Executing <(.*)> took ([\d.]+) seconds$", r["msg"], re.S) if r["logger"] == "asyncio" else None
    if m:
        t = re.search(r"name='(Task-\d+)'", m.group(1))
        route = task_route.get(t.group(1)) if t else None
        if route is None:
            route = "(%s)" % (re.search(r"coro=<(\S+?)\(", m.group(1)).group(1) if t and "coro=<" in m.group(1) else "handle")
        slow[route].append(float(m.group(2)))
ms_per_sample = next(float(m.group(1)) for r in records if r["logger"] == "otelwrap"
                     for m in [re.search(r"\(([\d.]+) ms/sample\)", r["msg"])] if m)
unclosed = [r for r in records if r["logger"] == "asyncio" and r["level"] == "ERROR" and r["msg"].startswith("Unclosed client session")]


def created_at(rec):
    """The application frame that created an unclosed object: the last app.py frame of its source traceback."""
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', rec["msg"])
    app = [(os.path.basename(f), int(n), fn) for f, n, fn in frames if os.path.basename(f) == "app.py"]
    return app[-1] if app else None, frames[-1] if frames else None


# ------------------------------------------------------ PostgreSQL log

PG = re.compile(r"^(\d+\.\d{3}) \[([0-9a-f]+\.[0-9a-f]+):(\d+)\] (?:(\S+?)@(\S+?)/(\S*) )?([A-Z]+):  (.*)$")
pg = []
for raw in art("postgres.log.gz"):
    raw = raw.rstrip("\n")
    m = PG.match(raw)
    if m:
        pg.append({"t": float(m.group(1)), "session": m.group(2), "app": m.group(6), "level": m.group(7), "msg": m.group(8)})
    elif pg and raw.startswith("\t"):
        pg[-1]["msg"] += "\n" + raw[1:]
STMT = re.compile(r"^duration: ([\d.]+) ms  (statement|parse|bind|execute)(?: [^:]*)?: (.*)$", re.S)
executions = []                                # (event, ms, sql) of each execute / simple statement
sessions = collections.OrderedDict()
for e in pg:
    s = sessions.setdefault(e["session"], {"stmts": []})
    if e["msg"].startswith("connection received"):
        s["received"] = e["t"]
    elif e["msg"].startswith("connection authorized"):
        s["authorized"] = e["t"]
        s["app"] = (re.search(r"application_name=(\S+)", e["msg"]) or [None, ""])[1]
    elif e["msg"].startswith("disconnection"):
        s["end"] = e["t"]
    else:
        m = STMT.match(e["msg"])
        if m and m.group(2) in ("statement", "execute"):
            executions.append((e, float(m.group(1)), m.group(3)))
            s["stmts"].append(m.group(3))
first_request = min(int(s["startTimeUnixNano"]) for s in servers) / 1e9
last_request = max(int(s["endTimeUnixNano"]) for s in servers) / 1e9

# ---------------------------------------------------------- profile

prof = []
for line in art("wall.folded"):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    prof.append((stack.split(";"), int(n)))
samples_total = sum(n for _, n in prof)


def samples(pred):
    return sum(n for f, n in prof if pred(f))


def has(frames, prefix):
    return any(f.startswith(prefix) for f in frames)


def call_site(function, below=None):
    """(file, line) of function's most sampled frame (where the stack goes on into `below`, if given)."""
    c = collections.Counter()
    for frames, n in prof:
        for i, f in enumerate(frames):
            m = re.match(r"^%s \((.+):(\d+)\)$" % re.escape(function), f)
            if m and (below is None or any(g.startswith(below) for g in frames[i + 1:])):
                c[(m.group(1), int(m.group(2)))] += n
                break
    return c.most_common(1)[0][0] if c else (None, None)


idle = samples(lambda f: f[-1].startswith("select (selectors.py") and has(f, "_run_once (asyncio/base_events.py"))
debug_overhead = samples(lambda f: has(f, "extract_stack (traceback.py"))

planted, checks = [], []
is_sql = lambda s: s["a"].get("db.system") == "postgresql" and "db.statement" in s["a"]

# ---- n_plus_one: /products runs one reviews query per product
is_review = lambda s: is_sql(s) and s["a"]["db.statement"].startswith("SELECT reviews.stars, reviews.body")
per = under("/products", is_review)
rev_mean = mean([c["ms"] for req in per for c in req])
nplus1 = sum(len(req) - 1 for req in per if req) * rev_mean
site = call_site("product_page", "execute (sqlalchemy/ext/asyncio/engine.py")
pg_rev = [x for x in executions if x[2].startswith("SELECT reviews.stars, reviews.body")]
planted.append({
    "id": "products-n+1", "kind": "n_plus_one", "function": "product_page", "file": site[0], "line": site[1],
    "route": "/products", "fingerprint": "from reviews where reviews.product_id =",
    "avoidable_ms": round(nplus1, 1),
    "avoidable_how": "Σ over the %d /products requests of (reviews SELECT spans − 1) × their mean span time (%.3f ms; %s per request)"
                     % (len(per), rev_mean, "/".join(sorted({str(len(r)) for r in per}))),
    "sources": ["traces.jsonl.gz", "postgres.log.gz", "app.log.gz"],
})
checks.append(("products-n+1", [
    "PostgreSQL log: %d reviews executions with route='%%2Fproducts' (spans: %d), server-side mean %.3f ms (+ a parse and a bind each: sqlcommenter makes every text unique)"
    % (sum(1 for x in pg_rev if "route='%2Fproducts'" in x[2]), sum(len(r) for r in per),
       mean([x[1] for x in pg_rev if "route='%2Fproducts'" in x[2]])),
    "with the median span time instead of the mean (%.3f ms; a span also holds the time its task waited for a blocked loop): %.0f ms"
    % (statistics.median([c["ms"] for r in per for c in r]), sum(len(r) - 1 for r in per if r) * statistics.median([c["ms"] for r in per for c in r])),
    "healthy twin /products/joined: %s SQL spans per request (one LEFT JOIN)"
    % "/".join(sorted({str(len(r)) for r in under("/products/joined", is_sql)})),
]))

# ---- cacheable_duplicate: /cart reads all feature flags on every request
is_flags = lambda s: is_sql(s) and s["a"]["db.statement"].startswith("SELECT feature_flags.name, feature_flags.enabled")
per = under("/cart", is_flags)
flags_spans = [c for r in per for c in r]
pg_flags = [x for x in executions if x[2].startswith("SELECT feature_flags.name, feature_flags.enabled")]
distinct = {re.sub(r"/\*.*\*/", "", x[2]).strip() for x in pg_flags if "route='%2Fcart'" in x[2]}
dup = (len(flags_spans) - len(distinct)) * mean([c["ms"] for c in flags_spans])
site = call_site("load_flags")
planted.append({
    "id": "flags-duplicate", "kind": "cacheable_duplicate", "function": "load_flags", "file": site[0], "line": site[1],
    "route": "/cart", "fingerprint": "select feature_flags.name, feature_flags.enabled from feature_flags",
    "avoidable_ms": round(dup, 1),
    "avoidable_how": "(executions %d − distinct statements/parameters %d: no parameters at all) × mean span time %.3f ms"
                     % (len(flags_spans), len(distinct), mean([c["ms"] for c in flags_spans])),
    "sources": ["traces.jsonl.gz", "postgres.log.gz", "app.log.gz"],
})
checks.append(("flags-duplicate", [
    "PostgreSQL log: %d flag reads in all (%d with route='%%2Fcart', %d with route='%%2Fcart%%2Fcached')"
    % (len(pg_flags), sum(1 for x in pg_flags if "route='%2Fcart'" in x[2]),
       sum(1 for x in pg_flags if "route='%2Fcart%2Fcached'" in x[2])),
    "with the median span time instead of the mean (%.3f ms): %.0f ms" % (statistics.median([c["ms"] for c in flags_spans]),
    (len(flags_spans) - len(distinct)) * statistics.median([c["ms"] for c in flags_spans])),
    "healthy twin /cart/cached: %d flag reads in %d requests (a 60 s cache)"
    % (sum(len(r) for r in under("/cart/cached", is_flags)), len(requests_of["/cart/cached"])),
]))

# ---- no_connection_pool: /inventory builds an engine (and connects) per request
is_connect = lambda s: s["name"] == "connect" and s["a"].get("db.system") == "postgresql"
per = under("/inventory", is_connect)
connect_ms = sum(c["ms"] for r in per for c in r)
inv_sessions = [s for s in sessions.values() if "received" in s and s.get("app") == "aioshop"
                and first_request <= s["received"] <= last_request and s.get("end", 1e18) <= last_request + 1
                and any("route='%2Finventory'" in q for q in s["stmts"])]
pg_auth_ms = sum(1000 * (s["authorized"] - s["received"]) for s in inv_sessions)
HOUSEKEEPING = ("select pg_catalog.version()", "select current_schema()", "show transaction isolation level",
                "show standard_conforming_strings", "SELECT\n    t.oid", "BEGIN ISOLATION LEVEL", "ROLLBACK")
hk = collections.Counter()
for s in inv_sessions:
    for q in s["stmts"]:
        for h in HOUSEKEEPING:
            if q.lstrip().startswith(h.lstrip()):
                hk[h.split("\n")[0]] += 1
site = call_site("inventory_engine_per_request", "start (sqlalchemy/ext/asyncio/engine.py")
connect_prof = samples(lambda f: has(f, "inventory_engine_per_request (") and has(f, "connect (asyncpg/connection.py"))
planted.append({
    "id": "inventory-engine-per-request", "kind": "no_connection_pool", "function": "inventory_engine_per_request",
    "file": site[0], "line": site[1], "route": "/inventory", "fingerprint": "select stock.warehouse, stock.qty from stock",
    "avoidable_ms": round(connect_ms, 1),
    "avoidable_how": "Σ of the %d client-side `connect` spans (db.system=postgresql) under /inventory requests (mean %.1f ms: TCP, startup, asyncpg's codecs and type introspection, SQLAlchemy's dialect initialisation); the PostgreSQL log's connection received → authorized is only %.0f ms of it"
                     % (sum(len(r) for r in per), connect_ms / max(1, sum(len(r) for r in per)), pg_auth_ms),
    "sources": ["traces.jsonl.gz", "postgres.log.gz", "app.log.gz", "wall.folded"],
})
pooled_new = sum(len(r) for r in under("/inventory/pooled", is_connect))
checks.append(("inventory-engine-per-request", [
    "PostgreSQL log: %d sessions opened and closed within /inventory traffic, each running its one stock query; on-connect statements in them: %s"
    % (len(inv_sessions), ", ".join("%s ×%d" % kv for kv in hk.most_common())),
    "app.log: %d `Created new connection` lines of sqlalchemy.pool loggers in /inventory tasks"
    % sum(1 for r in records if r["logger"].startswith("sqlalchemy.pool") and r["msg"].startswith("Created new connection")
          and task_route.get(r["task"]) == "/inventory"),
    "profile: %d samples × %.3f ms = %.0f ms in asyncpg's connect under inventory_engine_per_request (the loop's own work while connecting)"
    % (connect_prof, ms_per_sample, connect_prof * ms_per_sample),
    "healthy twin /inventory/pooled: %d connect spans in %d requests" % (pooled_new, len(requests_of["/inventory/pooled"])),
]))

# ---- http_client_churn: /convert makes a ClientSession per outbound call
is_create = lambda s: s["name"] == "connection_create"
is_dns = lambda s: s["name"] == "dns_resolvehost"
per = under("/convert", is_create)
churn_ms = sum(c["ms"] for r in per for c in r)
dns_ms = sum(c["ms"] for r in under("/convert", is_dns) for c in r)
made = collections.Counter(created_at(r)[0] for r in unclosed)
(app_site, last_frame) = created_at(unclosed[0]) if unclosed else (None, None)
planted.append({
    "id": "convert-session-per-call", "kind": "http_client_churn", "function": app_site[2] if app_site else "fetch_rate",
    "file": app_site[0] if app_site else None, "line": app_site[1] if app_site else None, "route": "/convert",
    "avoidable_ms": round(churn_ms, 1),
    "avoidable_how": "Σ of the %d `connection_create` spans (TCP + TLS, with %d `dns_resolvehost` spans inside: %.0f ms) under the `GET` client spans of /convert requests, mean %.1f ms; the shared-session twin opened %d in the whole run"
                     % (sum(len(r) for r in per), sum(len(r) for r in under("/convert", is_dns)), dns_ms,
                        churn_ms / max(1, sum(len(r) for r in per)), sum(len(r) for r in under("/convert/shared", is_create))),
    "sources": ["traces.jsonl.gz", "app.log.gz", "wall.folded"],
})
checks.append(("convert-session-per-call", [
    "app.log: %d `Unclosed client session` ERROR records; the application frame of their source_traceback: %s; the traceback's last frame is the instrumentation wrapper %s:%s `%s`, not the application"
    % (len(unclosed), dict(made), os.path.basename(last_frame[0]) if last_frame else "?", last_frame[1] if last_frame else "?",
       last_frame[2] if last_frame else "?"),
    "app.log: %d `Get address info localhost` DEBUG lines (asyncio debug: one per DNS lookup)"
    % sum(1 for r in records if r["logger"] == "asyncio" and r["msg"].startswith("Get address info localhost")),
    "profile: %d samples under fetch_rate in aiohttp's ClientSession/connector/TLS code"
    % samples(lambda f: has(f, "fetch_rate (") and (has(f, "__init__ (aiohttp/client.py") or has(f, "_create_connection (aiohttp/connector.py")
                                                    or has(f, "__del__ (aiohttp/client.py"))),
]))

# ---- blocking_io_in_async: three handlers block the loop
for pid, route, leaf, how in (
        ("quote-time-sleep", "/quote", None, "time.sleep"),
        ("tax-urllib", "/tax", "urlopen (urllib/request.py", "urllib.request.urlopen"),
        ("shipping-requests", "/shipping", "get (requests/api.py", "requests.get")):
    fn = handler_of[route]
    site = call_site(fn, leaf)
    xs = slow.get(route, [])
    on_loop = samples(lambda f: has(f, fn + " (") and not f[-1].startswith("select (selectors.py"))
    sync_spans = [c for r in under(route, lambda s: s["scope"] == "otelwrap.sync_http") for c in r]
    srcs = ["app.log.gz", "wall.folded"] + (["traces.jsonl.gz"] if sync_spans else [])
    planted.append({
        "id": pid, "kind": "blocking_io_in_async", "function": fn, "file": site[0], "line": site[1], "route": route,
        "avoidable_ms": round(1000 * sum(xs), 1),
        "avoidable_how": "Σ of the %d asyncio slow-callback warnings (took ≥ 0.040 s) whose task is a %s request (task → route through the app log's request line): the loop was blocked by %s"
                         % (len(xs), route, how),
        "sources": srcs,
    })
    checks.append((pid, [
        "%d %s requests, %d slow callbacks (%.3f s); profile: %d non-idle loop samples × %.3f ms = %.0f ms under %s%s"
        % (len(requests_of[route]), route, len(xs), sum(xs), on_loop, ms_per_sample, on_loop * ms_per_sample, fn,
           "; spans: %d sync client spans on thread %s, %.0f ms" % (len(sync_spans), sorted({c["a"].get("thread.name") for c in sync_spans}),
                                                                   sum(c["ms"] for c in sync_spans)) if sync_spans else ""),
    ]))


def named_in(function):
    """The artifact files whose text names the function at all (a frame, code.function, a log line):
    the sources from which a finding can be placed at it."""
    out = []
    pat = re.compile(r"\b%s\b" % re.escape(function))
    for name in sorted(os.listdir(ART)):
        with art(name) as f:
            if pat.search(f.read()):
                out.append(name)
    return out


for p in planted:
    p["named_in"] = named_in(p["function"])

healthy = [{"route": r, "function": handler_of[r]} for r in
           ("/products/joined", "/cart/cached", "/inventory/pooled", "/convert/shared", "/quote/async", "/tax/async",
            "/shipping/executor")]
setup = [x for x in executions if x[0]["t"] < first_request]
context = [
    {"what": "schema set-up before traffic (drop/create tables, multi-row INSERTs), %d statements, %.0f ms"
             % (len(setup), sum(x[1] for x in setup)), "fingerprint": "insert into reviews"},
    {"what": "SQLAlchemy dialect initialisation on every new engine", "fingerprint": "select pg_catalog.version()"},
    {"what": "SQLAlchemy dialect initialisation", "fingerprint": "show standard_conforming_strings"},
    {"what": "asyncpg type introspection on a new connection", "fingerprint": "from pg_catalog.pg_type as t"},
    {"what": "the pool's reset-on-return", "fingerprint": "rollback"},
    {"what": "idle: the event loop waiting in select", "frame": "select (selectors.py", "samples": idle},
    {"what": "asyncio debug mode's traceback capture (recorder overhead)", "frame": "extract_stack (traceback.py",
     "samples": debug_overhead},
    {"what": "slow callbacks outside the blocking routes (start-up, CPU between awaits)",
     "count": sum(len(v) for k, v in slow.items() if k not in ("/quote", "/tax", "/shipping"))},
    {"what": "requests.get spans on executor threads (the healthy /shipping/executor), root spans of their own"},
]
out = {
    "service": "aioshop",
    "stack": "Python 3.11 asyncio: aiohttp 3.8 + SQLAlchemy 1.4 Core (asyncpg 0.27) on PostgreSQL 15, OTLP JSON from a wrapt-based launcher",
    "artifacts": "artifacts",
    "planted": sorted(planted, key=lambda p: -p["avoidable_ms"]),
    "healthy": healthy,
    "context": context,
    "denominators": {"server_span_ms": round(server_ms, 1), "requests": len(servers),
                     "profile_samples": samples_total, "profile_ms_per_sample": ms_per_sample},
}
with open(os.path.join(HERE, "planted.json"), "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")

pss = []
if os.path.exists(os.path.join(HERE, "pg_stat_statements.csv")):
    pss = list(csv.DictReader(open(os.path.join(HERE, "pg_stat_statements.csv"))))


def pss_calls(prefix):
    rows = [r for r in pss if r["query"].startswith(prefix)]
    return sum(int(r["calls"]) for r in rows), len(rows)


md = io.StringIO()
w = md.write
w("# aioshop ground truth (computed by groundtruth.py from artifacts/)\n\n")
w("Traffic: %d requests (server spans), %.1f s of server-span time; %d spans in all; PostgreSQL: %d executions (execute + simple statements), %d sessions.\n\n"
  % (len(servers), server_ms / 1000, len(spans), len(executions), sum(1 for s in sessions.values() if "authorized" in s)))
w("| id | kind | where | avoidable ms | how |\n|---|---|---|---|---|\n")
for p in out["planted"]:
    w("| %s | `%s` | `%s` %s:%s `%s` | **%.1f** | %s |\n" % (p["id"], p["kind"], p["function"], p["file"], p["line"],
                                                        p["route"], p["avoidable_ms"], p["avoidable_how"]))
w("\n## Cross-checks\n\n")
for pid, lines in checks:
    w("**%s**\n\n" % pid)
    for line in lines:
        w("- %s\n" % line)
    w("\n")
w("**slow callbacks per route** (task → route via the app log): %s\n\n"
  % ", ".join("%s %d (%.3f s)" % (k, len(v), sum(v)) for k, v in sorted(slow.items(), key=lambda kv: -sum(kv[1]))))
w("**requests per route** (server spans): %s\n\n" % ", ".join("%s %d" % (r, len(v)) for r, v in requests_of.items()))
if pss:
    w("**pg_stat_statements** (after the run; sqlcommenter makes each statement text unique, so calls are summed over its entries):\n\n")
    for label, prefix, n_log in (
            ("reviews by product (N+1)", "SELECT reviews.stars, reviews.body", len(pg_rev)),
            ("feature flags", "SELECT feature_flags.name", len(pg_flags)),
            ("select pg_catalog.version()", "select pg_catalog.version()",
             sum(1 for x in executions if x[2].startswith("select pg_catalog.version()")))):
        calls, entries = pss_calls(prefix)
        w("- %s: %d calls in %d entries (log: %d executions)\n" % (label, calls, entries, n_log))
    w("\n")


def zgrep(pattern, name):
    """An independent count: zgrep -c -E over one artifact file (lines, not matches)."""
    r = subprocess.run(["zgrep", "-c", "-E", pattern, os.path.join(ART, name)], capture_output=True, text=True)
    return int(r.stdout.strip() or 0)


def zgrep_o(pattern, name):
    """zgrep -o -E | wc -l: matches, for files with many events per line."""
    r = subprocess.run("zgrep -o -E '%s' '%s' | wc -l" % (pattern, os.path.join(ART, name)), shell=True,
                       capture_output=True, text=True)
    return int(r.stdout.strip() or 0)


w("**grep over the artifacts** (independent of this script's parsers):\n\n")
w("| command | file | grep | this script |\n|---|---|---|---|\n")
for cmd, pattern, name, ours in (
        ("zgrep -c", r"execute __asyncpg_stmt_[0-9a-f]+__: SELECT reviews\.stars, reviews\.body", "postgres.log.gz", len(pg_rev)),
        ("zgrep -c", r"ERROR asyncio .*Unclosed client session", "app.log.gz", len(unclosed)),
        ("zgrep -c", r"WARNING asyncio .*Executing <.* took [0-9.]+ seconds", "app.log.gz", sum(len(v) for v in slow.values())),
        ("zgrep -c", r"connection authorized: .*application_name=aioshop", "postgres.log.gz",
         sum(1 for s in sessions.values() if s.get("app") == "aioshop")),
        ("zgrep -o | wc -l", r'"name":"connection_create"', "traces.jsonl.gz", sum(1 for s in spans if s["name"] == "connection_create")),
        ("zgrep -o | wc -l", r'"name":"connect"', "traces.jsonl.gz", sum(1 for s in spans if s["name"] == "connect"))):
    n = zgrep(pattern, name) if cmd == "zgrep -c" else zgrep_o(pattern, name)
    w("| %s `%s` | %s | %d | %d |\n" % (cmd.replace("|", "\\|"), pattern.replace("|", "\\|"), name, n, ours))
w("\n")
w("**context**: profile %d samples (%.3f ms/sample), %d idle in select under `_run_once`, %d in asyncio debug-mode `extract_stack`.\n"
  % (samples_total, ms_per_sample, idle, debug_overhead))
with open(os.path.join(HERE, "groundtruth.md"), "w") as f:
    f.write(md.getvalue())
print(md.getvalue())
