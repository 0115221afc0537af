// Command otelgen runs a small instrumented service with the OpenTelemetry
// Go SDK and records what its real exporters send:
//
//   - otlp.jsonl: OTLP over HTTP (protobuf) received by a small receiver
//     that writes each export request as one TracesData JSON line with
//     pdata's JSON marshaler (what the Collector's file exporter writes);
//   - zipkin.json: the Zipkin exporter's POSTs to a test server, merged
//     into one JSON array of Zipkin v2 spans.
//
// The service has the shapes hotpath looks for: an N+1 query loop under
// GET /orders/{id}, a new HTTP client per outbound call (connect/DNS spans
// from otelhttptrace), spans with old and new semantic-convention names.
//
//	cd testdata/trace/otelgen && go run . -out ..
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/httptrace/otelhttptrace"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/zipkin"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func main() {
	out := flag.String("out", ".", "directory for otlp.jsonl and zipkin.json")
	requests := flag.Int("requests", 12, "requests to send to the service")
	items := flag.Int("items", 6, "order items (N of the N+1)")
	otlpOnly := flag.Bool("otlp-only", false, "skip the zipkin exporter (for big benchmark files)")
	alsoOTLP := flag.String("also-otlp", "", "also export over OTLP/HTTP to this URL (e.g. a Jaeger all-in-one: http://127.0.0.1:4318/v1/traces)")
	flag.Parse()

	// OTLP/HTTP receiver: protobuf in, one JSON line out.
	otlpPath := filepath.Join(*out, "otlp.jsonl")
	of, err := os.Create(otlpPath)
	if err != nil {
		log.Fatal(err)
	}
	var omu sync.Mutex
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var m ptrace.JSONMarshaler
		line, err := m.MarshalTraces(req.Traces())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		omu.Lock()
		of.Write(line)
		of.Write([]byte{'\n'})
		omu.Unlock()
		resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(resp)
	}))
	defer recv.Close()

	// Zipkin receiver: collects the JSON arrays the exporter posts.
	var zmu sync.Mutex
	var zspans []json.RawMessage
	zrecv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var batch []json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		zmu.Lock()
		zspans = append(zspans, batch...)
		zmu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer zrecv.Close()

	ctx := context.Background()
	otlpExp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(recv.URL+"/v1/traces"), otlptracehttp.WithCompression(otlptracehttp.NoCompression))
	if err != nil {
		log.Fatal(err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(otlpExp, sdktrace.WithMaxExportBatchSize(512))}
	if !*otlpOnly {
		zexp, err := zipkin.New(zrecv.URL + "/api/v2/spans")
		if err != nil {
			log.Fatal(err)
		}
		opts = append(opts, sdktrace.WithBatcher(zexp))
	}
	if *alsoOTLP != "" {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(*alsoOTLP))
		if err != nil {
			log.Fatal(err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	res := resource.NewSchemaless(attribute.String("service.name", "orders"))
	tp := sdktrace.NewTracerProvider(append(opts, sdktrace.WithResource(res))...)
	tracer := tp.Tracer("hotpath/otelgen")
	prop := propagation.TraceContext{}

	// Downstream pricing service (its own spans, same provider).
	pricing := httptest.NewServer(otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		fmt.Fprint(w, `{"price": 42}`)
	}), "GET /price", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop)))
	defer pricing.Close()
	pricingURL := "http://localhost:" + portOf(pricing.URL) + "/price"

	query := func(ctx context.Context, stmt string, oldNames bool, d time.Duration) {
		var attrs []attribute.KeyValue
		if oldNames {
			attrs = []attribute.KeyValue{attribute.String("db.system", "postgresql"), attribute.String("db.statement", stmt),
				attribute.String("net.peer.name", "db.internal"), attribute.String("code.function", "loadItems"),
				attribute.String("code.namespace", "main"), attribute.String("code.filepath", "/app/orders.go"), attribute.Int("code.lineno", 88)}
		} else {
			attrs = []attribute.KeyValue{attribute.String("db.system.name", "postgresql"), attribute.String("db.query.text", stmt),
				attribute.String("db.operation.name", "SELECT"), attribute.String("server.address", "db.internal"),
				attribute.String("code.function.name", "main.loadOrder"), attribute.String("code.file.path", "/app/orders.go"), attribute.Int("code.line.number", 57)}
		}
		_, span := tracer.Start(ctx, "SELECT orders", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
		time.Sleep(d)
		span.End()
	}

	// Each route is instrumented inside the mux, so the handler sees the
	// matched pattern (http.route) and names the span after it.
	instrument := func(h http.Handler) http.Handler {
		return otelhttp.NewHandler(h, "server", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Pattern }))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		query(ctx, "SELECT id, customer FROM orders WHERE id = $1", false, time.Millisecond)
		for i := 0; i < *items; i++ { // N+1
			query(ctx, fmt.Sprintf("SELECT * FROM items WHERE order_id = %s AND pos = %d", r.PathValue("id"), i), true, 300*time.Microsecond)
		}
		// A new client per call: every call dials (connect + DNS spans).
		client := &http.Client{Transport: otelhttp.NewTransport(&http.Transport{DisableKeepAlives: true},
			otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop),
			otelhttp.WithClientTrace(func(ctx context.Context) *httptrace.ClientTrace {
				return otelhttptrace.NewClientTrace(ctx, otelhttptrace.WithTracerProvider(tp))
			}))}
		req, _ := http.NewRequestWithContext(ctx, "GET", pricingURL, nil)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		fmt.Fprintln(w, "ok")
	})))
	mux.Handle("GET /health", instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, span := tracer.Start(r.Context(), "check", trace.WithAttributes(attribute.String("code.function.name", "main.health")))
		span.SetStatus(codes.Error, "degraded")
		span.End()
		w.WriteHeader(503)
	})))
	app := httptest.NewServer(mux)
	defer app.Close()

	for i := 0; i < *requests; i++ {
		path := fmt.Sprintf("/orders/%d", 100+i)
		if i%5 == 4 {
			path = "/health"
		}
		resp, err := http.Get(app.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := tp.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	omu.Lock()
	of.Close()
	omu.Unlock()
	if !*otlpOnly {
		zmu.Lock()
		data, _ := json.Marshal(zspans)
		zmu.Unlock()
		var pretty bytes.Buffer
		json.Indent(&pretty, data, "", " ")
		if err := os.WriteFile(filepath.Join(*out, "zipkin.json"), pretty.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("wrote %s (%d zipkin spans)", otlpPath, len(zspans))
}

func portOf(u string) string {
	_, port, _ := net.SplitHostPort(u[len("http://"):])
	return port
}
