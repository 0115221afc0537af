// Package traces turns spans into what a person reads one request at a
// time: traces grouped into requests with their database statements,
// outbound calls and connection setups, a waterfall tree per trace, and
// per-route aggregates. Pure functions over []*parse.Span: no I/O.
package traces

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"

	"hotpath/parse"
)

// Node is one span in a waterfall tree.
type Node struct {
	Span     *parse.Span
	Parent   *Node
	Children []*Node // sorted by start, then name
	Depth    int
	// Offset is the span's start relative to the start of the tree's root.
	Offset time.Duration
	// Subtree counts, the node itself included.
	Descendants int
}

// Trace is the spans sharing one trace id, as trees.
type Trace struct {
	ID       string
	Spans    []*parse.Span
	Roots    []*Node // sorted by start
	Requests []*Request
	Start    time.Time
	Duration time.Duration // earliest start to latest end
	// MissingParents counts spans whose parent is not in the trace (they
	// become roots); Cycles counts parent links cut to break a loop.
	MissingParents int
	Cycles         int
}

// Request is one request: an outermost server span, or the root of a
// tree that has none.
type Request struct {
	Trace *Trace
	Node  *Node
	Root  *parse.Span
	Route string // RouteOf the root span: http.route, else the templated path, else the name
	// Method is the root's HTTP method: http.request.method, else the
	// method its http.route or name starts with ("GET /orders"); "" for
	// requests that are not HTTP.
	Method     string
	Service    string
	Start      time.Time
	Duration   time.Duration
	Status     string
	HTTPStatus int
	Spans      int

	DBCount int
	DBTime  time.Duration
	// Outbound are HTTP client calls made under the request.
	Outbound     int
	OutboundTime time.Duration
	// ConnSetups counts new connections (outermost connect spans not
	// marked reused); DNS and TLS count those phases.
	ConnSetups int
	DNS        int
	TLS        int
}

// Group groups spans into traces, builds their trees and finds their
// requests. Traces are sorted by start, then id.
func Group(spans []*parse.Span) []*Trace {
	byID := map[string]*Trace{}
	var order []*Trace
	for _, sp := range spans {
		if sp == nil {
			continue
		}
		// A span without a trace id (an access-log record) is a request
		// of its own: grouping all of them under "" would make one trace.
		t := byID[sp.TraceID]
		if t == nil || sp.TraceID == "" {
			t = &Trace{ID: sp.TraceID}
			if sp.TraceID != "" {
				byID[sp.TraceID] = t
			}
			order = append(order, t)
		}
		t.Spans = append(t.Spans, sp)
	}
	for _, t := range order {
		t.Roots, t.MissingParents, t.Cycles = BuildTree(t.Spans)
		var end time.Time
		for i, sp := range t.Spans {
			if i == 0 || sp.Start.Before(t.Start) {
				t.Start = sp.Start
			}
			if e := sp.Start.Add(sp.Duration); e.After(end) {
				end = e
			}
		}
		t.Duration = end.Sub(t.Start)
		t.Requests = findRequests(t)
	}
	sort.SliceStable(order, func(i, j int) bool {
		if !order[i].Start.Equal(order[j].Start) {
			return order[i].Start.Before(order[j].Start)
		}
		return order[i].ID < order[j].ID
	})
	return order
}

// BuildTree links spans into trees by parent id. It never fails: a span
// whose parent is absent becomes a root (counted in missing), a loop of
// parent links is cut at its earliest span (counted in cycles), and a
// duplicated span id keeps the first span as the parent target.
func BuildTree(spans []*parse.Span) (roots []*Node, missing, cycles int) {
	nodes := make([]*Node, len(spans))
	first := make(map[string]int, len(spans))
	for i, sp := range spans {
		nodes[i] = &Node{Span: sp}
		if sp.SpanID != "" {
			if _, dup := first[sp.SpanID]; !dup {
				first[sp.SpanID] = i
			}
		}
	}
	parent := make([]int, len(spans))
	for i, sp := range spans {
		parent[i] = -1
		if sp.ParentID == "" {
			continue
		}
		p, ok := first[sp.ParentID]
		switch {
		case !ok:
			missing++
		case p == i:
			cycles++ // its own parent
		default:
			parent[i] = p
		}
	}
	// Break cycles: walk up from each span with a colour mark.
	state := make([]uint8, len(spans)) // 0 new, 1 on path, 2 done
	var path []int
	for i := range spans {
		if state[i] != 0 {
			continue
		}
		path = path[:0]
		j := i
		for j >= 0 && state[j] == 0 {
			state[j] = 1
			path = append(path, j)
			j = parent[j]
		}
		if j >= 0 && state[j] == 1 {
			// A loop: the members are path[k:] from j on. Cut the link
			// of its earliest-starting member.
			k := slices.Index(path, j)
			cut := path[k]
			for _, m := range path[k:] {
				if spans[m].Start.Before(spans[cut].Start) {
					cut = m
				}
			}
			parent[cut] = -1
			cycles++
		}
		for _, m := range path {
			state[m] = 2
		}
	}
	for i, n := range nodes {
		if p := parent[i]; p >= 0 {
			n.Parent = nodes[p]
			nodes[p].Children = append(nodes[p].Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	byStart := func(a, b *Node) int {
		if c := a.Span.Start.Compare(b.Span.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.Span.Name, b.Span.Name)
	}
	slices.SortStableFunc(roots, byStart)
	// Depths, offsets and sizes without recursion (traces can be deep).
	for _, r := range roots {
		stack := []*Node{r}
		var post []*Node
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			post = append(post, n)
			slices.SortStableFunc(n.Children, byStart)
			for _, c := range n.Children {
				c.Depth = n.Depth + 1
				c.Offset = c.Span.Start.Sub(r.Span.Start)
				stack = append(stack, c)
			}
		}
		for i := len(post) - 1; i >= 0; i-- {
			n := post[i]
			n.Descendants = 1
			for _, c := range n.Children {
				n.Descendants += c.Descendants
			}
		}
	}
	return roots, missing, cycles
}

// Walk visits n and its subtree depth first, children in order; visit
// returns false to skip a node's children.
func Walk(n *Node, visit func(*Node) bool) {
	stack := []*Node{n}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !visit(x) {
			continue
		}
		for i := len(x.Children) - 1; i >= 0; i-- {
			stack = append(stack, x.Children[i])
		}
	}
}

func findRequests(t *Trace) []*Request {
	var reqs []*Request
	for _, r := range t.Roots {
		found := false
		Walk(r, func(n *Node) bool {
			if n.Span.Category == parse.CatHTTPServer {
				reqs = append(reqs, newRequest(t, n))
				found = true
				return false // outermost server span only
			}
			return true
		})
		if !found {
			reqs = append(reqs, newRequest(t, r))
		}
	}
	return reqs
}

func newRequest(t *Trace, n *Node) *Request {
	sp := n.Span
	r := &Request{Trace: t, Node: n, Root: sp, Route: RouteOf(sp), Method: MethodOf(sp), Service: sp.Service, Start: sp.Start,
		Duration: sp.Duration, Status: sp.Status, HTTPStatus: sp.HTTPStatus}
	Walk(n, func(x *Node) bool {
		r.Spans++
		s := x.Span
		switch s.Category {
		case parse.CatDB:
			r.DBCount++
			r.DBTime = parse.SatAdd(r.DBTime, s.Duration)
		case parse.CatHTTPClient:
			r.Outbound++
			r.OutboundTime = parse.SatAdd(r.OutboundTime, s.Duration)
		case parse.CatConnect:
			if (x.Parent == nil || x.Parent.Span.Category != parse.CatConnect) && (s.ConnReused == nil || !*s.ConnReused) {
				r.ConnSetups++
			}
		case parse.CatDNS:
			r.DNS++
		case parse.CatTLS:
			r.TLS++
		}
		return true
	})
	return r
}

// AllRequests lists the requests of all traces.
func AllRequests(ts []*Trace) []*Request {
	var out []*Request
	for _, t := range ts {
		out = append(out, t.Requests...)
	}
	return out
}

// SortBy names a request order.
type SortBy int

const (
	ByStart SortBy = iota
	ByDuration
	ByStatements
)

// SortRequests sorts in place: by start ascending, or by duration /
// statement count descending (ties by start).
func SortRequests(rs []*Request, by SortBy) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		switch by {
		case ByDuration:
			if a.Duration != b.Duration {
				return a.Duration > b.Duration
			}
		case ByStatements:
			if a.DBCount != b.DBCount {
				return a.DBCount > b.DBCount
			}
			if a.DBTime != b.DBTime {
				return a.DBTime > b.DBTime
			}
		}
		return a.Start.Before(b.Start)
	})
}

// RouteStat aggregates the requests of one route.
type RouteStat struct {
	Route       string
	Count       int
	P50, P95    time.Duration
	Max, Total  time.Duration
	Statements  int     // DB statements under all its requests
	StmtsPerReq float64 // mean statements per request
	MaxStmts    int
	DBTime      time.Duration
	Outbound    int
	ConnSetups  int
	Errors      int
}

// Routes aggregates requests per route, busiest (by total time) first.
func Routes(rs []*Request) []RouteStat {
	by := map[string][]*Request{}
	var names []string
	for _, r := range rs {
		if _, ok := by[r.Route]; !ok {
			names = append(names, r.Route)
		}
		by[r.Route] = append(by[r.Route], r)
	}
	out := make([]RouteStat, 0, len(names))
	for _, name := range names {
		list := by[name]
		st := RouteStat{Route: name, Count: len(list)}
		durs := make([]time.Duration, len(list))
		for i, r := range list {
			durs[i] = r.Duration
			st.Total = parse.SatAdd(st.Total, r.Duration)
			st.Statements += r.DBCount
			st.MaxStmts = max(st.MaxStmts, r.DBCount)
			st.DBTime = parse.SatAdd(st.DBTime, r.DBTime)
			st.Outbound += r.Outbound
			st.ConnSetups += r.ConnSetups
			if r.Status == "error" || r.HTTPStatus >= 500 {
				st.Errors++
			}
		}
		slices.Sort(durs)
		st.P50 = Percentile(durs, 0.50)
		st.P95 = Percentile(durs, 0.95)
		st.Max = durs[len(durs)-1]
		st.StmtsPerReq = float64(st.Statements) / float64(st.Count)
		out = append(out, st)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Route < out[j].Route
	})
	return out
}

// Percentile is the nearest-rank percentile of sorted durations.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// FilterRoute keeps the requests whose route contains sub (case-sensitive
// substring; "" keeps all).
func FilterRoute(rs []*Request, sub string) []*Request {
	if sub == "" {
		return rs
	}
	var out []*Request
	for _, r := range rs {
		if containsFold(r.Route, sub) {
			out = append(out, r)
		}
	}
	return out
}

func containsFold(s, sub string) bool {
	if len(sub) > len(s) {
		return false
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		ok := true
		for j := 0; j < len(sub); j++ {
			a, b := s[i+j], sub[j]
			if 'A' <= a && a <= 'Z' {
				a += 'a' - 'A'
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if a != b {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
