package traces

import (
	"time"

	"hotpath/parse"
)

// Summary is the `traces` section of the JSON report. "traces" and
// "spans" are fixed by the JSON report's schema (README.md); the rest are additions.
type Summary struct {
	Traces         int          `json:"traces"`
	Spans          int          `json:"spans"`
	Requests       int          `json:"requests"`
	MissingParents int          `json:"missing_parents"`
	Cycles         int          `json:"cycles"`
	Routes         []RouteJSON  `json:"routes"`
	Slowest        []RequestRef `json:"slowest"`
}

// RouteJSON is one route's aggregate in the report.
type RouteJSON struct {
	Route       string  `json:"route"`
	Count       int     `json:"count"`
	P50Ms       float64 `json:"p50_ms"`
	P95Ms       float64 `json:"p95_ms"`
	MaxMs       float64 `json:"max_ms"`
	TotalMs     float64 `json:"total_ms"`
	Statements  int     `json:"statements"`
	StmtsPerReq float64 `json:"statements_per_request"`
	DBMs        float64 `json:"db_ms"`
	Outbound    int     `json:"outbound_calls"`
	ConnSetups  int     `json:"connection_setups"`
	Errors      int     `json:"errors"`
}

// RequestRef names one request in the report.
type RequestRef struct {
	TraceID    string  `json:"trace_id"`
	SpanID     string  `json:"span_id"`
	Route      string  `json:"route"`
	DurationMs float64 `json:"duration_ms"`
	Statements int     `json:"statements"`
	DBMs       float64 `json:"db_ms"`
	Outbound   int     `json:"outbound_calls"`
	ConnSetups int     `json:"connection_setups"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Summarize builds the report section from spans; slowest caps the
// slowest-requests list.
func Summarize(spans []*parse.Span, slowest int) Summary {
	ts := Group(spans)
	return SummarizeTraces(ts, slowest)
}

// SummarizeTraces builds the report section from grouped traces.
func SummarizeTraces(ts []*Trace, slowest int) Summary {
	s := Summary{Traces: len(ts), Routes: []RouteJSON{}, Slowest: []RequestRef{}}
	for _, t := range ts {
		s.Spans += len(t.Spans)
		s.MissingParents += t.MissingParents
		s.Cycles += t.Cycles
	}
	reqs := AllRequests(ts)
	s.Requests = len(reqs)
	for _, r := range Routes(reqs) {
		s.Routes = append(s.Routes, RouteJSON{Route: r.Route, Count: r.Count, P50Ms: ms(r.P50), P95Ms: ms(r.P95), MaxMs: ms(r.Max),
			TotalMs: ms(r.Total), Statements: r.Statements, StmtsPerReq: r.StmtsPerReq, DBMs: ms(r.DBTime),
			Outbound: r.Outbound, ConnSetups: r.ConnSetups, Errors: r.Errors})
	}
	SortRequests(reqs, ByDuration)
	for i, r := range reqs {
		if i == slowest {
			break
		}
		s.Slowest = append(s.Slowest, RequestRef{TraceID: r.Trace.ID, SpanID: r.Root.SpanID, Route: r.Route,
			DurationMs: ms(r.Duration), Statements: r.DBCount, DBMs: ms(r.DBTime), Outbound: r.Outbound, ConnSetups: r.ConnSetups})
	}
	return s
}

// Row is one line of a waterfall.
type Row struct {
	Node      *Node
	Depth     int
	Offset    time.Duration // from the request root's start
	Duration  time.Duration
	Collapsed bool // has children that are hidden
}

// Waterfall flattens the subtree under root into rows, depth first,
// skipping the children of nodes whose span id is in collapsed.
func Waterfall(root *Node, collapsed map[*Node]bool) []Row {
	var rows []Row
	base := root.Span.Start
	Walk(root, func(n *Node) bool {
		c := collapsed[n] && len(n.Children) > 0
		rows = append(rows, Row{Node: n, Depth: n.Depth - root.Depth, Offset: n.Span.Start.Sub(base), Duration: n.Span.Duration, Collapsed: c})
		return !c
	})
	return rows
}
