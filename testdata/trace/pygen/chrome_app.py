"""Writes a Chrome Trace Event file (testdata/trace/chrome.json) from a real
Python program: a tiny order service that serves requests on worker threads
and queries a real sqlite3 database (with an N+1 loop).

Two sources of events, as real tools produce them:
  * explicit spans ("X" complete events with args: route, db.statement …),
    the way an instrumentation library writes them;
  * "B"/"E" pairs for the service's own Python functions, recorded with
    sys.setprofile (what a tracing profiler does);
plus "M" metadata naming the process and threads.

Run with Debian's python3:  /usr/bin/python3 chrome_app.py ../chrome.json
"""
import json
import os
import sqlite3
import sys
import threading
import time
from contextlib import contextmanager

EVENTS = []
LOCK = threading.Lock()
PID = os.getpid()
APP_FILE = os.path.abspath(__file__)


def now_us():
    return time.time_ns() / 1000.0


def emit(ev):
    with LOCK:
        EVENTS.append(ev)


@contextmanager
def span(name, cat, **args):
    t0 = now_us()
    try:
        yield
    finally:
        emit({"name": name, "cat": cat, "ph": "X", "ts": t0, "dur": now_us() - t0,
              "pid": PID, "tid": threading.get_ident(), "args": args})


def profiler(frame, event, arg):
    code = frame.f_code
    if code.co_filename != APP_FILE or code.co_name.startswith("<") or code.co_name in ("now_us", "emit", "span", "profiler"):
        return
    if event == "call":
        emit({"name": code.co_name, "cat": "python", "ph": "B", "ts": now_us(), "pid": PID,
              "tid": threading.get_ident(),
              "args": {"code.function": code.co_name, "code.filepath": code.co_filename, "code.lineno": frame.f_lineno}})
    elif event == "return":
        emit({"name": code.co_name, "ph": "E", "ts": now_us(), "pid": PID, "tid": threading.get_ident()})


def setup_db(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT)")
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER, sku TEXT, qty INTEGER)")
    for o in range(1, 6):
        db.execute("INSERT INTO orders VALUES (?, ?)", (o, "c%d" % o))
        for i in range(5):
            db.execute("INSERT INTO items (order_id, sku, qty) VALUES (?, ?, ?)", (o, "sku-%d" % i, i + 1))
    db.commit()
    db.close()


def query(db, sql, params=()):
    with span("SELECT", "db", **{"db.system": "sqlite", "db.statement": sql, "span.kind": "client"}):
        return db.execute(sql, params).fetchall()


def load_items(db, order_id):
    rows = []
    for (item_id,) in query(db, "SELECT id FROM items WHERE order_id = ?", (order_id,)):
        # N+1: one query per item
        rows += query(db, "SELECT sku, qty FROM items WHERE id = ?", (item_id,))
    return rows


def handle(path, order_id):
    with span("GET /orders/{id}", "http", **{"http.request.method": "GET", "http.route": "/orders/{id}",
                                             "url.path": "/orders/%d" % order_id, "span.kind": "server",
                                             "http.response.status_code": 200}):
        db = sqlite3.connect(path)  # a new connection per request
        try:
            query(db, "SELECT id, customer FROM orders WHERE id = ?", (order_id,))
            items = load_items(db, order_id)
            time.sleep(0.002)
            return len(items)
        finally:
            db.close()


def worker(path, ids):
    threading.current_thread().name = "worker-%d" % ids[0]
    emit({"name": "thread_name", "ph": "M", "pid": PID, "tid": threading.get_ident(),
          "args": {"name": threading.current_thread().name}})
    for i in ids:
        handle(path, i)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "chrome.json"
    path = "/tmp/hotpath-chrome-%d.db" % PID
    if os.path.exists(path):
        os.remove(path)
    setup_db(path)
    emit({"name": "process_name", "ph": "M", "pid": PID, "tid": 0, "args": {"name": "orders-py"}})
    threading.setprofile(profiler)
    threads = [threading.Thread(target=worker, args=(path, ids)) for ids in ([1, 2, 3], [4, 5])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    threading.setprofile(None)
    os.remove(path)
    with open(out, "w") as f:
        json.dump({"traceEvents": EVENTS, "displayTimeUnit": "ms",
                   "otherData": {"generator": "hotpath testdata/trace/pygen/chrome_app.py"}}, f, indent=None)
        f.write("\n")


if __name__ == "__main__":
    main()
