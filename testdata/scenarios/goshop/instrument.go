package main

import (
	"context"
	"runtime"
	rtrace "runtime/trace"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// dbTracer is a pgx QueryTracer + ConnectTracer: one client span per SQL
// statement (db.statement, code.*) and per connection opened, and an
// execution-trace region around each.
type dbTracer struct {
	tracer trace.Tracer
	pool   string // "pgxpool" or "pgx.Connect"
}

type tracerKey struct{}

type tracerState struct {
	span   trace.Span
	region *rtrace.Region
}

// appFrame is the innermost frame of goshop's own handlers on the stack.
func appFrame() []attribute.KeyValue {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "main.") && !strings.Contains(f.Function, "dbTracer") && f.Function != "main.appFrame" {
			file := f.File
			if i := strings.LastIndex(file, "/"); i >= 0 {
				file = file[i+1:]
			}
			return []attribute.KeyValue{attribute.String("code.function", f.Function),
				attribute.String("code.filepath", file), attribute.Int("code.lineno", f.Line)}
		}
		if !more {
			return nil
		}
	}
}

func (t *dbTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	name := "SELECT"
	if f := strings.Fields(data.SQL); len(f) > 0 {
		name = strings.ToUpper(f[0])
	}
	attrs := append([]attribute.KeyValue{
		attribute.String("db.system", "postgresql"),
		attribute.String("db.statement", data.SQL),
		attribute.String("db.name", conn.Config().Database),
		attribute.String("db.user", conn.Config().User),
		attribute.String("db.pgx.pool", t.pool),
		attribute.Int("db.postgresql.backend_pid", int(conn.PgConn().PID())),
	}, appFrame()...)
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	region := rtrace.StartRegion(ctx, "db.query")
	return context.WithValue(ctx, tracerKey{}, &tracerState{span, region})
}

func (t *dbTracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	st, _ := ctx.Value(tracerKey{}).(*tracerState)
	if st == nil {
		return
	}
	st.region.End()
	st.span.SetAttributes(attribute.Int64("db.rows_affected", data.CommandTag.RowsAffected()))
	if data.Err != nil && data.Err != pgx.ErrNoRows {
		st.span.SetStatus(codes.Error, data.Err.Error())
	}
	st.span.End()
}

func (t *dbTracer) TraceConnectStart(ctx context.Context, data pgx.TraceConnectStartData) context.Context {
	attrs := append([]attribute.KeyValue{
		attribute.String("db.system", "postgresql"),
		attribute.String("db.name", data.ConnConfig.Database),
		attribute.String("net.peer.name", data.ConnConfig.Host),
		attribute.Int("net.peer.port", int(data.ConnConfig.Port)),
		attribute.String("db.pgx.pool", t.pool),
	}, appFrame()...)
	ctx, span := t.tracer.Start(ctx, "db.connect", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	region := rtrace.StartRegion(ctx, "db.connect")
	return context.WithValue(ctx, tracerKey{}, &tracerState{span, region})
}

func (t *dbTracer) TraceConnectEnd(ctx context.Context, data pgx.TraceConnectEndData) {
	st, _ := ctx.Value(tracerKey{}).(*tracerState)
	if st == nil {
		return
	}
	st.region.End()
	if data.Err != nil {
		st.span.SetStatus(codes.Error, data.Err.Error())
	} else {
		st.span.SetAttributes(attribute.Int("db.postgresql.backend_pid", int(data.Conn.PgConn().PID())))
	}
	st.span.End()
}
