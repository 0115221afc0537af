package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"hotpath/parse"
)

func testdata(name string) string { return filepath.Join("..", "..", "testdata", "trace", name) }

func loadFile(t testing.TB, path string) (*collect, *parse.Source) {
	t.Helper()
	sink := &collect{}
	in := parse.Expand([]string{path}, nil)[0]
	if err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{}); err != nil {
		t.Fatal(err)
	}
	return sink, in.Src
}

func loadBytes(name string, data []byte, opt parse.Options) (*collect, *parse.Source, error) {
	sink := &collect{}
	in := parse.NewInput(name, int64(len(data)), func() (ioReadCloser, error) { return nopCloser(data), nil })
	err := parse.Load(context.Background(), in, Formats(), sink, opt)
	return sink, in.Src, err
}

func spanIndex(spans []*parse.Span) map[string]*parse.Span {
	m := map[string]*parse.Span{}
	for _, sp := range spans {
		m[sp.SpanID] = sp
	}
	return m
}

// checkOTelService checks what the otelgen service's spans must show,
// whichever exporter carried them.
func checkOTelService(t *testing.T, spans []*parse.Span) {
	t.Helper()
	cats := map[parse.SpanCategory]int{}
	var oldNames, newNames, routes, reusedFalse int
	for _, sp := range spans {
		cats[sp.Category]++
		if sp.TraceID == "" || len(sp.TraceID) != 32 || len(sp.SpanID) != 16 {
			t.Fatalf("bad ids: %q %q", sp.TraceID, sp.SpanID)
		}
		if sp.Category == parse.CatDB {
			if sp.DBStatement == "" || sp.DBSystem != "postgresql" || sp.ServerAddr != "db.internal" || sp.CodeFile != "/app/orders.go" {
				t.Errorf("db span not normalised: %+v", sp)
			}
			if _, ok := sp.Attrs["db.statement"]; ok {
				oldNames++
				if sp.CodeFunc != "main.loadItems" || sp.CodeLine != 88 {
					t.Errorf("old code.* names: %q %d", sp.CodeFunc, sp.CodeLine)
				}
			} else {
				newNames++
				if sp.CodeFunc != "main.loadOrder" || sp.CodeLine != 57 || sp.DBOperation != "SELECT" {
					t.Errorf("new code.* names: %q %d %q", sp.CodeFunc, sp.CodeLine, sp.DBOperation)
				}
			}
		}
		if sp.Category == parse.CatHTTPServer && sp.HTTPRoute != "" {
			routes++
			if sp.HTTPMethod != "GET" || sp.HTTPStatus == 0 {
				t.Errorf("server span: method %q status %d", sp.HTTPMethod, sp.HTTPStatus)
			}
		}
		if sp.ConnReused != nil && !*sp.ConnReused {
			reusedFalse++
		}
		if sp.Service != "orders" {
			t.Errorf("service %q", sp.Service)
		}
	}
	if oldNames != 60 || newNames != 10 {
		t.Errorf("db spans: %d with old names, %d with new", oldNames, newNames)
	}
	if routes != 12 {
		t.Errorf("server spans with a route: %d", routes)
	}
	if cats[parse.CatConnect] != 20 || cats[parse.CatDNS] != 10 || cats[parse.CatHTTPClient] != 10 {
		t.Errorf("categories: %v", cats)
	}
	if reusedFalse != 10 {
		t.Errorf("conn.reused=false on %d spans", reusedFalse)
	}
	// Children of the N+1 request all find their parent.
	idx := spanIndex(spans)
	for _, sp := range spans {
		if sp.Category == parse.CatDB {
			p := idx[sp.ParentID]
			if p == nil || p.Category != parse.CatHTTPServer || p.HTTPRoute != "/orders/{id}" {
				t.Errorf("db span parent: %+v", p)
			}
		}
	}
}

func TestOTLPJSONLines(t *testing.T) {
	sink, src := loadFile(t, testdata("otlp.jsonl"))
	if src.Format() != "otlp-json" {
		t.Fatalf("format %q", src.Format())
	}
	if len(sink.spans) != 154 {
		t.Fatalf("%d spans", len(sink.spans))
	}
	checkOTelService(t, sink.spans)
	for _, sp := range sink.spans {
		if sp.Name == "check" && sp.Status != "error" {
			t.Errorf("status %q", sp.Status)
		}
	}
}

func TestOTLPSingleDocument(t *testing.T) {
	data, err := os.ReadFile(testdata("otlp.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// One pretty-printed document: the first line is not complete JSON.
	first := bytes.SplitN(data, []byte("\n"), 2)[0]
	var pretty bytes.Buffer
	if err := jsonIndent(&pretty, first); err != nil {
		t.Fatal(err)
	}
	sink, src, err := loadBytes("doc.json", pretty.Bytes(), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lines, _, _ := loadBytes("line.json", first, parse.Options{})
	if src.Format() != "otlp-json" || len(sink.spans) == 0 || len(sink.spans) != len(lines.spans) {
		t.Fatalf("format %q, %d spans vs %d", src.Format(), len(sink.spans), len(lines.spans))
	}
}

func TestZipkinJSON(t *testing.T) {
	sink, src := loadFile(t, testdata("zipkin.json"))
	if src.Format() != "zipkin-json" {
		t.Fatalf("format %q", src.Format())
	}
	if len(sink.spans) != 154 {
		t.Fatalf("%d spans", len(sink.spans))
	}
	checkOTelService(t, sink.spans)
	// Same spans as the OTLP export of the same run: ids, parents, names.
	otlp, _ := loadFile(t, testdata("otlp.jsonl"))
	oi := spanIndex(otlp.spans)
	for _, z := range sink.spans {
		o := oi[z.SpanID]
		if o == nil {
			t.Fatalf("zipkin span %s not in otlp", z.SpanID)
		}
		if o.ParentID != z.ParentID || o.TraceID != z.TraceID || o.Category != z.Category || o.DBStatement != z.DBStatement {
			t.Errorf("span %s differs:\n otlp   %+v\n zipkin %+v", z.SpanID, o, z)
		}
		if d := o.Start.Sub(z.Start); d > 1000 || d < -1000 {
			t.Errorf("start differs by %v", d)
		}
	}
}

func TestJaegerJSON(t *testing.T) {
	// Recorded from a real Jaeger all-in-one (v1.76) fed by otelgen over
	// OTLP; see testdata/trace/README.md.
	sink, src := loadFile(t, testdata("jaeger.json"))
	if src.Format() != "jaeger-json" {
		t.Fatalf("format %q", src.Format())
	}
	if len(sink.spans) != 62 {
		t.Errorf("%d spans", len(sink.spans))
	}
	idx := spanIndex(sink.spans)
	cats := map[parse.SpanCategory]int{}
	for _, sp := range sink.spans {
		cats[sp.Category]++
		if sp.Service != "orders" || len(sp.TraceID) != 32 {
			t.Errorf("span %s: service %q trace %q", sp.Name, sp.Service, sp.TraceID)
		}
		switch sp.Category {
		case parse.CatDB:
			if p := idx[sp.ParentID]; p == nil || p.Kind != "server" || p.HTTPRoute != "/orders/{id}" {
				t.Errorf("db span without its server parent: %+v", sp)
			}
			if sp.DBStatement == "" || sp.DBSystem != "postgresql" {
				t.Errorf("db span: %+v", sp)
			}
		case parse.CatHTTPServer:
			if sp.HTTPRoute != "" && sp.HTTPStatus == 0 {
				t.Errorf("server span: %+v", sp)
			}
		}
		if sp.Name == "GET /health" && sp.Status != "error" {
			t.Errorf("/health status %q", sp.Status)
		}
	}
	if cats[parse.CatDB] != 28 || cats[parse.CatConnect] != 8 || cats[parse.CatDNS] != 4 {
		t.Errorf("categories %v", cats)
	}
}

func TestChromeTrace(t *testing.T) {
	sink, src := loadFile(t, testdata("chrome.json"))
	if src.Format() != "chrome-trace" {
		t.Fatalf("format %q", src.Format())
	}
	idx := spanIndex(sink.spans)
	names := map[string]int{}
	for _, sp := range sink.spans {
		names[sp.Name]++
		if sp.ParentID != "" {
			p := idx[sp.ParentID]
			if p == nil || p.TraceID != sp.TraceID || sp.Start.Before(p.Start) || sp.Start.Add(sp.Duration).After(p.Start.Add(p.Duration)) {
				t.Errorf("span %s not inside its parent", sp.Name)
			}
		}
		if sp.Service == "" || sp.Thread == "" {
			t.Errorf("span %s: service %q thread %q", sp.Name, sp.Service, sp.Thread)
		}
	}
	// One span per complete (X) event and per B/E pair, counted by
	// encoding/json.
	raw, err := os.ReadFile(testdata("chrome.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceEvents []struct {
			Ph string `json:"ph"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ph := map[string]int{}
	for _, e := range doc.TraceEvents {
		ph[e.Ph]++
	}
	if want := ph["X"] + ph["B"]; len(sink.spans) != want || ph["B"] != ph["E"] || want == 0 {
		t.Errorf("%d spans (%v), want %d: %d X events and %d B/E pairs (%d E)", len(sink.spans), names, want, ph["X"], ph["B"], ph["E"])
	}
}

func TestNormalizeNames(t *testing.T) {
	sp := &parse.Span{Name: "query", Kind: "client", Attrs: map[string]string{
		"db.system": "mysql", "db.statement": "select 1", "http.url": "x", "code.lineno": "12", "code.filepath": "a.py", "code.function": "f"}}
	Normalize(sp)
	if sp.DBSystem != "mysql" || sp.DBStatement != "select 1" || sp.CodeLine != 12 || sp.CodeFile != "a.py" || sp.CodeFunc != "f" || sp.Category != parse.CatDB {
		t.Errorf("%+v", sp)
	}
	for name, want := range map[string]parse.SpanCategory{"http.connect": parse.CatConnect, "http.dns": parse.CatDNS, "http.tls": parse.CatTLS,
		"acquire lock": parse.CatLock, "file.read": parse.CatFileIO, "compute": parse.CatInternal} {
		sp := &parse.Span{Name: name, Attrs: map[string]string{}}
		Normalize(sp)
		if sp.Category != want {
			t.Errorf("%s: %s, want %s", name, sp.Category, want)
		}
	}
	sp = &parse.Span{Name: "GET", Kind: "client", Attrs: map[string]string{"http.request.method": "GET", "url.full": "http://x/y", "http.response.status_code": "502"}}
	Normalize(sp)
	if sp.Category != parse.CatHTTPClient || sp.HTTPStatus != 502 || sp.HTTPURL != "http://x/y" {
		t.Errorf("%+v", sp)
	}
}
