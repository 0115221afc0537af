package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"runtime/pprof"
	rtrace "runtime/trace"
	"strings"

	"github.com/XSAM/otelsql"
	"github.com/lib/pq"
	"go.opentelemetry.io/contrib/instrumentation/net/http/httptrace/otelhttptrace"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// openDB opens a database/sql handle on lib/pq's Connector wrapped by
// otelsql: one span per driver call (sql.connector.connect, sql.conn.query,
// sql.conn.exec, sql.rows, sql.conn.reset_session …) with db.query.text, the
// application call site as code.* attributes, and the span's traceparent
// appended to the SQL as a sqlcommenter comment. (otelsql.Open on lib/pq
// would not trace connecting: pq.Driver has no OpenConnector.)
func openDB(dsn string) (*sql.DB, error) {
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return otelsql.OpenDB(c,
		otelsql.WithAttributes(semconv.DBSystemNamePostgreSQL, semconv.DBNamespace("store")),
		otelsql.WithSQLCommenter(true),
		otelsql.WithAttributesGetter(callSite)), nil
}

// callSite names the innermost frame of this program (package main) that
// called database/sql, in the current semantic conventions' code.* keys.
func callSite(context.Context, otelsql.Method, string, []driver.NamedValue) []attribute.KeyValue {
	pcs := make([]uintptr, 48)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "main.") && f.Function != "main.callSite" {
			return []attribute.KeyValue{
				semconv.CodeFunctionName(f.Function),
				semconv.CodeFilePath(f.File),
				semconv.CodeLineNumber(f.Line),
			}
		}
		if !more {
			return nil
		}
	}
}

// eventTrace records the client's connection phases as events on the HTTP
// client span (http.getconn.start/done with http.conn.reused, http.connect.*,
// http.tls.start/done, …) rather than as child spans.
func eventTrace(ctx context.Context) *httptrace.ClientTrace {
	return otelhttptrace.NewClientTrace(ctx, otelhttptrace.WithoutSubSpans())
}

// mount registers a route: http.route on otelhttp's server span, an execution-trace task named like the mux
// pattern ("GET /cart") and pprof labels (http.route, handler) that every
// goroutine the handler starts inherits, such as net/http's dial goroutines.
func (s *store) mount(mux *http.ServeMux, pattern string, h handler) {
	name := runtime.FuncForPC(funcPC(h)).Name()
	route := pattern[strings.IndexByte(pattern, ' ')+1:]
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		trace.SpanFromContext(r.Context()).SetAttributes(semconv.HTTPRoute(route))
		ctx, task := rtrace.NewTask(r.Context(), r.Pattern)
		defer task.End()
		pprof.Do(ctx, pprof.Labels("http.route", route, "handler", name), func(ctx context.Context) {
			if err := h(s, w, r.WithContext(ctx)); err != nil {
				rtrace.Log(ctx, "error", err.Error())
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		})
	})
}
