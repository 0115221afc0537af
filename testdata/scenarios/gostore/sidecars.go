package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
)

// ------------------------------------------------------------------ carriers

// carriers serves the shipping carriers' API over TLS with a fresh
// self-signed ECDSA certificate (its PEM written to -ca for the client):
// GET /v1/quote after 4 ms, POST /v1/ledger after 3 ms. Connections are
// kept open as long as the client keeps them.
func carriers(args []string) error {
	fs := flag.NewFlagSet("carriers", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:54352", "listen address")
	caOut := fs.String("ca", "carriers-ca.pem", "where to write the certificate (PEM)")
	fs.Parse(args)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "carriers.local"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*caOut, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/quote", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(4 * time.Millisecond)
		var grams int
		fmt.Sscan(r.URL.Query().Get("grams"), &grams)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"carrier":%q,"price":%.2f,"days":%d}`, r.URL.Query().Get("carrier"), 3.5+float64(grams)/1000, 2+grams%3)
	})
	mux.HandleFunc("POST /v1/ledger", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(3 * time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	go srv.ServeTLS(ln, "", "")
	fmt.Println("carriers ready on", *addr)
	waitForSignal()
	return srv.Close()
}

// ----------------------------------------------------------------- collector

// traceFile is an OTLP/gRPC trace service that appends each export as one
// line of OTLP JSON, the layout of the Collector's file exporter.
type traceFile struct {
	ptraceotlp.UnimplementedGRPCServer
	mu    sync.Mutex
	f     *os.File
	spans int
}

func (t *traceFile) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(req.Traces())
	if err != nil {
		return ptraceotlp.NewExportResponse(), err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.spans += req.Traces().SpanCount()
	if _, err := t.f.Write(append(b, '\n')); err != nil {
		return ptraceotlp.NewExportResponse(), err
	}
	return ptraceotlp.NewExportResponse(), nil
}

func collector(args []string) error {
	fs := flag.NewFlagSet("collector", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:54353", "OTLP/gRPC listen address")
	out := fs.String("out", "traces.otlp.jsonl", "output file")
	fs.Parse(args)
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	tf := &traceFile{f: f}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	gs := grpc.NewServer()
	ptraceotlp.RegisterGRPCServer(gs, tf)
	go gs.Serve(ln)
	fmt.Println("collector ready on", *addr)
	waitForSignal()
	gs.GracefulStop()
	tf.mu.Lock()
	defer tf.mu.Unlock()
	fmt.Println("collector wrote", tf.spans, "spans")
	return f.Close()
}

// ---------------------------------------------------------------------- load

// plan is how many requests each route gets, and how its query varies;
// burst > 1 sends that many requests at once (a page firing its tracking
// calls together), which is when a lock held across I/O makes them queue.
var plan = []struct {
	route string
	n     int
	query func(i int) string
	burst int
}{
	{"/cart", 60, func(i int) string { return fmt.Sprintf("id=%d", i*7%nCarts) }, 1},
	{"/cart/joined", 60, func(i int) string { return fmt.Sprintf("id=%d", (i*7+3)%nCarts) }, 1},
	{"/reports/merchant", 48, func(i int) string { return fmt.Sprintf("ref=M-%05d-%d", i*13%400, i%7) }, 1},
	{"/reports/merchant/indexed", 48, func(i int) string { return fmt.Sprintf("id=%d", i*13%400) }, 1},
	{"/shipping", 50, func(i int) string { return fmt.Sprintf("grams=%d", 200+i*37) }, 1},
	{"/shipping/shared", 50, func(i int) string { return fmt.Sprintf("grams=%d", 200+i*37) }, 1},
	{"/stock", 60, func(i int) string { return "sku=" + sku(i*31%nProducts) }, 1},
	{"/stock/pooled", 60, func(i int) string { return "sku=" + sku(i*31%nProducts) }, 1},
	{"/prices", 80, func(i int) string { return fmt.Sprintf("page=%d", i%150) }, 1},
	{"/prices/cached", 80, func(i int) string { return fmt.Sprintf("page=%d", i%150) }, 1},
	{"/recommend", 40, func(i int) string { return fmt.Sprintf("cart=%d", i) }, 1},
	{"/recommend/light", 40, func(i int) string { return fmt.Sprintf("cart=%d", i) }, 1},
	{"/journal", 120, func(i int) string { return fmt.Sprintf("cart=%d", i%nCarts) }, 6},
	{"/journal/buffered", 120, func(i int) string { return fmt.Sprintf("cart=%d", i%nCarts) }, 6},
}

type routeStats struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	MeanMS   float64 `json:"mean_ms"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	MaxMS    float64 `json:"max_ms"`
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	base := fs.String("base", "http://127.0.0.1:54354", "API base URL")
	out := fs.String("out", "load-summary.json", "summary file")
	workers := fs.Int("c", 6, "concurrent clients")
	rate := fs.Float64("rate", 60, "requests per second offered (a job every 1/rate s; 0: as fast as the clients go)")
	fs.Parse(args)
	type job struct{ route, url string }
	var groups [][]job
	for _, p := range plan {
		b := max(1, p.burst)
		for i := 0; i < p.n; i += b {
			var g []job
			for k := i; k < min(p.n, i+b); k++ {
				g = append(g, job{p.route, *base + p.route + "?" + p.query(k)})
			}
			groups = append(groups, g)
		}
	}
	mrand.New(mrand.NewSource(2026)).Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	var jobs []job
	for _, g := range groups {
		jobs = append(jobs, g...)
	}

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *workers}}
	var mu sync.Mutex
	lat := map[string][]float64{}
	errs := map[string]int{}
	ch := make(chan job)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				t := time.Now()
				resp, err := client.Get(j.url)
				ok := err == nil
				if ok {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok = resp.StatusCode == http.StatusOK
				}
				ms := float64(time.Since(t).Microseconds()) / 1000
				mu.Lock()
				lat[j.route] = append(lat[j.route], ms)
				if !ok {
					errs[j.route]++
				}
				mu.Unlock()
			}
		}()
	}
	var tick <-chan time.Time
	if *rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / *rate))
		defer t.Stop()
		tick = t.C
	}
	for _, g := range groups {
		if tick != nil {
			<-tick // one tick per group: a burst's requests go out together
		}
		for _, j := range g {
			ch <- j
		}
	}
	close(ch)
	wg.Wait()
	wall := time.Since(start)
	stats := map[string]routeStats{}
	for _, p := range plan {
		xs := lat[p.route]
		sort.Float64s(xs)
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		stats[p.route] = routeStats{Requests: len(xs), Errors: errs[p.route], MeanMS: sum / float64(len(xs)),
			P50MS: xs[len(xs)/2], P95MS: xs[len(xs)*95/100], MaxMS: xs[len(xs)-1]}
		fmt.Printf("%-28s %4d req %3d err  mean %7.1f ms  p95 %7.1f ms\n", p.route, len(xs), errs[p.route], sum/float64(len(xs)), xs[len(xs)*95/100])
	}
	fmt.Printf("%d requests in %.1f s with %d clients\n", len(jobs), wall.Seconds(), *workers)
	b, _ := json.MarshalIndent(map[string]any{"started": start.UTC().Format(time.RFC3339Nano), "wall_s": wall.Seconds(),
		"clients": *workers, "rate": *rate, "requests": len(jobs), "routes": stats}, "", "  ")
	return os.WriteFile(*out, append(b, '\n'), 0o644)
}
