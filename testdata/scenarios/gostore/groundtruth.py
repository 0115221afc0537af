"""Ground truth of the gostore scenario, computed from its artifacts alone.

Reads artifacts/ (PostgreSQL csvlog/jsonlog/stderr log, OTLP JSON spans, the
CPU/block/mutex/goroutine profiles through `go tool pprof -traces`) and, as
independent checks, checks/pg_stat_statements.csv (PostgreSQL's own
statistics of the run) and load-summary.json (the load driver's request
counts). Never reads the service's code. Writes planted.json and
groundtruth.md next to this file.

    /usr/bin/python3 groundtruth.py      (needs `go` on PATH for go tool pprof)
"""
import collections
import csv
import gzip
import json
import os
import re
import statistics
import subprocess
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ART = os.path.join(HERE, "artifacts")
csv.field_size_limit(1 << 30)


def art(name):
    return os.path.join(ART, name)


# ------------------------------------------------------------------ spans

def attrs_of(kvs):
    out = {}
    for kv in kvs or []:
        v = kv["value"]
        out[kv["key"]] = next(iter(v.values())) if v else None
    return out


spans = []
for line in gzip.open(art("traces.otlp.jsonl.gz"), "rt"):
    for rs in json.loads(line)["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                s["a"] = attrs_of(s.get("attributes"))
                s["scope"] = ss["scope"].get("name", "")
                s["start"] = int(s["startTimeUnixNano"])
                s["end"] = int(s["endTimeUnixNano"])
                s["ms"] = (s["end"] - s["start"]) / 1e6
                spans.append(s)
by_trace = collections.defaultdict(list)
for s in spans:
    by_trace[s["traceId"]].append(s)
servers = [s for s in spans if s.get("kind") == 2 and "http.route" in s["a"]]
req_by_route = collections.defaultdict(list)  # route -> [(server span, its trace's spans)]
for s in servers:
    req_by_route[s["a"]["http.route"]].append((s, by_trace[s["traceId"]]))
first_req = min(s["start"] for s in servers)
last_req = max(s["end"] for s in servers)


def route_ms(route):
    return sum(s["ms"] for s, _ in req_by_route[route])


def children(trace, pred):
    return [s for s in trace if pred(s)]


def query_spans(trace, prefix):
    return children(trace, lambda s: s["name"] == "sql.conn.query" and (s["a"].get("db.query.text") or "").startswith(prefix))


def code_of(sp):
    return sp["a"].get("code.function.name"), sp["a"].get("code.file.path"), int(sp["a"].get("code.line.number") or 0)


# ------------------------------------------------------------ PostgreSQL

TS = "%Y-%m-%d %H:%M:%S.%f %Z"


def pg_time(s):  # "2026-12-01 15:39:34.123 UTC" -> ns since the epoch
    d = datetime.strptime(s.replace(" UTC", "000 UTC"), TS).replace(tzinfo=timezone.utc)
    return int(d.timestamp() * 1e9)


MSG = re.compile(r"duration: ([\d.]+) ms  (parse|bind|execute|statement)([^:]*): (.*)", re.S)


def strip_comment(sql):
    return re.sub(r"\s*/\*.*?\*/\s*$", "", sql, flags=re.S).strip()


def pg_events(rows):
    """rows of (time ns, pid, message, detail, app) -> statements and connections"""
    stmts, conns = [], {}
    for t, pid, msg, detail, app in rows:
        m = MSG.match(msg)
        if m:
            stmts.append({"t": t, "pid": pid, "ms": float(m.group(1)), "phase": m.group(2),
                          "sql": strip_comment(m.group(4)), "params": detail or "", "app": app})
        elif msg.startswith("connection received"):
            conns[pid] = {"received": t}
        elif msg.startswith("connection authorized"):
            conns.setdefault(pid, {})["authorized"] = t
            conns[pid]["app"] = re.search(r"application_name=(\S+)", msg).group(1) if "application_name=" in msg else ""
        elif msg.startswith("disconnection"):
            conns.setdefault(pid, {})["closed"] = t
    return stmts, conns


def read_csvlog():
    rows = []
    for r in csv.reader(gzip.open(art("postgresql.csv.gz"), "rt")):
        rows.append((pg_time(r[0]), r[3], r[13], r[14], r[22]))
    return rows


def read_jsonlog():
    rows = []
    for line in gzip.open(art("postgresql.json.gz"), "rt"):
        d = json.loads(line)
        rows.append((pg_time(d["timestamp"]), str(d["pid"]), d.get("message", ""), d.get("detail", ""), d.get("application_name", "")))
    return rows


def read_stderr():
    """The stderr log: prefix '%t [%p]: user=…,db=…,app=…,client=… ' (seconds only)."""
    rows, cur = [], None
    pre = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC \[(\d+)\]: user=[^,]*,db=[^,]*,app=([^,]*),client=\S* (LOG|DETAIL|WARNING|ERROR|STATEMENT):  (.*)")
    for line in gzip.open(art("postgresql.log.gz"), "rt"):
        m = pre.match(line.rstrip("\n"))
        if not m:
            if cur:
                cur[2] += "\n" + line.rstrip("\n")
            continue
        t = int(datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp() * 1e9)
        if m.group(4) == "DETAIL" and cur:
            cur[3] = m.group(5)
            continue
        cur = [t, m.group(2), m.group(5), "", m.group(3)]
        rows.append(cur)
    return [tuple(r) for r in rows]


stmts, conns = pg_events(read_csvlog())
stmts_json, conns_json = pg_events(read_jsonlog())
stmts_err, conns_err = pg_events(read_stderr())
execs = [s for s in stmts if s["phase"] in ("execute", "statement")]
traffic = [s for s in execs if first_req <= s["t"] <= last_req + int(1e9)]
setup = [s for s in execs if s["t"] < first_req]


def fp_execs(lst, prefix):
    return [s for s in lst if s["sql"].startswith(prefix)]


# ------------------------------------------------------------- profiles

UNIT = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0, "min": 60000.0, "hrs": 3600000.0}


def pprof_traces(name, lines=False):
    """go tool pprof -traces: [(value, labels, [frames leaf first])]; value in ms (or a count)."""
    args = ["go", "tool", "pprof", "-traces"] + (["-lines"] if lines else []) + [art(name)]
    txt = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    out = []
    for block in txt.split("-----------+-------------------------------------------------------")[1:]:
        labels, frames, value = {}, [], None
        for ln in block.splitlines():
            if not ln.strip():
                continue
            m = re.match(r"^\s*([\w.]+):\s{2}(.*)$", ln)
            if m and value is None and not re.match(r"^\s*[\d.]+", ln):
                labels[m.group(1)] = m.group(2).strip()
                continue
            m = re.match(r"^\s*([\d.]+)([a-zµ]*)\s+(\S.*)$", ln)
            if value is None and m:
                value = float(m.group(1)) * UNIT.get(m.group(2), 1.0) if m.group(2) else float(m.group(1))
                frames.append(m.group(3).strip())
            elif value is not None:
                frames.append(ln.strip())
        if value is not None:
            out.append((value, labels, frames))
    return out


def fname(frame):
    return frame.split(" ")[0]


cpu = pprof_traces("cpu.pprof")
cpu_lines = pprof_traces("cpu.pprof", lines=True)
block = pprof_traces("block.pprof")
mutex = pprof_traces("mutex.pprof")
gor = pprof_traces("goroutine.pprof")
cpu_total = sum(v for v, _, _ in cpu)
block_total = sum(v for v, _, _ in block)
mutex_total = sum(v for v, _, _ in mutex)


def on_stack(frames, fn):
    return any(fname(f) == fn for f in frames)


# ======================================================= the planted problems
planted, notes = [], []
load = json.load(open(os.path.join(HERE, "load-summary.json")))
psscsv = list(csv.DictReader(open(os.path.join(HERE, "checks", "pg_stat_statements.csv"))))


def norm(sql):  # pg_stat_statements shows constants as $n: compare with every constant and parameter as ?
    return re.sub(r"\$\d+|\b\d+\b", "?", sql)


def pss(prefix):
    for r in psscsv:
        if norm(strip_comment(r["query"])).startswith(norm(prefix)):
            return r
    return None


def count3(prefix):
    return tuple(len(fp_execs([s for s in l if s["phase"] in ("execute", "statement")], prefix)) for l in (stmts, stmts_json, stmts_err))


# --- n_plus_one: /cart
ITEM = "select title, price_cents from products where sku = $1"
reqs = req_by_route["/cart"]
per_req = [query_spans(t, ITEM) for _, t in reqs]
item_ms = [s["ms"] for q in per_req for s in q]
mean_item = statistics.mean(item_ms)
avoid = sum((len(q) - 1) * mean_item for q in per_req if q)
fn, file, line = code_of(per_req[0][0])
pg_items = fp_execs(traffic, ITEM)
ps = pss(ITEM)
planted.append({"id": "cart-n+1", "kind": "n_plus_one", "function": fn, "file": file, "line": line, "route": "/cart",
                "fingerprint": "from products where sku = ?", "avoidable_ms": round(avoid, 1),
                "avoidable_how": "Σ over /cart requests of (product SELECT spans − 1) × their mean span time",
                "sources": ["traces.otlp.jsonl.gz", "postgresql.log.gz", "postgresql.csv.gz", "postgresql.json.gz"]})
notes.append(("n_plus_one /cart", [
    f"{len(reqs)} requests, {statistics.mean(len(q) for q in per_req):.2f} product SELECT spans per request (code {fn} {file}:{line}), mean span {mean_item:.3f} ms",
    f"PostgreSQL: {len(pg_items)} executions of the product lookup during traffic, {len(set(s['params'] for s in pg_items))} distinct parameter sets, Σ execute {sum(s['ms'] for s in pg_items):.1f} ms (server time only: the cost is the round trips)",
    f"twin /cart/joined: 1 SELECT per request; server span mean {route_ms('/cart')/len(reqs):.2f} ms vs {route_ms('/cart/joined')/len(req_by_route['/cart/joined']):.2f} ms",
    f"check: executions in csv/json/stderr logs {count3(ITEM)}; pg_stat_statements calls {ps and ps['calls']}"]))

# --- slow_query: /reports/merchant
SLOW, TWIN = "select count(*), coalesce(sum(amount_cents), 0) from payments where merchant_ref = $1", \
    "select count(*), coalesce(sum(amount_cents), 0) from payments where merchant_id = $1"
slow, twin = fp_execs(traffic, SLOW), fp_execs(traffic, TWIN)
twin_mean = statistics.mean(s["ms"] for s in twin)
avoid = sum(s["ms"] - twin_mean for s in slow)
stmt_total = sum(s["ms"] for s in traffic)
slow_sp = [s for _, t in req_by_route["/reports/merchant"] for s in query_spans(t, SLOW)]
fn, file, line = code_of(slow_sp[0])
ps, pst = pss(SLOW), pss(TWIN)
planted.append({"id": "merchant-report-scan", "kind": "slow_query", "function": fn, "file": file, "line": line,
                "route": "/reports/merchant", "fingerprint": "from payments where merchant_ref = ?", "avoidable_ms": round(avoid, 1),
                "avoidable_how": "Σ over executions of (execute duration − the indexed twin's mean execute duration), from the csvlog",
                "sources": ["postgresql.log.gz", "postgresql.csv.gz", "postgresql.json.gz", "traces.otlp.jsonl.gz"]})
notes.append(("slow_query /reports/merchant", [
    f"{len(slow)} executions, mean {statistics.mean(s['ms'] for s in slow):.1f} ms (max {max(s['ms'] for s in slow):.1f}), Σ {sum(s['ms'] for s in slow):.1f} ms = "
    f"{100*sum(s['ms'] for s in slow)/stmt_total:.1f} % of the {stmt_total:.1f} ms of statement (execute + simple) time during traffic; "
    f"{100*sum(s['ms'] for s in slow)/(stmt_total+sum(s['ms'] for s in setup)):.1f} % if the {sum(s['ms'] for s in setup):.1f} ms of set-up before the first request are counted",
    f"indexed twin (merchant_id = $1): {len(twin)} executions, mean {twin_mean:.2f} ms",
    f"spans: sql.conn.query mean {statistics.mean(s['ms'] for s in slow_sp):.1f} ms at {fn} {file}:{line}",
    f"check: executions in csv/json/stderr logs {count3(SLOW)}; pg_stat_statements calls {ps and ps['calls']}, mean {ps and ps['mean_ms']} ms (twin mean {pst and pst['mean_ms']} ms)"]))

# --- http_client_churn: /shipping


def conn_events(sp):
    ev = {e["name"]: (int(e["timeUnixNano"]), attrs_of(e.get("attributes"))) for e in sp.get("events", [])}
    return ev


def churn_stats(route):
    n = fresh = 0
    getconn = tls = 0.0
    for _, t in req_by_route[route]:
        for sp in t:
            if sp["name"] != "HTTP GET":
                continue
            n += 1
            ev = conn_events(sp)
            if "http.getconn.done" in ev and ev["http.getconn.done"][1].get("http.conn.reused") is False:
                fresh += 1
                getconn += (ev["http.getconn.done"][0] - ev["http.getconn.start"][0]) / 1e6
                if "http.tls.done" in ev:
                    tls += (ev["http.tls.done"][0] - ev["http.tls.start"][0]) / 1e6
    return n, fresh, getconn, tls


n, fresh, getconn, tls = churn_stats("/shipping")
tn, tfresh, tgetconn, _ = churn_stats("/shipping/shared")
leaked = [(v, l) for v, l, f in gor if l.get("http.route") == "/shipping" and any("persistConn" in x for x in f)]
hs = sum(v for v, l, f in cpu if on_stack(f, "crypto/tls.(*Conn).HandshakeContext") and l.get("http.route") == "/shipping")
hs_all = sum(v for v, l, f in cpu if on_stack(f, "crypto/tls.(*Conn).HandshakeContext"))
handler = {l.get("handler") for v, l, f in gor if l.get("http.route") == "/shipping"}
blk_fn = [f for v, l, f in block if on_stack(f, "net/http.(*Client).Do") and l.get("http.route") == "/shipping"]
call = next((x for f in pprof_traces("block.pprof", lines=True) for x in f[2] if x.startswith("main.(*store).shippingNewTransport")), "")
cfile, cline = (call.split(" ")[1].rsplit(":", 1) + ["0"])[:2] if " " in call else ("", "0")
planted.append({"id": "shipping-new-transport", "kind": "http_client_churn", "function": "main.(*store).shippingNewTransport",
                "file": cfile, "line": int(cline), "route": "/shipping", "fingerprint": "",
                "avoidable_ms": round(getconn - (tgetconn / max(tn, 1)) * n, 1),
                "avoidable_how": "Σ over /shipping's HTTP GET spans with http.conn.reused=false of (http.getconn.done − http.getconn.start) (TCP connect + TLS handshake), less the shared twin's mean connection wait per call × calls",
                "sources": ["traces.otlp.jsonl.gz", "goroutine.pprof", "cpu.pprof"]})
notes.append(("http_client_churn /shipping", [
    f"{n} outbound calls, {fresh} on new connections (http.conn.reused=false), connection wait Σ {getconn:.1f} ms of which TLS {tls:.1f} ms",
    f"twin /shipping/shared: {tn} calls, {tfresh} new connections, connection wait Σ {tgetconn:.1f} ms",
    f"goroutine profile: {int(sum(v for v, _ in leaked))} goroutines in net/http.(*persistConn) loops labelled http.route=/shipping (handler {', '.join(sorted(h for h in handler if h))}) — 2 per leaked connection",
    f"cpu profile: crypto/tls.(*Conn).HandshakeContext {hs:.0f} ms of samples labelled /shipping ({hs_all:.0f} ms in all) on net/http's dial goroutines; the call site (block profile, -lines) {call}"]))

# --- no_connection_pool: /stock
STOCK = "select warehouse, qty from stock where sku = $1 order by warehouse"
con_sp = [s for _, t in req_by_route["/stock"] for s in t if s["name"] == "sql.connector.connect"]
twin_con = [s for _, t in req_by_route["/stock/pooled"] for s in t if s["name"] == "sql.connector.connect"]
fn, file, line = code_of(con_sp[0])
app_conns = [c for c in conns.values() if c.get("app") == "gostore" and "received" in c and "authorized" in c]
setup_ms = [(c["authorized"] - c["received"]) / 1e6 for c in app_conns]
short = [c for c in app_conns if "closed" in c and (c["closed"] - c["authorized"]) < 1e9]
err_conns = [c for c in conns_err.values() if c.get("app") == "gostore" and "received" in c and "authorized" in c]
straddle = [c for c in err_conns if c["authorized"] != c["received"]]
planted.append({"id": "stock-sql-open", "kind": "no_connection_pool", "function": fn, "file": file, "line": line, "route": "/stock",
                "fingerprint": "from stock where sku = ?", "avoidable_ms": round(sum(s["ms"] for s in con_sp), 1),
                "avoidable_how": "Σ of the sql.connector.connect spans under /stock requests (one new server connection per request)",
                "sources": ["traces.otlp.jsonl.gz", "postgresql.log.gz", "postgresql.csv.gz", "postgresql.json.gz"]})
notes.append(("no_connection_pool /stock", [
    f"{len(con_sp)} sql.connector.connect spans under {len(req_by_route['/stock'])} /stock requests, Σ {sum(s['ms'] for s in con_sp):.1f} ms, mean {statistics.mean(s['ms'] for s in con_sp):.2f} ms ({fn} {file}:{line}); twin /stock/pooled: {len(twin_con)} connects",
    f"PostgreSQL csvlog: {len(app_conns)} connections of application gostore, {len(short)} of them closed within 1 s; connect time (received → authorized, ms timestamps) mean {statistics.mean(setup_ms):.2f} ms over all {len(setup_ms)}",
    f"stderr log (%t: whole seconds): received and authorized fall in different seconds on {len(straddle)} of {len(err_conns)} connections — a connect time read from it is 0 s or 1.0 s, never the real few ms"]))

# --- cacheable_duplicate: /prices
SET = "select value::float8 from settings where name = $1"
reads = [s for _, t in req_by_route["/prices"] for s in query_spans(t, SET)]
fn, file, line = code_of(reads[0])
pg_set = fp_execs(traffic, SET)
distinct = len(set(s["params"] for s in pg_set))
ps = pss(SET)
planted.append({"id": "prices-settings-reread", "kind": "cacheable_duplicate", "function": fn, "file": file, "line": line, "route": "/prices",
                "fingerprint": "from settings where name = ?",
                "avoidable_ms": round((len(reads) - distinct) * statistics.mean(s["ms"] for s in reads), 1),
                "avoidable_how": "(settings SELECT spans under /prices − distinct parameter values in the log) × their mean span time",
                # the spans' db.query.text binds $1: they show the repeats, not that the values are equal
                "sources": ["postgresql.log.gz", "postgresql.csv.gz", "postgresql.json.gz"]})
notes.append(("cacheable_duplicate /prices", [
    f"{len(reads)} settings reads under {len(req_by_route['/prices'])} /prices requests (1 per request), mean span {statistics.mean(s['ms'] for s in reads):.3f} ms, at {fn} {file}:{line}",
    f"PostgreSQL: {len(pg_set)} executions during traffic with {distinct} distinct parameter set(s) ({pg_set[0]['params']}); the cached twin /prices/cached read it once",
    f"check: executions in csv/json/stderr logs {count3(SET)}; pg_stat_statements calls {ps and ps['calls']}"]))

# --- cpu_hotspot: /recommend
heavy = sum(v for v, l, f in cpu if l.get("handler") == "main.(*store).recommendHeavy")
light = sum(v for v, l, f in cpu if l.get("handler") == "main.(*store).recommendLight")
rank = sum(v for v, l, f in cpu if on_stack(f, "main.cosineRank") and l.get("http.route") == "/recommend")
hot_lines = collections.Counter()
for v, l, f in cpu_lines:
    for x in f:
        if fname(x) == "main.cosineRank":
            hot_lines[x.split(" ")[1]] += v
            break
hot = hot_lines.most_common(1)[0][0]
planted.append({"id": "recommend-cosine", "kind": "cpu_hotspot", "function": "main.cosineRank", "file": hot.rsplit(":", 1)[0],
                "line": int(hot.rsplit(":", 1)[1]), "route": "/recommend", "fingerprint": "", "callers": ["main.(*store).recommendHeavy"],
                "avoidable_ms": round(heavy / 2, 1),
                "avoidable_how": "half of the CPU samples labelled handler=recommendHeavy (the handler's CPU time)",
                "sources": ["cpu.pprof"]})
notes.append(("cpu_hotspot /recommend", [
    f"cpu profile: {cpu_total:.0f} ms of samples; handler recommendHeavy {heavy:.0f} ms = {100*heavy/cpu_total:.1f} %, main.cosineRank under /recommend {rank:.0f} ms; twin recommendLight {light:.0f} ms",
    "hottest lines of main.cosineRank: " + ", ".join(f"{k} {v:.0f} ms" for k, v in hot_lines.most_common(4))]))

# --- lock_contention: /journal
wait = 0.0
for v, l, f in block:
    names = [fname(x) for x in f]
    i = next((k for k, x in enumerate(names) if x.startswith("main.")), None)
    if i is not None and names[i] == "main.(*store).journalLocked" and "sync.(*Mutex).Lock" in names[:i]:
        wait += v
mwait = sum(v for v, l, f in mutex if on_stack(f, "main.(*store).journalLocked"))
req_path_block = sum(v for v, l, f in block if on_stack(f, "main.(*store).mount.func1"))
lock_line = next((x for _, _, f in pprof_traces("block.pprof", lines=True) for k, x in enumerate(f)
                  if x.startswith("main.(*store).journalLocked") and k > 0 and f[k - 1].startswith("sync.(*Mutex).Lock")), "")
lfile, lline = lock_line.split(" ")[1].rsplit(":", 1)
jr = req_by_route["/journal"]
gap = sum(s["ms"] - sum(c["ms"] for c in t if c.get("parentSpanId") == s["spanId"]) for s, t in jr)
planted.append({"id": "journal-lock", "kind": "lock_contention", "function": "main.(*store).journalLocked", "file": lfile, "line": int(lline),
                "route": "/journal", "fingerprint": "", "avoidable_ms": round(wait, 1),
                "avoidable_how": "Σ block-profile delay in sync.(*Mutex).Lock called from journalLocked (request goroutines waiting for the mutex)",
                "sources": ["block.pprof", "mutex.pprof"]})
notes.append(("lock_contention /journal", [
    f"block profile: {wait:.1f} ms waiting in sync.(*Mutex).Lock at {lock_line} (the profile's total is {block_total/1000:.1f} s, {req_path_block:.1f} ms of it on request goroutines; the rest is idle goroutines parked in select/chanrecv)",
    f"mutex profile: {mwait:.1f} ms of contention with journalLocked on the stack, of {mutex_total:.1f} ms in all",
    f"spans: /journal server spans minus their direct children (insert + ledger call) Σ {gap:.1f} ms over {len(jr)} requests; twin /journal/buffered mean {route_ms('/journal/buffered')/len(req_by_route['/journal/buffered']):.2f} ms vs {route_ms('/journal')/len(jr):.2f} ms"]))

# independent check of the profile sums: go tool pprof -top -cum


def top_cum(name, fn):
    txt = subprocess.run(["go", "tool", "pprof", "-top", "-cum", "-nodecount=100000", "-nodefraction=0", "-edgefraction=0", art(name)],
                         capture_output=True, text=True, check=True).stdout
    for ln in txt.splitlines():
        f = ln.split()
        if len(f) >= 6 and f[5] == fn:
            m = re.match(r"([\d.]+)([a-zµ]+)", f[3])
            return float(m.group(1)) * UNIT[m.group(2)]
    return 0.0


notes.append(("checks with go tool pprof -top -cum", [
    f"cpu main.(*store).recommendHeavy {top_cum('cpu.pprof', 'main.(*store).recommendHeavy'):.0f} ms (above: {heavy:.0f} ms by the handler label)",
    f"block main.(*store).journalLocked {top_cum('block.pprof', 'main.(*store).journalLocked'):.1f} ms cum (its Lock wait above: {wait:.1f} ms; the rest is the insert and the ledger call it waits on)",
    f"mutex main.(*store).journalLocked {top_cum('mutex.pprof', 'main.(*store).journalLocked'):.1f} ms cum (above: {mwait:.1f} ms)"]))

planted.sort(key=lambda p: -p["avoidable_ms"])
planted = [{k: v for k, v in p.items() if v not in ("", None)} for p in planted]  # unmeasured fields are left out
healthy = [{"route": r, "function": f} for r, f in [
    ("/cart/joined", "main.(*store).cartJoined"), ("/reports/merchant/indexed", "main.(*store).merchantReportIndexed"),
    ("/shipping/shared", "main.(*store).shippingShared"), ("/stock/pooled", "main.(*store).stockPooled"),
    ("/prices/cached", "main.(*store).pricesCachedSettings"), ("/recommend/light", "main.(*store).recommendLight"),
    ("/journal/buffered", "main.(*store).journalBuffered")]]
context = [
    {"what": "schema set-up and bulk load before the first request (CREATE TABLE, multi-row INSERT into products, COPY, CREATE INDEX, VACUUM ANALYZE; application gostore-migrate)",
     "fingerprint": "copy payments"},
    {"what": "bulk load", "fingerprint": "insert into products (sku, title, price_cents) values"},
    {"what": "database/sql ResetSession on every pooled connection reuse (otelsql span sql.conn.reset_session)", "span": "sql.conn.reset_session"},
    {"what": "the buffered twin's background flush (multi-row INSERT into journal + one ledger POST per 50 ms, root span journal.flush)", "span": "journal.flush"},
    {"what": "idle goroutines in the block profile (OTel batch span processor, gRPC transport, database/sql opener, lib/pq watchCancel, net/http connection loops)", "frame": "runtime.selectgo"},
]
out = {"service": "gostore",
       "stack": "Go 1.26 net/http + database/sql + lib/pq 1.12 on PostgreSQL 15; OpenTelemetry Go SDK 1.47 (otelhttp, otelhttptrace events, XSAM/otelsql 0.44 with sqlcommenter) over OTLP/gRPC",
       "artifacts": "artifacts", "planted": planted, "healthy": healthy, "context": context}
json.dump(out, open(os.path.join(HERE, "planted.json"), "w"), indent=1)

md = ["# gostore: ground truth (computed by groundtruth.py from artifacts/)", "",
      f"Requests: {len(servers)} server spans ({sum(r['requests'] for r in load['routes'].values())} sent by the load driver, "
      f"{sum(r['errors'] for r in load['routes'].values())} errors) over {(last_req-first_req)/1e9:.1f} s; "
      f"server span time Σ {sum(s['ms'] for s in servers)/1000:.2f} s. PostgreSQL (csvlog): {len(execs)} executions "
      f"({len(setup)} before the first request), {len(conns)} connections. CPU profile {cpu_total:.0f} ms of samples; "
      f"block profile {block_total/1000:.1f} s; mutex profile {mutex_total:.1f} ms.", "",
      "| rank | kind | route | function | file:line | avoidable ms | how |", "|---|---|---|---|---|---|---|"]
for i, p in enumerate(planted, 1):
    md.append(f"| {i} | `{p['kind']}` | `{p['route']}` | `{p['function']}` | {p['file']}:{p['line']} | {p['avoidable_ms']:.1f} | {p['avoidable_how']} |")
md += ["", "## Evidence and independent checks", ""]
for title, lines in notes:
    md.append(f"### {title}")
    md += [f"- {x}" for x in lines]
    md.append("")
md += ["## Same events in three formats", "",
       f"csvlog / jsonlog / stderr: {len([s for s in stmts if s['phase'] in ('execute', 'statement')])} / "
       f"{len([s for s in stmts_json if s['phase'] in ('execute', 'statement')])} / {len([s for s in stmts_err if s['phase'] in ('execute', 'statement')])} executions, "
       f"{len(conns)} / {len(conns_json)} / {len(conns_err)} connections: one stream written three ways.", ""]
open(os.path.join(HERE, "groundtruth.md"), "w").write("\n".join(md))
print("\n".join(md))
