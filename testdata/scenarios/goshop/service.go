package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	rtrace "runtime/trace"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/contrib/instrumentation/net/http/httptrace/otelhttptrace"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

type server struct {
	pool       *pgxpool.Pool // healthy: a connection pool
	connCfg    *pgx.ConnConfig
	upstream   string
	shared     *http.Client // healthy: one client (one Transport) for the process
	auditMu    sync.Mutex
	auditFile  string
	policyFile string
	auditCh    chan string
	tracer     trace.Tracer
}

// ------------------------------------------------------------ n_plus_one

type order struct {
	ID         int     `json:"id"`
	CustomerID int     `json:"customer_id"`
	Total      float64 `json:"total"`
	Customer   string  `json:"customer"`
}

func (s *server) ordersNPlusOne(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	rows, err := s.pool.Query(ctx, "select id, customer_id, total::float8 from orders order by id limit 20 offset $1", page*20)
	if err != nil {
		fail(w, err)
		return
	}
	orders, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order, error) {
		var o order
		err := row.Scan(&o.ID, &o.CustomerID, &o.Total)
		return o, err
	})
	if err != nil {
		fail(w, err)
		return
	}
	for i := range orders {
		// PLANTED n_plus_one: one query per order
		err := s.pool.QueryRow(ctx, "select name from customers where id = $1", orders[i].CustomerID).Scan(&orders[i].Customer)
		if err != nil {
			fail(w, err)
			return
		}
	}
	writeJSON(w, orders)
}

func (s *server) ordersJoin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	rows, err := s.pool.Query(ctx, `select o.id, o.customer_id, o.total::float8, c.name
		from orders o join customers c on c.id = o.customer_id order by o.id limit 20 offset $1`, page*20)
	if err != nil {
		fail(w, err)
		return
	}
	orders, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order, error) {
		var o order
		err := row.Scan(&o.ID, &o.CustomerID, &o.Total, &o.Customer)
		return o, err
	})
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, orders)
}

// ------------------------------------------------------ http_client_churn

var currencies = []string{"EUR", "GBP", "JPY"}

func clientTrace(ctx context.Context) *httptrace.ClientTrace {
	return otelhttptrace.NewClientTrace(ctx)
}

func (s *server) fetchRateNewTransport(ctx context.Context, cur string) (float64, error) {
	tr := &http.Transport{TLSClientConfig: insecureTLS} // PLANTED http_client_churn: new Transport (new TCP+TLS) per call
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: otelhttp.NewTransport(tr, otelhttp.WithClientTrace(clientTrace))}
	return getRate(ctx, client, s.upstream, cur)
}

func getRate(ctx context.Context, client *http.Client, base, cur string) (float64, error) {
	defer rtrace.StartRegion(ctx, "http.client").End()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/rate?cur="+cur, nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var v struct{ Rate float64 }
	err = json.NewDecoder(resp.Body).Decode(&v)
	return v.Rate, err
}

func (s *server) ratesNewTransport(w http.ResponseWriter, r *http.Request) {
	out := map[string]float64{}
	for _, cur := range currencies {
		v, err := s.fetchRateNewTransport(r.Context(), cur)
		if err != nil {
			fail(w, err)
			return
		}
		out[cur] = v
	}
	writeJSON(w, out)
}

func (s *server) ratesShared(w http.ResponseWriter, r *http.Request) {
	out := map[string]float64{}
	for _, cur := range currencies {
		v, err := getRate(r.Context(), s.shared, s.upstream, cur)
		if err != nil {
			fail(w, err)
			return
		}
		out[cur] = v
	}
	writeJSON(w, out)
}

// ---------------------------------------------------- no_connection_pool

func (s *server) stockNewConn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sku := r.URL.Query().Get("sku")
	conn, err := pgx.ConnectConfig(ctx, s.connCfg) // PLANTED no_connection_pool: a new connection per request
	if err != nil {
		fail(w, err)
		return
	}
	defer conn.Close(ctx)
	var qty int
	var price float64
	if err := conn.QueryRow(ctx, "select qty from stock where sku = $1", sku).Scan(&qty); err != nil {
		fail(w, err)
		return
	}
	if err := conn.QueryRow(ctx, "select price::float8 from prices where sku = $1", sku).Scan(&price); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, map[string]any{"sku": sku, "qty": qty, "price": price})
}

func (s *server) stockPooled(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sku := r.URL.Query().Get("sku")
	var qty int
	var price float64
	if err := s.pool.QueryRow(ctx, "select qty from stock where sku = $1", sku).Scan(&qty); err != nil {
		fail(w, err)
		return
	}
	if err := s.pool.QueryRow(ctx, "select price::float8 from prices where sku = $1", sku).Scan(&price); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, map[string]any{"sku": sku, "qty": qty, "price": price})
}

// -------------------------------------------------------- lock_contention

func (s *server) appendAuditLocked(ctx context.Context, line string) (int, error) {
	s.auditMu.Lock() // PLANTED lock_contention: one mutex held across file I/O (write, fsync, read)
	defer s.auditMu.Unlock()
	defer rtrace.StartRegion(ctx, "audit.locked-io").End()
	_, span := s.tracer.Start(ctx, "audit.append", trace.WithAttributes(append(appFrame(),
		attribute.String("file.path", s.auditFile), attribute.Bool("lock.held", true))...))
	defer span.End()
	f, err := os.OpenFile(s.auditFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	f.Close()
	policy, err := os.ReadFile(s.policyFile) // re-read the retention policy under the lock
	return len(policy), err
}

func (s *server) auditLocked(w http.ResponseWriter, r *http.Request) {
	n, err := s.appendAuditLocked(r.Context(), fmt.Sprintf("%s user=%s action=view\n", time.Now().UTC().Format(time.RFC3339Nano), r.URL.Query().Get("user")))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, map[string]any{"ok": true, "policy_bytes": n})
}

func (s *server) auditBuffered(w http.ResponseWriter, r *http.Request) {
	s.auditCh <- fmt.Sprintf("%s user=%s action=view\n", time.Now().UTC().Format(time.RFC3339Nano), r.URL.Query().Get("user"))
	writeJSON(w, map[string]any{"ok": true})
}

// auditWriter is the healthy twin's background writer: batches lines, one fsync per batch, no lock.
func (s *server) auditWriter() {
	f, err := os.OpenFile(s.auditFile+".buffered", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	for line := range s.auditCh {
		var b strings.Builder
		b.WriteString(line)
		for len(s.auditCh) > 0 {
			b.WriteString(<-s.auditCh)
		}
		f.WriteString(b.String())
		f.Sync()
	}
}

// ------------------------------------------------------------- slow_query

func (s *server) searchUnindexed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var id int
	var kind string
	// PLANTED slow_query: events.ref has no index: a sequential scan of 200,000 rows per call
	err := s.pool.QueryRow(ctx, "select id, kind from events where ref = $1", r.URL.Query().Get("ref")).Scan(&id, &kind)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		fail(w, err)
		return
	}
	writeJSON(w, map[string]any{"id": id, "kind": kind})
}

func (s *server) searchIndexed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var id int
	var kind string
	ref := r.URL.Query().Get("ref")
	n, _ := strconv.Atoi(strings.TrimPrefix(ref, "REF-"))
	err := s.pool.QueryRow(ctx, "select id, kind from events where id = $1", n).Scan(&id, &kind)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		fail(w, err)
		return
	}
	writeJSON(w, map[string]any{"id": id, "kind": kind})
}

// ------------------------------------------------------------ cpu_hotspot

// priceQuote is deliberately CPU-heavy: iterated SHA-256 "risk scoring".
func priceQuote(seed string, rounds int) string {
	h := sha256.Sum256([]byte(seed))
	for i := 0; i < rounds; i++ { // PLANTED cpu_hotspot
		h = sha256.Sum256(h[:])
	}
	return fmt.Sprintf("%x", h[:8])
}

func (s *server) quoteHeavy(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"quote": priceQuote(r.URL.RawQuery, 60000)})
}

func (s *server) quoteLight(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"quote": priceQuote(r.URL.RawQuery, 50)})
}

// ------------------------------------------------------------- plumbing

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, err error) {
	http.Error(w, err.Error(), 500)
}

// handle registers h on pattern with an execution-trace task per request and
// the handler's code location on the server span.
func (s *server) handle(mux *http.ServeMux, pattern string, h func(*server, http.ResponseWriter, *http.Request)) {
	fn := runtime.FuncForPC(reflect.ValueOf(h).Pointer())
	file, line := fn.FileLine(fn.Entry())
	name := fn.Name()
	route := strings.TrimPrefix(pattern, "GET ")
	attrs := []attribute.KeyValue{attribute.String("code.function", name),
		attribute.String("code.filepath", filepath.Base(file)), attribute.Int("code.lineno", line),
		attribute.String("http.route", route)}
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trace.SpanFromContext(r.Context()).SetAttributes(attrs...)
		ctx, task := rtrace.NewTask(r.Context(), route)
		defer task.End()
		h(s, w, r.WithContext(ctx))
	}))
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:54353", "listen address")
	dsn := fs.String("dsn", "postgres://shop@127.0.0.1:54330/shop", "PostgreSQL")
	up := fs.String("upstream", "https://127.0.0.1:54351", "TLS upstream")
	otlp := fs.String("otlp", "127.0.0.1:54352", "OTLP/HTTP receiver host:port")
	out := fs.String("out", ".", "artifact directory")
	work := fs.String("work", os.TempDir(), "scratch directory (audit log, policy file)")
	traceSecs := fs.Float64("trace-seconds", 2, "execution trace length from the first request")
	fs.Parse(args)

	// profiles: CPU for the whole run, block and mutex events all sampled
	runtime.SetBlockProfileRate(10000) // one sample per 10µs blocked
	runtime.SetMutexProfileFraction(1)
	cpuf, err := os.Create(filepath.Join(*out, "cpu.pprof"))
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(cpuf); err != nil {
		return err
	}

	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(*otlp), otlptracehttp.WithInsecure())
	if err != nil {
		return err
	}
	res, _ := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", "goshop")))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Second)), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	tracer := tp.Tracer("goshop")

	poolCfg, err := pgxpool.ParseConfig(*dsn)
	if err != nil {
		return err
	}
	poolCfg.MaxConns = 8
	poolCfg.ConnConfig.Tracer = &dbTracer{tracer: tracer, pool: "pgxpool"}
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return err
	}
	connCfg, err := pgx.ParseConfig(*dsn)
	if err != nil {
		return err
	}
	connCfg.Tracer = &dbTracer{tracer: tracer, pool: "pgx.Connect"}

	policy := filepath.Join(*work, "retention-policy.txt")
	if err := os.WriteFile(policy, []byte(strings.Repeat("retain audit records for 400 days; purge after review\n", 80000)), 0o644); err != nil {
		return err
	}
	s := &server{pool: pool, connCfg: connCfg, upstream: *up, auditFile: filepath.Join(*work, "audit.log"), policyFile: policy,
		auditCh: make(chan string, 1024), tracer: tracer,
		shared: &http.Client{Transport: otelhttp.NewTransport(&http.Transport{TLSClientConfig: insecureTLS, MaxIdleConnsPerHost: 16},
			otelhttp.WithClientTrace(clientTrace))}}
	go s.auditWriter()

	mux := http.NewServeMux()
	for _, e := range []struct {
		pattern string
		h       func(*server, http.ResponseWriter, *http.Request)
	}{
		{"GET /orders", (*server).ordersNPlusOne}, {"GET /orders/join", (*server).ordersJoin},
		{"GET /rates", (*server).ratesNewTransport}, {"GET /rates/shared", (*server).ratesShared},
		{"GET /stock", (*server).stockNewConn}, {"GET /stock/pooled", (*server).stockPooled},
		{"GET /audit", (*server).auditLocked}, {"GET /audit/buffered", (*server).auditBuffered},
		{"GET /search", (*server).searchUnindexed}, {"GET /search/indexed", (*server).searchIndexed},
		{"GET /quote", (*server).quoteHeavy}, {"GET /quote/light", (*server).quoteLight},
	} {
		s.handle(mux, e.pattern, e.h)
	}

	// execution trace: traceSecs seconds from the first request
	var traceOnce sync.Once
	traceDone := make(chan struct{})
	startTrace := func() {
		tf, err := os.Create(filepath.Join(*out, "exec.trace"))
		if err != nil {
			close(traceDone)
			return
		}
		if err := rtrace.Start(tf); err != nil {
			close(traceDone)
			return
		}
		go func() {
			time.Sleep(time.Duration(*traceSecs * float64(time.Second)))
			rtrace.Stop()
			tf.Close()
			close(traceDone)
		}()
	}
	handler := otelhttp.NewHandler(mux, "goshop", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
		return r.Method + " " + r.URL.Path
	}))
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traceOnce.Do(startTrace)
		handler.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: root}
	go srv.Serve(ln)
	fmt.Println("goshop ready on", *addr)
	waitSignal()

	srv.Shutdown(ctx)
	traceOnce.Do(func() { close(traceDone) })
	<-traceDone
	pprof.StopCPUProfile()
	cpuf.Close()
	for _, p := range []string{"block", "mutex"} {
		f, err := os.Create(filepath.Join(*out, p+".pprof"))
		if err != nil {
			return err
		}
		if err := pprof.Lookup(p).WriteTo(f, 0); err != nil {
			return err
		}
		f.Close()
	}
	close(s.auditCh)
	pool.Close()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		return err
	}
	fmt.Println("goshop stopped")
	return nil
}
