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
	// unitTime and units add up the units of work that ended: the
	// fallback denominator where no request is known.
	unitTime  time.Duration
	units     int
	stmtsSeen int64 // statements, for the periodic sweep of idle units
	lastSrc   *parse.Source
	lastAgg   *sourceAgg
}

type sessionKey struct {
	src     *parse.Source
	unit    unitKind
	session string
}

// unitKind says what names a unit of work.
type unitKind uint8

const (
	unitSession unitKind = iota
	unitTrace
	unitRequest
	unitTask
)

// window is one unit of work: a request or trace's statements where the
// log names it, else a session's statements between transaction
// boundaries and silences.
type window struct {
	first time.Time // start of the first statement
	last  time.Time // end of the last statement
	n     int
	// session: keyed by the connection or thread, so transaction
	// boundaries and silences end it; else keyed by request/trace/task.
	session bool
	prev    uint64     // fingerprint of the unit's previous statement
	fps     []windowFP // in order of first appearance: fps[:i] came before fps[i]
	route   string
	trace   string
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
	id uint64
	n  int
	// The current run of this fingerprint (a loop executing): it goes on
	// while at most maxInterleave other statements come between two of
	// its executions; source is the statement just before it began.
	last        int
	run         int
	runTime     time.Duration
	runVals     [8]uint64
	runDistinct int
	runSource   uint64
	runGap      int // statements from one execution to the next, as the run began
	runRegular  int // repeats at that same distance: a loop repeats its body
	// Runs that ended as N+1 bursts.
	bursts      int
	burstStmts  int
	burstTime   time.Duration
	burstAvoid  time.Duration
	burstMax    int
	burstSource uint64
	site        Location  // the call site the log names (Rails ↳, sqlcommenter)
	values      [8]uint64 // distinct value hashes seen, up to 8
	distinct    int
	time        time.Duration
	example     []string
}

type nplusKey struct {
	fp, source uint64
	src        *parse.Source
}

type nplusAgg struct {
	site       Location
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

// sessState is what the detector knows of one live session.
type sessState struct {
	stmts     int    // statements so far
	route     string // the first route tag
	db        string
	setup     bool // ran DDL or COPY: a migration or a load
	openedAt  time.Time
	authAt    time.Time     // when it was authorized
	authCost  time.Duration // received → authorized
	firstStmt time.Time     // its first application statement
	win       *window       // its open unit of work, as d.sessions has it
	unitTime  time.Duration // its closed units of work
}

// sess is the state of a live session, made on first sight while fewer
// than max are live (memory stays bounded; nil past that).
func (sa *sourceAgg) sess(name string, max int) *sessState {
	if ss := sa.live[name]; ss != nil {
		return ss
	}
	if len(sa.live) >= max {
		return nil
	}
	var ss *sessState
	if n := len(sa.freeSess); n > 0 {
		ss, sa.freeSess = sa.freeSess[n-1], sa.freeSess[:n-1]
	} else {
		ss = &sessState{}
	}
	sa.live[strings.Clone(name)] = ss
	return ss
}

// endSess forgets a closed session, keeping its state for the next one:
// a log of a connection per transaction opens thousands.
func (sa *sourceAgg) endSess(name string) {
	if ss := sa.live[name]; ss != nil {
		delete(sa.live, name)
		if len(sa.freeSess) < 1024 {
			*ss = sessState{}
			sa.freeSess = append(sa.freeSess, ss)
		}
	}
}

// fpStat is one fingerprint's timings in one source.
type fpStat struct {
	count  int64
	time   time.Duration
	timed  int64
	hist   []time.Duration // bounded reservoir for p95
	routes map[string]int64
}

type fpInfo struct {
	text   string
	isRead bool
	// noise: driver housekeeping, never a finding (rule 7)
	noise bool
	// What the fingerprint is, decided once: nothing (empty or a lone
	// comment), a transaction boundary, DDL/COPY.
	empty, boundary, setup bool
	// withinUnit counts executions that repeated an earlier one with the
	// same values in the same unit of work (a per-request memo fixes
	// those; a cache across requests the rest).
	withinUnit int64
	file       string
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
	shortRoutes map[string]int64 // routes of the short sessions
	short       int64            // sessions closed after ≤ ShortSession statements
	first, last time.Time
	setupHist   []time.Duration       // measured connect times, a bounded reservoir
	shortDBs    map[string]int64      // databases of the short sessions
	live        map[string]*sessState // the live sessions (connections, threads)
	freeSess    []*sessState
	fps         map[uint64]*fpStat
	overhead    []time.Duration // connect → first application statement of short sessions, a bounded reservoir
	overheadN   int64
	fineTime    bool            // its timestamps have sub-second digits
	gaps        []time.Duration // silences between a unit's statements: round trips, a bounded reservoir
	gapN        int64
	bulk        int64 // statements of set-up sessions and bulk loads, kept out of findings
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
	d.mu.Lock()
	defer d.mu.Unlock()
	// What the fingerprint is (empty, a transaction boundary, DDL, a read,
	// housekeeping) is decided once per fingerprint.
	info := d.fps[id]
	var empty, boundary, isSetup bool
	if info != nil {
		empty, boundary, isSetup = info.empty, info.boundary, info.setup
	} else {
		fpb := unsafe.Slice(unsafe.StringData(fp), len(fp))
		empty, boundary, isSetup = emptyOrComment(fpb), isTxBoundary(fpb), isSetupStatement(fp)
		if len(d.fps) < maxFPs {
			info = &fpInfo{text: strings.Clone(fp), empty: empty, boundary: boundary, setup: isSetup,
				isRead: strings.HasPrefix(fp, "select") && !strings.Contains(fp, " for update"), noise: isHousekeeping(fp)}
			d.fps[id] = info
		}
	}
	if empty {
		return // an empty statement or a lone comment (a driver's ping): nothing to learn
	}
	sa := d.source(src)
	sa.statements++
	end := st.Start.Add(st.Duration)
	if st.HasDuration {
		sa.timed = parse.SatAdd(sa.timed, st.Duration)
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
	// Set-up: a session that runs DDL or COPY is a migration or a load;
	// its statements, and bulk multi-row INSERTs, are context (rule 7).
	setup := false
	var ss *sessState
	if st.Session != "" {
		ss = sa.sess(st.Session, d.opt.MaxSessions)
	}
	if ss != nil {
		if isSetup {
			ss.setup = true
		}
		setup = ss.setup
	}
	if !setup && strings.HasPrefix(fp, "insert") && isBulkInsert(st.Text) {
		setup = true
	}
	if setup {
		sa.bulk++
	}
	route := st.Tags["route"]
	if info != nil && !setup {
		if f := st.Tags["file"]; f != "" && info.file == "" {
			info.file = f
		}
		// Timings per source: a server's log and an application's log of
		// the same statements see the same time twice.
		fs := sa.fps[id]
		if fs == nil && len(sa.fps) < maxFPs {
			fs = &fpStat{routes: map[string]int64{}}
			sa.fps[id] = fs
		}
		if fs != nil {
			fs.count++
			if st.HasDuration {
				fs.time = parse.SatAdd(fs.time, st.Duration)
				fs.timed++
				if len(fs.hist) < 1024 {
					fs.hist = append(fs.hist, st.Duration)
				} else {
					fs.hist[fs.count%1024] = st.Duration
				}
			}
			if route != "" && len(fs.routes) < 16 {
				fs.routes[route]++
			}
		}
	}
	if ss != nil {
		ss.stmts++
		if route != "" && ss.route == "" {
			ss.route = strings.Clone(route)
		}
	}
	if setup || info != nil && info.noise {
		return // housekeeping and set-up neither start nor join a loop
	}
	if ss != nil && !st.Start.IsZero() && !ss.authAt.IsZero() && ss.firstStmt.IsZero() {
		ss.firstStmt = st.Start
	}
	key, isSession := unitOf(src, st)
	if key.session == "" {
		return
	}
	if d.stmtsSeen++; d.stmtsSeen%4096 == 0 {
		d.sweep(st.Start)
	}
	if boundary {
		if isSession {
			d.closeWindow(key)
		}
		return
	}
	var w *window
	if isSession && ss != nil && ss.win != nil {
		w = ss.win // the session's unit, without hashing its key
	} else {
		w = d.sessions[key]
	}
	if w != nil && isSession && !st.Start.IsZero() && !w.last.IsZero() && st.Start.Sub(w.last) > d.opt.WindowGap {
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
		w.session = isSession
		w.first = st.Start
		d.sessions[key] = w
		if isSession && ss != nil {
			ss.win = w
		}
	}
	// A statement's cost to the unit of work is its duration plus the
	// round trip before it: the silence since the unit's previous
	// statement ended, while the application sent it (the server's
	// duration alone misses what batching or caching saves).
	cost := st.Duration
	// A log that writes whole seconds (PostgreSQL's %t, the MySQL slow
	// log's SET timestamp, a general log) has one of a statement's start
	// and end on a second: it cannot time a round trip, so no gap is
	// charged.
	if st.Start.Nanosecond() != 0 && end.Nanosecond() != 0 {
		sa.fineTime = true
	}
	if w.n > 0 && sa.fineTime && !st.Start.IsZero() && st.Start.After(w.last) {
		gap := min(st.Start.Sub(w.last), d.opt.WindowGap)
		cost += gap
		if sa.gapN++; len(sa.gaps) < 1024 {
			sa.gaps = append(sa.gaps, gap)
		} else if sa.gapN%7 == 0 {
			sa.gaps[(sa.gapN/7)%1024] = gap
		}
	}
	w.n++
	if end.After(w.last) {
		w.last = end
	}
	if !st.Start.IsZero() && (w.first.IsZero() || st.Start.Before(w.first)) {
		w.first = st.Start
	}
	if route != "" && w.route == "" {
		w.route = strings.Clone(route)
	}
	if tp := st.Tags["traceparent"]; tp != "" && w.trace == "" {
		w.trace = traceIDOf(tp)
	}
	// The statement a run began after coming again starts the next
	// round of the outer work (the next request on a pooled connection,
	// the next page): the runs it started end here.
	// Unless that run has not repeated yet: then its source was the
	// previous query of a loop body of several (a customer, then an item,
	// per order), and the run's source is that query's.
	var here *windowFP
	for i := range w.fps {
		if w.fps[i].id == id {
			here = &w.fps[i]
		}
	}
	for i := range w.fps {
		o := &w.fps[i]
		if o.run == 0 || o.runSource != id || o.id == id {
			continue
		}
		if o.run == 1 && here != nil {
			o.runSource = here.runSource
			continue
		}
		o.endRun(d.opt.MinRepeats)
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
	wf.time = parse.SatAdd(wf.time, cost)
	if wf.site == (Location{}) && (st.CodeFunc != "" || st.CodeFile != "" || len(st.Tags) > 0) {
		wf.site = loggedSite(st)
	}
	if wf.run > 0 && w.n-wf.last > maxInterleave+1 {
		wf.endRun(d.opt.MinRepeats)
	}
	if wf.run == 0 {
		wf.runSource = w.prev
	} else {
		dist := w.n - wf.last
		if wf.run == 1 {
			wf.runGap = dist
		}
		if dist == wf.runGap {
			wf.runRegular++
		}
	}
	wf.run++
	wf.runTime = parse.SatAdd(wf.runTime, cost)
	wf.last = w.n
	w.prev = id
	runSeen := false
	for _, v := range wf.runVals[:wf.runDistinct] {
		runSeen = runSeen || v == values
	}
	if !runSeen && wf.runDistinct < len(wf.runVals) {
		wf.runVals[wf.runDistinct] = values
		wf.runDistinct++
	}
	seen := false
	for _, v := range wf.values[:wf.distinct] {
		if v == values {
			seen = true
			break
		}
	}
	if !seen && wf.distinct < len(wf.values) {
		wf.values[wf.distinct] = values
		wf.distinct++
	}
	if seen && info != nil {
		info.withinUnit++
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
			pa.time = parse.SatAdd(pa.time, st.Duration)
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

// emptyOrComment reports a fingerprint of nothing but ';' and spaces, or
// one that starts with a comment.
func emptyOrComment(fp []byte) bool {
	for i, c := range fp {
		switch c {
		case ' ', '\t', '\n', '\r', ';':
			continue
		case '-', '/':
			return i+1 < len(fp) && (fp[i+1] == '-' || fp[i+1] == '*')
		}
		return false
	}
	return true
}

// unitOf places a statement in the strongest unit of work its log names
// (rule 2 of the detection model): the trace of a sqlcommenter
// traceparent, a logged request id, an asyncio task, else the session
// (connection, backend pid, thread) with the gap rule. isSession is true
// for the last, whose units end at transaction boundaries and silences.
func unitOf(src *parse.Source, st *parse.Statement) (key sessionKey, isSession bool) {
	if tp := st.Tags["traceparent"]; tp != "" {
		if id := traceIDOf(tp); id != "" {
			return sessionKey{src, unitTrace, id}, false
		}
	}
	if st.RequestID != "" {
		return sessionKey{src, unitRequest, st.RequestID}, false
	}
	if st.Task != "" && st.Session == "" {
		return sessionKey{src, unitTask, st.Task}, false
	}
	return sessionKey{src, unitSession, st.Session}, true
}

// loggedSite is the code location a log wrote for a statement: Rails'
// ↳ line, sqlcommenter/marginalia tags.
func loggedSite(st *parse.Statement) Location {
	if st.CodeFunc != "" || st.CodeFile != "" {
		return Location{Function: st.CodeFunc, File: st.CodeFile, Line: st.CodeLine}
	}
	fn := st.Tags["func"]
	if fn == "" {
		fn = st.Tags["function"]
	}
	if fn == "" && st.Tags["file"] == "" {
		return Location{}
	}
	line := 0
	fmt.Sscanf(st.Tags["line"], "%d", &line)
	return Location{Function: fn, File: st.Tags["file"], Line: line}
}

// isBulkInsert reports a multi-row INSERT … VALUES (…), (…): a load, not a
// request's write.
func isBulkInsert(text string) bool {
	if !strings.Contains(text, "),") && !strings.Contains(text, ") ,") {
		return false // one row: no ")," between row tuples (a cheap test first)
	}
	i := indexFold(text[:min(len(text), 4096)], "values")
	if i < 0 {
		return false
	}
	rest := text[i:min(len(text), i+65536)]
	depth, rows := 0, 0
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '(':
			if depth == 0 {
				rows++
				if rows > 1 {
					return true
				}
			}
			depth++
		case ')':
			depth--
		case '\'':
			// skip a quoted literal
			for j++; j < len(rest) && rest[j] != '\''; j++ {
			}
		case ';':
			return false
		}
	}
	return false
}

// indexFold is strings.Index for an ASCII lower-case needle, ignoring
// case, without allocating.
func indexFold(s, lower string) int {
	for i := 0; i+len(lower) <= len(s); i++ {
		j := 0
		for ; j < len(lower); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == len(lower) {
			return i
		}
	}
	return -1
}

// sweep ends the units of work keyed by request, trace or task that saw no
// statement for a while: their key never comes back, and memory must stay
// bounded.
func (d *SQLDetector) sweep(now time.Time) {
	if now.IsZero() {
		return
	}
	idle := max(10*time.Second, 10*d.opt.WindowGap)
	for k, w := range d.sessions {
		if !w.session && !w.last.IsZero() && now.Sub(w.last) > idle {
			d.closeWindow(k)
		}
	}
}

// UnitsOfWork is the time the units of work spanned and their number: the
// fallback denominator where no request is known.
func (d *SQLDetector) UnitsOfWork() (time.Duration, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, n := d.unitTime, d.units
	for _, w := range d.sessions {
		if !w.first.IsZero() && w.last.After(w.first) {
			t += w.last.Sub(w.first)
			n++
		}
	}
	return t, n
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

// traceIDOf extracts the trace id of a W3C traceparent
// ("00-<32 hex>-<16 hex>-01"), without allocating.
func traceIDOf(tp string) string {
	i := strings.IndexByte(tp, '-')
	if i < 0 {
		return ""
	}
	rest := tp[i+1:]
	j := strings.IndexByte(rest, '-')
	if j < 0 {
		j = len(rest)
	}
	if j != 32 {
		return ""
	}
	return rest[:j]
}

func (d *SQLDetector) source(src *parse.Source) *sourceAgg {
	if d.lastAgg != nil && d.lastSrc == src {
		return d.lastAgg // a source's statements come in runs
	}
	defer func() { d.lastSrc, d.lastAgg = src, d.sources[src] }()
	sa := d.sources[src]
	if sa == nil {
		sa = &sourceAgg{received: map[string]time.Time{}, live: map[string]*sessState{},
			shortRoutes: map[string]int64{}, shortDBs: map[string]int64{}, fps: map[uint64]*fpStat{}}
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
	if key.unit == unitSession {
		if sa := d.sources[key.src]; sa != nil {
			if ss := sa.live[key.session]; ss != nil {
				if ss.win == w {
					ss.win = nil
				}
				if !w.first.IsZero() && w.last.After(w.first) {
					ss.unitTime = parse.SatAdd(ss.unitTime, w.last.Sub(w.first))
				}
			}
		}
	}
	if !w.first.IsZero() && w.last.After(w.first) {
		d.unitTime = parse.SatAdd(d.unitTime, w.last.Sub(w.first))
		d.units++
	}
	d.recordBursts(d.nplus, key.src, w)
	if len(d.free) < 1024 { // reuse: a log has a unit of work per transaction
		for i := range w.fps {
			w.fps[i].example = nil
		}
		*w = window{fps: w.fps[:0]}
		d.free = append(d.free, w)
	}
}

// maxInterleave is how many other statements may come between two
// executions of one fingerprint in a loop (the loop body's other queries:
// a customer and an item per order alternate).
const maxInterleave = 3

// endRun closes the fingerprint's current run: an N+1 burst when it ran at
// least minRepeats times with differing parameters right after another
// statement (the 1 of 1+N). A pooled connection that serves request after
// request repeats every query, but not in one run.
func (wf *windowFP) endRun(minRepeats int) {
	// A loop repeats its body: most executions come at the same distance
	// from the one before. Short requests served one after another on a
	// pooled connection repeat a query too, at distances that vary.
	regular := wf.runRegular*5 >= (wf.run-1)*4
	if wf.run >= minRepeats && wf.runDistinct >= 2 && wf.runSource != 0 && wf.runSource != wf.id && regular {
		wf.bursts++
		wf.burstStmts += wf.run
		wf.burstTime = parse.SatAdd(wf.burstTime, wf.runTime)
		// One batched query replaces n: (n−1)/n of the burst's time goes.
		wf.burstAvoid = parse.SatAdd(wf.burstAvoid, wf.runTime-wf.runTime/time.Duration(wf.run)) // t·(n−1)/n without overflowing t·n
		wf.burstMax = max(wf.burstMax, wf.run)
		if wf.burstSource == 0 {
			wf.burstSource = wf.runSource
		}
	}
	wf.run, wf.runTime, wf.runDistinct, wf.runSource, wf.runGap, wf.runRegular = 0, 0, 0, 0, 0, 0
}

// recordBursts adds w's N+1 bursts to into, as if w ended now; w itself
// is left as it was (a unit still open may go on).
func (d *SQLDetector) recordBursts(into map[nplusKey]*nplusAgg, src *parse.Source, w *window) {
	for i := range w.fps {
		wf := w.fps[i] // a copy: ending its run must not end the real one
		wf.endRun(d.opt.MinRepeats)
		if wf.bursts == 0 {
			continue
		}
		k := nplusKey{fp: wf.id, source: wf.burstSource, src: src}
		a := into[k]
		if a == nil {
			if len(into) >= maxFPs {
				continue
			}
			a = &nplusAgg{routes: map[string]int64{}}
			into[k] = a
		}
		if a.site == (Location{}) {
			a.site = wf.site
		}
		a.bursts += int64(wf.bursts)
		a.statements += int64(wf.burstStmts)
		a.time = parse.SatAdd(a.time, wf.burstTime)
		a.avoidable = parse.SatAdd(a.avoidable, wf.burstAvoid)
		a.maxBurst = max(a.maxBurst, wf.burstMax)
		if len(a.examples) < 3 {
			a.examples = append(a.examples, wf.example...)
			if len(a.examples) > 3 {
				a.examples = a.examples[:3]
			}
		}
		if w.route != "" && len(a.routes) < 16 {
			a.routes[w.route] += int64(wf.bursts)
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
		var ss *sessState
		if ev.Session != "" {
			ss = sa.sess(ev.Session, d.opt.MaxSessions)
		}
		if ss != nil && !ev.Time.IsZero() {
			ss.openedAt = ev.Time
		}
		if ss != nil && ev.Database != "" && ss.db == "" {
			ss.db = strings.Clone(ev.Database)
		}
		if t, ok := sa.received[ev.Session]; ok {
			delete(sa.received, ev.Session)
			if !t.IsZero() && !ev.Time.IsZero() && ev.Time.After(t) && ev.Time.Sub(t) < time.Minute {
				c := ev.Time.Sub(t)
				sa.setup += c
				sa.setupN++
				if ss != nil {
					ss.authAt, ss.authCost = ev.Time, c
				}
				if len(sa.setupHist) < 1024 {
					sa.setupHist = append(sa.setupHist, c)
				} else {
					sa.setupHist[sa.setupN%1024] = c
				}
			}
		}
	case parse.ConnClosed:
		sa.closed++
		sa.sessionTime = parse.SatAdd(sa.sessionTime, ev.SessionTime)
		lifetime := ev.SessionTime
		// Its last unit of work ends with it (before the state is read).
		d.closeWindow(sessionKey{src, unitSession, ev.Session})
		var ss sessState
		if p := sa.live[ev.Session]; p != nil {
			ss = *p
		}
		defer sa.endSess(ev.Session)
		if lifetime == 0 && !ss.openedAt.IsZero() && !ev.Time.IsZero() && ev.Time.After(ss.openedAt) {
			lifetime = ev.Time.Sub(ss.openedAt)
		}
		n, counted := ss.stmts, ss.stmts > 0
		// Short-lived: few statements, or — when the log's sessions do not
		// carry statements (an application log keyed by task, not by
		// connection) — closed within a second of opening.
		if counted && n <= d.opt.ShortSession || !counted && lifetime > 0 && lifetime < time.Second {
			sa.short++
			// A connection made for one unit of work is part of it: the
			// unit lasted the connection's lifetime, set-up included.
			if lifetime > ss.unitTime && ss.unitTime > 0 && lifetime < time.Minute {
				d.unitTime = parse.SatAdd(d.unitTime, lifetime-ss.unitTime)
			}
			if r := ss.route; r != "" && len(sa.shortRoutes) < 64 {
				sa.shortRoutes[r]++
			}
			// What the connection cost the unit of work: connecting,
			// authenticating and the driver's set-up statements, up to
			// the application's first statement.
			if at, fs := ss.authAt, ss.firstStmt; !at.IsZero() && fs.After(at) && fs.Sub(at) < 10*time.Second {
				o := ss.authCost + fs.Sub(at)
				sa.overheadN++
				if len(sa.overhead) < 1024 {
					sa.overhead = append(sa.overhead, o)
				} else {
					sa.overhead[sa.overheadN%1024] = o
				}
			}
			if db := ss.db; db != "" && len(sa.shortDBs) < 64 {
				sa.shortDBs[db]++
			} else if ev.Database != "" && len(sa.shortDBs) < 64 {
				sa.shortDBs[strings.Clone(ev.Database)]++
			}
		}
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
	out = append(out, d.duplicateFindings(nplus)...)
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

// quality is how well a SQL log measures a cost the application pays: the
// server's time where it logs durations (round trips are not in it), else
// nothing measured.
func (sa *sourceAgg) quality() Quality {
	if sa != nil && sa.hasDuration {
		return Indirect
	}
	return Assumed
}

// roundTrip is the median silence between consecutive statements of a
// unit of work: what one more statement costs the application beyond the
// server's time.
func (sa *sourceAgg) roundTrip() time.Duration {
	if sa == nil {
		return 0
	}
	return percentile(sa.gaps, 0.5)
}

// routeCosts spreads avoid over routes in proportion to their counts.
func routeCosts(counts map[string]int64, avoid time.Duration) map[string]time.Duration {
	var n int64
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return nil
	}
	out := make(map[string]time.Duration, len(counts))
	for r, c := range counts {
		out[r] = time.Duration(float64(avoid) * float64(c) / float64(n))
	}
	return out
}

func (d *SQLDetector) nplusFindings(nplus map[nplusKey]*nplusAgg) []*Finding {
	var out []*Finding
	for k, a := range nplus {
		fp := d.fpText(k.fp)
		sa := d.sources[k.src]
		f := &Finding{
			Kind:        NPlusOne,
			Title:       fmt.Sprintf("N+1: %d bursts of up to %d × %s after %s", a.bursts, a.maxBurst, short(fp, 60), short(d.fpText(k.source), 40)),
			Fingerprint: fp, QueryID: fingerprint.IDString(k.fp), Count: a.statements,
			SourceQuery: d.fpText(k.source),
			TraceIDs:    a.traces,
			Avoidable:   a.avoidable, Observed: d.observed(k.src),
			Formula: fmt.Sprintf("avoidable = Σ over %d bursts of (n−1)/n × burst time (statement time + the round trip before each) = %s of %s in %d statements (one batched query per burst instead of n)",
				a.bursts, units.Duration(a.avoidable), units.Duration(a.time), a.statements),
			Evidence: []Evidence{{Source: sourceFormat(k.src), Count: a.statements, Time: a.time, Examples: a.examples,
				What: fmt.Sprintf("%d units of work each ran ≥ %d statements of this fingerprint with differing parameters (up to %d) after %q", a.bursts, d.opt.MinRepeats, a.maxBurst, short(d.fpText(k.source), 60))}},
			Recommendation: "Fetch the rows in one query: eager-load the relationship (SQLAlchemy selectinload/joinedload, Django select_related/prefetch_related, Rails includes, GORM Preload) or batch the ids into one WHERE id IN (…).",
			Quality:        sa.quality(), RouteCosts: routeCosts(a.routes, a.avoidable), Origin: sourcePath(k.src),
		}
		if a.site != (Location{}) {
			f.Locations = []Location{a.site}
		}
		out = append(out, f)
	}
	return out
}

func (d *SQLDetector) duplicateFindings(nplus map[nplusKey]*nplusAgg) []*Finding {
	type agg struct {
		count, pairs int64
		time         time.Duration
		avoid        time.Duration
		example      string
		routes       map[string]int64
		src          *parse.Source
	}
	// The reads of an N+1 loop are the N+1, not a duplicate: a page of
	// orders lists the same customers again in every request.
	loops := map[uint64]bool{}
	for k := range nplus {
		loops[k.fp] = true
	}
	rtt := map[*parse.Source]time.Duration{}
	for src, sa := range d.sources {
		rtt[src] = sa.roundTrip()
	}
	byFP := map[uint64]*agg{}
	for k, p := range d.pairs {
		if p.count < int64(d.opt.MinDuplicates) || loops[k.fp] {
			continue
		}
		if info := d.fps[k.fp]; info != nil && info.noise {
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
		// A cache saves the statement and its round trip (the source's
		// median silence between a unit's statements).
		t := p.time + rtt[k.src]*time.Duration(p.count)
		a.count += p.count
		a.pairs++
		a.time = parse.SatAdd(a.time, t)
		// A cache serves every repeat but the first.
		a.avoid = parse.SatAdd(a.avoid, t-t/time.Duration(p.count)) // t·(n−1)/n without overflowing t·n
	}
	var out []*Finding
	for id, a := range byFP {
		fp := d.fpText(id)
		rec := "Cache the result across requests (in-process with a TTL, or Redis) and invalidate it on write; settings and profiles rarely change between requests."
		trip := fmt.Sprintf("a %s round trip each, the log's median silence between statements", units.Duration(rtt[a.src]))
		if rtt[a.src] == 0 {
			trip = "no round trip: the log's timestamps cannot time one"
		}
		what := fmt.Sprintf("%d executions with identical parameters (≥ %d each)", a.count, d.opt.MinDuplicates)
		if info := d.fps[id]; info != nil && info.withinUnit > 0 {
			what += fmt.Sprintf("; %d of them repeat an earlier execution in the same unit of work", info.withinUnit)
			if info.withinUnit*2 >= a.count-a.pairs {
				rec = "Read it once per request and pass the result down (or memoize it for the request), then consider a cache across requests with a TTL."
			}
		}
		out = append(out, &Finding{
			Kind:        CacheableDuplicate,
			Title:       fmt.Sprintf("the same read repeats: %d executions of %s with %d parameter set(s)", a.count, short(fp, 60), a.pairs),
			Fingerprint: fp, QueryID: fingerprint.IDString(id), Count: a.count,
			Avoidable: a.avoid, Observed: d.observed(a.src),
			Formula: fmt.Sprintf("avoidable = Σ over %d parameter set(s) of (count−1)/count × their time (statement time + %s) = %s of %s (a cache answers all but the first)",
				a.pairs, trip, units.Duration(a.avoid), units.Duration(a.time)),
			Evidence:       []Evidence{{Source: sourceFormat(a.src), Count: a.count, Time: a.time, Examples: []string{a.example}, What: what}},
			Recommendation: rec,
			Quality:        d.sources[a.src].quality(), RouteCosts: routeCosts(a.routes, a.avoid), Origin: sourcePath(a.src),
		})
	}
	return out
}

// minConnectSamples is how many timed connections a mean connect time
// needs before it is multiplied by the count of connections: two
// connections timed at the database's start-up say nothing about the
// thousands after.
const minConnectSamples = 10

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
		quality := Assumed
		switch {
		case sa.overheadN >= max(minConnectSamples, churn/10):
			med := percentile(sa.overhead, 0.5)
			avoid = med * time.Duration(churn)
			quality = Indirect
			formula = fmt.Sprintf("avoidable = %d short-lived connections × %s median set-up time (connection received → the application's first statement: connecting, authenticating, the driver's set-up statements; measured on %d) = %s", churn, units.Duration(med), sa.overheadN, units.Duration(avoid))
		case sa.setupN >= max(minConnectSamples, churn/10):
			// The median: one slow connection (the first after start-up,
			// a DNS hiccup) must not speak for all of them.
			med := percentile(sa.setupHist, 0.5)
			avoid = med * time.Duration(churn)
			quality = Indirect
			formula = fmt.Sprintf("avoidable = %d short-lived connections × %s median connect time (received → authorized, measured on %d) = %s", churn, units.Duration(med), sa.setupN, units.Duration(avoid))
		case sa.setupN > 0:
			avoid = d.opt.AssumedConnectCost * time.Duration(churn)
			quality = Weak
			formula = fmt.Sprintf("avoidable ≈ %d short-lived connections × %s assumed connect cost = %s (weak: the log times only %d connections, %s in all, too few to extrapolate)",
				churn, units.Duration(d.opt.AssumedConnectCost), units.Duration(avoid), sa.setupN, units.Duration(sa.setup))
		default:
			avoid = d.opt.AssumedConnectCost * time.Duration(churn)
			formula = fmt.Sprintf("avoidable ≈ %d short-lived connections × %s assumed connect cost (the log does not time connecting) = %s", churn, units.Duration(d.opt.AssumedConnectCost), units.Duration(avoid))
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
		if r := topRoute(sa.shortRoutes); r != "" {
			what += fmt.Sprintf("; most served %s (%d)", r, sa.shortRoutes[r])
		}
		db := topRoute(sa.shortDBs)
		if db != "" {
			what += fmt.Sprintf("; database %s", db)
		}
		out = append(out, &Finding{
			Kind:      NoConnectionPool,
			Title:     fmt.Sprintf("a new database connection per unit of work: %d short-lived connections", churn),
			Count:     churn,
			Avoidable: avoid, Observed: max(observed, avoid), Formula: formula,
			Evidence:       []Evidence{{Source: sourceFormat(src), Count: churn, Time: avoid, What: what}},
			Recommendation: "Keep connections open in a pool (pgxpool, database/sql's pool, SQLAlchemy QueuePool instead of NullPool, Django CONN_MAX_AGE, PgBouncer in front of the database) and reuse them across requests.",
			Quality:        quality, Resource: strings.ToLower(db), RouteCosts: routeCosts(sa.shortRoutes, avoid), Origin: sourcePath(src),
		})
	}
	return out
}

// Relative slow-query rule: a fingerprint holding at least relShare of
// statement time whose mean is at least relFactor × the run's typical
// statement is slow even under the absolute threshold (a 95 ms query
// holding 80 % of statement time), as long as its mean reaches relFloor.
const (
	relShare  = 0.25
	relFactor = 20
	relFloor  = 5 * time.Millisecond
)

func (d *SQLDetector) slowFindings() []*Finding {
	var out []*Finding
	for src, sa := range d.sources {
		out = append(out, d.slowFindingsOf(src, sa)...)
	}
	return out
}

// slowFindingsOf applies the slow-query rule to one source's statements;
// two sources of the same statements are compared by the detection model,
// never added.
func (d *SQLDetector) slowFindingsOf(src *parse.Source, sa *sourceAgg) []*Finding {
	total := sa.timed
	if total == 0 {
		return nil
	}
	var means []meanCount
	for id, fs := range sa.fps {
		if info := d.fps[id]; fs.timed > 0 && info != nil && !info.noise {
			means = append(means, meanCount{fs.time / time.Duration(fs.timed), fs.timed})
		}
	}
	typical := medianOfMeans(means)
	var out []*Finding
	for id, fs := range sa.fps {
		info := d.fps[id]
		if fs.timed == 0 || info == nil || !isQuery(info.text) || info.noise {
			continue
		}
		mean := fs.time / time.Duration(fs.timed)
		p95 := percentile(fs.hist, 0.95)
		share := float64(fs.time) / float64(total)
		target, why, ok := slowTarget(mean, p95, share, typical, d.opt)
		if !ok {
			continue
		}
		avoid := fs.time - target*time.Duration(fs.timed)
		if avoid <= 0 {
			continue
		}
		out = append(out, &Finding{
			Kind:        SlowQuery,
			Title:       fmt.Sprintf("slow query: %s (mean %s, p95 %s, %.0f%% of statement time)", short(info.text, 60), units.Duration(mean), units.Duration(p95), share*100),
			Fingerprint: info.text, QueryID: fingerprint.IDString(id), Count: fs.count,
			Avoidable: avoid, Observed: total,
			Formula: fmt.Sprintf("avoidable = %s total − %d executions × %s (%s) = %s",
				units.Duration(fs.time), fs.timed, units.Duration(target), why, units.Duration(avoid)),
			Evidence: []Evidence{{Source: sourceFormat(src), Count: fs.count, Time: fs.time,
				What: fmt.Sprintf("%d executions, %s in all, mean %s, p95 %s", fs.count, units.Duration(fs.time), units.Duration(mean), units.Duration(p95))}},
			Recommendation: "EXPLAIN ANALYZE it: add the index its WHERE/ORDER BY needs, select fewer columns, or paginate; if it cannot be fast, cache it or move it off the request path.",
			Quality:        Measured, RouteCosts: routeCosts(fs.routes, avoid), Origin: sourcePath(src),
		})
	}
	return out
}

type meanCount struct {
	mean time.Duration
	n    int64
}

// medianOfMeans is the execution-weighted median of per-fingerprint means.
func medianOfMeans(ms []meanCount) time.Duration {
	var n int64
	for _, m := range ms {
		n += m.n
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].mean < ms[j].mean })
	var acc int64
	for _, m := range ms {
		acc += m.n
		if acc*2 >= n {
			return m.mean
		}
	}
	return 0
}

// slowTarget decides whether a fingerprint is slow — absolutely (mean or
// p95 over the thresholds, holding SlowShare of statement time) or
// relative to the run — and what a fix brings each execution down to: a
// tenth of the threshold, or of its own mean under the relative rule.
func slowTarget(mean, p95 time.Duration, share float64, typical time.Duration, opt SQLOptions) (target time.Duration, why string, ok bool) {
	absolute := share >= opt.SlowShare && (mean >= opt.SlowMean || p95 >= opt.SlowP95)
	relative := share >= relShare && mean >= relFloor && typical > 0 && mean >= relFactor*typical
	switch {
	case absolute:
		return opt.SlowMean / 10, fmt.Sprintf("a tenth of the %s slow threshold, what an index typically leaves", units.Duration(opt.SlowMean)), true
	case relative:
		return mean / 10, fmt.Sprintf("a tenth of its mean; it is slow relative to the run: %.0f%% of statement time at %.0f× the typical statement's %s", share*100, float64(mean)/float64(typical), units.Duration(typical)), true
	}
	return 0, "", false
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

func sourcePath(src *parse.Source) string {
	if src == nil {
		return "sql-log"
	}
	return src.Path
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
