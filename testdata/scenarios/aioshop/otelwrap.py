"""otelwrap: a small auto-instrumentation launcher in the manner of
`opentelemetry-instrument` (Debian has no OpenTelemetry SDK, so this writes
the OTLP JSON itself). It patches libraries before the service is imported,
runs the service, and writes what it saw:

    /usr/bin/python3 otelwrap.py --spans traces.jsonl --profile wall.folded -- app.py ARGS...

Patches (wrapt, as the OpenTelemetry instrumentations do):
  * aiohttp.ClientSession.__init__  adds a TraceConfig: a client span per
    request, `connection_create` and `dns_resolvehost` spans under it
  * aiohttp.web.Application.__init__  prepends a middleware: one server span
    per request, with code.function/code.filepath/code.lineno of the handler
  * sqlalchemy.ext.asyncio.create_async_engine  hooks every engine: a span
    per statement (db.system, db.statement), a `connect` span per new DBAPI
    connection, and a sqlcommenter comment with the traceparent in the SQL
  * requests.Session.send, urllib.request.OpenerDirector.open  a client span
    per synchronous call, with the thread it ran on

Spans are exported in batches as a BatchSpanProcessor would: one
TracesData JSON object per line, written every second (or every 200 spans),
spans of many traces mixed in a line, in the order they ended. The profile is
a wall-clock sampler of the main (event-loop) thread, folded like py-spy's raw
output with idle samples kept.
"""
import argparse
import collections
import contextvars
import json
import logging
import os
import random
import runpy
import sys
import threading
import time
import urllib.parse

import wrapt

SCOPE_PREFIX = "otelwrap."
SERVER, CLIENT, INTERNAL = 2, 3, 1
_ids = random.Random()
current = contextvars.ContextVar("otelwrap_span", default=None)
exporter = None


def _value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


class Span:
    def __init__(self, name, kind, scope, parent=None, start_ns=None, attrs=None, root=False):
        parent = None if root else (parent if parent is not None else current.get())
        self.route = attrs.get("http.route") if root and attrs else (parent.route if parent else None)
        self.trace_id = parent.trace_id if parent else "%032x" % _ids.getrandbits(128)
        self.span_id = "%016x" % _ids.getrandbits(64)
        self.parent_id = parent.span_id if parent else None
        self.name, self.kind, self.scope = name, kind, scope
        self.start = start_ns or time.time_ns()
        self.end = None
        self.attrs = dict(attrs or {})
        self.status = None
        self.events = []

    def traceparent(self):
        return "00-%s-%s-01" % (self.trace_id, self.span_id)

    def event(self, name, **attrs):
        self.events.append((time.time_ns(), name, attrs))

    def finish(self, error=None):
        if self.end is not None:
            return
        self.end = time.time_ns()
        if error is not None:
            self.status = {"code": 2, "message": str(error)[:200]}
        if exporter:
            exporter.add(self)

    def otlp(self):
        d = {"traceId": self.trace_id, "spanId": self.span_id, "name": self.name, "kind": self.kind,
             "startTimeUnixNano": str(self.start), "endTimeUnixNano": str(self.end),
             "attributes": [{"key": k, "value": _value(v)} for k, v in self.attrs.items()]}
        if self.parent_id:
            d["parentSpanId"] = self.parent_id
        if self.events:
            d["events"] = [{"timeUnixNano": str(t), "name": n,
                            "attributes": [{"key": k, "value": _value(v)} for k, v in a.items()]}
                           for t, n, a in self.events]
        d["status"] = self.status or {}
        return d


class BatchExporter(threading.Thread):
    def __init__(self, path, resource, interval=1.0, batch=200):
        super().__init__(name="otelwrap-exporter", daemon=True)
        self.f = open(path, "w")
        self.resource = {"attributes": [{"key": k, "value": _value(v)} for k, v in resource.items()]}
        self.interval, self.batch = interval, batch
        self.lock = threading.Lock()
        self.pending = []
        self.halt = threading.Event()
        self.exported = 0

    def add(self, span):
        with self.lock:
            self.pending.append(span)
            full = len(self.pending) >= self.batch
        if full:
            self.flush()

    def flush(self):
        with self.lock:
            spans, self.pending = self.pending, []
            if not spans:
                return
            scopes = collections.OrderedDict()
            for s in spans:
                scopes.setdefault(s.scope, []).append(s.otlp())
            line = {"resourceSpans": [{"resource": self.resource, "scopeSpans": [
                {"scope": {"name": SCOPE_PREFIX + name, "version": "0.3"}, "spans": ss} for name, ss in scopes.items()]}]}
            self.f.write(json.dumps(line, separators=(",", ":")) + "\n")
            self.f.flush()
            self.exported += len(spans)

    def run(self):
        while not self.halt.wait(self.interval):
            self.flush()

    def shutdown(self):
        self.halt.set()
        self.flush()
        self.f.close()


# ----------------------------------------------------------- aiohttp client

def _client_trace_config():
    import aiohttp

    tc = aiohttp.TraceConfig()

    async def request_start(session, ctx, p):
        ctx.span = Span(p.method, CLIENT, "aiohttp_client", attrs={
            "http.request.method": p.method, "url.full": str(p.url), "server.address": p.url.host,
            "server.port": p.url.port})
        p.headers["traceparent"] = ctx.span.traceparent()
        ctx.connect = None

    async def request_end(session, ctx, p):
        ctx.span.attrs["http.response.status_code"] = p.response.status
        ctx.span.finish()

    async def request_exception(session, ctx, p):
        ctx.span.finish(error=repr(p.exception))

    async def create_start(session, ctx, p):
        ctx.connect = Span("connection_create", INTERNAL, "aiohttp_client", parent=ctx.span)

    async def create_end(session, ctx, p):
        ctx.connect.finish()

    async def reuse(session, ctx, p):
        ctx.span.event("connection_reused")

    async def dns_start(session, ctx, p):
        ctx.dns = Span("dns_resolvehost", INTERNAL, "aiohttp_client", parent=ctx.connect or ctx.span,
                       attrs={"dns.question.name": p.host})

    async def dns_end(session, ctx, p):
        ctx.dns.finish()

    tc.on_request_start.append(request_start)
    tc.on_request_end.append(request_end)
    tc.on_request_exception.append(request_exception)
    tc.on_connection_create_start.append(create_start)
    tc.on_connection_create_end.append(create_end)
    tc.on_connection_reuseconn.append(reuse)
    tc.on_dns_resolvehost_start.append(dns_start)
    tc.on_dns_resolvehost_end.append(dns_end)
    tc.freeze()
    return tc


def _instrumented_session_init(wrapped, instance, args, kwargs):
    configs = list(kwargs.get("trace_configs") or [])
    configs.append(_client_trace_config())
    kwargs["trace_configs"] = configs
    return wrapped(*args, **kwargs)


# ----------------------------------------------------------- aiohttp server

def _server_middleware():
    from aiohttp import web

    @web.middleware
    async def otelwrap_server(request, handler):
        info = request.match_info
        route = info.route.resource.canonical if info.route.resource is not None else request.path
        fn = getattr(info.handler, "__wrapped__", info.handler)
        code = getattr(fn, "__code__", None)
        span = Span("%s %s" % (request.method, route), SERVER, "aiohttp_server", root=True, attrs={
            "http.request.method": request.method, "http.route": route, "url.path": request.path,
            "url.query": request.query_string, "url.scheme": request.scheme,
            "server.address": request.host.split(":")[0], "client.address": request.remote or "",
            "user_agent.original": request.headers.get("User-Agent", ""),
            "code.function": getattr(fn, "__name__", "?"),
            "code.filepath": os.path.relpath(code.co_filename) if code else "",
            "code.lineno": code.co_firstlineno if code else 0,
            "thread.name": threading.current_thread().name})
        token = current.set(span)
        try:
            resp = await handler(request)
            span.attrs["http.response.status_code"] = resp.status
            return resp
        except web.HTTPException as e:
            span.attrs["http.response.status_code"] = e.status
            raise
        except Exception as e:
            span.attrs["http.response.status_code"] = 500
            span.finish(error=repr(e))
            raise
        finally:
            current.reset(token)
            span.finish()

    return otelwrap_server


def _instrumented_app_init(wrapped, instance, args, kwargs):
    kwargs["middlewares"] = [_server_middleware()] + list(kwargs.get("middlewares") or [])
    return wrapped(*args, **kwargs)


# --------------------------------------------------------------- SQLAlchemy

def _comment(span, route):
    tags = {"db_driver": "asyncpg", "framework": "aiohttp", "traceparent": span.traceparent()}
    if route:
        tags["route"] = route
    return "/*" + ",".join("%s='%s'" % (k, urllib.parse.quote(v, safe="")) for k, v in sorted(tags.items())) + "*/"


def _instrument_engine(async_engine):
    from sqlalchemy import event

    eng = async_engine.sync_engine
    url = eng.url
    base = {"db.system": "postgresql", "db.name": url.database or "", "db.user": url.username or "",
            "net.peer.name": url.host or "", "net.peer.port": url.port or 5432}

    @event.listens_for(eng, "before_cursor_execute", retval=True)
    def before(conn, cursor, statement, parameters, context, executemany):
        op = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = Span("%s %s" % (op, url.database), CLIENT, "sqlalchemy", attrs=dict(base, **{"db.statement": statement,
                                                                                           "db.operation": op}))
        context._otelwrap_span = span
        # the asyncpg dialect formats the statement with %: escape the comment's url-encoding (as sqlcommenter does)
        return statement + " " + _comment(span, span.route).replace("%", "%%"), parameters

    @event.listens_for(eng, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        span = getattr(context, "_otelwrap_span", None)
        if span is not None:
            span.finish()

    @event.listens_for(eng, "handle_error")
    def error(ctx):
        span = getattr(ctx.execution_context, "_otelwrap_span", None) if ctx.execution_context else None
        if span is not None:
            span.finish(error=ctx.original_exception)

    @event.listens_for(eng, "do_connect")
    def do_connect(dialect, conn_rec, cargs, cparams):
        conn_rec.info["_otelwrap_connect"] = time.time_ns()

    @event.listens_for(eng.pool, "connect")
    def connected(dbapi_conn, conn_rec):
        start = conn_rec.info.pop("_otelwrap_connect", None)
        Span("connect", CLIENT, "sqlalchemy", start_ns=start, attrs=base).finish()


def _instrumented_create_async_engine(wrapped, instance, args, kwargs):
    engine = wrapped(*args, **kwargs)
    _instrument_engine(engine)
    return engine


# ------------------------------------------------- requests / urllib (sync)

def _sync_span(method, url):
    u = urllib.parse.urlsplit(url)
    return Span(method, CLIENT, "sync_http", attrs={
        "http.request.method": method, "url.full": url, "server.address": u.hostname or "",
        "server.port": u.port or (443 if u.scheme == "https" else 80), "thread.name": threading.current_thread().name})


def _instrumented_requests_send(wrapped, instance, args, kwargs):
    req = args[0] if args else kwargs["request"]
    span = _sync_span(req.method, req.url)
    req.headers["traceparent"] = span.traceparent()
    try:
        resp = wrapped(*args, **kwargs)
    except Exception as e:
        span.finish(error=repr(e))
        raise
    span.attrs["http.response.status_code"] = resp.status_code
    span.finish()
    return resp


def _instrumented_urllib_open(wrapped, instance, args, kwargs):
    import urllib.request

    req = args[0] if args else kwargs["fullurl"]
    if isinstance(req, str):
        req = urllib.request.Request(req)
        args = (req,) + tuple(args[1:])
    span = _sync_span(req.get_method(), req.full_url)
    req.add_header("traceparent", span.traceparent())
    try:
        resp = wrapped(*args, **kwargs)
    except Exception as e:
        span.finish(error=repr(e))
        raise
    span.attrs["http.response.status_code"] = resp.status
    span.finish()
    return resp


def instrument():
    wrapt.wrap_function_wrapper("aiohttp.client", "ClientSession.__init__", _instrumented_session_init)
    wrapt.wrap_function_wrapper("aiohttp.web_app", "Application.__init__", _instrumented_app_init)
    wrapt.wrap_function_wrapper("sqlalchemy.ext.asyncio", "create_async_engine", _instrumented_create_async_engine)
    wrapt.wrap_function_wrapper("requests.sessions", "Session.send", _instrumented_requests_send)
    wrapt.wrap_function_wrapper("urllib.request", "OpenerDirector.open", _instrumented_urllib_open)


# ---------------------------------------------------------------- profiler

class LoopSampler(threading.Thread):
    """Wall-clock samples of one thread (the event loop's), idle ones kept."""

    def __init__(self, thread_id, path, interval=0.005):
        super().__init__(name="otelwrap-sampler", daemon=True)
        self.thread_id, self.path, self.interval = thread_id, path, interval
        self.counts = collections.Counter()
        self.samples = 0
        self.halt = threading.Event()
        self.roots = sorted({os.path.join(os.path.abspath(p), "") for p in sys.path if p}, key=len, reverse=True)
        self.names = {}

    def _file(self, fn):
        s = self.names.get(fn)
        if s is None:
            s = next((fn[len(r):] for r in self.roots if fn.startswith(r)), fn)
            self.names[fn] = s
        return s

    def run(self):
        self.t0 = time.monotonic()
        due = self.t0
        while not self.halt.is_set():
            f = sys._current_frames().get(self.thread_id)
            stack = []
            while f is not None:
                stack.append("%s (%s:%d)" % (f.f_code.co_name, self._file(f.f_code.co_filename), f.f_lineno or 0))
                f = f.f_back
            if stack:
                self.counts[";".join(reversed(stack))] += 1
                self.samples += 1
            due += self.interval
            d = due - time.monotonic()
            if d > 0:
                time.sleep(d)
            else:
                due = time.monotonic()
        self.t1 = time.monotonic()

    def stop(self):
        self.halt.set()
        self.join()
        with open(self.path, "w") as out:
            for stack, n in sorted(self.counts.items()):
                out.write("%s %d\n" % (stack, n))
        return self.samples, self.t1 - self.t0


def main():
    global exporter
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spans", required=True)
    ap.add_argument("--profile")
    ap.add_argument("--service", default="aioshop")
    ap.add_argument("script")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    exporter = BatchExporter(a.spans, {"service.name": a.service, "telemetry.sdk.name": "otelwrap",
                                       "telemetry.sdk.language": "python", "process.pid": os.getpid(),
                                       "process.runtime.version": sys.version.split()[0]})
    exporter.start()
    instrument()
    sampler = None
    if a.profile:
        sampler = LoopSampler(threading.get_ident(), a.profile)
        sampler.start()
    sys.argv = [a.script] + [x for x in a.args if x != "--"]
    try:
        runpy.run_path(a.script, run_name="__main__")
    finally:
        log = logging.getLogger("otelwrap")
        if sampler:
            n, secs = sampler.stop()
            log.info("profile: %d samples in %.3f s (%.3f ms/sample) written to %s", n, secs, 1000 * secs / max(1, n),
                     os.path.basename(a.profile))
        exporter.shutdown()
        log.info("traces: %d spans exported to %s", exporter.exported, os.path.basename(a.spans))


if __name__ == "__main__":
    main()
