package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	rtrace "runtime/trace"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

func funcPC(h handler) uintptr { return reflect.ValueOf(h).Pointer() }

func waitForSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
}

func writeProfile(dir, name string) error {
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("%s profile: %w", name, err)
	}
	return f.Close()
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:54354", "listen address")
	dsn := fs.String("dsn", "postgres://store@127.0.0.1:54351/store?sslmode=disable&application_name=gostore", "PostgreSQL DSN (lib/pq)")
	carrierURL := fs.String("carriers", "https://127.0.0.1:54352", "carriers' TLS API")
	carrierCA := fs.String("carriers-ca", "carriers-ca.pem", "PEM certificate of the carriers' API")
	otlp := fs.String("otlp", "127.0.0.1:54353", "OTLP/gRPC endpoint")
	out := fs.String("out", ".", "directory for profiles and the execution trace")
	payments := fs.Int("payments", 700_000, "rows in the payments table (the unindexed scan's cost)")
	window := fs.Duration("trace-window", 3*time.Second, "flight recorder window written at shutdown")
	fs.Parse(args)

	// Profiles: every blocking and mutex event from the start; CPU from the
	// first request on (after the migrations).
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	fr := rtrace.NewFlightRecorder(rtrace.FlightRecorderConfig{MinAge: *window, MaxBytes: 16 << 20})
	if err := fr.Start(); err != nil {
		return err
	}

	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(*otlp), otlptracegrpc.WithInsecure())
	if err != nil {
		return err
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName("gostore"), semconv.ServiceVersion("1.4.2"), semconv.DeploymentEnvironmentName("scenario")))
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithMaxExportBatchSize(1024), sdktrace.WithMaxQueueSize(1<<16)), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})

	db, err := openDB(*dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(10)
	if err := migrate(ctx, *dsn, *payments); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	pem, err := os.ReadFile(*carrierCA)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return errors.New("no certificate in " + *carrierCA)
	}
	s := &store{db: db, dsn: *dsn, carrierURL: *carrierURL, carrierCA: pool, vectors: embeddings(3000, 64)}
	s.shipping = &http.Client{Timeout: 10 * time.Second, Transport: otelhttp.NewTransport(
		&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 16}, otelhttp.WithClientTrace(eventTrace))}
	fctx, stopFlusher := context.WithCancel(ctx)
	defer stopFlusher()
	go s.journalFlusher(fctx)

	mux := http.NewServeMux()
	for _, rt := range routes {
		s.mount(mux, rt.pattern, rt.h)
	}
	cpuf, err := os.Create(filepath.Join(*out, "cpu.pprof"))
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(cpuf); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: otelhttp.NewHandler(mux, "gostore")}
	go srv.Serve(ln)
	fmt.Println("gostore ready on", *addr)
	waitForSignal()

	// What is alive now (the leaked transports' connection goroutines) first,
	// then the last seconds of the execution trace, then the profiles.
	if err := writeProfile(*out, "goroutine"); err != nil {
		return err
	}
	tf, err := os.Create(filepath.Join(*out, "exec.trace"))
	if err != nil {
		return err
	}
	if _, err := fr.WriteTo(tf); err != nil {
		return fmt.Errorf("flight recorder: %w", err)
	}
	tf.Close()
	fr.Stop()
	pprof.StopCPUProfile()
	cpuf.Close()
	for _, p := range []string{"block", "mutex"} {
		if err := writeProfile(*out, p); err != nil {
			return err
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	stopFlusher()
	time.Sleep(100 * time.Millisecond) // let a flush in progress end
	db.Close()
	if err := tp.Shutdown(sctx); err != nil {
		return err
	}
	fmt.Println("gostore stopped")
	return nil
}

// embeddings makes n deterministic product vectors of dim dimensions.
func embeddings(n, dim int) [][]float32 {
	rng := rand.New(rand.NewSource(42))
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		out[i] = v
	}
	return out
}
