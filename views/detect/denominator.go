package detect

import (
	"time"

	"hotpath/parse"
	"hotpath/views/traces"
)

// Denominator is the one total every share is taken over (rule 6 of the
// detection model): the request time of the dataset, with what it measures
// and its split per route.
type Denominator struct {
	Time   time.Duration
	Basis  string
	Routes map[string]time.Duration
	// Requests is how many requests (or units of work) make up Time.
	Requests int
}

// RequestTime is the request time of reqs: the server spans' durations
// where traces have them, else the access log's. Roots that are not
// requests (a goroutine's regions in an execution trace, an internal span
// without a server parent) do not count.
func RequestTime(reqs []*traces.Request) Denominator {
	var spans, access Denominator
	spans.Routes, access.Routes = map[string]time.Duration{}, map[string]time.Duration{}
	for _, r := range reqs {
		if r.Root == nil || !IsRequestRoot(r.Root) {
			continue
		}
		d := &spans
		if r.Root.Attrs[parse.AttrRecord] == parse.RecordAccessLog {
			d = &access
		}
		d.Time = parse.SatAdd(d.Time, r.Duration)
		d.Routes[r.Route] = parse.SatAdd(d.Routes[r.Route], r.Duration)
		d.Requests++
	}
	switch {
	case spans.Time > 0:
		spans.Basis = "request time (server spans)"
		return spans
	case access.Time > 0:
		access.Basis = "request time (access log)"
		return access
	}
	return Denominator{}
}

// IsRequestRoot tells the spans that stand for a request a client waited
// on: server spans (access-log records are server spans too) and the
// top-level tasks of a Go execution trace.
func IsRequestRoot(sp *parse.Span) bool {
	if sp.Category == parse.CatHTTPServer || sp.Kind == "server" {
		return true
	}
	return sp.ParentID == "" && sp.Attrs["go.span.type"] == "task"
}

// UnitsOfWork is the fallback denominator where no request is known: the
// time the SQL log's units of work spanned (first statement start to last
// statement end of each), which is the log's wall time × its observed
// concurrency.
func UnitsOfWork(t time.Duration, n int) Denominator {
	if t <= 0 {
		return Denominator{}
	}
	return Denominator{Time: t, Requests: n, Basis: "units-of-work time (SQL log: wall time × observed concurrency)"}
}
