// Package detect finds performance anti-patterns in the views and turns them
// into ranked findings: each with its evidence, where it lives in code, how
// much time fixing it would save (with the formula shown), and how sure
// hotpath is. The rules that turn the detectors' candidates into findings —
// the detection model of README.md — are in model.go.
package detect

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
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

// SeverityOf applies README.md's thresholds: critical ≥ 25 %, high ≥ 10 %,
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

	// What the detection model needs of a candidate (model.go): how well
	// its estimate is measured, the database or upstream it is about, the
	// query a loop ran after (an N+1's "1"), and its avoidable time per
	// route where the source knows routes.
	Quality     Quality
	Origin      string // the input (or profile group) that yielded it: estimates of one origin add up
	Resource    string
	SourceQuery string
	RouteCosts  map[string]time.Duration

	// Computed by Assemble and Rank: the cause key; Observed becomes the
	// one denominator of the dataset (its Basis says what it measures);
	// OwnObserved keeps the finding's own source's figure; Routes is the
	// share of each affected route's request time.
	Cause       string
	Routes      []RouteShare
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
