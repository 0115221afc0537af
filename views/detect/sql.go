package detect

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"hotpath/parse"
	"hotpath/views/fingerprint"
	"hotpath/views/units"
)

// SQLOptions are the SQL detectors' thresholds (command-line flags).
type SQLOptions struct {
	// MinRepeats is how many statements of one fingerprint with differing
	// parameters in one unit of work make an N+1 (Sentry uses 5).
	MinRepeats int
	// WindowGap closes a unit of work on a session after this much silence
	// (transaction boundaries and disconnections close it too).
	WindowGap time.Duration
	// MinDuplicates is how many executions of one read with the same
	// parameters make it cacheable.
	MinDuplicates int
	// MinConnections is how many connections a source must open before
	// per-unit-of-work connecting counts as a missing pool.
	MinConnections int
	// PoolStatementsPerSession: sessions averaging no more statements than
	// this are connect-per-request.
	PoolStatementsPerSession float64
	// ShortSession: a connection closed after at most this many statements
	// served one unit of work and was thrown away.
	ShortSession int
	// AssumedConnectCost is charged per connection when the log does not
	// show how long connecting took.
	AssumedConnectCost time.Duration
	// SlowMean and SlowP95 make a fingerprint a slow query when its mean or
	// p95 reaches them and it holds at least SlowShare of statement time.
	SlowMean, SlowP95 time.Duration
	SlowShare         float64
	// MaxSessions, MaxPairs bound memory whatever the log size.
	MaxSessions, MaxPairs int
}

// DefaultSQLOptions are the flags' defaults.
func DefaultSQLOptions() SQLOptions {
	return SQLOptions{MinRepeats: 5, WindowGap: time.Second, MinDuplicates: 10, MinConnections: 10,
		PoolStatementsPerSession: 50, ShortSession: 20, AssumedConnectCost: 2 * time.Millisecond,
		SlowMean: 100 * time.Millisecond, SlowP95: 250 * time.Millisecond, SlowShare: 0.05,
		MaxSessions: 100_000, MaxPairs: 200_000}
}

func (o SQLOptions) withDefaults() SQLOptions {
	d := DefaultSQLOptions()
	if o.MinRepeats <= 0 {
		o.MinRepeats = d.MinRepeats
	}
	if o.WindowGap <= 0 {
		o.WindowGap = d.WindowGap
	}
	if o.MinDuplicates <= 0 {
		o.MinDuplicates = d.MinDuplicates
	}
	if o.MinConnections <= 0 {
		o.MinConnections = d.MinConnections
	}
	if o.PoolStatementsPerSession <= 0 {
		o.PoolStatementsPerSession = d.PoolStatementsPerSession
	}
	if o.ShortSession <= 0 {
		o.ShortSession = d.ShortSession
	}
	if o.AssumedConnectCost <= 0 {
		o.AssumedConnectCost = d.AssumedConnectCost
	}
	if o.SlowMean <= 0 {
		o.SlowMean = d.SlowMean
	}
	if o.SlowP95 <= 0 {
		o.SlowP95 = d.SlowP95
	}
	if o.SlowShare <= 0 {
		o.SlowShare = d.SlowShare
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = d.MaxSessions
	}
	if o.MaxPairs <= 0 {
		o.MaxPairs = d.MaxPairs
	}
	return o
}

// SQLDetector watches statements and connection events as they stream
// past, per source and session, in bounded memory: it keeps the current
// unit of work of each live session and aggregates per fingerprint, never
// the statements themselves. Safe for concurrent use.
type SQLDetector struct {
	opt   SQLOptions
	cache *fingerprint.Cache

	mu       sync.Mutex
	sessions map[sessionKey]*window
	nplus    map[nplusKey]*nplusAgg
	pairs    map[pairKey]*pairAgg
	firsts   map[pairKey]time.Duration // reads seen once, by their duration
	fps      map[uint64]*fpInfo
	sources  map[*parse.Source]*sourceAgg
	free     []*window
}

type sessionKey struct {
	src     *parse.Source
	session string
}

// window is one session's current unit of work.
type window struct {
	last  time.Time // end of the last statement
	n     int
	fps   []windowFP // in order of first appearance: fps[:i] came before fps[i]
	route string
	trace string
}

// maxWindowFPs bounds the distinct fingerprints one unit of work tracks;
// windows are small, so a linear search beats a map.
const maxWindowFPs = 256

func (w *window) find(id uint64) *windowFP {
	for i := range w.fps {
		if w.fps[i].id == id {
			return &w.fps[i]
		}
	}
	return nil
}

type windowFP struct {
	id       uint64
	n        int
	values   [8]uint64 // distinct value hashes seen, up to 8
	distinct int
	time     time.Duration
	example  []string
}

type nplusKey struct {
	fp, source uint64
	src        *parse.Source
}

type nplusAgg struct {
	bursts     int64
	statements int64
	time       time.Duration
	avoidable  time.Duration
	maxBurst   int
	examples   []string
	routes     map[string]int64
	traces     []string
}

type pairKey struct {
	fp, values uint64
	src        *parse.Source
}

type pairAgg struct {
	count   int64
	time    time.Duration
	example string
	routes  map[string]int64 // up to 4 routes that ran it
}

type fpInfo struct {
	text   string
	isRead bool
	count  int64
	time   time.Duration
	timed  int64
	hist   []time.Duration // bounded reservoir for p95
	routes map[string]int64
	file   string
}

type sourceAgg struct {
	format      string
	statements  int64
	timed       time.Duration
	hasDuration bool
	opened      int64
	closed      int64
	sessionTime time.Duration
	setup       time.Duration // measured connect time (received → authorized)
	setupN      int64
	received    map[string]time.Time
	stmts       map[string]int // statements per live session
	openedAt    map[string]time.Time
	sessRoute   map[string]string // first route tag per live session
	shortRoutes map[string]int64  // routes of the short sessions
	short       int64             // sessions closed after ≤ ShortSession statements
	first, last time.Time
}

// NewSQLDetector returns a detector with opt's thresholds.
func NewSQLDetector(opt SQLOptions) *SQLDetector {
	d := &SQLDetector{opt: opt.withDefaults(), sessions: map[sessionKey]*window{}, nplus: map[nplusKey]*nplusAgg{},
		pairs: map[pairKey]*pairAgg{}, firsts: map[pairKey]time.Duration{}, fps: map[uint64]*fpInfo{}, sources: map[*parse.Source]*sourceAgg{}}
	d.cache = fingerprint.NewCache(0, false)
	return d
}

// isTxBoundary reports transaction control: "begin isolation level …",
// "commit", "start transaction" … Fingerprints have lower-case keywords,
// so no case folding (and no allocation) is needed.
func isTxBoundary(fp []byte) bool {
	w := fp
	if i := bytes.IndexAny(w, " ;"); i >= 0 {
		w = w[:i]
	}
	switch string(w) { // no allocation: the compiler compares in place
	case "begin", "commit", "rollback", "end", "abort":
		return true
	case "start":
		return bytes.HasPrefix(fp, []byte("start transaction"))
	}
	return false
}

// maxFPs bounds the fingerprints the detector describes.
const maxFPs = 10_000

// Observe takes one statement with the fingerprint the query digest
// computed (the detector is a querydigest.Observer): values are the literal
// values and bind parameters hashed, fp the normalised text.
func (d *SQLDetector) Observe(src *parse.Source, st *parse.Statement, id, values uint64, fp string) {
	if id == 0 { // past the digest's fingerprint limit: fingerprint here
		r := d.cache.Lookup(st.Text)
		id, fp, values = r.ID, r.Fingerprint, r.Values
		for _, p := range st.Params {
			values = fingerprint.MixString(values, p)
		}
	}
	fpb := unsafe.Slice(unsafe.StringData(fp), len(fp))
	boundary := isTxBoundary(fpb)
	if t := bytes.TrimSpace(bytes.Trim(fpb, ";")); len(t) == 0 || bytes.HasPrefix(t, []byte("--")) || bytes.HasPrefix(t, []byte("/*")) {
		return // an empty statement or a lone comment (a driver's ping): nothing to learn
	}
	var text string
	var isRead bool

	d.mu.Lock()
	defer d.mu.Unlock()
	info := d.fps[id]
	if info == nil && len(d.fps) < maxFPs {
		text = fp
		isRead = strings.HasPrefix(text, "select") && !strings.Contains(text, " for update")
		info = &fpInfo{text: text, isRead: isRead, routes: map[string]int64{}}
		d.fps[id] = info
	}
	sa := d.source(src)
	sa.statements++
	end := st.Start.Add(st.Duration)
	if st.HasDuration {
		sa.timed += st.Duration
		sa.hasDuration = true
	}
	if !st.Start.IsZero() {
		if sa.first.IsZero() || st.Start.Before(sa.first) {
			sa.first = st.Start
		}
		if end.After(sa.last) {
			sa.last = end
		}
	}
	route := st.Tags["route"]
	if info != nil {
		info.count++
		if st.HasDuration {
			info.time += st.Duration
			info.timed++
			if len(info.hist) < 1024 {
				info.hist = append(info.hist, st.Duration)
			} else {
				info.hist[info.count%1024] = st.Duration
			}
		}
		if route != "" && len(info.routes) < 16 {
			info.routes[route]++
		}
		if f := st.Tags["file"]; f != "" && info.file == "" {
			info.file = f
		}
	}
	if st.Session == "" {
		return
	}
	if n, ok := sa.stmts[st.Session]; ok {
		sa.stmts[st.Session] = n + 1
	} else if len(sa.stmts) < d.opt.MaxSessions {
		sa.stmts[strings.Clone(st.Session)] = 1
	}
	if route != "" {
		if _, ok := sa.sessRoute[st.Session]; !ok && len(sa.sessRoute) < d.opt.MaxSessions {
			sa.sessRoute[strings.Clone(st.Session)] = strings.Clone(route)
		}
	}
	key := sessionKey{src, st.Session}
	if boundary {
		d.closeWindow(key)
		return
	}
	w := d.sessions[key]
	if w != nil && !st.Start.IsZero() && !w.last.IsZero() && st.Start.Sub(w.last) > d.opt.WindowGap {
		d.closeWindow(key)
		w = nil
	}
	if w == nil {
		if len(d.sessions) >= d.opt.MaxSessions {
			return
		}
		key.session = strings.Clone(key.session)
		if n := len(d.free); n > 0 {
			w, d.free = d.free[n-1], d.free[:n-1]
		} else {
			w = &window{}
		}
		d.sessions[key] = w
	}
	w.n++
	if end.After(w.last) {
		w.last = end
	}
	if route != "" && w.route == "" {
		w.route = strings.Clone(route)
	}
	if tp := st.Tags["traceparent"]; tp != "" && w.trace == "" {
		w.trace = traceIDOf(tp)
	}
	wf := w.find(id)
	if wf == nil {
		if len(w.fps) >= maxWindowFPs {
			return
		}
		w.fps = append(w.fps, windowFP{id: id})
		wf = &w.fps[len(w.fps)-1]
	}
	wf.n++
	wf.time += st.Duration
	if wf.distinct < len(wf.values) {
		seen := false
		for _, v := range wf.values[:wf.distinct] {
			if v == values {
				seen = true
				break
			}
		}
		if !seen {
			wf.values[wf.distinct] = values
			wf.distinct++
		}
	}
	if len(wf.example) < 3 && wf.n >= 2 && wf.n <= 4 { // only repeats can become evidence
		wf.example = append(wf.example, clip(st.Text, 300)+paramSuffix(st.Params))
	}
	if info != nil && info.isRead {
		pk := pairKey{id, values, src}
		pa := d.pairs[pk]
		if pa == nil {
			// Most reads never repeat with the same values: count their
			// first execution in a pointer-free map, and describe a pair
			// only once it repeats.
			first, seen := d.firsts[pk]
			switch {
			case !seen && len(d.firsts) < d.opt.MaxPairs:
				d.firsts[pk] = st.Duration
				return
			case seen && len(d.pairs) < d.opt.MaxPairs:
				delete(d.firsts, pk)
				pa = &pairAgg{example: clip(st.Text, 300) + paramSuffix(st.Params), count: 1, time: first}
				d.pairs[pk] = pa
			}
		}
		if pa != nil {
			pa.count++
			pa.time += st.Duration
			if route != "" {
				if pa.routes == nil {
					pa.routes = map[string]int64{}
				}
				if _, ok := pa.routes[route]; ok || len(pa.routes) < 4 {
					pa.routes[strings.Clone(route)]++
				}
			}
		}
	}
}

func paramSuffix(ps []string) string {
	if len(ps) == 0 {
		return ""
	}
	return " -- params: " + clip(strings.Join(ps, ", "), 120)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return strings.Clone(s)
	}
	return strings.Clone(s[:n]) + "…"
}

// traceIDOf extracts the trace id of a W3C traceparent.
func traceIDOf(tp string) string {
	parts := strings.Split(tp, "-")
	if len(parts) >= 2 && len(parts[1]) == 32 {
		return parts[1]
	}
	return ""
}

func (d *SQLDetector) source(src *parse.Source) *sourceAgg {
	sa := d.sources[src]
	if sa == nil {
		sa = &sourceAgg{received: map[string]time.Time{}, stmts: map[string]int{}, openedAt: map[string]time.Time{}, sessRoute: map[string]string{}, shortRoutes: map[string]int64{}}
		if src != nil {
			sa.format = src.Format()
		}
		d.sources[src] = sa
	}
	return sa
}

// closeWindow ends a session's unit of work and records its N+1 bursts.
func (d *SQLDetector) closeWindow(key sessionKey) {
	w := d.sessions[key]
	if w == nil {
		return
	}
	delete(d.sessions, key)
	d.recordBursts(d.nplus, key.src, w)
	if len(d.free) < 1024 { // reuse: a log has a unit of work per transaction
		for i := range w.fps {
			w.fps[i].example = nil
		}
		*w = window{fps: w.fps[:0]}
		d.free = append(d.free, w)
	}
}

// recordBursts adds w's N+1 bursts to into.
func (d *SQLDetector) recordBursts(into map[nplusKey]*nplusAgg, src *parse.Source, w *window) {
	for i := range w.fps {
		wf := &w.fps[i]
		id := wf.id
		if wf.n < d.opt.MinRepeats || wf.distinct < 2 {
			continue
		}
		// The source query is the 1 of 1+N: of the statements seen before
		// the loop began, the one run fewest times. A loop runs its query N
		// times per run of its source; a unit of work that merely repeats
		// several requests' statements (a pooled connection without
		// transaction boundaries) does not, and one without any earlier
		// statement shows no source at all.
		source, sn := uint64(0), 0
		for _, e := range w.fps[:i] {
			if source == 0 || e.n < sn {
				source, sn = e.id, e.n
			}
		}
		if source == 0 || wf.n < d.opt.MinRepeats*sn {
			continue
		}
		k := nplusKey{fp: id, source: source, src: src}
		a := into[k]
		if a == nil {
			if len(into) >= maxFPs {
				continue
			}
			a = &nplusAgg{routes: map[string]int64{}}
			into[k] = a
		}
		a.bursts++
		a.statements += int64(wf.n)
		a.time += wf.time
		// One batched query replaces n: (n−1)/n of the burst's time goes.
		a.avoidable += wf.time * time.Duration(wf.n-1) / time.Duration(wf.n)
		a.maxBurst = max(a.maxBurst, wf.n)
		if len(a.examples) < 3 {
			a.examples = append(a.examples, wf.example...)
			if len(a.examples) > 3 {
				a.examples = a.examples[:3]
			}
		}
		if w.route != "" && len(a.routes) < 16 {
			a.routes[w.route]++
		}
		if w.trace != "" && len(a.traces) < 5 {
			a.traces = append(a.traces, w.trace)
		}
	}
}

// Conn takes a connection event (querydigest.Observer).
func (d *SQLDetector) Conn(src *parse.Source, ev *parse.ConnEvent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	sa := d.source(src)
	switch ev.Kind {
	case parse.ConnReceived:
		if ev.Session != "" && len(sa.received) < d.opt.MaxSessions {
			sa.received[strings.Clone(ev.Session)] = ev.Time
		}
	case parse.ConnOpened:
		sa.opened++
		if ev.Session != "" && !ev.Time.IsZero() && len(sa.openedAt) < d.opt.MaxSessions {
			sa.openedAt[strings.Clone(ev.Session)] = ev.Time
		}
		if t, ok := sa.received[ev.Session]; ok {
			delete(sa.received, ev.Session)
			if !t.IsZero() && !ev.Time.IsZero() && ev.Time.After(t) && ev.Time.Sub(t) < time.Minute {
				sa.setup += ev.Time.Sub(t)
				sa.setupN++
			}
		}
	case parse.ConnClosed:
		sa.closed++
		sa.sessionTime += ev.SessionTime
		lifetime := ev.SessionTime
		if t, ok := sa.openedAt[ev.Session]; ok {
			delete(sa.openedAt, ev.Session)
			if lifetime == 0 && !ev.Time.IsZero() && ev.Time.After(t) {
				lifetime = ev.Time.Sub(t)
			}
		}
		n, counted := sa.stmts[ev.Session]
		delete(sa.stmts, ev.Session)
		// Short-lived: few statements, or — when the log's sessions do not
		// carry statements (an application log keyed by task, not by
		// connection) — closed within a second of opening.
		if counted && n <= d.opt.ShortSession || !counted && lifetime > 0 && lifetime < time.Second {
			sa.short++
			if r := sa.sessRoute[ev.Session]; r != "" && len(sa.shortRoutes) < 64 {
				sa.shortRoutes[r]++
			}
		}
		delete(sa.sessRoute, ev.Session)
		d.closeWindow(sessionKey{src, ev.Session})
	}
}

// Findings returns what the statements showed so far, counting the units of
// work still open as if they ended now (without closing them: more
// statements may stream in).
func (d *SQLDetector) Findings() []*Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	nplus := make(map[nplusKey]*nplusAgg, len(d.nplus))
	for k, a := range d.nplus {
		c := *a
		c.routes = make(map[string]int64, len(a.routes))
		for r, n := range a.routes {
			c.routes[r] = n
		}
		c.examples = append([]string(nil), a.examples...)
		c.traces = append([]string(nil), a.traces...)
		nplus[k] = &c
	}
	for k, w := range d.sessions {
		d.recordBursts(nplus, k.src, w)
	}
	var out []*Finding
	out = append(out, d.nplusFindings(nplus)...)
	out = append(out, d.duplicateFindings()...)
	out = append(out, d.poolFindings()...)
	out = append(out, d.slowFindings()...)
	return out
}

func (d *SQLDetector) observed(src *parse.Source) time.Duration {
	sa := d.sources[src]
	if sa == nil {
		return 0
	}
	return sa.timed
}

func (d *SQLDetector) fpText(id uint64) string {
	if f := d.fps[id]; f != nil {
		return f.text
	}
	return fingerprint.IDString(id)
}

func topRoute(m map[string]int64) string {
	best, n := "", int64(0)
	for r, c := range m {
		if c > n || (c == n && r < best) {
			best, n = r, c
		}
	}
	return best
}

func (d *SQLDetector) nplusFindings(nplus map[nplusKey]*nplusAgg) []*Finding {
	var out []*Finding
	for k, a := range nplus {
		fp := d.fpText(k.fp)
		loc := Location{Route: topRoute(a.routes)}
		if info := d.fps[k.fp]; info != nil && info.file != "" {
			loc.File = info.file
		}
		f := &Finding{
			Kind:        NPlusOne,
			Title:       fmt.Sprintf("N+1: %d bursts of up to %d × %s after %s", a.bursts, a.maxBurst, short(fp, 60), short(d.fpText(k.source), 40)),
			Fingerprint: fp, QueryID: fingerprint.IDString(k.fp), Count: a.statements,
			TraceIDs:  a.traces,
			Avoidable: a.avoidable, Observed: d.observed(k.src),
			Formula: fmt.Sprintf("avoidable = Σ over %d bursts of (n−1)/n × burst time = %s of %s in %d statements (one batched query per burst instead of n)",
				a.bursts, units.Duration(a.avoidable), units.Duration(a.time), a.statements),
			Evidence: []Evidence{{Source: sourceFormat(k.src), Count: a.statements, Time: a.time, Examples: a.examples,
				What: fmt.Sprintf("%d units of work each ran ≥ %d statements of this fingerprint with differing parameters (up to %d) after %q", a.bursts, d.opt.MinRepeats, a.maxBurst, short(d.fpText(k.source), 60))}},
			Recommendation: "Fetch the rows in one query: eager-load the relationship (SQLAlchemy selectinload/joinedload, Django select_related/prefetch_related, Rails includes, GORM Preload) or batch the ids into one WHERE id IN (…).",
		}
		if loc != (Location{}) {
			f.Locations = []Location{loc}
		}
		out = append(out, f)
	}
	return out
}

func (d *SQLDetector) duplicateFindings() []*Finding {
	type agg struct {
		count, pairs int64
		time         time.Duration
		avoid        time.Duration
		example      string
		routes       map[string]int64
		src          *parse.Source
	}
	byFP := map[uint64]*agg{}
	for k, p := range d.pairs {
		if p.count < int64(d.opt.MinDuplicates) {
			continue
		}
		a := byFP[k.fp]
		if a == nil {
			a = &agg{src: k.src, example: p.example, routes: map[string]int64{}}
			byFP[k.fp] = a
		}
		for r, n := range p.routes {
			a.routes[r] += n
		}
		a.count += p.count
		a.pairs++
		a.time += p.time
		// A cache serves every repeat but the first.
		a.avoid += p.time * time.Duration(p.count-1) / time.Duration(p.count)
	}
	var out []*Finding
	for id, a := range byFP {
		fp := d.fpText(id)
		f := &Finding{
			Kind:        CacheableDuplicate,
			Title:       fmt.Sprintf("the same read repeats: %d executions of %s with %d parameter set(s)", a.count, short(fp, 60), a.pairs),
			Fingerprint: fp, QueryID: fingerprint.IDString(id), Count: a.count,
			Avoidable: a.avoid, Observed: d.observed(a.src),
			Formula: fmt.Sprintf("avoidable = Σ over %d parameter set(s) of (count−1)/count × their time = %s of %s (a cache answers all but the first)",
				a.pairs, units.Duration(a.avoid), units.Duration(a.time)),
			Evidence: []Evidence{{Source: sourceFormat(a.src), Count: a.count, Time: a.time, Examples: []string{a.example},
				What: fmt.Sprintf("%d executions with identical parameters (≥ %d each)", a.count, d.opt.MinDuplicates)}},
			Recommendation: "Cache the result (per request, or in-process with a TTL, or Redis) and invalidate it on write; settings and profiles rarely change between requests.",
		}
		if r := topRoute(a.routes); r != "" {
			f.Locations = []Location{{Route: r}}
		}
		out = append(out, f)
	}
	return out
}

func (d *SQLDetector) poolFindings() []*Finding {
	var out []*Finding
	for src, sa := range d.sources {
		// Connections thrown away after one unit of work: counted at close
		// where the log closes sessions, else judged from the average.
		churn := sa.short
		basis := fmt.Sprintf("%d of %d closed connections served ≤ %d statements", sa.short, sa.closed, d.opt.ShortSession)
		if sa.closed == 0 && sa.opened > 0 && float64(sa.statements)/float64(sa.opened) <= d.opt.PoolStatementsPerSession {
			churn = sa.opened
			basis = fmt.Sprintf("%d connections opened for %d statements (%.1f each); the log does not show them close", sa.opened, sa.statements, float64(sa.statements)/float64(sa.opened))
		}
		if churn < int64(d.opt.MinConnections) {
			continue
		}
		var avoid time.Duration
		var formula string
		if sa.setupN > 0 {
			mean := sa.setup / time.Duration(sa.setupN)
			avoid = mean * time.Duration(churn)
			formula = fmt.Sprintf("avoidable = %d short-lived connections × %s mean connect time (received → authorized, measured on %d) = %s", churn, units.Duration(mean), sa.setupN, units.Duration(avoid))
		} else {
			avoid = d.opt.AssumedConnectCost * time.Duration(churn)
			formula = fmt.Sprintf("avoidable = %d short-lived connections × %s assumed connect cost (the log does not time connecting) = %s", churn, units.Duration(d.opt.AssumedConnectCost), units.Duration(avoid))
		}
		// Observed: what the database spent for the workload (statements
		// plus connecting), or the log's span when it has no durations.
		observed := sa.timed + sa.setup
		if !sa.hasDuration {
			observed = sa.last.Sub(sa.first)
		}
		what := basis
		if sa.closed > 0 && sa.sessionTime > 0 {
			what += fmt.Sprintf("; sessions last %s on average", units.Duration(sa.sessionTime/time.Duration(sa.closed)))
		}
		var locs []Location
		if r := topRoute(sa.shortRoutes); r != "" {
			locs = []Location{{Route: r}}
			what += fmt.Sprintf("; most served %s (%d)", r, sa.shortRoutes[r])
		}
		out = append(out, &Finding{
			Kind:      NoConnectionPool,
			Locations: locs,
			Title:     fmt.Sprintf("a new database connection per unit of work: %d short-lived connections", churn),
			Count:     churn,
			Avoidable: avoid, Observed: max(observed, avoid), Formula: formula,
			Evidence:       []Evidence{{Source: sourceFormat(src), Count: churn, Time: avoid, What: what}},
			Recommendation: "Keep connections open in a pool (pgxpool, database/sql's pool, SQLAlchemy QueuePool instead of NullPool, PgBouncer in front of the database) and reuse them across requests.",
		})
	}
	return out
}

func (d *SQLDetector) slowFindings() []*Finding {
	var out []*Finding
	var total time.Duration
	var src *parse.Source
	for s, sa := range d.sources {
		total += sa.timed
		if sa.hasDuration && src == nil {
			src = s
		}
	}
	if total == 0 {
		return nil
	}
	for id, info := range d.fps {
		if info.timed == 0 || !isQuery(info.text) {
			continue
		}
		mean := info.time / time.Duration(info.timed)
		p95 := percentile(info.hist, 0.95)
		share := float64(info.time) / float64(total)
		if share < d.opt.SlowShare || (mean < d.opt.SlowMean && p95 < d.opt.SlowP95) {
			continue
		}
		// An index or rewrite that brings every execution down to the
		// slow-query threshold's tenth is the estimate.
		target := d.opt.SlowMean / 10
		avoid := info.time - target*time.Duration(info.timed)
		if avoid <= 0 {
			continue
		}
		f := &Finding{
			Kind:        SlowQuery,
			Title:       fmt.Sprintf("slow query: %s (mean %s, p95 %s, %.0f%% of statement time)", short(info.text, 60), units.Duration(mean), units.Duration(p95), share*100),
			Fingerprint: info.text, QueryID: fingerprint.IDString(id), Count: info.count,
			Avoidable: avoid, Observed: total,
			Formula: fmt.Sprintf("avoidable = %s total − %d executions × %s (a tenth of the %s slow threshold, what an index typically leaves) = %s",
				units.Duration(info.time), info.timed, units.Duration(target), units.Duration(d.opt.SlowMean), units.Duration(avoid)),
			Evidence: []Evidence{{Source: sourceFormat(src), Count: info.count, Time: info.time,
				What: fmt.Sprintf("%d executions, %s in all, mean %s, p95 %s", info.count, units.Duration(info.time), units.Duration(mean), units.Duration(p95))}},
			Recommendation: "EXPLAIN ANALYZE it: add the index its WHERE/ORDER BY needs, select fewer columns, or paginate; if it cannot be fast, cache it or move it off the request path.",
		}
		if r := topRoute(info.routes); r != "" {
			f.Locations = []Location{{Route: r}}
		}
		out = append(out, f)
	}
	return out
}

// isQuery tells the statements an index or rewrite can speed up (reads
// and writes) from DDL, COPY, VACUUM and transaction control, which are
// slow by nature and not a query to fix.
func isQuery(fp string) bool {
	w, _, _ := strings.Cut(strings.TrimLeft(fp, "( "), " ")
	switch w {
	case "select", "insert", "update", "delete", "with", "merge", "replace":
		return true
	}
	return false
}

func percentile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

func sourceFormat(src *parse.Source) string {
	if src == nil {
		return "sql-log"
	}
	return src.Format()
}

func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
