// Package querydigest aggregates streamed SQL statements per fingerprint —
// count, total, mean, p50/p95/p99, max, rows, distinct parameter sets,
// sessions, first/last seen, examples, a latency histogram — and connection
// events into session statistics, in bounded memory: each fingerprint costs
// at most ~13 KiB whatever its count (two 4 KiB examples, 2 KiB of
// fingerprint text, a 1.25 KiB histogram, two 1 KiB distinct-count
// sketches), typically 2–3 KiB, and the number of fingerprints is capped
// (10,000 by default; the rest are counted under "other"). Live-session
// tracking is capped too (100,000 sessions).
package querydigest

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"hotpath/parse"
	"hotpath/views/fingerprint"
)

// Options bound the aggregator. The zero value picks the defaults.
type Options struct {
	MaxFingerprints int // distinct fingerprints kept (default 10,000); the rest go to "other"
	MaxExample      int // bytes of an example statement kept (default 4 KiB)
	MaxFingerprint  int // bytes of fingerprint text kept (default 2 KiB; the id covers all of it)
	MaxSessions     int // live sessions tracked for per-session counts (default 100,000)
	MaxTags         int // distinct tag key=value pairs kept per fingerprint (default 32)
	// NoShapeCache runs the full normaliser on every statement (tests
	// compare the two ways).
	NoShapeCache bool
	// FoldIdentDigits makes the fingerprinter fold digits inside
	// identifiers, as pt-query-digest does (sbtest1 and sbtest2 become one).
	FoldIdentDigits bool
}

func (o Options) withDefaults() Options {
	if o.MaxFingerprints <= 0 {
		o.MaxFingerprints = 10000
	}
	if o.MaxExample <= 0 {
		o.MaxExample = 4 << 10
	}
	if o.MaxFingerprint <= 0 {
		o.MaxFingerprint = 2 << 10
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 100000
	}
	if o.MaxTags <= 0 {
		o.MaxTags = 32
	}
	return o
}

// OtherID is the id of the overflow entry that collects fingerprints past
// MaxFingerprints.
const OtherID = "other"

// Aggregator digests statements and connection events. It implements the
// Statement and Conn methods of parse.Sink and is safe for concurrent use.
type Aggregator struct {
	opt  Options
	pool sync.Pool

	mu       sync.Mutex
	byID     map[uint64]*entry
	other    *entry
	stmts    int64
	timed    int64
	overflow int64
	conns    connStats
	live     map[sessKey]*liveSession
	shapes   map[uint64]*entry // shape key → its fingerprint's entry

	lastSrc    *parse.Source
	lastFormat string

	observers []Observer // set before loading starts
}

// Observer sees every statement with the fingerprint the digest computed
// for it, and every connection event, so that another consumer (the SQL
// detectors) needs no fingerprinting of its own. It is called outside the
// aggregator's lock, from the decoding goroutine; st is valid only during
// the call. id is 0 for statements past the fingerprint limit.
type Observer interface {
	Observe(src *parse.Source, st *parse.Statement, id, values uint64, fingerprint string)
	Conn(src *parse.Source, ev *parse.ConnEvent)
}

// AddObserver registers o; call it before any statement arrives.
func (a *Aggregator) AddObserver(o Observer) { a.observers = append(a.observers, o) }

type sessKey struct {
	src     *parse.Source
	session string
}

type liveSession struct {
	opened time.Time
	stmts  int64
}

type connStats struct {
	received, opened, closed, reused int64
	sessN                            int64
	sessSum                          time.Duration
	sessMax                          time.Duration
	sessHist                         Hist
	perSession                       Hist // statements per closed session (as a count)
	perSessionN, perSessionSum       int64
	untracked                        int64
}

// New returns an empty aggregator.
func New(opt Options) *Aggregator {
	a := &Aggregator{opt: opt.withDefaults(), byID: map[uint64]*entry{}, live: map[sessKey]*liveSession{},
		shapes: map[uint64]*entry{}}
	fold := a.opt.FoldIdentDigits
	a.pool.New = func() any { return &fingerprint.Fingerprinter{FoldIdentDigits: fold} }
	return a
}

// entry is one fingerprint's aggregate.
type entry struct {
	id        uint64
	fp        string
	fpCut     bool
	count     int64
	timed     int64
	total     time.Duration
	min       time.Duration
	max       time.Duration
	prepare   time.Duration
	rows      int64
	rowsKnown bool
	hist      Hist
	params    Distinct
	sessions  Distinct
	first     time.Time
	last      time.Time
	slowest   Example
	typical   Example
	tags      map[string]int64
	formats   []string
	truncated int64
}

// Example is one statement kept as evidence.
type Example struct {
	Text      string            `json:"text"`
	Params    []string          `json:"params,omitempty"`
	Duration  time.Duration     `json:"duration_ns"`
	Start     time.Time         `json:"start"`
	Session   string            `json:"session,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	Source    string            `json:"source,omitempty"`
	Line      int64             `json:"line,omitempty"`
	Truncated bool              `json:"truncated,omitempty"`
}

func (a *Aggregator) example(src *parse.Source, st *parse.Statement) Example {
	text := st.Text
	cut := st.Truncated
	if len(text) > a.opt.MaxExample {
		text, cut = text[:a.opt.MaxExample], true
	}
	ex := Example{Text: strings.Clone(text), Duration: st.Duration, Start: st.Start,
		Session: strings.Clone(st.Session), Line: st.Line, Truncated: cut}
	if src != nil {
		ex.Source = src.Path
	}
	if n := len(st.Params); n > 0 {
		if n > 64 {
			n = 64
		}
		ex.Params = make([]string, n)
		for i := range ex.Params {
			p := st.Params[i]
			if len(p) > 1024 {
				p = p[:1024]
			}
			ex.Params[i] = strings.Clone(p)
		}
	}
	if len(st.Tags) > 0 {
		ex.Tags = make(map[string]string, len(st.Tags))
		for k, v := range st.Tags {
			ex.Tags[strings.Clone(k)] = strings.Clone(v)
		}
	}
	return ex
}

// maxShapes bounds the shape → id cache.
const maxShapes = 1 << 17

// Statement adds one statement. st is not retained.
func (a *Aggregator) Statement(src *parse.Source, st *parse.Statement) {
	// The cheap shape pre-pass finds most statements' fingerprint id in a
	// cache; the full normaliser runs once per shape (and always for the
	// statements whose literals the pre-pass cannot see, such as $$…$$).
	sh := fingerprint.ShapeOf(st.Text)
	var sessHash uint64
	if st.Session != "" {
		sessHash = fingerprint.HashString(st.Session)
	}
	a.mu.Lock()
	e, hit := a.shapes[sh.Key]
	hit = hit && !a.opt.NoShapeCache
	values := sh.Values
	if hit {
		if e == a.other {
			a.overflow++
		}
	} else {
		a.mu.Unlock()
		fp := a.pool.Get().(*fingerprint.Fingerprinter)
		r := fp.Fingerprint(st.Text)
		complete := r.Literals == sh.Literals
		if !complete {
			values = r.Values
		}
		a.mu.Lock()
		e = a.entryFor(&r)
		if complete {
			if len(a.shapes) >= maxShapes {
				clear(a.shapes)
			}
			a.shapes[sh.Key] = e
		}
		a.pool.Put(fp)
	}
	for _, p := range st.Params {
		values = fingerprint.MixString(values, p)
	}
	a.add(e, src, st, values, sessHash)
	id, fp := e.id, e.fp
	a.mu.Unlock()
	for _, o := range a.observers {
		o.Observe(src, st, id, values, fp)
	}
}

func (a *Aggregator) overflowEntry() *entry {
	if a.other == nil {
		a.other = &entry{fp: "(other fingerprints, past the limit)"}
	}
	a.overflow++
	return a.other
}

// entryFor finds or creates the entry of a fingerprint (a.mu held).
func (a *Aggregator) entryFor(r *fingerprint.Result) *entry {
	e := a.byID[r.ID]
	if e == nil {
		if len(a.byID) >= a.opt.MaxFingerprints {
			return a.overflowEntry()
		}
		e = &entry{id: r.ID}
		f := r.Fingerprint
		if len(f) > a.opt.MaxFingerprint {
			f, e.fpCut = f[:a.opt.MaxFingerprint], true
		}
		e.fp = string(f)
		a.byID[r.ID] = e
	}
	return e
}

// add aggregates one statement into e (a.mu held).
func (a *Aggregator) add(e *entry, src *parse.Source, st *parse.Statement, values, sessHash uint64) {
	a.stmts++
	e.count++
	if st.HasDuration {
		a.timed++
		e.timed++
		e.total = parse.SatAdd(e.total, st.Duration) // durations are the file's: never wrap
		e.hist.Add(st.Duration)
		if e.timed == 1 || st.Duration < e.min {
			e.min = st.Duration
		}
		if st.Duration > e.max || e.slowest.Text == "" {
			e.max = max(e.max, st.Duration)
			e.slowest = a.example(src, st)
		}
	} else if e.slowest.Text == "" {
		e.slowest = a.example(src, st)
	}
	// The typical example: re-chosen at counts 1, 2, 4, 8 … as the one
	// nearest the running mean (bounded copying).
	if c := e.count; c&(c-1) == 0 {
		if e.typical.Text == "" || e.timed > 0 && absDur(st.Duration-e.total/time.Duration(e.timed)) < absDur(e.typical.Duration-e.total/time.Duration(e.timed)) {
			e.typical = a.example(src, st)
		}
	}
	e.prepare = parse.SatAdd(e.prepare, st.PrepareTime)
	if st.Rows >= 0 {
		e.rows = parse.SatAdd(e.rows, st.Rows)
		e.rowsKnown = true
	}
	e.params.Add(values)
	if sessHash != 0 {
		e.sessions.Add(sessHash)
	}
	if !st.Start.IsZero() {
		if e.first.IsZero() || st.Start.Before(e.first) {
			e.first = st.Start
		}
		if end := st.Start.Add(st.Duration); end.After(e.last) {
			e.last = end
		}
	}
	if st.Truncated {
		e.truncated++
	}
	for k, v := range st.Tags {
		if e.tags == nil {
			e.tags = map[string]int64{}
		}
		kv := k + "=" + v
		if _, ok := e.tags[kv]; ok || len(e.tags) < a.opt.MaxTags {
			e.tags[kv]++
		}
	}
	if src != nil && len(e.formats) < 8 {
		if src != a.lastSrc {
			a.lastSrc, a.lastFormat = src, src.Format()
		}
		f := a.lastFormat
		found := false
		for _, x := range e.formats {
			if x == f {
				found = true
				break
			}
		}
		if !found && f != "" {
			e.formats = append(e.formats, f)
		}
	}
	if st.Session != "" {
		k := sessKey{src, st.Session}
		if ls := a.live[k]; ls != nil {
			ls.stmts++
		} else if len(a.live) < a.opt.MaxSessions {
			a.live[sessKey{src, strings.Clone(st.Session)}] = &liveSession{stmts: 1}
		} else {
			a.conns.untracked++
		}
	}
}

func clamp(d, lo, hi time.Duration) time.Duration { return max(lo, min(d, hi)) }

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// Conn adds one connection event. ev is not retained.
func (a *Aggregator) Conn(src *parse.Source, ev *parse.ConnEvent) {
	for _, o := range a.observers {
		o.Conn(src, ev)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c := &a.conns
	k := sessKey{src, ev.Session}
	switch ev.Kind {
	case parse.ConnReceived:
		c.received++
	case parse.ConnPoolReused:
		c.reused++
	case parse.ConnOpened:
		c.opened++
		if ev.Session == "" {
			return
		}
		if old := a.live[k]; old != nil {
			// A reused id (PG pid, MySQL thread) without its close: the
			// previous session ends here.
			a.endSession(old, ev.Time, 0)
			old.opened, old.stmts = ev.Time, 0
			return
		}
		if len(a.live) < a.opt.MaxSessions {
			a.live[sessKey{src, strings.Clone(ev.Session)}] = &liveSession{opened: ev.Time}
		}
	case parse.ConnClosed:
		c.closed++
		ls := a.live[k]
		if ls == nil {
			ls = &liveSession{}
		} else {
			delete(a.live, k)
		}
		a.endSession(ls, ev.Time, ev.SessionTime)
	}
}

func (a *Aggregator) endSession(ls *liveSession, at time.Time, length time.Duration) {
	c := &a.conns
	if length <= 0 && !ls.opened.IsZero() && !at.IsZero() && at.After(ls.opened) {
		length = at.Sub(ls.opened)
	}
	if length > 0 {
		c.sessN++
		c.sessSum += length
		c.sessHist.Add(length)
		if length > c.sessMax {
			c.sessMax = length
		}
	}
	c.perSession.Add(time.Duration(ls.stmts))
	c.perSessionN++
	c.perSessionSum += ls.stmts
}

// ---------------------------------------------------------------- results

// Query is one fingerprint's digest.
type Query struct {
	ID             string
	Fingerprint    string
	FingerprintCut bool // Fingerprint was cut at MaxFingerprint bytes
	Other          bool // the overflow entry
	Count          int64
	Timed          int64 // statements that had a duration
	Total          time.Duration
	Mean           time.Duration
	P50, P95, P99  time.Duration
	Max            time.Duration
	Prepare        time.Duration // parse/bind time (PostgreSQL extended protocol)
	Rows           int64
	RowsKnown      bool
	DistinctParams int64 // distinct literal/parameter sets (estimated past 16)
	Sessions       int64 // distinct sessions (estimated past 16)
	First, Last    time.Time
	Slowest        Example
	Typical        Example
	Histogram      []Bucket
	Tags           []Tag
	Formats        []string
	Truncated      int64 // statements whose text was cut
}

// Tag is a sqlcommenter/marginalia tag seen on a fingerprint.
type Tag struct {
	Key, Value string
	Count      int64
}

// Connections is the connection and session summary.
type Connections struct {
	Received, Opened, Closed, Reused int64
	// Session lengths, from closes that state them (PostgreSQL) or from
	// open/close pairs.
	SessionsTimed                       int64
	MeanSession, P50Session, P95Session time.Duration
	MaxSession                          time.Duration
	SessionHistogram                    []Bucket
	// Statements per session, over closed sessions plus those still open.
	Sessions             int64
	StatementsPerSession float64
	P50Statements        int64
	P95Statements        int64
	MaxStatements        int64
	Untracked            int64 // statements of sessions past MaxSessions
}

// Digest is a snapshot of everything aggregated so far.
type Digest struct {
	Queries      []Query // by total time, then count, descending
	Statements   int64
	Timed        int64
	TotalTime    time.Duration
	Fingerprints int   // distinct fingerprints kept
	Overflow     int64 // statements counted under "other"
	Connections  Connections
}

// Digest returns a snapshot; the aggregator may keep receiving statements.
func (a *Aggregator) Digest() Digest {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := Digest{Statements: a.stmts, Timed: a.timed, Fingerprints: len(a.byID), Overflow: a.overflow}
	d.Queries = make([]Query, 0, len(a.byID)+1)
	for _, e := range a.byID {
		d.Queries = append(d.Queries, e.query())
		d.TotalTime = parse.SatAdd(d.TotalTime, e.total)
	}
	if a.other != nil {
		q := a.other.query()
		q.ID, q.Other = OtherID, true
		d.Queries = append(d.Queries, q)
		d.TotalTime = parse.SatAdd(d.TotalTime, a.other.total)
	}
	sort.Slice(d.Queries, func(i, j int) bool {
		qi, qj := &d.Queries[i], &d.Queries[j]
		if qi.Total != qj.Total {
			return qi.Total > qj.Total
		}
		if qi.Count != qj.Count {
			return qi.Count > qj.Count
		}
		return qi.ID < qj.ID
	})
	d.Connections = a.connections()
	return d
}

func (e *entry) query() Query {
	q := Query{ID: fingerprint.IDString(e.id), Fingerprint: e.fp, FingerprintCut: e.fpCut,
		Count: e.count, Timed: e.timed, Total: e.total, Max: e.max, Prepare: e.prepare,
		Rows: e.rows, RowsKnown: e.rowsKnown, DistinctParams: e.params.Count(),
		Sessions: e.sessions.Count(), First: e.first, Last: e.last,
		Slowest: e.slowest, Typical: e.typical, Histogram: e.hist.Buckets(),
		Formats: append([]string(nil), e.formats...), Truncated: e.truncated}
	if e.timed > 0 {
		q.Mean = e.total / time.Duration(e.timed)
		q.P50 = clamp(e.hist.Quantile(0.50), e.min, e.max)
		q.P95 = clamp(e.hist.Quantile(0.95), e.min, e.max)
		q.P99 = clamp(e.hist.Quantile(0.99), e.min, e.max)
	}
	for kv, n := range e.tags {
		k, v, _ := strings.Cut(kv, "=")
		q.Tags = append(q.Tags, Tag{Key: k, Value: v, Count: n})
	}
	sort.Slice(q.Tags, func(i, j int) bool {
		if q.Tags[i].Count != q.Tags[j].Count {
			return q.Tags[i].Count > q.Tags[j].Count
		}
		return q.Tags[i].Key+q.Tags[i].Value < q.Tags[j].Key+q.Tags[j].Value
	})
	return q
}

func (a *Aggregator) connections() Connections {
	c := &a.conns
	out := Connections{Received: c.received, Opened: c.opened, Closed: c.closed, Reused: c.reused,
		SessionsTimed: c.sessN, MaxSession: c.sessMax, SessionHistogram: c.sessHist.Buckets(),
		Untracked: c.untracked}
	if c.sessN > 0 {
		out.MeanSession = c.sessSum / time.Duration(c.sessN)
		out.P50Session = min(c.sessHist.Quantile(0.5), c.sessMax)
		out.P95Session = min(c.sessHist.Quantile(0.95), c.sessMax)
	}
	per := c.perSession
	n, sum := c.perSessionN, c.perSessionSum
	var maxStmts int64
	for _, ls := range a.live {
		if ls.stmts == 0 {
			continue // opened, nothing yet: not a session with work
		}
		per.Add(time.Duration(ls.stmts))
		n++
		sum += ls.stmts
		maxStmts = max(maxStmts, ls.stmts)
	}
	out.Sessions = n
	if n > 0 {
		out.StatementsPerSession = float64(sum) / float64(n)
		out.P50Statements = int64(per.Quantile(0.5))
		out.P95Statements = int64(per.Quantile(0.95))
		for i := len(per.counts) - 1; i >= 0; i-- {
			if per.counts[i] > 0 {
				_, hi := histBounds(i)
				out.MaxStatements = max(maxStmts, hi-1)
				break
			}
		}
	}
	return out
}

// ---------------------------------------------------------------- JSON

// QueryJSON is one entry of the JSON report's "queries" array (README.md, "JSON report").
type QueryJSON struct {
	ID             string  `json:"id"`
	Fingerprint    string  `json:"fingerprint"`
	Count          int64   `json:"count"`
	TotalMs        float64 `json:"total_ms"`
	MeanMs         float64 `json:"mean_ms"`
	P50Ms          float64 `json:"p50_ms"`
	P95Ms          float64 `json:"p95_ms"`
	P99Ms          float64 `json:"p99_ms"`
	MaxMs          float64 `json:"max_ms"`
	Rows           int64   `json:"rows"`
	DistinctParams int64   `json:"distinct_params"`
	Example        string  `json:"example"`
}

// ConnectionsJSON is the JSON report's "connections" object (README.md, "JSON report").
type ConnectionsJSON struct {
	Opened        int64   `json:"opened"`
	Closed        int64   `json:"closed"`
	MeanSessionMs float64 `json:"mean_session_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// JSON renders the query as the report's "queries" entry. The example is
// the slowest statement.
func (q Query) JSON() QueryJSON {
	return QueryJSON{ID: q.ID, Fingerprint: q.Fingerprint, Count: q.Count,
		TotalMs: ms(q.Total), MeanMs: ms(q.Mean), P50Ms: ms(q.P50), P95Ms: ms(q.P95),
		P99Ms: ms(q.P99), MaxMs: ms(q.Max), Rows: q.Rows, DistinctParams: q.DistinctParams,
		Example: q.Slowest.Text}
}

// JSON renders the report's "connections" object.
func (c Connections) JSON() ConnectionsJSON {
	return ConnectionsJSON{Opened: c.Opened, Closed: c.Closed, MeanSessionMs: ms(c.MeanSession)}
}

// QueriesJSON renders every query, in digest order.
func (d Digest) QueriesJSON() []QueryJSON {
	out := make([]QueryJSON, len(d.Queries))
	for i, q := range d.Queries {
		out[i] = q.JSON()
	}
	return out
}

// Find returns the query with the given id.
func (d Digest) Find(id string) (Query, bool) {
	for _, q := range d.Queries {
		if q.ID == id {
			return q, true
		}
	}
	return Query{}, false
}

// Sink adapts the aggregator to a full parse.Sink that ignores everything
// but statements and connection events (benchmarks, tests, tools).
func (a *Aggregator) Sink() parse.Sink { return sinkAdapter{a} }

type sinkAdapter struct{ *Aggregator }

func (sinkAdapter) Profile(*parse.Source, *profile.Profile)         {}
func (sinkAdapter) Span(*parse.Source, *parse.Span)                 {}
func (sinkAdapter) Stall(*parse.Source, *parse.Stall)               {}
func (sinkAdapter) Goroutines(*parse.Source, []parse.GoroutineStat) {}
