// Command goserve serves the toy shop of ../app.py from Go and writes one
// access log per middleware, all for the same requests: chi's
// middleware.Logger without and with middleware.RequestID, gorilla/handlers'
// CombinedLoggingHandler and LoggingHandler (common), and a log/slog
// middleware in JSON and in logfmt (TextHandler), the zap/logrus style.
//
//	goserve -addr 127.0.0.1:54379 -out DIR
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/gorilla/handlers"
)

type route struct {
	method string
	rx     *regexp.Regexp
	status int
	delay  time.Duration
}

// routes mirror app.py's ROUTES.
var routes = []route{
	{"GET", regexp.MustCompile(`^/orders$`), 200, 0},
	{"POST", regexp.MustCompile(`^/orders$`), 201, 0},
	{"GET", regexp.MustCompile(`^/orders/[0-9]+$`), 200, 0},
	{"GET", regexp.MustCompile(`^/users/[0-9a-f-]{36}/profile$`), 200, 0},
	{"GET", regexp.MustCompile(`^/files/[0-9a-f]{40}$`), 200, 0},
	{"GET", regexp.MustCompile(`^/items/[a-z0-9_-]+$`), 200, 0},
	{"GET", regexp.MustCompile(`^/search$`), 200, 0},
	{"GET", regexp.MustCompile(`^/slow/[0-9]+$`), 200, 350 * time.Millisecond},
	{"GET", regexp.MustCompile(`^/error$`), 500, 0},
}

func shop(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	status, body := http.StatusNotFound, `{"error": "not found"}`+"\n"
	for _, rt := range routes {
		if rt.method == r.Method && rt.rx.MatchString(r.URL.Path) {
			time.Sleep(rt.delay)
			status, body = rt.status, fmt.Sprintf(`{"path": %q}`+"\n", r.URL.Path)
			break
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// statusWriter remembers the status and size a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status, size int
}

func (s *statusWriter) WriteHeader(c int) { s.status = c; s.ResponseWriter.WriteHeader(c) }
func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = 200
	}
	n, err := s.ResponseWriter.Write(b)
	s.size += n
	return n, err
}

// slogAccess logs one record per request the way zap/logrus request
// loggers do: method, path, status, duration, request id.
func slogAccess(l *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		l.Info("request", "method", r.Method, "path", r.URL.RequestURI(), "status", sw.status,
			"duration", time.Since(start), "bytes", sw.size, "request_id", r.Header.Get("X-Request-ID"),
			"remote_addr", r.RemoteAddr)
	})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:54379", "listen address")
	out := flag.String("out", ".", "folder for the access logs")
	flag.Parse()
	open := func(name string) *os.File {
		f, err := os.Create(filepath.Join(*out, name))
		if err != nil {
			log.Fatal(err)
		}
		return f
	}
	var h http.Handler = http.HandlerFunc(shop)
	h = slogAccess(slog.New(slog.NewTextHandler(open("go-slog.logfmt"), nil)), h)
	h = slogAccess(slog.New(slog.NewJSONHandler(open("go-slog.jsonl"), nil)), h)
	h = handlers.LoggingHandler(open("gorilla-common.log"), h)
	h = handlers.CombinedLoggingHandler(open("gorilla-combined.log"), h)
	h = middleware.RequestLogger(&middleware.DefaultLogFormatter{
		Logger: log.New(open("chi-reqid.log"), "", log.LstdFlags|log.Lmicroseconds), NoColor: true})(h)
	h = middleware.RequestID(h)
	h = middleware.RequestLogger(&middleware.DefaultLogFormatter{
		Logger: log.New(open("chi.log"), "", log.LstdFlags), NoColor: true})(h)
	log.Fatal(http.ListenAndServe(*addr, h))
}
