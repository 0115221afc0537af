"""djshop's ground truth, computed from the artifacts alone (artifacts/: the
PostgreSQL logs, django.log, gunicorn's access and error logs, the wall-clock
profile), never from the service code. Writes planted.json (the scorecard's
input, schema in ../README.md) and groundtruth.md (the same numbers for a
human, with the cross-checks: the three PostgreSQL formats against each other,
pg_stat_statements.csv written by record.sh after the run, the access log's
twin deltas, the profile).

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


def ts(s):
    """'2026-12-01 15:30:37.291' or '2026-12-01 15:30:37,291' -> seconds since the epoch (UTC)."""
    d = datetime.datetime.strptime(s.replace(",", "."), "%Y-%m-%d %H:%M:%S.%f")
    return d.replace(tzinfo=datetime.timezone.utc).timestamp()


# ------------------------------------------------------------ PostgreSQL

PG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[(\d+)-(\d+)\] (?:\[(.*?)\] (\S+?)@(\S+) )?([A-Z]+):  (.*)$")
DURATION = re.compile(r"^duration: ([\d.]+) ms  statement: (.*)$", re.S)


def pg_stderr():
    """Events of postgresql.log: dicts with t, pid, line, app, msg (multi-line messages joined)."""
    ev = None
    for raw in art("postgresql.log.gz"):
        raw = raw.rstrip("\n")
        m = PG_LINE.match(raw)
        if m:
            if ev:
                yield ev
            ev = {"t": ts(m.group(1)), "pid": int(m.group(2)), "line": int(m.group(3)), "app": m.group(4),
                  "level": m.group(7), "msg": m.group(8)}
        elif ev and raw.startswith("\t"):
            ev["msg"] += "\n" + raw[1:]
    if ev:
        yield ev


def pg_csv():
    for row in csv.reader(art("postgresql.csv.gz")):
        yield {"t": ts(row[0][:-4]), "pid": int(row[3]), "line": int(row[6]), "app": row[22], "msg": row[13]}


def pg_json():
    for line in art("postgresql.json.gz"):
        d = json.loads(line)
        yield {"t": ts(d["timestamp"][:-4]), "pid": d["pid"], "line": d["line_num"], "app": d.get("application_name"),
               "msg": d["message"]}


def summary(events):
    n = collections.Counter()
    total = 0.0
    keys = set()
    for e in events:
        m = DURATION.match(e["msg"])
        if m:
            n["statements"] += 1
            total += float(m.group(1))
        elif e["msg"].startswith("connection authorized"):
            n["connections"] += 1
        elif e["msg"].startswith("disconnection"):
            n["disconnections"] += 1
        else:
            continue  # the postmaster's own start/stop lines differ (stderr before the collector runs)
        keys.add((e["pid"], e["line"], round(e["t"], 3)))
    return n, round(total, 3), keys


pg = list(pg_stderr())
formats = {"postgresql.log.gz": summary(pg), "postgresql.csv.gz": summary(pg_csv()),
           "postgresql.json.gz": summary(pg_json())}
same_events = len({frozenset(v[2]) for v in formats.values()}) == 1

# ------------------------------------------------------------ django.log

DJ_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \[([^\]]+)\] ([A-Z]+) ([\w.]+): (.*)$")
DJ_SQL = re.compile(r"^\(([\d.]+)\) (.*); args=(.*)$", re.S)
START = re.compile(r"^start (\S+) (\S+) rid=(\S+)$")
DONE = re.compile(r"^done (\S+) (\S+) -> (\d+) in ([\d.]+) ms rid=(\S+)$")


def django_records():
    rec = None
    for raw in art("django.log.gz"):
        raw = raw.rstrip("\n")
        m = DJ_LINE.match(raw)
        if m:
            if rec:
                yield rec
            rec = {"t": ts(m.group(1)), "thread": m.group(2), "level": m.group(3), "logger": m.group(4), "msg": m.group(5)}
        elif rec:
            rec["msg"] += "\n" + raw
    if rec:
        yield rec


requests = {}        # rid -> {"route", "thread", "t0", "t1", "ms", "sql": [(seconds, sql, args)]}
open_req = {}        # thread -> rid
setup_sql = []       # statements logged before the first request (migrate, seed)
outside_sql = []     # statements logged during traffic outside any request
first_request_t = None
for r in django_records():
    if r["logger"] == "shop.request":
        m = START.match(r["msg"])
        if m:
            path = m.group(2).split("?")[0]
            requests[m.group(3)] = {"route": path, "thread": r["thread"], "t0": r["t"], "sql": []}
            open_req[r["thread"]] = m.group(3)
            if first_request_t is None:
                first_request_t = r["t"]
            continue
        m = DONE.match(r["msg"])
        if m:
            q = requests[m.group(5)]
            q["t1"], q["ms"], q["status"] = r["t"], float(m.group(4)), int(m.group(3))
            open_req.pop(r["thread"], None)
        continue
    if r["logger"] == "django.db.backends":
        m = DJ_SQL.match(r["msg"])
        if not m:
            continue
        stmt = (float(m.group(1)), m.group(2).strip(), m.group(3))
        rid = open_req.get(r["thread"])
        if rid:
            requests[rid]["sql"].append(stmt)
        elif first_request_t is None:
            setup_sql.append(stmt)
        else:
            outside_sql.append(stmt)

routes = collections.OrderedDict()
for rid in sorted(requests):
    routes.setdefault(requests[rid]["route"], []).append(requests[rid])

# ------------------------------------------------------------ access.log

ACCESS = re.compile(r'^(\S+) - (\S+) \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d+) (\S+) "([^"]*)" (\d+) (\S+)$')
access = collections.defaultdict(list)
for line in art("access.log"):
    m = ACCESS.match(line.rstrip("\n"))
    if m:
        access[m.group(5).split("?")[0]].append(int(m.group(9)) / 1000.0)
access_total_ms = sum(sum(v) for v in access.values())

# ------------------------------------------------------------ profile

ms_per_sample = None
for line in art("gunicorn.log"):
    m = re.search(r"wall sampler: .*'seconds': ([\d.]+).*'interval_ms': ([\d.]+)", line)
    if m:
        ms_per_sample = float(m.group(2))
prof = []
for line in art("wall.txt"):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    prof.append((stack.split(";"), int(n)))
samples_total = sum(n for _, n in prof)


def samples(pred):
    return sum(n for frames, n in prof if pred(frames))


def has(frames, prefix):
    return any(f.startswith(prefix) for f in frames)


def call_site(function, below):
    """(file, line) of `function`'s frame where the stack goes on into a frame starting with `below`,
    the most sampled one: the profile names the line of the call."""
    lines = collections.Counter()
    for frames, n in prof:
        for i, f in enumerate(frames):
            m = re.match(r"^%s \((.+):(\d+)\)$" % re.escape(function), f)
            if m and any(g.startswith(below) for g in frames[i + 1:]):
                lines[(m.group(1), int(m.group(2)))] += n
                break
    return lines.most_common(1)[0][0] if lines else (None, None)


# ------------------------------------------------------------ helpers

def mean(xs):
    return statistics.fmean(xs) if xs else 0.0


def sql_of(route, pred):
    """[(seconds, sql, args)] of the requests of route whose SQL matches pred, and the count per request."""
    out, per = [], []
    for q in routes.get(route, []):
        got = [s for s in q["sql"] if pred(s[1])]
        out.extend(got)
        per.append(len(got))
    return out, per


def pg_statements(pred, since=None, until=None):
    out = []
    for e in pg:
        m = DURATION.match(e["msg"])
        if m and pred(m.group(2)) and (since is None or e["t"] >= since) and (until is None or e["t"] <= until):
            out.append((e, float(m.group(1)), m.group(2)))
    return out


traffic_t0 = first_request_t
traffic_t1 = max(q["t1"] for q in requests.values())
stmts_traffic = pg_statements(lambda s: True, traffic_t0 - 0.05, traffic_t1 + 0.05)
stmt_ms_traffic = sum(d for _, d, _ in stmts_traffic)
stmts_all = pg_statements(lambda s: True)
stmt_ms_all = sum(d for _, d, _ in stmts_all)

planted, checks = [], []

# ---- n_plus_one: /orders/ reads each order's customer on its own
is_lazy = lambda s: s.startswith('SELECT "shop_customer"."id", "shop_customer"."name", "shop_customer"."email" FROM "shop_customer" WHERE "shop_customer"."id" = ')
lazy, per = sql_of("/orders/", is_lazy)
lazy_mean_ms = 1000 * mean([d for d, _, _ in lazy])
nplus1_ms = sum(k - 1 for k in per if k > 0) * lazy_mean_ms
pg_lazy = pg_statements(is_lazy, traffic_t0, traffic_t1 + 0.05)
pg_lazy_mean = mean([d for _, d, _ in pg_lazy])
lazy_prof = samples(lambda f: has(f, "order_list (shop/views.py") and has(f, "__get__ (django/db/models/fields/related_descriptors.py"))
site = call_site("order_list", "__get__ (django/db/models/fields/related_descriptors.py")
planted.append({
    "id": "orders-n+1", "kind": "n_plus_one", "function": "order_list", "file": site[0], "line": site[1],
    "route": "/orders/", "fingerprint": 'from "shop_customer" where "shop_customer"."id" =',
    "avoidable_ms": round(nplus1_ms, 1),
    "avoidable_how": "Σ over the %d /orders/ requests of (customer SELECTs − 1) × their mean client-side duration in "
                     "django.log (%.3f ms; %d SELECTs, %s per request)" % (len(per), lazy_mean_ms, len(lazy),
                                                                            "/".join(sorted({str(k) for k in per}))),
    "sources": ["postgresql.log.gz", "postgresql.csv.gz", "postgresql.json.gz", "django.log.gz", "wall.txt"],
})
checks.append(("orders-n+1", [
    "PostgreSQL log: %d customer SELECTs during traffic (django.log: %d), server-side mean %.3f ms → (n − requests) × mean = %.1f ms (server time only: the round trips and the ORM work are not in it)"
    % (len(pg_lazy), len(lazy), pg_lazy_mean, (len(pg_lazy) - len(per)) * pg_lazy_mean),
    "profile: %d samples in the FK descriptor's lazy load under order_list × %.3f ms = %.0f ms of thread time in the lazy loads"
    % (lazy_prof, ms_per_sample, lazy_prof * ms_per_sample),
    "access log twin delta: (mean /orders/ %.1f ms − mean /orders/joined/ %.1f ms) × %d = %.0f ms"
    % (mean(access["/orders/"]), mean(access["/orders/joined/"]), len(access["/orders/"]),
       (mean(access["/orders/"]) - mean(access["/orders/joined/"])) * len(access["/orders/"])),
    "healthy twin /orders/joined/: %s statements per request (one JOIN)"
    % "/".join(sorted({str(len(q["sql"])) for q in routes["/orders/joined/"]})),
]))

# ---- cacheable_duplicate: the settings row on every /account/ request
is_settings = lambda s: s.startswith('SELECT "shop_sitesettings"."id"')
sett, per = sql_of("/account/", is_settings)
sett_mean_ms = 1000 * mean([d for d, _, _ in sett])
distinct = {a for _, _, a in sett}
dup_ms = (len(sett) - len(distinct)) * sett_mean_ms
sett_cached, _ = sql_of("/account/cached/", is_settings)
pg_sett = pg_statements(is_settings, traffic_t0, traffic_t1 + 0.05)
pg_sett_literals = {re.search(r'"shop_sitesettings"\."id" = (\S+)', s).group(1) for _, _, s in pg_sett}
site = call_site("site_settings", "get (django/db/models/query.py")
planted.append({
    "id": "settings-duplicate", "kind": "cacheable_duplicate", "function": "site_settings", "file": site[0],
    "line": site[1], "route": "/account/", "fingerprint": 'from "shop_sitesettings" where "shop_sitesettings"."id" =',
    "avoidable_ms": round(dup_ms, 1),
    "avoidable_how": "(executions %d − distinct parameter values %d) × mean client-side duration in django.log (%.3f ms)"
                     % (len(sett), len(distinct), sett_mean_ms),
    "sources": ["postgresql.log.gz", "postgresql.csv.gz", "postgresql.json.gz", "django.log.gz"],
})
checks.append(("settings-duplicate", [
    "PostgreSQL log: %d settings SELECTs during traffic with %d distinct literal(s) %s (django.log: %d in /account/ + %d in /account/cached/), never a write to shop_sitesettings after the seed"
    % (len(pg_sett), len(pg_sett_literals), sorted(pg_sett_literals), len(sett), len(sett_cached)),
    "healthy twin /account/cached/: %d settings read(s) in %d requests" % (len(sett_cached), len(routes["/account/cached/"])),
]))

# ---- slow_query: the report filters on an unindexed column
is_slow = lambda s: s.startswith('SELECT COUNT("shop_event"."id")') and '"shop_event"."customer_ref" =' in s
is_twin = lambda s: s.startswith('SELECT COUNT("shop_event"."id")') and '"shop_event"."customer_id" =' in s
slow = [d for _, d, _ in pg_statements(is_slow)]
twin = [d for _, d, _ in pg_statements(is_twin)]
twin_mean = mean(twin)
slow_ms = sum(d - twin_mean for d in slow)
slow_share_traffic = sum(slow) / stmt_ms_traffic
slow_share_all = sum(slow) / stmt_ms_all
dj_slow, _ = sql_of("/report/", lambda s: '"shop_event"."customer_ref" =' in s)
site = call_site("customer_report", "aggregate (django/db/models/query.py")
planted.append({
    "id": "report-seqscan", "kind": "slow_query", "function": "customer_report", "file": site[0], "line": site[1],
    "route": "/report/", "fingerprint": '"shop_event"."customer_ref" =',
    "avoidable_ms": round(slow_ms, 1),
    "avoidable_how": "Σ over its %d executions of (duration − the indexed twin's mean %.3f ms), PostgreSQL log; mean %.1f ms, p50 %.1f, max %.1f; %.0f %% of the statement time during traffic (%.0f %% of the whole log's, set-up included)"
                     % (len(slow), twin_mean, mean(slow), statistics.median(slow), max(slow), 100 * slow_share_traffic,
                        100 * slow_share_all),
    "sources": ["postgresql.log.gz", "postgresql.csv.gz", "postgresql.json.gz", "django.log.gz"],
})
checks.append(("report-seqscan", [
    "django.log (client side): %d executions, mean %.1f ms" % (len(dj_slow), 1000 * mean([d for d, _, _ in dj_slow])),
    "indexed twin (customer_id): %d executions, mean %.3f ms" % (len(twin), twin_mean),
]))

# ---- no_connection_pool: the inventory alias reconnects on every request
sessions = {}
for e in pg:
    s = sessions.setdefault(e["pid"], {"pid": e["pid"], "stmts": []})
    if e["msg"].startswith("connection received"):
        s["received"] = e["t"]
    elif e["msg"].startswith("connection authorized"):
        s["authorized"] = e["t"]
        s["app"] = re.search(r"application_name=(\S+)", e["msg"]).group(1) if "application_name=" in e["msg"] else ""
    elif e["msg"].startswith("disconnection"):
        s["end"] = e["t"]
    else:
        m = DURATION.match(e["msg"])
        if m:
            s["stmts"].append((float(m.group(1)), m.group(2)))
is_product = lambda s: s.startswith('SELECT "shop_product"."id"')
short_lived = [s for s in sessions.values() if "received" in s and s.get("app") == "djshop"
               and s["received"] >= traffic_t0 - 0.05 and s.get("end", 1e18) <= traffic_t1 + 0.5
               and any(is_product(q) for _, q in s["stmts"])]
connect_ms = sum(1000 * (s["authorized"] - s["received"]) for s in short_lived)
HOUSEKEEPING = ("SET TIME ZONE", "SELECT t.oid, typarray FROM pg_type", "SELECT typarray FROM pg_type")
housekeeping_ms = sum(d for s in short_lived for d, q in s["stmts"] if q.startswith(HOUSEKEEPING))
session_ms = [1000 * (s["end"] - s["received"]) for s in short_lived if "end" in s]
site = call_site("stock_level", "connect (django/db/backends/base/base.py")
connect_prof = samples(lambda f: has(f, "stock_level (%s:%d)" % site) and has(f, "connect (django/db/backends/base/base.py"))
stock_reqs = len(routes["/stock/"])
nopool_ms = connect_prof * ms_per_sample
planted.append({
    "id": "inventory-no-pool", "kind": "no_connection_pool", "function": "stock_level", "file": site[0],
    "line": site[1], "route": "/stock/", "fingerprint": 'from "shop_product" where "shop_product"."sku" =',
    "avoidable_ms": round(nopool_ms, 1),
    "avoidable_how": "client side, profile: %d samples × %.3f ms in Django's connect() (psycopg2.connect, then SET TIME ZONE and the type lookups) under stock_level (%s:%d), %d connections; the PostgreSQL log sees only the server's part: Σ (connection authorized − connection received) %.0f ms + on-connect statements %.1f ms over %d short sessions"
                     % (connect_prof, ms_per_sample, site[0], site[1], len(short_lived), connect_ms, housekeeping_ms, len(short_lived)),
    "sources": ["postgresql.log.gz", "postgresql.csv.gz", "postgresql.json.gz", "wall.txt"],
})
pooled_sessions = [s for s in sessions.values() if s.get("app") == "djshop" and s not in short_lived
                   and any(is_product(q) for _, q in s["stmts"])]
checks.append(("inventory-no-pool", [
    "%d /stock/ requests, %d short PostgreSQL sessions (received during traffic, disconnected by its end), session time mean %.1f ms, max %.1f ms"
    % (stock_reqs, len(short_lived), mean(session_ms), max(session_ms) if session_ms else 0),
    "healthy twin /stock/pooled/: its statements ran on %d long-lived session(s) (one per gunicorn thread, CONN_MAX_AGE = 60)"
    % len(pooled_sessions),
    "PostgreSQL log (server side): Σ (authorized − received) = %.0f ms (%.2f ms per connection; the TCP connect, the backend's fork and the client's own work are not in it) + %.1f ms of on-connect statements"
    % (connect_ms, connect_ms / max(1, len(short_lived)), housekeeping_ms),
    "access log twin delta: (mean /stock/ %.1f ms − mean /stock/pooled/ %.1f ms) × %d = %.0f ms"
    % (mean(access["/stock/"]), mean(access["/stock/pooled/"]), len(access["/stock/"]),
       (mean(access["/stock/"]) - mean(access["/stock/pooled/"])) * len(access["/stock/"])),
]))

# ---- context: noise that must not be a finding above info
setup_pg = [x for x in stmts_all if x[0]["t"] < traffic_t0 - 0.05]
setup_kinds = collections.Counter()
for _, d, s in setup_pg:
    w = s.split(None, 1)[0].upper() if s.strip() else "?"
    setup_kinds[w] += d
idle_main = samples(lambda f: f[0].endswith("MainThread") and f[-1].startswith("select (selectors.py"))
idle_pool = samples(lambda f: "ThreadPoolExecutor" in f[0] and f[-1].startswith("_worker (concurrent/futures/thread.py"))
housekeeping_pg = [x for x in stmts_all if x[2].startswith(HOUSEKEEPING)]
context = [
    {"what": "set-up before traffic: migrate (DDL), bulk_create multi-row INSERTs, COPY, ANALYZE; %d statements, %.0f ms"
             % (len(setup_pg), sum(d for _, d, _ in setup_pg)), "fingerprint": "copy shop_event"},
    {"what": "bulk_create multi-row INSERT (seed)", "fingerprint": 'insert into "shop_order"'},
    {"what": "migrate DDL", "fingerprint": 'create table "shop_event"'},
    {"what": "Django on connect: SET TIME ZONE (server zone Europe/Berlin, Django wants UTC), %d times"
             % sum(1 for x in housekeeping_pg if x[2].startswith("SET TIME ZONE")), "fingerprint": "set time zone"},
    {"what": "django.contrib.postgres type lookups on a new connection (hstore, citext)", "fingerprint": "from pg_type"},
    {"what": "idle: the gthread worker's main loop in select()", "frame": "select (selectors.py:468)", "samples": idle_main},
    {"what": "idle: thread-pool threads waiting for work", "frame": "_worker (concurrent/futures/thread.py:81)",
     "samples": idle_pool},
    {"what": "404s for /favicon.ico (django.request WARNING)", "route": "/favicon.ico"},
]

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

healthy = [
    {"route": "/orders/joined/", "function": "order_list_joined"},
    {"route": "/account/cached/", "function": "account_cached"},
    {"route": "/report/indexed/", "function": "customer_report_indexed"},
    {"route": "/stock/pooled/", "function": "stock_level_pooled"},
]

out = {
    "service": "djshop",
    "stack": "Django 3.2 (gunicorn 20.1 gthread, 1 worker × 4 threads) + psycopg2 2.9 on PostgreSQL 15",
    "artifacts": "artifacts",
    "planted": sorted(planted, key=lambda p: -p["avoidable_ms"]),
    "healthy": healthy,
    "context": context,
    "denominators": {
        "access_log_request_ms": round(access_total_ms, 1),
        "statement_ms_traffic": round(stmt_ms_traffic, 1),
        "statement_ms_all": round(stmt_ms_all, 1),
        "profile_samples": samples_total, "profile_ms_per_sample": ms_per_sample,
    },
}
with open(os.path.join(HERE, "planted.json"), "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")

# ---- pg_stat_statements (written by record.sh after the logs were copied)
pss = {}
pss_path = os.path.join(HERE, "pg_stat_statements.csv")
if os.path.exists(pss_path):
    for row in csv.DictReader(open(pss_path)):
        pss[row["query"]] = row


def pss_find(*needles):
    for q, row in pss.items():
        if all(n in q for n in needles):
            return row
    return None


md = io.StringIO()
w = md.write
w("# djshop ground truth (computed by groundtruth.py from artifacts/)\n\n")
w("Traffic: %d requests (%s), %.1f s of request time in the access log; "
  "PostgreSQL: %d statements in the whole log (%.0f ms), %d during traffic (%.0f ms).\n\n"
  % (len(requests), ", ".join("%s %d" % (r, len(v)) for r, v in routes.items()), access_total_ms / 1000,
     len(stmts_all), stmt_ms_all, len(stmts_traffic), stmt_ms_traffic))
w("| id | kind | where | avoidable ms | how |\n|---|---|---|---|---|\n")
for p in out["planted"]:
    w("| %s | `%s` | `%s` %s:%d `%s` | **%.1f** | %s |\n" % (p["id"], p["kind"], p["function"], p["file"], p["line"],
                                                        p["route"], p["avoidable_ms"], p["avoidable_how"]))
w("\n## Cross-checks\n\n")
for pid, lines in checks:
    w("**%s**\n\n" % pid)
    for line in lines:
        w("- %s\n" % line)
    w("\n")
w("**the three PostgreSQL formats** (one server, `log_destination = 'stderr,csvlog,jsonlog'`):\n\n")
w("| file | statements | Σ duration ms | connections | disconnections |\n|---|---|---|---|---|\n")
for name, (n, total, _) in formats.items():
    w("| %s | %d | %.3f | %d | %d |\n" % (name, n["statements"], total, n["connections"], n["disconnections"]))
w("\nThe same statement and connection events (pid, session line number, time) in all three: %s.\n\n" % ("yes" if same_events else "NO"))
if pss:
    w("**pg_stat_statements** (after the run, whole run):\n\n")
    for label, needles, n_log in (
            ("customer by id (N+1)", ('FROM "shop_customer" WHERE "shop_customer"."id" = $1',), len(pg_statements(is_lazy))),
            ("settings row", ('FROM "shop_sitesettings" WHERE',), len(pg_statements(is_settings))),
            ("report, customer_ref", ('"shop_event"."customer_ref" = $1',), len(slow)),
            ("report, customer_id", ('"shop_event"."customer_id" = $1',), len(twin)),
            ("SET TIME ZONE", ("SET TIME ZONE",), sum(1 for x in housekeeping_pg if x[2].startswith("SET TIME ZONE")))):
        row = pss_find(*needles)
        if row:
            w("- %s: calls %s (log: %d), mean exec %s ms\n" % (label, row["calls"], n_log, row["mean_ms"]))
    w("\n")


def zgrep(pattern, name):
    """An independent count: zgrep -c -E over one artifact file."""
    r = subprocess.run(["zgrep", "-c", "-E", pattern, os.path.join(ART, name)], capture_output=True, text=True)
    return int(r.stdout.strip() or 0)


w("**grep over the artifacts** (`zgrep -c -E PATTERN FILE`, independent of this script's parsers):\n\n")
w("| pattern | file | grep | this script |\n|---|---|---|---|\n")
for pattern, name, ours in (
        (r'FROM "shop_customer" WHERE "shop_customer"\."id" = [0-9]+ LIMIT', "postgresql.log.gz", len(pg_lazy)),
        (r'FROM ""shop_customer"" WHERE ""shop_customer""\.""id"" = [0-9]+ LIMIT', "postgresql.csv.gz", len(pg_lazy)),
        (r'"shop_sitesettings"\."id" = 1 LIMIT', "postgresql.log.gz", len(pg_statements(is_settings))),
        (r'"shop_event"\."customer_ref" = ', "django.log.gz", len(dj_slow)),
        (r"connection authorized", "postgresql.log.gz", formats["postgresql.log.gz"][0]["connections"]),
        (r"connection authorized", "postgresql.json.gz", formats["postgresql.json.gz"][0]["connections"]),
        (r"SET TIME ZONE", "postgresql.log.gz", sum(1 for x in housekeeping_pg if x[2].startswith("SET TIME ZONE"))),
        (r"shop\.request: done GET /stock/ ", "django.log.gz", stock_reqs)):
    w("| `%s` | %s | %d | %d |\n" % (pattern.replace("|", "\\|"), name, zgrep(pattern, name), ours))
w("\n")
w("**context (noise)**: set-up before the first request by statement kind (ms): %s; profile: %d samples in all "
  "(%.3f ms/sample), %d of the gthread main loop idle in select, %d of pool threads idle in `_worker`.\n"
  % (", ".join("%s %.0f" % kv for kv in setup_kinds.most_common()), samples_total, ms_per_sample, idle_main, idle_pool))
with open(os.path.join(HERE, "groundtruth.md"), "w") as f:
    f.write(md.getvalue())
print(md.getvalue())
