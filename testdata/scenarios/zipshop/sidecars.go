package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
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
)

// pricing is the pricing service (HTTPS with a fresh self-signed RSA-2048
// certificate, its PEM written to -cert; not traced): /price?book=N answers
// after 3 ms.
func pricing(args []string) error {
	fs := flag.NewFlagSet("pricing", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:54356", "listen address")
	certOut := fs.String("cert", "pricing.pem", "where to write the certificate (PEM)")
	fs.Parse(args)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "pricing.local"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*certOut, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /price", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Millisecond)
		var book int
		fmt.Sscan(r.URL.Query().Get("book"), &book)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"book":%d,"price_cents":%d,"currency":"EUR"}`, book, 500+book*37%4500)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	go srv.ServeTLS(ln, "", "")
	fmt.Println("pricing ready on", *addr)
	untilSignal()
	return srv.Close()
}

// zipkinCollector accepts Zipkin v2 span reports (POST /api/v2/spans, a JSON
// array, as zipkin-go's HTTP reporter sends them) and appends each report,
// unchanged, as one line.
func zipkinCollector(args []string) error {
	fs := flag.NewFlagSet("zipkin", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:54357", "listen address")
	out := fs.String("out", "zipkin-spans.jsonl", "output file")
	fs.Parse(args)
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	reports, spans := 0, 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/spans", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var list []json.RawMessage
		if err := json.Unmarshal(body, &list); err != nil {
			http.Error(w, "not a Zipkin v2 JSON list: "+err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		f.Write(body)
		f.Write([]byte("\n"))
		reports++
		spans += len(list)
		w.WriteHeader(http.StatusAccepted)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Println("zipkin collector ready on", *addr)
	untilSignal()
	srv.Shutdown(context.Background())
	mu.Lock()
	defer mu.Unlock()
	fmt.Println("zipkin collector wrote", spans, "spans in", reports, "reports")
	return f.Close()
}

// mix is the request mix: route, count, query string for the i-th request.
var mix = []struct {
	route string
	n     int
	q     func(i int) string
}{
	{"/books", 60, func(i int) string { return fmt.Sprintf("page=%d", i%40) }},
	{"/books/preloaded", 60, func(i int) string { return fmt.Sprintf("page=%d", i%40) }},
	{"/book", 120, func(i int) string { return fmt.Sprintf("id=%d", 1+i*97%5000) }},
	{"/book/cached", 120, func(i int) string { return fmt.Sprintf("id=%d", 1+i*97%5000) }},
	{"/stock", 80, func(i int) string { return fmt.Sprintf("book=%d", 1+i*13%5000) }},
	{"/stock/shared", 80, func(i int) string { return fmt.Sprintf("book=%d", 1+i*13%5000) }},
	{"/search", 30, func(i int) string { return "q=" + []string{"dragon", "harbor", "winter", "garden", "engine"}[i%5] }},
	{"/search/title", 30, func(i int) string { return fmt.Sprintf("q=Volume+%d+", 100+i*37) }},
	{"/price", 80, func(i int) string { return fmt.Sprintf("book=%d", 1+i*11%5000) }},
	{"/price/shared", 80, func(i int) string { return fmt.Sprintf("book=%d", 1+i*11%5000) }},
	{"/order", 40, func(i int) string { return fmt.Sprintf("book=%d", 1+i*7%5000) }},
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	base := fs.String("base", "http://127.0.0.1:54358", "API base URL")
	out := fs.String("out", "load-summary.json", "summary file")
	clients := fs.Int("c", 4, "concurrent clients")
	fs.Parse(args)
	var urls [][2]string
	for _, m := range mix {
		for i := 0; i < m.n; i++ {
			urls = append(urls, [2]string{m.route, *base + m.route + "?" + m.q(i)})
		}
	}
	mrand.New(mrand.NewSource(99)).Shuffle(len(urls), func(i, j int) { urls[i], urls[j] = urls[j], urls[i] })
	var next int
	var mu sync.Mutex
	took := map[string][]float64{}
	failed := map[string]int{}
	client := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	t0 := time.Now()
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next == len(urls) {
					mu.Unlock()
					return
				}
				u := urls[next]
				next++
				mu.Unlock()
				t := time.Now()
				resp, err := client.Get(u[1])
				bad := err != nil
				if !bad {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					bad = resp.StatusCode != http.StatusOK
				}
				ms := float64(time.Since(t).Microseconds()) / 1000
				mu.Lock()
				took[u[0]] = append(took[u[0]], ms)
				if bad {
					failed[u[0]]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0).Seconds()
	summary := map[string]any{}
	for _, m := range mix {
		xs := took[m.route]
		sort.Float64s(xs)
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		summary[m.route] = map[string]any{"requests": len(xs), "errors": failed[m.route], "mean_ms": sum / float64(len(xs)),
			"p95_ms": xs[len(xs)*95/100], "max_ms": xs[len(xs)-1]}
		fmt.Printf("%-16s %4d req %3d err  mean %7.1f ms\n", m.route, len(xs), failed[m.route], sum/float64(len(xs)))
	}
	fmt.Printf("%d requests in %.1f s, %d clients\n", len(urls), wall, *clients)
	b, _ := json.MarshalIndent(map[string]any{"started": t0.UTC().Format(time.RFC3339Nano), "wall_s": wall, "clients": *clients, "routes": summary}, "", " ")
	return os.WriteFile(*out, append(b, '\n'), 0o644)
}
