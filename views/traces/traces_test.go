package traces

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"hotpath/parse"
	ptrace "hotpath/parse/trace"
)

type spanSink struct {
	mu    sync.Mutex
	spans []*parse.Span
}

func (s *spanSink) Profile(*parse.Source, *profile.Profile)         {}
func (s *spanSink) Statement(*parse.Source, *parse.Statement)       {}
func (s *spanSink) Conn(*parse.Source, *parse.ConnEvent)            {}
func (s *spanSink) Stall(*parse.Source, *parse.Stall)               {}
func (s *spanSink) Goroutines(*parse.Source, []parse.GoroutineStat) {}
func (s *spanSink) Span(_ *parse.Source, sp *parse.Span) {
	s.mu.Lock()
	s.spans = append(s.spans, sp)
	s.mu.Unlock()
}

func load(t *testing.T, name string) []*parse.Span {
	t.Helper()
	sink := &spanSink{}
	in := parse.Expand([]string{filepath.Join("..", "..", "testdata", "trace", name)}, nil)[0]
	if err := parse.Load(context.Background(), in, ptrace.Formats(), sink, parse.Options{}); err != nil {
		t.Fatal(err)
	}
	return sink.spans
}

func TestRequestsFromOTLP(t *testing.T) {
	ts := Group(load(t, "otlp.jsonl"))
	if len(ts) != 12 {
		t.Fatalf("%d traces", len(ts))
	}
	reqs := AllRequests(ts)
	if len(reqs) != 12 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, tr := range ts {
		if tr.MissingParents != 0 || tr.Cycles != 0 {
			t.Errorf("trace %s: missing %d cycles %d", tr.ID, tr.MissingParents, tr.Cycles)
		}
	}
	routes := Routes(reqs)
	var orders *RouteStat
	for i := range routes {
		if routes[i].Route == "/orders/{id}" {
			orders = &routes[i]
		}
	}
	if orders == nil || orders.Count != 10 || orders.StmtsPerReq != 7 || orders.Outbound != 10 || orders.ConnSetups != 10 {
		t.Fatalf("orders route: %+v", orders)
	}
	if orders.P50 <= 0 || orders.P95 < orders.P50 || orders.Max < orders.P95 {
		t.Errorf("percentiles: %+v", orders)
	}
	SortRequests(reqs, ByStatements)
	if reqs[0].DBCount != 7 || reqs[0].DBTime <= 0 {
		t.Errorf("top by statements: %+v", reqs[0])
	}
	SortRequests(reqs, ByDuration)
	for i := 1; i < len(reqs); i++ {
		if reqs[i].Duration > reqs[i-1].Duration {
			t.Fatal("not sorted by duration")
		}
	}
	if got := FilterRoute(reqs, "ORDERS"); len(got) != 10 {
		t.Errorf("filter: %d", len(got))
	}
	// The waterfall of an /orders request: server span at depth 0, its DB
	// spans and the outbound call below, offsets inside the request.
	var r *Request
	for _, x := range reqs {
		if x.Route == "/orders/{id}" {
			r = x
			break
		}
	}
	rows := Waterfall(r.Node, nil)
	if rows[0].Depth != 0 || len(rows) != r.Spans {
		t.Fatalf("rows %d spans %d", len(rows), r.Spans)
	}
	for _, row := range rows {
		if row.Offset < 0 || row.Offset > r.Duration {
			t.Errorf("row %s offset %v outside request %v", row.Node.Span.Name, row.Offset, r.Duration)
		}
	}
	collapsed := Waterfall(r.Node, map[*Node]bool{r.Node: true})
	if len(collapsed) != 1 || !collapsed[0].Collapsed {
		t.Errorf("collapsed: %d rows", len(collapsed))
	}
	s := SummarizeTraces(ts, 3)
	b, _ := json.Marshal(s)
	var m map[string]any
	json.Unmarshal(b, &m)
	if m["traces"].(float64) != 12 || m["spans"].(float64) != 154 || len(s.Slowest) != 3 {
		t.Errorf("summary: %s", b)
	}
}

func TestChromeRequests(t *testing.T) {
	reqs := AllRequests(Group(load(t, "chrome.json")))
	n := 0
	for _, r := range reqs {
		if r.Route == "/orders/{id}" {
			n++
			if r.DBCount != 7 {
				t.Errorf("chrome request statements %d", r.DBCount)
			}
		}
	}
	if n != 5 {
		t.Errorf("%d chrome requests for /orders/{id} of %d", n, len(reqs))
	}
}

func span(id, parent string, start int) *parse.Span {
	return &parse.Span{TraceID: "t", SpanID: id, ParentID: parent, Name: id, Start: time.Unix(0, int64(start)), Duration: 10}
}

func TestMissingParentsAndCycles(t *testing.T) {
	spans := []*parse.Span{
		span("a", "", 0), span("b", "a", 1), span("c", "zz", 2), // c's parent is missing
		span("x", "y", 5), span("y", "z", 6), span("z", "x", 7), // a loop
		span("s", "s", 8), // its own parent
		span("b", "a", 3), // duplicate id
	}
	roots, missing, cycles := BuildTree(spans)
	if missing != 1 || cycles != 2 {
		t.Errorf("missing %d cycles %d", missing, cycles)
	}
	seen := 0
	for _, r := range roots {
		Walk(r, func(*Node) bool { seen++; return true })
	}
	if seen != len(spans) {
		t.Errorf("walked %d of %d spans", seen, len(spans))
	}
	if len(roots) != 4 {
		t.Errorf("%d roots", len(roots))
	}
}

func TestDeepChain(t *testing.T) {
	const n = 200000
	spans := make([]*parse.Span, n)
	for i := range spans {
		p := ""
		if i > 0 {
			p = fmt.Sprint(i - 1)
		}
		spans[i] = span(fmt.Sprint(i), p, i)
	}
	ts := Group(spans)
	if len(ts) != 1 || len(ts[0].Roots) != 1 || ts[0].Roots[0].Descendants != n {
		t.Fatalf("deep chain not built")
	}
	rows := Waterfall(ts[0].Roots[0], nil)
	if len(rows) != n || rows[n-1].Depth != n-1 {
		t.Fatalf("rows %d", len(rows))
	}
}

func TestEmpty(t *testing.T) {
	s := Summarize(nil, 5)
	b, _ := json.Marshal(s)
	if string(b) != `{"traces":0,"spans":0,"requests":0,"missing_parents":0,"cycles":0,"routes":[],"slowest":[]}` {
		t.Errorf("%s", b)
	}
}

// FuzzBuildTree: any parent links (missing, self, cycles, duplicates)
// yield trees that cover every span exactly once.
func FuzzBuildTree(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 0, 3, 9, 4, 4})
	f.Add([]byte{1, 2, 2, 3, 3, 1})
	f.Fuzz(func(t *testing.T, links []byte) {
		var spans []*parse.Span
		for i := 0; i+1 < len(links) && len(spans) < 500; i += 2 {
			p := ""
			if links[i+1] != 0 {
				p = fmt.Sprint(links[i+1] % 64)
			}
			spans = append(spans, span(fmt.Sprint(links[i]%64), p, int(links[i])))
		}
		roots, _, _ := BuildTree(spans)
		seen := map[*parse.Span]int{}
		for _, r := range roots {
			Walk(r, func(n *Node) bool { seen[n.Span]++; return true })
		}
		if len(seen) != len(spans) {
			t.Fatalf("covered %d of %d spans", len(seen), len(spans))
		}
		for sp, n := range seen {
			if n != 1 {
				t.Fatalf("span %s visited %d times", sp.SpanID, n)
			}
		}
		SummarizeTraces(Group(spans), 3)
	})
}
