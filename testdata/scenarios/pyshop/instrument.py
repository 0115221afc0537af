"""Recording machinery for the pyshop scenario (not part of the "service").

- logs: SQLAlchemy engine echo + pool debug (with thread and task names),
  asyncio debug log (slow callbacks, unclosed aiohttp sessions), aiohttp access log
- a real wall-clock sampler thread over the event loop thread, written as
  py-spy style folded stacks ("func (file.py:line);... count")
- spans written as OTLP JSON lines (one TracesData per line, as the
  OpenTelemetry Collector's file exporter writes them), by hand because the
  OpenTelemetry Python SDK is not packaged in Debian
- sqlcommenter-style comments on every SQL statement:
  /*route='/orders',traceparent='00-<trace>-<span>-01'*/
"""
import asyncio
import collections
import contextvars
import json
import logging
import os
import random
import sys
import threading
import time
import warnings

import greenlet

APP_FILES = ("app.py",)
HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------- logs


class TaskNameFilter(logging.Filter):
    """Python 3.11's LogRecord has no taskName: add it."""

    def filter(self, record):
        try:
            t = asyncio.current_task()
        except RuntimeError:
            t = None
        record.taskName = t.get_name() if t is not None else "-"
        return True


def setup_logging(outdir):
    fmt = logging.Formatter(
        "%(asctime)s.%(msecs)03d %(levelname)s [%(threadName)s %(taskName)s] %(name)s: %(message)s",
        "%Y-%m-%d %H:%M:%S",
    )
    fmt.converter = time.gmtime

    def handler(name, cls=logging.FileHandler):
        h = cls(os.path.join(outdir, name), mode="w")
        h.setFormatter(fmt)
        h.addFilter(TaskNameFilter())
        return h

    sa = handler("sqlalchemy.log")
    for name, level in (("sqlalchemy.engine", logging.INFO), ("sqlalchemy.pool", logging.DEBUG)):
        lg = logging.getLogger(name)
        lg.setLevel(level)
        lg.addHandler(sa)
        lg.propagate = False

    aio = handler("asyncio.log")
    for name, level in (("asyncio", logging.DEBUG), ("py.warnings", logging.WARNING), ("aiohttp.client", logging.DEBUG),
                        ("aiohttp.server", logging.DEBUG), ("aiohttp.web", logging.DEBUG), ("aiohttp.internal", logging.DEBUG)):
        lg = logging.getLogger(name)
        lg.setLevel(level)
        lg.addHandler(aio)
        lg.propagate = False
    logging.captureWarnings(True)
    warnings.simplefilter("always", ResourceWarning)

    acc = logging.FileHandler(os.path.join(outdir, "access.log"), mode="w")
    acc.setFormatter(logging.Formatter("%(message)s"))
    lg = logging.getLogger("aiohttp.access")
    lg.setLevel(logging.INFO)
    lg.addHandler(acc)
    lg.propagate = False


# ------------------------------------------------------------------ sampler


def _short(path):
    """py-spy style file names: package-relative for libraries, base name for the app."""
    for marker in ("/dist-packages/", "/site-packages/"):
        i = path.rfind(marker)
        if i >= 0:
            return path[i + len(marker):]
    if path.startswith(HERE + "/"):
        return path[len(HERE) + 1:]
    if "/lib/python3" in path:
        return path.split("/lib/python3", 1)[1].split("/", 1)[1]
    return path


# SQLAlchemy's asyncio mode runs the ORM in greenlets: while one runs, the
# thread's frame chain stops at the greenlet's first frame. The switch tracer
# remembers the loop thread's current greenlet so that stacks can be stitched
# onto the frames of the suspended parent (the coroutine that awaited
# greenlet_spawn), as if there were one stack.
_current_greenlet = [None]


def _greenlet_trace(event, args):
    if event in ("switch", "throw"):
        _current_greenlet[0] = args[1]


def trace_greenlets():
    """Call on the event-loop thread."""
    greenlet.settrace(_greenlet_trace)


def _parent_frames(g):
    """Frames (innermost first) of the suspended parents of greenlet g."""
    out = []
    g = g.parent if g is not None else None
    while g is not None:
        f = g.gr_frame
        while f is not None:
            out.append(f)
            f = f.f_back
        g = g.parent
    return out


def _walk(frame, g):
    """frame's chain, then the chains of g's suspended parents (innermost first)."""
    out = []
    while frame is not None:
        out.append(frame)
        frame = frame.f_back
    if g is not None and g.parent is not None:
        out.extend(_parent_frames(g))
    return out


class Sampler(threading.Thread):
    """Samples one thread's stack every `interval` seconds of wall time.

    Every sample is kept, idle ones too (the loop waiting in selectors.select),
    as `py-spy record --idle --format raw` would."""

    def __init__(self, thread_id, interval=0.005):
        super().__init__(name="sampler", daemon=True)
        self.thread_id = thread_id
        self.interval = interval
        self.counts = collections.Counter()
        self.samples = 0
        self.stop_event = threading.Event()
        self.t0 = self.t1 = None

    def run(self):
        self.t0 = time.monotonic()
        nxt = self.t0
        while not self.stop_event.is_set():
            frame = sys._current_frames().get(self.thread_id)
            if frame is not None:
                stack = []
                for fr in _walk(frame, _current_greenlet[0]):
                    co = fr.f_code
                    stack.append("%s (%s:%d)" % (co.co_name, _short(co.co_filename), fr.f_lineno or co.co_firstlineno))
                fr = None
                stack.reverse()
                self.counts[";".join(stack)] += 1
                self.samples += 1
            frame = None
            nxt += self.interval
            d = nxt - time.monotonic()
            if d > 0:
                time.sleep(d)
            else:
                nxt = time.monotonic()
        self.t1 = time.monotonic()

    def write(self, path):
        self.stop_event.set()
        self.join()
        with open(path, "w") as f:
            for stack, n in sorted(self.counts.items()):
                f.write("%s %d\n" % (stack, n))
        return {"samples": self.samples, "seconds": round(self.t1 - self.t0, 3),
                "mean_interval_ms": round(1000 * (self.t1 - self.t0) / max(1, self.samples), 3)}


# -------------------------------------------------------------------- spans

KIND_INTERNAL, KIND_SERVER, KIND_CLIENT = 1, 2, 3
_rand = random.Random()  # span ids: no syscall per span (os.urandom showed in the profile)
current_span = contextvars.ContextVar("current_span", default=None)


def _attr(k, v):
    if isinstance(v, bool):
        val = {"boolValue": v}
    elif isinstance(v, int):
        val = {"intValue": str(v)}
    elif isinstance(v, float):
        val = {"doubleValue": v}
    else:
        val = {"stringValue": str(v)}
    return {"key": k, "value": val}


class Span:
    __slots__ = ("trace_id", "span_id", "parent_id", "name", "kind", "start", "end", "attrs", "error", "children", "route",
                 "scope")

    def __init__(self, name, kind=KIND_INTERNAL, parent=None, route=None, start=None, scope="pyshop", **attrs):
        self.parent_id = parent.span_id if parent else ""
        self.trace_id = parent.trace_id if parent else "%032x" % _rand.getrandbits(128)
        self.span_id = "%016x" % _rand.getrandbits(64)
        self.scope = scope
        self.name, self.kind = name, kind
        self.start = start if start is not None else time.time_ns()
        self.end = None
        self.attrs = dict(attrs)
        self.error = None
        self.route = route if route is not None else (parent.route if parent else None)
        self.children = parent.children if parent else []
        self.children.append(self)

    def finish(self, error=None):
        if self.end is None:
            self.end = time.time_ns()
        if error:
            self.error = error

    def traceparent(self):
        return "00-%s-%s-01" % (self.trace_id, self.span_id)

    def to_otlp(self):
        d = {
            "traceId": self.trace_id,
            "spanId": self.span_id,
            "parentSpanId": self.parent_id,
            "name": self.name,
            "kind": self.kind,
            "startTimeUnixNano": str(self.start),
            "endTimeUnixNano": str(self.end if self.end is not None else time.time_ns()),
            "attributes": [_attr(k, v) for k, v in self.attrs.items()],
            "status": {"code": 2, "message": self.error} if self.error else {},
        }
        if not self.parent_id:
            del d["parentSpanId"]
        return d


class SpanWriter:
    def __init__(self, path, service):
        self.f = open(path, "w")
        self.resource = {"attributes": [_attr("service.name", service), _attr("telemetry.sdk.language", "python"),
                                        _attr("process.pid", os.getpid())]}
        self.lock = threading.Lock()
        self.spans = 0

    def export(self, root):
        """One line per finished request: all spans of its trace."""
        scopes = {}
        for s in root.children:
            scopes.setdefault(s.scope, []).append(s.to_otlp())
        line = {"resourceSpans": [{"resource": self.resource, "scopeSpans": [
            {"scope": {"name": "pyshop.instrument." + name, "version": "1"}, "spans": spans} for name, spans in scopes.items()]}]}
        with self.lock:
            self.f.write(json.dumps(line, separators=(",", ":")) + "\n")
            self.spans += len(root.children)

    def close(self):
        self.f.close()


def app_frame(skip_file=__file__):
    """The innermost frame of the service's own code on this stack (code.*)."""
    for f in _walk(sys._getframe(1), greenlet.getcurrent()):
        fn = f.f_code.co_filename
        if os.path.basename(fn) in APP_FILES and fn != skip_file:
            return f.f_code.co_name, os.path.basename(fn), f.f_lineno
    return None


def code_attrs(loc):
    if not loc:
        return {}
    return {"code.function": loc[0], "code.filepath": loc[1], "code.lineno": loc[2]}


# --------------------------------------------------- SQLAlchemy instrumentation


def instrument_engine(async_engine, pool_name):
    from sqlalchemy import event

    eng = async_engine.sync_engine
    url = eng.url

    @event.listens_for(eng, "before_cursor_execute", retval=True)
    def before(conn, cursor, statement, parameters, context, executemany):
        parent = current_span.get()
        span = Span("SELECT" if statement.lstrip().lower().startswith("select") else statement.split(None, 1)[0].upper(),
                    KIND_CLIENT, parent, scope="sqlalchemy", **{"db.system": "postgresql", "db.name": url.database, "db.user": url.username,
                                            "db.statement": statement, "net.peer.name": url.host, "net.peer.port": url.port,
                                            "db.sqlalchemy.pool": pool_name}, **code_attrs(app_frame()))
        context._hp_span = span
        tags = []
        if span.route:
            tags.append("route='%s'" % span.route)
        tags.append("traceparent='%s'" % span.traceparent())
        return statement + " /*" + ",".join(tags) + "*/", parameters

    @event.listens_for(eng, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        span = getattr(context, "_hp_span", None)
        if span:
            span.attrs["db.rows_affected"] = cursor.rowcount if cursor.rowcount is not None else -1
            span.finish()

    @event.listens_for(eng, "handle_error")
    def on_error(ctx):
        span = getattr(ctx.execution_context, "_hp_span", None) if ctx.execution_context else None
        if span:
            span.finish(error=str(ctx.original_exception)[:200])

    @event.listens_for(eng, "do_connect")
    def do_connect(dialect, conn_rec, cargs, cparams):
        conn_rec.info["_hp_connect"] = (time.time_ns(), current_span.get(), app_frame())

    @event.listens_for(eng.pool, "connect")
    def on_connect(dbapi_conn, conn_rec):
        start, parent, loc = conn_rec.info.pop("_hp_connect", (time.time_ns(), current_span.get(), None))
        s = Span("db.connect", KIND_CLIENT, parent, start=start, scope="sqlalchemy", **{"db.system": "postgresql", "db.name": url.database,
                                                                      "net.peer.name": url.host, "net.peer.port": url.port,
                                                                      "db.sqlalchemy.pool": pool_name}, **code_attrs(loc))
        s.finish()

    @event.listens_for(eng.pool, "checkout")
    def on_checkout(dbapi_conn, conn_rec, proxy):
        parent = current_span.get()
        s = Span("db.connection", KIND_INTERNAL, parent, scope="sqlalchemy", **{"db.system": "postgresql", "db.sqlalchemy.pool": pool_name},
                 **code_attrs(app_frame()))
        conn_rec.info["_hp_checkout"] = s

    @event.listens_for(eng.pool, "checkin")
    def on_checkin(dbapi_conn, conn_rec):
        s = conn_rec.info.pop("_hp_checkout", None) if conn_rec is not None else None
        if s:
            s.finish()


# ----------------------------------------------------- aiohttp client tracing


def client_trace_config():
    import aiohttp

    tc = aiohttp.TraceConfig()

    async def req_start(session, ctx, params):
        parent = current_span.get()
        ctx.span = Span("HTTP " + params.method, KIND_CLIENT, parent, scope="aiohttp_client", **{"http.method": params.method, "http.url": str(params.url),
                                                                          "net.peer.name": params.url.host, "net.peer.port": params.url.port,
                                                                          "http.client.session": "0x%x" % id(session)},
                        **code_attrs(app_frame()))
        params.headers["traceparent"] = ctx.span.traceparent()

    async def req_end(session, ctx, params):
        ctx.span.attrs["http.status_code"] = params.response.status
        ctx.span.finish()

    async def req_exc(session, ctx, params):
        ctx.span.finish(error=repr(params.exception)[:200])

    async def conn_start(session, ctx, params):
        ctx.conn_span = Span("http.connect", KIND_INTERNAL, ctx.span, scope="aiohttp_client")

    async def conn_end(session, ctx, params):
        ctx.conn_span.attrs["http.conn.reused"] = False
        ctx.conn_span.finish()

    async def reuse(session, ctx, params):
        ctx.span.attrs["http.conn.reused"] = True

    async def dns_start(session, ctx, params):
        ctx.dns_span = Span("http.dns", KIND_INTERNAL, ctx.span, scope="aiohttp_client", **{"net.peer.name": params.host})

    async def dns_end(session, ctx, params):
        ctx.dns_span.finish()

    tc.on_request_start.append(req_start)
    tc.on_request_end.append(req_end)
    tc.on_request_exception.append(req_exc)
    tc.on_connection_create_start.append(conn_start)
    tc.on_connection_create_end.append(conn_end)
    tc.on_connection_reuseconn.append(reuse)
    tc.on_dns_resolvehost_start.append(dns_start)
    tc.on_dns_resolvehost_end.append(dns_end)
    return tc


class sync_span:
    """A span around a synchronous (blocking) call made from the service."""

    def __init__(self, name, scope, kind=KIND_CLIENT, **attrs):
        self.name, self.scope, self.kind, self.attrs = name, scope, kind, attrs

    def __enter__(self):
        self.span = Span(self.name, self.kind, current_span.get(), scope=self.scope, **self.attrs,
                         **code_attrs(app_frame()))
        return self.span

    def __exit__(self, et, ev, tb):
        self.span.finish(error=repr(ev)[:200] if ev else None)
