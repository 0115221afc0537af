"""Ground truth of the zipshop scenario, computed from its artifacts alone.

Reads artifacts/ (the PostgreSQL stderr log with log_statement=all +
log_duration=on, the Zipkin v2 span reports, the CPU profile through
`go tool pprof -traces`) and load-summary.json (the load driver's request
counts, as a check). Never reads the service's code. Writes planted.json and
groundtruth.md next to this file.

    /usr/bin/python3 groundtruth.py      (needs `go` on PATH for go tool pprof)
"""
import collections
import gzip
import json
import os
import re
import statistics
import subprocess
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ART = os.path.join(HERE, "artifacts")


def art(name):
    return os.path.join(ART, name)


# ------------------------------------------------------------------ spans
spans = []
reports = 0
for line in gzip.open(art("zipkin-spans.jsonl.gz"), "rt"):
    reports += 1
    for s in json.loads(line):  # one Zipkin v2 list per report
        s["tags"] = s.get("tags", {})
        s["ms"] = s.get("duration", 0) / 1000
        s["start"] = s["timestamp"] * 1000  # ns
        s["end"] = s["start"] + s.get("duration", 0) * 1000
        spans.append(s)
by_trace = collections.defaultdict(list)
for s in spans:
    by_trace[s["traceId"]].append(s)
servers = [s for s in spans if s.get("kind") == "SERVER"]
reqs = collections.defaultdict(list)  # route -> [(server span, trace)]
for s in servers:
    reqs[s["tags"].get("http.route")].append((s, by_trace[s["traceId"]]))
first_req = min(s["start"] for s in servers)
last_req = max(s["end"] for s in servers)


def db_spans(trace, prefix):
    return [s for s in trace if s.get("kind") == "CLIENT" and s["tags"].get("sql.query", "").startswith(prefix)]


def code_of(sp):
    t = sp["tags"]
    return t.get("code.function"), t.get("code.filepath"), int(t.get("code.lineno") or 0)


def mean_ms(route):
    return statistics.mean(s["ms"] for s, _ in reqs[route])


# ------------------------------------------------------------ PostgreSQL
LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC (\S+) (\d+) (LOG|DETAIL|WARNING|ERROR|HINT|STATEMENT|CONTEXT):  (.*)$")


def ts(s):
    return int(datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp() * 1e9)


records, cur = [], None
for raw in gzip.open(art("postgres.log.gz"), "rt"):
    raw = raw.rstrip("\n")
    m = LINE.match(raw)
    if m:
        cur = {"t": ts(m.group(1)), "sess": m.group(2), "n": int(m.group(3)), "kind": m.group(4), "msg": m.group(5)}
        records.append(cur)
    elif cur is not None:
        cur["msg"] += "\n" + raw  # continuation of a multi-line statement

# Pair statements with their durations: with log_statement=all and
# log_duration=on the statement is logged when it starts and a bare
# "duration: X ms" line follows in the same session when it ends; the bare
# durations that come with no statement pending are the extended protocol's
# parse and bind phases of the next statement.
stmts, conns, parsebind = [], {}, 0.0
pending = {}
for r in records:
    msg, sess = r["msg"], r["sess"]
    m = re.match(r"(statement|execute [^:]+): (.*)", msg, re.S)
    if r["kind"] == "LOG" and m:
        st = {"t": r["t"], "sess": sess, "sql": m.group(2).strip(), "params": "", "ms": None, "end": None}
        stmts.append(st)
        pending[sess] = st
    elif r["kind"] == "DETAIL" and msg.startswith("parameters:") and sess in pending:
        pending[sess]["params"] = msg
    elif r["kind"] == "LOG" and msg.startswith("duration: "):
        d = float(msg.split()[1])
        if sess in pending:
            pending[sess]["ms"], pending[sess]["end"] = d, r["t"]
            del pending[sess]
        else:
            parsebind += d
    elif msg.startswith("connection received"):
        conns[sess] = {"received": r["t"]}
    elif msg.startswith("connection authorized"):
        conns.setdefault(sess, {})["authorized"] = r["t"]
    elif msg.startswith("disconnection"):
        conns.setdefault(sess, {})["closed"] = r["t"]
        conns[sess]["session_s"] = msg
timed = [s for s in stmts if s["ms"] is not None]
traffic = [s for s in timed if first_req <= s["t"] <= last_req]
before = [s for s in timed if s["t"] < first_req]


def fp(lst, prefix):
    return [s for s in lst if s["sql"].startswith(prefix)]


# ------------------------------------------------------------- profile
UNIT = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0}


def pprof_traces(name, lines=False):
    args = ["go", "tool", "pprof", "-traces"] + (["-lines"] if lines else []) + [art(name)]
    txt = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    out = []
    for block in txt.split("-----------+-------------------------------------------------------")[1:]:
        frames, value = [], None
        for ln in block.splitlines():
            m = re.match(r"^\s*([\d.]+)([a-zµ]+)\s+(\S.*)$", ln)
            if value is None and m:
                value = float(m.group(1)) * UNIT[m.group(2)]
                frames.append(m.group(3).strip())
            elif value is not None and ln.strip():
                frames.append(ln.strip())
        if value is not None:
            out.append((value, frames))
    return out


cpu = pprof_traces("cpu.pprof")
cpu_total = sum(v for v, _ in cpu)


def cpu_under(fn, also=None):
    return sum(v for v, f in cpu if any(x.split(" ")[0] == fn for x in f) and (also is None or any(x.split(" ")[0] == also for x in f)))


# ======================================================= the planted problems
planted, notes = [], []
load = json.load(open(os.path.join(HERE, "load-summary.json")))

# --- n_plus_one: /books
AUTH = 'SELECT * FROM "authors" WHERE "authors"."id" = $1'
per = [db_spans(t, AUTH) for _, t in reqs["/books"]]
item = statistics.mean(s["ms"] for q in per for s in q)
fn, file, line = code_of(per[0][0])
pg_auth = fp(traffic, AUTH)
twin_per = [db_spans(t, 'SELECT * FROM "authors" WHERE "authors"."id" IN') for _, t in reqs["/books/preloaded"]]
planted.append({"id": "books-lazy-authors", "kind": "n_plus_one", "function": fn, "file": file, "line": line, "route": "/books",
                "fingerprint": 'from "authors" where "authors"."id" = ?',
                "avoidable_ms": round(sum((len(q) - 1) * item for q in per if q), 1),
                "avoidable_how": "Σ over /books requests of (author SELECT spans − 1) × their mean span time",
                "sources": ["zipkin-spans.jsonl.gz", "postgres.log.gz"]})
notes.append(("n_plus_one /books", [
    f"{len(per)} requests, {statistics.mean(len(q) for q in per):.2f} author SELECT spans (gorm.query, Association(\"Author\").Find) per request at {fn} {file}:{line}, mean span {item:.3f} ms",
    f"twin /books/preloaded: {statistics.mean(len(q) for q in twin_per):.2f} IN (…) SELECT per request (Preload); server span mean {mean_ms('/books'):.2f} ms vs {mean_ms('/books/preloaded'):.2f} ms",
    f"PostgreSQL: {len(pg_auth)} executions of the author lookup during traffic, {len(set(s['params'] for s in pg_auth))} distinct parameter sets, Σ {sum(s['ms'] for s in pg_auth):.1f} ms"]))

# --- cacheable_duplicate: /book
FLAG = 'SELECT * FROM "flags" WHERE key = $1'
reads = [s for _, t in reqs["/book"] for s in db_spans(t, FLAG)]
fn, file, line = code_of(reads[0])
pg_flag = fp(traffic, FLAG)
distinct = len(set(s["params"] for s in pg_flag))
planted.append({"id": "book-flag-reread", "kind": "cacheable_duplicate", "function": fn, "file": file, "line": line, "route": "/book",
                "fingerprint": 'from "flags" where key = ?',
                "avoidable_ms": round((len(reads) - distinct) * statistics.mean(s["ms"] for s in reads), 1),
                "avoidable_how": "(flag SELECT spans under /book − distinct parameter sets in the log) × their mean span time",
                # the spans' sql.query binds $1: they show the repeats, not that the values are equal
                "sources": ["postgres.log.gz"]})
notes.append(("cacheable_duplicate /book", [
    f"{len(reads)} flag reads under {len(reqs['/book'])} /book requests at {fn} {file}:{line}, mean span {statistics.mean(s['ms'] for s in reads):.3f} ms",
    f"PostgreSQL: {len(pg_flag)} executions during traffic, {distinct} distinct parameter set(s): {pg_flag[0]['params']}; the twin /book/cached loads all flags once (SELECT * FROM \"flags\")"]))

# --- no_connection_pool: /stock


def untraced(route):
    """server span time not covered by its child spans (here: gorm.Open, its ping, connecting, closing)"""
    return [s["ms"] - sum(c["ms"] for c in t if c.get("parentId") == s["id"]) for s, t in reqs[route]]


gap, twin_gap = untraced("/stock"), untraced("/stock/shared")
st_sp = [s for _, t in reqs["/stock"] for s in db_spans(t, 'SELECT * FROM "inventories"')]
fn, file, line = code_of(st_sp[0])
during = [c for c in conns.values() if "authorized" in c and first_req <= c["authorized"] <= last_req]
short = [c for c in during if "closed" in c and c["closed"] - c["authorized"] < 1e9]
setup_ms = [(c["authorized"] - c["received"]) / 1e6 for c in during if "received" in c]
pings = fp(traffic, "-- ping")
cpu_open = cpu_under("gorm.io/gorm.Open", "main.(*shop).stockOpenGorm")
# the gorm.Open call site, where the CPU profile (-lines) saw it
open_site = next((f[k] for _, f in pprof_traces("cpu.pprof", lines=True) for k in range(1, len(f))
                  if f[k].startswith("main.(*shop).stockOpenGorm ") and f[k - 1].startswith("gorm.io/gorm.Open ")), None)
if open_site:
    file, line = open_site.split(" ")[1].rsplit(":", 1)
    line = int(line)
planted.append({"id": "stock-gorm-open", "kind": "no_connection_pool", "function": fn, "file": file, "line": line, "route": "/stock",
                "fingerprint": 'from "inventories" where book_id = ?',
                "avoidable_ms": round(sum(gap) - statistics.mean(twin_gap) * len(gap), 1),
                "avoidable_how": "Σ over /stock requests of (server span − its child spans) − the shared twin's mean of the same × requests: the untraced gorm.Open + ping + connect + close",
                "sources": ["postgres.log.gz", "zipkin-spans.jsonl.gz"]})
notes.append(("no_connection_pool /stock", [
    f"spans: untraced time per /stock request mean {statistics.mean(gap):.2f} ms (twin /stock/shared {statistics.mean(twin_gap):.2f} ms); the query span is at {code_of(st_sp[0])}, the gorm.Open call at {open_site} (cpu profile)",
    f"PostgreSQL: {len(during)} connections authorized during traffic, {len(short)} closed within 1 s; connect (received → authorized) mean {statistics.mean(setup_ms):.2f} ms; {len(pings)} '-- ping' statements (pgx's Ping: gorm.Open's and database/sql's reset on reuse)",
    f"cpu profile: gorm.io/gorm.Open under stockOpenGorm {cpu_open:.0f} ms of {cpu_total:.0f} ms"]))

# --- slow_query: /search
SLOW, TWIN = 'SELECT count(*) FROM "books" WHERE blurb ILIKE $1', 'SELECT count(*) FROM "books" WHERE title ILIKE $1'
slow, twin = fp(traffic, SLOW), fp(traffic, TWIN)
tmean = statistics.mean(s["ms"] for s in twin)
sp = [s for _, t in reqs["/search"] for s in db_spans(t, SLOW)]
fn, file, line = code_of(sp[0])
total = sum(s["ms"] for s in traffic)
planted.append({"id": "search-blurb-scan", "kind": "slow_query", "function": fn, "file": file, "line": line, "route": "/search",
                "fingerprint": "where blurb ilike ?", "avoidable_ms": round(sum(s["ms"] - tmean for s in slow), 1),
                "avoidable_how": "Σ over executions of (duration − the trigram-indexed twin's mean duration), durations paired from the log's separate duration lines",
                "sources": ["postgres.log.gz", "zipkin-spans.jsonl.gz"]})
notes.append(("slow_query /search", [
    f"{len(slow)} executions, mean {statistics.mean(s['ms'] for s in slow):.1f} ms, Σ {sum(s['ms'] for s in slow):.1f} ms = {100*sum(s['ms'] for s in slow)/total:.1f} % of the {total:.1f} ms of statement time during traffic",
    f"twin (title ILIKE, GIN trigram index): {len(twin)} executions, mean {tmean:.2f} ms",
    f"spans: gorm.row mean {statistics.mean(s['ms'] for s in sp):.1f} ms at {fn} {file}:{line}"]))

# --- http_client_churn: /price


def conn_wait(sp):
    a = {x["value"]: x["timestamp"] for x in sp.get("annotations", [])}
    return (a["Connected"] - a["Connecting"]) / 1000 if "Connected" in a and "Connecting" in a else 0.0


def churn(route):
    calls = [s for _, t in reqs[route] for s in t if s.get("kind") == "CLIENT" and "httptrace.got_connection.reused" in s["tags"]]
    fresh = [s for s in calls if s["tags"]["httptrace.got_connection.reused"] == "false"]
    return calls, fresh, sum(conn_wait(s) for s in fresh), sum(conn_wait(s) for s in calls)


calls, fresh, wait, _ = churn("/price")
tcalls, tfresh, _, twait = churn("/price/shared")
tls = sum((({x["value"]: x["timestamp"] for x in s.get("annotations", [])}.get("TLS Handshake Done", 0)
            - {x["value"]: x["timestamp"] for x in s.get("annotations", [])}.get("TLS Handshake Start", 0)) / 1000) for s in fresh)
hs = cpu_under("crypto/tls.(*Conn).HandshakeContext")
planted.append({"id": "price-new-client", "kind": "http_client_churn", "function": "main.(*shop).priceNewClient",
                "route": "/price", "fingerprint": "",
                "avoidable_ms": round(wait - twait / max(len(tcalls), 1) * len(calls), 1),
                "avoidable_how": "Σ over /price's client spans with httptrace.got_connection.reused=false of (Connected − Connecting annotations: TCP + TLS), less the shared twin's mean wait per call × calls",
                "sources": ["zipkin-spans.jsonl.gz"]})
notes.append(("http_client_churn /price", [
    f"{len(calls)} outbound calls, {len(fresh)} on new connections, connection wait Σ {wait:.1f} ms (TLS handshake {tls:.1f} ms); twin /price/shared: {len(tcalls)} calls, {len(tfresh)} new connections, wait Σ {twait:.1f} ms",
    f"cpu profile: crypto/tls.(*Conn).HandshakeContext {hs:.0f} ms on net/http's dial goroutines (no application frame on those stacks, no pprof labels in this service)",
    "the function is the /price handler named by the server span's http.route; the spans carry no code.* for HTTP calls (zipkin-go's transport adds none)"]))

# independent check: zgrep over the raw log (whole run, set-up included)
grep = {}
for label, pat in [("author lookups", 'FROM "authors" WHERE "authors"."id" = \\$1'), ("flag reads", 'FROM "flags" WHERE key = \\$1'),
                   ("blurb scans", 'WHERE blurb ILIKE \\$1'), ("connections", "connection authorized")]:
    grep[label] = subprocess.run(["zgrep", "-c", pat, art("postgres.log.gz")], capture_output=True, text=True).stdout.strip()
notes.append(("checks", [f"zgrep -c over postgres.log.gz: " + ", ".join(f"{k} {v}" for k, v in grep.items())
                         + f" (the parser above: {len(fp(timed, AUTH))}, {len(fp(timed, FLAG))}, {len(fp(timed, SLOW))}, {sum(1 for c in conns.values() if 'authorized' in c)})",
                         f"load driver: " + ", ".join(f"{r} {v['requests']}" for r, v in sorted(load['routes'].items())) + " requests; server spans per route: "
                         + ", ".join(f"{r} {len(v)}" for r, v in sorted(reqs.items()))]))

planted.sort(key=lambda p: -p["avoidable_ms"])
planted = [{k: v for k, v in p.items() if v not in ("", None)} for p in planted]  # unmeasured fields are left out
healthy = [{"route": r, "function": f} for r, f in [
    ("/books/preloaded", "main.(*shop).booksPreloaded"), ("/book/cached", "main.(*shop).bookWithFlagCached"),
    ("/stock/shared", "main.(*shop).stockShared"), ("/search/title", "main.(*shop).searchTitle"),
    ("/price/shared", "main.(*shop).priceSharedClient"), ("/order", "main.(*shop).placeOrder")]]
context = [
    {"what": "pgx's Ping (gorm.Open's automatic ping; database/sql's session reset after 1 s idle)", "fingerprint": "-- ping"},
    {"what": "GORM AutoMigrate's introspection before traffic", "fingerprint": "from information_schema.tables"},
    {"what": "seed: CreateInBatches of authors (multi-row INSERT), INSERT … SELECT generate_series of books and inventories, CREATE EXTENSION/INDEX, ANALYZE before the first request", "fingerprint": "insert into books"},
    {"what": "GORM's default transaction around Create on /order", "fingerprint": "begin"},
    {"what": "migration spans without a request (root gorm.* spans from main.migrateAndSeed)", "function": "main.migrateAndSeed"},
]
out = {"service": "zipshop",
       "stack": "Go 1.26 net/http + GORM 1.31 (gorm.io/driver/postgres 1.6, pgx v5 database/sql driver) on PostgreSQL 15; openzipkin/zipkin-go 0.4 (server middleware, traced transport with httptrace annotations, GORM callbacks) reporting Zipkin v2 JSON over HTTP",
       "artifacts": "artifacts", "planted": planted, "healthy": healthy, "context": context}
json.dump(out, open(os.path.join(HERE, "planted.json"), "w"), indent=1)

md = ["# zipshop: ground truth (computed by groundtruth.py from artifacts/)", "",
      f"Requests: {len(servers)} server spans ({sum(r['requests'] for r in load['routes'].values())} sent, "
      f"{sum(r['errors'] for r in load['routes'].values())} errors) over {(last_req-first_req)/1e9:.1f} s, {len(spans)} spans in {reports} Zipkin reports "
      f"(64-bit trace ids). PostgreSQL: {len(stmts)} statements ({len(timed)} with their duration line paired, {len(before)} before the first request), "
      f"{parsebind:.1f} ms of parse/bind durations, {len(conns)} connections. CPU profile {cpu_total:.0f} ms of samples.", "",
      "| rank | kind | route | function | file:line | avoidable ms | how |", "|---|---|---|---|---|---|---|"]
for i, p in enumerate(planted, 1):
    where = f"{p['file']}:{p['line']}" if p.get("file") else "(no artifact names the line)"
    md.append(f"| {i} | `{p['kind']}` | `{p['route']}` | `{p['function']}` | {where} | {p['avoidable_ms']:.1f} | {p['avoidable_how']} |")
md += ["", "## Evidence and checks", ""]
for title, lines in notes:
    md.append(f"### {title}")
    md += [f"- {x}" for x in lines]
    md.append("")
open(os.path.join(HERE, "groundtruth.md"), "w").write("\n".join(md))
print("\n".join(md))
