package detect

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"time"

	"hotpath/parse"
	"hotpath/views/traces"
)

// Rule 1 of the detection model: events count once. A PostgreSQL server
// with log_destination = 'stderr,csvlog,jsonlog' writes every statement
// three times; a request traced with OpenTelemetry may also be a
// runtime/trace task, or a line of an access log. Sources that carry the
// same events are matched by their events, and each event is used once.

// EventSample is the first events of one SQL log, to match it against the
// others.
type EventSample struct {
	Path   string
	Format string
	keys   map[eventKey]bool
	n      int
}

// eventKey is what every format of one log agrees on about an event: its
// text and the second it was logged.
type eventKey struct {
	text uint64
	sec  int64
}

var sampleSeed = maphash.MakeSeed()

// NewEventSample starts an empty sample of the input at path.
func NewEventSample(path, format string) *EventSample {
	return &EventSample{Path: path, Format: format, keys: map[eventKey]bool{}}
}

// Statement adds a statement: its text (whitespace-trimmed) and the second
// of its end, when the formats that log at the end wrote it.
func (e *EventSample) Statement(st *parse.Statement) {
	end := st.Start.Add(st.Duration)
	e.add(strings.TrimSpace(st.Text), end)
}

// Conn adds a connection event. Not its session: stderr logs name a
// backend by pid, csvlog and jsonlog by session id.
func (e *EventSample) Conn(ev *parse.ConnEvent) {
	e.add(ev.Kind.String()+" "+ev.User+"@"+ev.Database, ev.Time)
}

func (e *EventSample) add(text string, t time.Time) {
	if t.IsZero() || len(e.keys) >= maxSample {
		return
	}
	e.keys[eventKey{maphash.String(sampleSeed, text), t.Unix()}] = true
	e.n++
}

// maxSample bounds a sample's memory.
const maxSample = 4096

// Len is how many events the sample holds.
func (e *EventSample) Len() int { return len(e.keys) }

// overlap is the share of the smaller sample's events that the larger one
// has too (within a second: formats round their timestamps differently).
func overlap(a, b *EventSample) float64 {
	if len(a.keys) > len(b.keys) {
		a, b = b, a
	}
	if len(a.keys) == 0 {
		return 0
	}
	hit := 0
	for k := range a.keys {
		if b.keys[k] || b.keys[eventKey{k.text, k.sec - 1}] || b.keys[eventKey{k.text, k.sec + 1}] {
			hit++
		}
	}
	return float64(hit) / float64(len(a.keys))
}

// formatRank prefers the format that says the most about each event: the
// structured logs carry session ids, applications and clients whatever
// log_line_prefix was; a slow log carries durations a general log lacks.
func formatRank(format string) int {
	switch format {
	case "postgres-json", "postgres-csv":
		return 3
	case "mysql-slow":
		return 2
	case "postgres-stderr", "postgres-syslog":
		return 1
	}
	return 0
}

// sameStream reports formats that can be one log written twice: a
// PostgreSQL server's stderr, csvlog, jsonlog and syslog outputs carry the
// same records; two files of one format may be copies. A MySQL slow log
// and general log of one server share statements but not connections:
// neither stands for the other.
func sameStream(a, b string) bool {
	return a == b || strings.HasPrefix(a, "postgres-") && strings.HasPrefix(b, "postgres-")
}

// SameEvents groups samples whose events are the same (at least 80 % of
// the smaller sample's events in the other, and at least 10 events, or
// all of a smaller sample). Each group lists the sample to use first, then
// the ones that repeat it; samples that match nothing are not listed.
func SameEvents(samples []*EventSample) [][]*EventSample {
	parent := make([]int, len(samples))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range samples {
		for j := i + 1; j < len(samples); j++ {
			a, b := samples[i], samples[j]
			if !sameStream(a.Format, b.Format) {
				continue
			}
			small := min(a.Len(), b.Len())
			if small < 10 && small < max(a.Len(), b.Len()) || small == 0 {
				continue
			}
			if overlap(a, b) >= 0.8 {
				parent[find(j)] = find(i)
			}
		}
	}
	groups := map[int][]*EventSample{}
	var order []int
	for i, s := range samples {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], s)
	}
	var out [][]*EventSample
	for _, r := range order {
		g := groups[r]
		if len(g) < 2 {
			continue
		}
		sort.SliceStable(g, func(i, j int) bool {
			if a, b := formatRank(g[i].Format), formatRank(g[j].Format); a != b {
				return a > b
			}
			return g[i].Len() > g[j].Len()
		})
		out = append(out, g)
	}
	return out
}

// RequestSource is the requests one input contributed.
type RequestSource struct {
	Path     string
	Format   string
	Requests []*traces.Request
}

// SameRequests finds the requests one input repeats of another: the same
// route (method and all), starting and ending within the sources' clock
// offset and timestamp resolution. Of two sources, the one whose requests
// say more (more spans per request) keeps them. It returns the requests to
// drop, each with the request it repeats, and, per dropped source path, a
// note saying what was matched.
func SameRequests(srcs []RequestSource) (drop map[*traces.Request]*traces.Request, notes map[string]string) {
	drop, notes = map[*traces.Request]*traces.Request{}, map[string]string{}
	var live []RequestSource
	for _, s := range srcs {
		var rs []*traces.Request
		for _, r := range s.Requests {
			if r.Root != nil && IsRequestRoot(r.Root) {
				rs = append(rs, r)
			}
		}
		if len(rs) > 0 {
			live = append(live, RequestSource{s.Path, s.Format, rs})
		}
	}
	if len(live) < 2 {
		return drop, notes
	}
	sort.SliceStable(live, func(i, j int) bool { return richness(live[i]) > richness(live[j]) })
	for i := 1; i < len(live); i++ {
		for j := 0; j < i; j++ {
			matched := matchRequests(live[j].Requests, live[i].Requests, drop)
			if len(matched) == 0 {
				continue
			}
			for r, kept := range matched {
				drop[r] = kept
			}
			notes[live[i].Path] = fmt.Sprintf("%d of its %d requests are the same as %s's (by route and time): used once", len(matched), len(live[i].Requests), live[j].Path)
		}
	}
	return drop, notes
}

// richness is how much a source says per request: the spans that name
// what the request waited on (statements, calls, connections), then any.
func richness(s RequestSource) float64 {
	typed, all := 0, 0
	for _, r := range s.Requests {
		typed += r.DBCount + r.Outbound + r.ConnSetups + r.DNS + r.TLS
		all += r.Spans
	}
	n := float64(max(len(s.Requests), 1))
	return float64(typed)/n + float64(all)/n/1000
}

// matchRequests pairs the requests of b with those of a (each used once)
// that have the same route and the same start and duration, up to a clock
// offset estimated from the nearest pairs and each side's timestamp
// resolution. It returns b's matched requests, or nothing when fewer than
// half of them match (two services, or two runs, not one seen twice).
func matchRequests(a, b []*traces.Request, taken map[*traces.Request]*traces.Request) map[*traces.Request]*traces.Request {
	byRoute := map[string][]*traces.Request{}
	for _, r := range a {
		if taken[r] == nil {
			k := RouteKey(r)
			byRoute[k] = append(byRoute[k], r)
		}
	}
	for _, rs := range byRoute {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Before(rs[j].Start) })
	}
	nearest := func(r *traces.Request, off time.Duration) (*traces.Request, time.Duration) {
		rs := byRoute[RouteKey(r)]
		t := r.Start.Add(off)
		i := sort.Search(len(rs), func(i int) bool { return !rs[i].Start.Before(t) })
		var best *traces.Request
		var bd time.Duration
		for _, k := range []int{i - 1, i} {
			if k < 0 || k >= len(rs) {
				continue
			}
			d := rs[k].Start.Sub(t)
			if d < 0 {
				d = -d
			}
			if best == nil || d < bd {
				best, bd = rs[k], d
			}
		}
		return best, bd
	}
	// The clock offset: the median difference of nearest same-route starts.
	var diffs []time.Duration
	for _, r := range b {
		if m, _ := nearest(r, 0); m != nil {
			diffs = append(diffs, m.Start.Sub(r.Start))
		}
	}
	// One source may cover only part of the other's time (an execution
	// trace of a few seconds beside a run's spans): half of the smaller
	// side must match.
	least := min(len(a), len(b))
	if len(diffs)*2 < least {
		return nil
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i] < diffs[j] })
	off := diffs[len(diffs)/2]
	res := resolution(a) + resolution(b)
	used := map[*traces.Request]bool{}
	out := map[*traces.Request]*traces.Request{}
	if res >= time.Second {
		// Whole-second timestamps (an access log's %t): the second says
		// where to look, the duration which request it was.
		for _, r := range b {
			if m := byDuration(byRoute[RouteKey(r)], r, res, used); m != nil {
				used[m] = true
				out[r] = m
			}
		}
		if len(out)*2 < least {
			return nil
		}
		return out
	}
	for _, r := range b {
		m, d := nearest(r, off)
		if m == nil || used[m] {
			continue
		}
		tol := res + max(2*time.Millisecond, r.Duration/50)
		dd := m.Duration - r.Duration
		if dd < 0 {
			dd = -dd
		}
		if d <= tol && dd <= res+max(2*time.Millisecond, r.Duration/20) {
			used[m] = true
			out[r] = m
			continue
		}
		// A request cut by the edge of a recording (a task begun before
		// the execution trace started, or unfinished when it stopped) is
		// matched by lying within the other's request.
		if cut(r) {
			if m := containing(byRoute[RouteKey(r)], r, off, res+2*time.Millisecond, used); m != nil {
				used[m] = true
				out[r] = m
			}
		}
	}
	if len(out)*2 < least {
		return nil
	}
	return out
}

// byDuration finds the unused request of rs (sorted by start) that starts
// within the second r's coarse timestamp names and whose duration is
// closest to r's, within 10 ms or a fifth.
func byDuration(rs []*traces.Request, r *traces.Request, res time.Duration, used map[*traces.Request]bool) *traces.Request {
	const slack = 50 * time.Millisecond
	// The timestamp may be the request's start (truncated) or its end.
	lo := r.Start.Add(-res - slack)
	hi := r.Start.Add(r.Duration + res + slack)
	i := sort.Search(len(rs), func(i int) bool { return !rs[i].Start.Before(lo) })
	var best *traces.Request
	var bd time.Duration
	for ; i < len(rs) && !rs[i].Start.After(hi); i++ {
		m := rs[i]
		if used[m] {
			continue
		}
		d := m.Duration - r.Duration
		if d < 0 {
			d = -d
		}
		if best == nil || d < bd {
			best, bd = m, d
		}
	}
	if best == nil || bd > max(10*time.Millisecond, r.Duration/5) {
		return nil
	}
	return best
}

// cut reports a request whose recording began or ended mid-request.
func cut(r *traces.Request) bool {
	return r.Root.Attrs["go.unfinished"] != "" || r.Root.Attrs["go.started_before_trace"] != ""
}

// containing finds an unused request of rs that spans r (shifted by off).
func containing(rs []*traces.Request, r *traces.Request, off, tol time.Duration, used map[*traces.Request]bool) *traces.Request {
	start, end := r.Start.Add(off), r.Start.Add(off+r.Duration)
	for _, m := range rs {
		if !used[m] && !m.Start.After(start.Add(tol)) && !m.Start.Add(m.Duration).Before(end.Add(-tol)) {
			return m
		}
	}
	return nil
}

// resolution is the coarsest timestamp unit a source's requests are
// written in: a second for access logs' %t (a request's start, as aiohttp
// and Apache write it, or its end, as nginx does), else none.
func resolution(rs []*traces.Request) time.Duration {
	starts, ends := true, true
	for _, r := range rs {
		starts = starts && r.Start.Nanosecond() == 0
		ends = ends && r.Start.Add(r.Duration).Nanosecond() == 0
		if !starts && !ends {
			return 0
		}
	}
	return time.Second
}

// RouteKey is a request's route as every source can name it: the method,
// when known, and the route without it ("GET /orders" from a task name,
// "/orders" with http.method GET from a span).
func RouteKey(r *traces.Request) string {
	route := r.Route
	method := r.Method // routes carry no method (traces.RouteOf): it is the request's
	if m, rest, ok := strings.Cut(route, " "); ok && isHTTPMethod(m) {
		method, route = m, rest
	}
	if method == "" {
		return route
	}
	return method + " " + route
}

func isHTTPMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE":
		return true
	}
	return false
}
