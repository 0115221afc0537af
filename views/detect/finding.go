// Package detect finds performance anti-patterns in the views and turns them
// into ranked findings: each with its evidence, where it lives in code, how
// much time fixing it would save (with the formula shown), and how sure
// hotpath is. Findings from different sources that share an anchor merge.
package detect

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind names a detector; the values are the JSON report's "kind".
type Kind string

const (
	NPlusOne           Kind = "n_plus_one"
	CacheableDuplicate Kind = "cacheable_duplicate"
	NoConnectionPool   Kind = "no_connection_pool"
	HTTPClientChurn    Kind = "http_client_churn"
	BlockingIOInAsync  Kind = "blocking_io_in_async"
	LockContention     Kind = "lock_contention"
	SlowQuery          Kind = "slow_query"
	CPUHotspot         Kind = "cpu_hotspot"
)

// Severity levels, from the share of observed time a fix would save.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

func (s Severity) String() string {
	return [...]string{"info", "low", "medium", "high", "critical"}[s]
}

// Symbol says the severity without colour: ◆ ▲ ◇ ▽ ·.
func (s Severity) Symbol() string {
	return [...]string{"·", "▽", "◇", "▲", "◆"}[s]
}

// Label is the symbol and the word, "▲ high": what every rendering shows,
// so that severity is never told by colour alone.
func (s Severity) Label() string { return s.Symbol() + " " + s.String() }

// ParseSeverity reads a severity's name.
func ParseSeverity(s string) (Severity, bool) {
	for sv := Info; sv <= Critical; sv++ {
		if sv.String() == strings.ToLower(s) {
			return sv, true
		}
	}
	return Info, false
}

// SeverityOf applies DESIGN.md's thresholds: critical ≥ 25 %, high ≥ 10 %,
// medium ≥ 2 %, low below; info when nothing is avoidable.
func SeverityOf(share float64, avoidable time.Duration) Severity {
	switch {
	case avoidable <= 0:
		return Info
	case share >= 0.25:
		return Critical
	case share >= 0.10:
		return High
	case share >= 0.02:
		return Medium
	}
	return Low
}

// Location anchors a finding in code or traffic.
type Location struct {
	Function string
	File     string
	Line     int
	Route    string
}

func (l Location) String() string {
	var parts []string
	if l.Function != "" {
		parts = append(parts, l.Function)
	}
	if l.File != "" {
		if l.Line > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", l.File, l.Line))
		} else {
			parts = append(parts, l.File)
		}
	}
	if l.Route != "" {
		parts = append(parts, l.Route)
	}
	return strings.Join(parts, " ")
}

// Evidence is what one source testifies.
type Evidence struct {
	Source   string // format name: "postgres-stderr", "pprof", "otlp-json" …
	What     string // one line: "1,204 executions of one fingerprint in 60 bursts"
	Count    int64
	Time     time.Duration
	Examples []string // sample statements, log lines
	Stack    []Frame  // a profile stack, call site first
	TraceID  string   // an example request
}

// Frame is one frame of a profile stack with its cumulative share.
type Frame struct {
	Function string
	File     string
	Line     int
	Share    float64
}

// Finding is one detected problem.
type Finding struct {
	Kind        Kind
	Title       string
	Locations   []Location
	Fingerprint string
	QueryID     string
	TraceIDs    []string
	Count       int64
	// Avoidable is the time a fix would save; Formula says how it was
	// computed, with its inputs, so nobody has to trust a bare number.
	Avoidable time.Duration
	Formula   string
	// Observed is the denominator of Share: the request, statement or
	// sample time of the sources that testify.
	Observed       time.Duration
	Evidence       []Evidence
	Recommendation string

	// Computed by Rank: Observed becomes the one denominator of the
	// dataset (its Basis says what it measures); OwnObserved keeps the
	// finding's own source's figure.
	Basis       string
	OwnObserved time.Duration
	OwnBasis    string
	Share       float64
	Severity    Severity
	Confidence  string
	Rank        int
}

// Sources lists the distinct sources that testify, in order of first use.
func (f *Finding) Sources() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range f.Evidence {
		if !seen[e.Source] {
			seen[e.Source] = true
			out = append(out, e.Source)
		}
	}
	return out
}

// ID is a stable short identifier from the kind and the first anchor.
func (f *Finding) ID() string {
	key := string(f.Kind) + "|" + f.Fingerprint
	if len(f.Locations) > 0 {
		key += "|" + f.Locations[0].String()
	}
	sum := sha1.Sum([]byte(key))
	return hex.EncodeToString(sum[:4])
}

// confidenceOf grows with the number of independent sources.
func confidenceOf(sources int) string {
	switch {
	case sources >= 3:
		return "high"
	case sources == 2:
		return "medium"
	}
	return "low"
}

// anchors are the keys two findings of one kind can share to be merged:
// a fingerprint, a function, a file:line, a trace id.
func (f *Finding) anchors() []string {
	var out []string
	if f.Fingerprint != "" {
		out = append(out, "fp:"+looseFingerprint(f.Fingerprint))
	}
	for _, l := range f.Locations {
		if l.Function != "" {
			out = append(out, "fn:"+l.Function)
		}
		if l.File != "" && l.Line > 0 {
			out = append(out, fmt.Sprintf("at:%s:%d", l.File, l.Line))
		}
	}
	for _, t := range f.TraceIDs {
		out = append(out, "trace:"+t)
	}
	return out
}

// routes are a finding's weak anchors: many problems live on one route, so
// a route joins two findings only when one of them knows nothing stronger
// (a SQL log's finding located by its sqlcommenter route joins the span's
// finding that names the function).
func (f *Finding) routes() []string {
	var out []string
	for _, l := range f.Locations {
		if l.Route != "" {
			out = append(out, "route:"+l.Route)
		}
	}
	return out
}

// Correlate merges findings of the same kind that share an anchor (a
// function, file:line, route, fingerprint or trace id), union-find style, so
// that a chain of shared anchors ends in one finding with all the evidence.
func Correlate(fs []*Finding) []*Finding {
	parent := make([]int, len(fs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	weak := make([]bool, len(fs))
	for i, f := range fs {
		strong := f.anchors()
		weak[i] = len(strong) == 0
		for _, a := range strong {
			key := string(f.Kind) + "|" + a
			if j, ok := owner[key]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[key] = i
			}
		}
	}
	routeOwner := map[string][]int{}
	for i, f := range fs {
		for _, a := range f.routes() {
			key := string(f.Kind) + "|" + a
			for _, j := range routeOwner[key] {
				if weak[i] || weak[j] {
					parent[find(i)] = find(j)
				}
			}
			routeOwner[key] = append(routeOwner[key], i)
		}
	}
	groups := map[int][]*Finding{}
	var order []int
	for i, f := range fs {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], f)
	}
	out := make([]*Finding, 0, len(order))
	for _, r := range order {
		out = append(out, merge(groups[r]))
	}
	return out
}

// merge folds findings of one problem into the one with the largest
// avoidable time: its estimate stands (sources see the same time, adding
// them would double count); the others add evidence and anchors.
func merge(fs []*Finding) *Finding {
	if len(fs) == 1 {
		return fs[0]
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Avoidable > fs[j].Avoidable })
	m := *fs[0]
	m.Evidence = append([]Evidence(nil), fs[0].Evidence...)
	m.Locations = append([]Location(nil), fs[0].Locations...)
	m.TraceIDs = append([]string(nil), fs[0].TraceIDs...)
	for _, f := range fs[1:] {
		m.Evidence = append(m.Evidence, f.Evidence...)
		for _, l := range f.Locations {
			m.Locations = mergeLocation(m.Locations, l)
		}
		m.TraceIDs = appendUnique(m.TraceIDs, f.TraceIDs...)
		if m.Fingerprint == "" {
			m.Fingerprint, m.QueryID = f.Fingerprint, f.QueryID
		}
		if m.Recommendation == "" {
			m.Recommendation = f.Recommendation
		}
	}
	return &m
}

// mergeLocation adds l, filling in the gaps of a location it matches (a
// profile knows the function and file, a span the route).
func mergeLocation(ls []Location, l Location) []Location {
	for i, x := range ls {
		if (l.Function != "" && x.Function == l.Function) || (l.Route != "" && x.Route == l.Route) {
			if x.Function == "" {
				ls[i].Function = l.Function
			}
			if x.File == "" {
				ls[i].File, ls[i].Line = l.File, l.Line
			}
			if x.Route == "" {
				ls[i].Route = l.Route
			}
			return ls
		}
	}
	return append(ls, l)
}

func appendUnique(xs []string, ys ...string) []string {
	for _, y := range ys {
		found := false
		for _, x := range xs {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			xs = append(xs, y)
		}
	}
	return xs
}

// DropExplained removes CPU hotspots at a function that another finding
// already names: the time is that finding's (a lazy-loading loop is busy
// because of its queries), and DESIGN.md reports a hotspot only when
// nothing else explains it.
func DropExplained(fs []*Finding) []*Finding {
	explained := map[string]bool{}
	for _, f := range fs {
		if f.Kind == CPUHotspot {
			continue
		}
		for _, l := range f.Locations {
			explained[l.Function] = true
		}
	}
	out := fs[:0:0]
	for _, f := range fs {
		if f.Kind == CPUHotspot && len(f.Locations) > 0 && explained[f.Locations[0].Function] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// basisOf says what a finding's own observed time measures, from the format
// of its first evidence.
func basisOf(f *Finding) string {
	if len(f.Evidence) == 0 {
		return "sampled time"
	}
	switch src := f.Evidence[0].Source; {
	case src == "spans" || strings.HasSuffix(src, "-json") && src != "postgres-json" || src == "chrome-trace" || src == "go-trace":
		return "request time"
	case src == "pprof" || src == "folded" || src == "speedscope":
		return "sampled time"
	case src == "asyncio-log":
		return "event-loop time"
	}
	return "statement time"
}

// Rank puts every finding on one scale: the largest observed time of the
// loaded sources (request time from traces, statement time from logs,
// sampled time from profiles, whichever covers most) is the denominator of
// every share, so that order by share is order by avoidable time and no
// short source inflates a share past what the whole run shows. Severity
// follows the share, confidence the number of independent sources; ties go
// to the more certain finding.
func Rank(fs []*Finding) []*Finding {
	var global time.Duration
	var basis string
	for _, f := range fs {
		if f.Observed > global {
			global, basis = f.Observed, basisOf(f)
		}
	}
	for _, f := range fs {
		f.OwnObserved, f.OwnBasis = f.Observed, basisOf(f)
		if global > 0 {
			f.Observed, f.Basis = global, basis
		}
		if f.Observed > 0 {
			f.Share = min(float64(f.Avoidable)/float64(f.Observed), 1)
		}
		f.Severity = SeverityOf(f.Share, f.Avoidable)
		f.Confidence = confidenceOf(len(f.Sources()))
	}
	conf := map[string]int{"high": 3, "medium": 2, "low": 1}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Avoidable != b.Avoidable {
			return a.Avoidable > b.Avoidable
		}
		if conf[a.Confidence] != conf[b.Confidence] {
			return conf[a.Confidence] > conf[b.Confidence]
		}
		return a.Count > b.Count
	})
	for i, f := range fs {
		f.Rank = i + 1
	}
	return fs
}
