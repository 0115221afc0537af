package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	zipkin "github.com/openzipkin/zipkin-go"
	zipkinhttp "github.com/openzipkin/zipkin-go/middleware/http"
	zipkinreporter "github.com/openzipkin/zipkin-go/reporter/http"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// migrateAndSeed runs GORM's AutoMigrate and loads the catalogue when it is
// empty: authors with CreateInBatches, books and stock with INSERT … SELECT.
func migrateAndSeed(db *gorm.DB, books int) error {
	if err := db.AutoMigrate(&Author{}, &Book{}, &Flag{}, &Inventory{}, &Order{}); err != nil {
		return err
	}
	var n int64
	if err := db.Model(&Author{}).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	countries := []string{"NL", "PL", "PT", "JP", "CA", "KE"}
	authors := make([]Author, 500)
	for i := range authors {
		authors[i] = Author{Name: fmt.Sprintf("Author %03d", i+1), Country: countries[i%len(countries)]}
	}
	if err := db.CreateInBatches(authors, 100).Error; err != nil {
		return err
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`insert into books (title, isbn, author_id, blurb, price_cents)
		 select 'Volume ' || g || ' of the ' || (array['dragon','harbor','winter','garden','engine'])[1 + g % 5],
		        '978-' || lpad(g::text, 9, '0'), 1 + (g * 7) % 500,
		        (array['a dragon','the harbor','in winter','her garden','an engine'])[1 + (g / 5) % 5] || ' ' || repeat(md5(g::text), 5),
		        500 + (g * 37) % 4500
		 from generate_series(1, ?) g`, []any{books}},
		{`insert into inventories (book_id, warehouse, qty) select id, (array['lis','rtm','yyz'])[1 + id % 3], id % 40 from books`, nil},
		{`insert into flags (key, enabled, payload) values ('reviews.enabled', true, '{"min_stars":2}'), ('search.v2', false, '{}'), ('gift.wrap', true, '{"fee_cents":250}')`, nil},
		{`create extension if not exists pg_trgm`, nil},
		{`create index if not exists books_title_trgm on books using gin (title gin_trgm_ops)`, nil},
		{`analyze authors, books, flags, inventories`, nil},
	} {
		if err := db.Exec(q.sql, q.args...).Error; err != nil {
			return fmt.Errorf("%.40s…: %w", q.sql, err)
		}
	}
	return nil
}

func api(args []string) error {
	fs := flag.NewFlagSet("api", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:54358", "listen address")
	pprofAddr := fs.String("pprof", "127.0.0.1:54359", "net/http/pprof listen address")
	dsn := fs.String("dsn", "host=127.0.0.1 port=54355 user=books dbname=books sslmode=disable application_name=zipshop", "PostgreSQL DSN (pgx)")
	pricingURL := fs.String("pricing", "https://127.0.0.1:54356", "pricing service")
	pricingCert := fs.String("pricing-cert", "pricing.pem", "the pricing service's certificate (PEM)")
	zipkinURL := fs.String("zipkin", "http://127.0.0.1:54357/api/v2/spans", "Zipkin v2 span endpoint")
	books := fs.Int("books", 30_000, "books to seed")
	fs.Parse(args)

	reporter := zipkinreporter.NewReporter(*zipkinURL, zipkinreporter.BatchSize(200), zipkinreporter.BatchInterval(500*time.Millisecond))
	endpoint, err := zipkin.NewEndpoint("zipshop", *addr)
	if err != nil {
		return err
	}
	tracer, err := zipkin.NewTracer(reporter, zipkin.WithLocalEndpoint(endpoint))
	if err != nil {
		return err
	}
	db, err := gorm.Open(postgres.Open(*dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	pemBytes, err := os.ReadFile(*pricingCert)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		return fmt.Errorf("no certificate in %s", *pricingCert)
	}
	tlsConf := &tls.Config{RootCAs: roots}
	pricingRT, err := zipkinhttp.NewTransport(tracer, zipkinhttp.RoundTripper(&http.Transport{TLSClientConfig: tlsConf, MaxIdleConnsPerHost: 8}), zipkinhttp.TransportTrace(true))
	if err != nil {
		return err
	}
	s := &shop{db: db, dsn: *dsn, tracer: tracer, pricingURL: *pricingURL, pricingTLS: tlsConf, pricing: &http.Client{Transport: pricingRT, Timeout: 5 * time.Second}}
	s.instrument(db)
	if err := migrateAndSeed(db, *books); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	mux := http.NewServeMux()
	for _, rt := range routes {
		h := rt.h
		mw := zipkinhttp.NewServerMiddleware(tracer, zipkinhttp.SpanName("get "+rt.path),
			zipkinhttp.ServerTags(map[string]string{"http.route": rt.path}), zipkinhttp.TagResponseSize(true))
		mux.Handle("GET "+rt.path, mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })))
	}
	pm := http.NewServeMux()
	pm.HandleFunc("/debug/pprof/", pprof.Index)
	pm.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go http.ListenAndServe(*pprofAddr, pm)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Println("zipshop ready on", *addr)
	untilSignal()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	sqlDB.Close()
	return reporter.Close() // flushes the spans still queued
}
