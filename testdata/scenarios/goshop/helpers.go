package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// ---------------------------------------------------------------- upstream

// upstream serves /rate?cur=X over TLS (httptest's self-signed certificate)
// after 5 ms, like a remote exchange-rate API.
func upstream(args []string) error {
	fs := flag.NewFlagSet("upstream", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:54351", "listen address")
	fs.Parse(args)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	rates := map[string]float64{"EUR": 1.08, "GBP": 1.27, "JPY": 0.0067}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		cur := r.URL.Query().Get("cur")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"cur":%q,"rate":%g}`, cur, rates[cur])
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.StartTLS()
	fmt.Println("upstream ready", srv.URL)
	waitSignal()
	srv.Close()
	return nil
}

func waitSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
}

// ---------------------------------------------------------------- receiver

// receiver accepts OTLP/HTTP protobuf exports on /v1/traces and writes each
// as one line of OTLP JSON (as the Collector's file exporter does).
func receiver(args []string) error {
	fs := flag.NewFlagSet("receiver", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:54352", "listen address")
	out := fs.String("out", "spans.otlp.jsonl", "output file")
	fs.Parse(args)
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	spans := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		js, err := (&ptrace.JSONMarshaler{}).MarshalTraces(req.Traces())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		mu.Lock()
		f.Write(js)
		f.Write([]byte("\n"))
		spans += req.Traces().SpanCount()
		mu.Unlock()
		resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(resp)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Println("receiver ready", *addr)
	waitSignal()
	srv.Shutdown(context.Background())
	mu.Lock()
	defer mu.Unlock()
	fmt.Println("receiver wrote", spans, "spans")
	return f.Close()
}

// -------------------------------------------------------------------- load

// Counts is how many times the load driver hits each endpoint.
var Counts = []struct {
	Route string
	N     int
}{
	{"/orders", 80}, {"/orders/join", 80},
	{"/rates", 80}, {"/rates/shared", 80},
	{"/stock", 80}, {"/stock/pooled", 80},
	{"/audit", 240}, {"/audit/buffered", 240},
	{"/search", 60}, {"/search/indexed", 60},
	{"/quote", 60}, {"/quote/light", 60},
}

type endpointStats struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	MeanMS   float64 `json:"mean_ms"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	MaxMS    float64 `json:"max_ms"`
	TotalMS  float64 `json:"total_ms"`
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	base := fs.String("base", "http://127.0.0.1:54353", "service URL")
	out := fs.String("out", "load-summary.json", "summary file")
	conc := fs.Int("c", 8, "concurrent clients")
	fs.Parse(args)

	type req struct{ route, url string }
	var plan []req
	for _, c := range Counts {
		for i := 0; i < c.N; i++ {
			q := ""
			switch {
			case strings.HasPrefix(c.Route, "/orders"):
				q = fmt.Sprintf("?page=%d", i%50)
			case strings.HasPrefix(c.Route, "/stock"):
				q = fmt.Sprintf("?sku=SKU-%04d", 1+(i*7)%300)
			case strings.HasPrefix(c.Route, "/search"):
				q = fmt.Sprintf("?ref=REF-%06d", 1+(i*7919)%200000)
			case strings.HasPrefix(c.Route, "/audit"):
				q = fmt.Sprintf("?user=%d", 1+i%50)
			}
			plan = append(plan, req{c.Route, *base + c.Route + q})
		}
	}
	rand.New(rand.NewSource(7)).Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc}, Timeout: 30 * time.Second}
	lat := map[string][]float64{}
	errs := map[string]int{}
	var mu sync.Mutex
	work := make(chan req)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				s := time.Now()
				resp, err := client.Get(r.url)
				bad := err != nil
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					bad = resp.StatusCode != 200
				}
				d := float64(time.Since(s).Microseconds()) / 1000
				mu.Lock()
				lat[r.route] = append(lat[r.route], d)
				if bad {
					errs[r.route]++
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range plan {
		work <- r
	}
	close(work)
	wg.Wait()
	wall := time.Since(t0)

	summary := map[string]any{"started_unix": float64(t0.UnixMilli()) / 1000, "wall_seconds": wall.Seconds(),
		"concurrency": *conc, "requests": len(plan)}
	eps := map[string]endpointStats{}
	var txt bytes.Buffer
	fmt.Fprintf(&txt, "%-17s %5s %4s %9s %9s %9s\n", "route", "n", "err", "mean_ms", "p95_ms", "total_ms")
	for _, c := range Counts {
		xs := lat[c.Route]
		sort.Float64s(xs)
		tot := 0.0
		for _, x := range xs {
			tot += x
		}
		st := endpointStats{Requests: len(xs), Errors: errs[c.Route], MeanMS: round2(tot / float64(len(xs))),
			P50MS: xs[len(xs)/2], P95MS: xs[min(len(xs)-1, len(xs)*95/100)], MaxMS: xs[len(xs)-1], TotalMS: round2(tot)}
		eps[c.Route] = st
		fmt.Fprintf(&txt, "%-17s %5d %4d %9.1f %9.1f %9.0f\n", c.Route, st.Requests, st.Errors, st.MeanMS, st.P95MS, st.TotalMS)
	}
	fmt.Fprintf(&txt, "wall %.1fs\n", wall.Seconds())
	summary["endpoints"] = eps
	b, _ := json.MarshalIndent(summary, "", " ")
	os.Stdout.Write(txt.Bytes())
	if err := os.WriteFile(strings.TrimSuffix(*out, ".json")+".txt", txt.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(*out, append(b, '\n'), 0o644)
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

var insecureTLS = &tls.Config{InsecureSkipVerify: true} // the upstream's httptest certificate
