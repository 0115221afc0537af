// Command zipkingen writes Zipkin v2 JSON the way zipkin-go's model encodes
// it: spans of two traces of a small "orders" service (a server span, a
// client span per SQL statement of an N+1 loop) made with zipkin-go's own
// tracer, reported to a reporter that keeps them. It writes
//
//	zipkin-span.json    one span object, as zipkin-go's model marshals a
//	                    span (what a reporter logs, or a tool that saves a
//	                    single span);
//	zipkin-traces.json  the spans as a list of traces, each a list of
//	                    spans: the shape of the Zipkin API's
//	                    GET /api/v2/traces answer (grouped here by trace id).
//
// Usage: cd testdata/trace/zipkingen && go run . -out ..
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	zipkin "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
)

// keep is a zipkin-go reporter that keeps the finished spans.
type keep struct {
	mu    sync.Mutex
	spans []model.SpanModel
}

func (k *keep) Send(s model.SpanModel) { k.mu.Lock(); k.spans = append(k.spans, s); k.mu.Unlock() }
func (k *keep) Close() error           { return nil }

func main() {
	out := flag.String("out", ".", "directory to write into")
	flag.Parse()
	rep := &keep{}
	ep, err := zipkin.NewEndpoint("orders", "127.0.0.1:8080")
	if err != nil {
		log.Fatal(err)
	}
	tr, err := zipkin.NewTracer(rep, zipkin.WithLocalEndpoint(ep), zipkin.WithSampler(zipkin.AlwaysSample))
	if err != nil {
		log.Fatal(err)
	}
	db := &model.Endpoint{ServiceName: "postgresql", IPv4: []byte{127, 0, 0, 1}, Port: 5432}
	for req := 0; req < 2; req++ {
		srv := tr.StartSpan("get /orders", zipkin.Kind(model.Server))
		srv.Tag("http.method", "GET")
		srv.Tag("http.path", "/orders")
		for i := 1; i <= 5; i++ {
			q := tr.StartSpan("select", zipkin.Kind(model.Client), zipkin.Parent(srv.Context()), zipkin.RemoteEndpoint(db))
			q.Tag("sql.query", "SELECT name FROM customers WHERE id = $1")
			q.Tag("sql.param", strconv.Itoa(i))
			time.Sleep(2 * time.Millisecond)
			q.Finish()
		}
		srv.Tag("http.status_code", "200")
		srv.Finish()
	}
	// The first server span, alone.
	for _, s := range rep.spans {
		if s.Kind == model.Server {
			b, err := json.Marshal(s)
			if err != nil {
				log.Fatal(err)
			}
			write(filepath.Join(*out, "zipkin-span.json"), append(b, '\n'))
			break
		}
	}
	var order []model.TraceID
	byTrace := map[model.TraceID][]model.SpanModel{}
	for _, s := range rep.spans {
		if _, ok := byTrace[s.TraceID]; !ok {
			order = append(order, s.TraceID)
		}
		byTrace[s.TraceID] = append(byTrace[s.TraceID], s)
	}
	traces := make([][]model.SpanModel, 0, len(order))
	for _, id := range order {
		traces = append(traces, byTrace[id])
	}
	b, err := json.Marshal(traces)
	if err != nil {
		log.Fatal(err)
	}
	write(filepath.Join(*out, "zipkin-traces.json"), append(b, '\n'))
}

func write(path string, b []byte) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s (%d bytes)", path, len(b))
}
