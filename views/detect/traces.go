package detect

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"hotpath/parse"
	"hotpath/views/fingerprint"
	"hotpath/views/traces"
	"hotpath/views/units"
)

// TraceFindings reads what requests show: the same statement run N times
// under one parent span, the same read repeated with the same values,
// connections set up inside requests (to the database or to HTTP
// upstreams). Observed time is the sum of the requests' durations.
func TraceFindings(reqs []*traces.Request, opt SQLOptions) []*Finding {
	opt = opt.withDefaults()
	reqs = withoutSetup(reqs)
	if len(reqs) == 0 {
		return nil
	}
	var observed time.Duration
	for _, r := range reqs {
		if r.Root != nil && IsRequestRoot(r.Root) {
			observed = parse.SatAdd(observed, r.Duration)
		}
	}
	type dbKey struct {
		route string
		fp    uint64
	}
	type dbAgg struct {
		text          string
		requests      int
		statements    int
		time, avoid   time.Duration
		maxN          int
		fn, file      string
		line          int
		traces        []string
		example       string
		format        string
		sameValues    map[uint64]int
		sameValueTime map[uint64]time.Duration
	}
	type connKey struct {
		route string
		http  bool
		fn    string
	}
	type connAgg struct {
		resource string
		n        int
		time     time.Duration
		requests int
		traces   []string
		file     string
		line     int
		format   string
	}
	slow := map[uint64]*spanFP{}
	nplus := map[dbKey]*dbAgg{}
	dups := map[dbKey]*dbAgg{}
	conns := map[connKey]*connAgg{}
	routeRequests := map[string]int{}
	var fp fingerprint.Fingerprinter
	for _, r := range reqs {
		routeRequests[r.Route]++
		type group struct {
			n        int
			time     time.Duration
			values   map[uint64]bool
			unknown  bool
			fn, file string
			line     int
			text     string
			example  string
			format   string
		}
		byParent := map[string]map[uint64]*group{}
		seenConn := map[connKey]int{}
		traces.Walk(r.Node, func(n *traces.Node) bool {
			sp := n.Span
			switch {
			case sp.Category == parse.CatDB && sp.DBStatement != "":
				res := fp.Fingerprint(sp.DBStatement)
				parent := sp.ParentID
				if byParent[parent] == nil {
					byParent[parent] = map[uint64]*group{}
				}
				g := byParent[parent][res.ID]
				if g == nil {
					g = &group{values: map[uint64]bool{}, text: string(res.Fingerprint), example: short(sp.DBStatement, 300)}
					byParent[parent][res.ID] = g
				}
				g.n++
				g.time = parse.SatAdd(g.time, sp.Duration)
				if hasPlaceholder(sp.DBStatement) {
					g.unknown = true // placeholders: the values are not in the span
				}
				g.values[res.Values] = true
				if g.fn == "" {
					// The statement's own code location, else the nearest
					// span above it that names one (the handler).
					g.fn, g.file, g.line = codeOf(n, r.Node)
				}
				addSlow(slow, res.ID, string(res.Fingerprint), sp.Duration, r.Route)
			case sp.Category == parse.CatConnect && (sp.ConnReused == nil || !*sp.ConnReused) && !isPoolCheckout(sp.Name):
				if n.Parent != nil && n.Parent.Span.Category == parse.CatConnect {
					return true // count the outermost connect span only
				}
				isHTTP, resource := connTarget(n, r.Node)
				fn, file, line := "", "", 0
				for a := n.Parent; a != nil; a = a.Parent {
					if fn == "" && a.Span.CodeFunc != "" {
						fn, file, line = a.Span.CodeFunc, a.Span.CodeFile, a.Span.CodeLine
					}
					if a == r.Node {
						break
					}
				}
				if fn == "" && sp.CodeFunc != "" {
					fn, file, line = sp.CodeFunc, sp.CodeFile, sp.CodeLine
				}
				k := connKey{route: r.Route, http: isHTTP, fn: fn}
				a := conns[k]
				if a == nil {
					a = &connAgg{file: file, line: line, resource: resource}
					conns[k] = a
				}
				a.n++
				a.time = parse.SatAdd(a.time, sp.Duration)
				if seenConn[k] == 0 {
					a.requests++
					if len(a.traces) < 5 {
						a.traces = append(a.traces, r.Trace.ID)
					}
				}
				seenConn[k]++
			}
			return true
		})
		for _, groups := range byParent {
			for id, g := range groups {
				k := dbKey{r.Route, id}
				if g.n >= opt.MinRepeats && (len(g.values) >= 2 || g.unknown) {
					a := nplus[k]
					if a == nil {
						a = &dbAgg{text: g.text, fn: g.fn, file: g.file, line: g.line, example: g.example}
						nplus[k] = a
					}
					a.requests++
					a.statements += g.n
					a.time = parse.SatAdd(a.time, g.time)
					a.avoid = parse.SatAdd(a.avoid, g.time-g.time/time.Duration(g.n)) // t·(n−1)/n without overflowing t·n
					a.maxN = max(a.maxN, g.n)
					if len(a.traces) < 5 {
						a.traces = append(a.traces, r.Trace.ID)
					}
				}
				if !g.unknown && len(g.values) == 1 && isRead(g.text) {
					a := dups[k]
					if a == nil {
						a = &dbAgg{text: g.text, fn: g.fn, file: g.file, line: g.line, example: g.example,
							sameValues: map[uint64]int{}, sameValueTime: map[uint64]time.Duration{}}
						dups[k] = a
					}
					for v := range g.values {
						a.sameValues[v] += g.n
						a.sameValueTime[v] = parse.SatAdd(a.sameValueTime[v], g.time)
					}
					a.statements += g.n
					a.time = parse.SatAdd(a.time, g.time)
					a.requests++
				}
			}
		}
	}
	var out []*Finding
	for k, a := range nplus {
		out = append(out, &Finding{
			Kind:        NPlusOne,
			Title:       fmt.Sprintf("N+1 in %s: %s runs up to %d times per request under one parent span", k.route, short(a.text, 60), a.maxN),
			Locations:   []Location{{Function: a.fn, File: a.file, Line: a.line, Route: k.route}},
			Fingerprint: a.text, QueryID: fingerprint.IDString(k.fp), TraceIDs: a.traces, Count: int64(a.statements),
			Avoidable: a.avoid, Observed: observed,
			Formula: fmt.Sprintf("avoidable = Σ over %d requests of (n−1)/n × the repeated spans' time = %s of %s in %d db spans (one batched query per request)",
				a.requests, units.Duration(a.avoid), units.Duration(a.time), a.statements),
			Evidence: []Evidence{{Source: "spans", Count: int64(a.statements), Time: a.time, Examples: []string{a.example}, TraceID: first(a.traces),
				What: fmt.Sprintf("%d of %d %s requests ran it ≥ %d times under one parent span (up to %d)", a.requests, routeRequests[k.route], k.route, opt.MinRepeats, a.maxN)}},
			Recommendation: "Fetch the rows in one query: eager-load the relationship (SQLAlchemy selectinload/joinedload, GORM Preload) or batch the ids into one WHERE id IN (…).",
			Quality:        Measured, RouteCosts: map[string]time.Duration{k.route: a.avoid}, OwnBasis: "request time (server spans)", Origin: "spans",
		})
	}
	for k, a := range dups {
		var count int
		var avoid time.Duration
		for v, n := range a.sameValues {
			count += n
			if n > 1 {
				avoid = parse.SatAdd(avoid, a.sameValueTime[v]-a.sameValueTime[v]/time.Duration(n))
			}
		}
		if count < opt.MinDuplicates || avoid <= 0 {
			continue
		}
		out = append(out, &Finding{
			Kind:        CacheableDuplicate,
			Title:       fmt.Sprintf("the same read repeats in %s: %s, %d times with the same values", k.route, short(a.text, 60), count),
			Locations:   []Location{{Function: a.fn, File: a.file, Line: a.line, Route: k.route}},
			Fingerprint: a.text, QueryID: fingerprint.IDString(k.fp), Count: int64(count),
			Avoidable: avoid, Observed: observed,
			Formula: fmt.Sprintf("avoidable = Σ over %d value set(s) of (count−1)/count × their spans' time = %s of %s", len(a.sameValues), units.Duration(avoid), units.Duration(a.time)),
			Evidence: []Evidence{{Source: "spans", Count: int64(count), Time: a.time, Examples: []string{a.example},
				What: fmt.Sprintf("%d db spans in %d requests with identical values", count, a.requests)}},
			Recommendation: "Cache the result (per request, or in-process with a TTL) and invalidate it on write.",
			Quality:        Measured, RouteCosts: map[string]time.Duration{k.route: avoid}, OwnBasis: "request time (server spans)", Origin: "spans",
		})
	}
	for k, a := range conns {
		total := routeRequests[k.route]
		if a.n < opt.MinConnections || a.requests*2 < total {
			continue // a pool connects now and then; churn connects in most requests
		}
		kind, what, rec := NoConnectionPool, "database connection", "Keep connections in a pool created at start-up (pgxpool, SQLAlchemy QueuePool) and reuse them."
		if k.http {
			kind, what, rec = HTTPClientChurn, "HTTP connection (connect/DNS/TLS)", "Create one HTTP client/session (a shared http.Transport; one aiohttp.ClientSession) and reuse it, so connections are kept alive."
		}
		out = append(out, &Finding{
			Kind:      kind,
			Title:     fmt.Sprintf("%s sets up a new %s in %d of %d requests (%d in all)", k.route, what, a.requests, total, a.n),
			Locations: []Location{{Function: k.fn, File: a.file, Line: a.line, Route: k.route}},
			TraceIDs:  a.traces, Count: int64(a.n),
			Avoidable: a.time, Observed: observed,
			Formula: fmt.Sprintf("avoidable = %s: the time of %d connection-setup spans not marked reused (a kept-alive connection skips them)", units.Duration(a.time), a.n),
			Evidence: []Evidence{{Source: "spans", Count: int64(a.n), Time: a.time, TraceID: first(a.traces),
				What: fmt.Sprintf("%d new connections in %d of %d %s requests", a.n, a.requests, total, k.route)}},
			Recommendation: rec,
			Quality:        Measured, Resource: a.resource, RouteCosts: map[string]time.Duration{k.route: a.time}, OwnBasis: "request time (server spans)", Origin: "spans",
		})
	}
	for _, f := range slowSpanFindings(slow, opt) {
		f.Observed = observed
		out = append(out, f)
	}
	for _, f := range loopSilenceFindings(reqs) {
		f.Observed = observed
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Avoidable > out[j].Avoidable })
	return out
}

// loopSilenceFindings finds I/O that held an event loop, from spans alone:
// on one thread's loop, while a call awaits, other requests go on — their
// spans begin and end. A call during which the other requests in flight
// did nothing at all, time after time, ran synchronously on the loop
// (requests, urllib, a sync driver). A threaded service never goes silent:
// its other threads go on.
func loopSilenceFindings(reqs []*traces.Request) []*Finding {
	type event struct {
		t     time.Time
		trace string
	}
	var events []event
	type call struct {
		sp    *parse.Span
		trace string
		route string
		fn    string
		file  string
		line  int
	}
	var calls []call
	type span struct{ start, end time.Time }
	var inflight []struct {
		span
		trace string
	}
	for _, r := range reqs {
		if r.Root == nil || !IsRequestRoot(r.Root) {
			continue
		}
		id := r.Trace.ID
		inflight = append(inflight, struct {
			span
			trace string
		}{span{r.Start, r.Start.Add(r.Duration)}, id})
		traces.Walk(r.Node, func(n *traces.Node) bool {
			sp := n.Span
			events = append(events, event{sp.Start, id}, event{sp.Start.Add(sp.Duration), id})
			switch sp.Category {
			case parse.CatHTTPClient, parse.CatDB, parse.CatFileIO:
				if n != r.Node && sp.Duration >= 5*time.Millisecond {
					// The cause is the handler that holds the loop (as a
					// slow callback names it), not each call it makes.
					fn, file, line := codeOf(r.Node, r.Node)
					if fn == "" {
						fn, file, line = codeOf(n, r.Node)
					}
					calls = append(calls, call{sp, id, r.Route, fn, file, line})
				}
				return false // its own children are part of it
			}
			return true
		})
	}
	if len(calls) == 0 || len(inflight) < 2 {
		return nil
	}
	sort.Slice(events, func(i, j int) bool { return events[i].t.Before(events[j].t) })
	sort.Slice(inflight, func(i, j int) bool { return inflight[i].start.Before(inflight[j].start) })
	type key struct{ route, fn string }
	type agg struct {
		judged, silent int
		time           time.Duration
		file           string
		line           int
	}
	groups := map[key]*agg{}
	for _, c := range calls {
		start, end := c.sp.Start, c.sp.Start.Add(c.sp.Duration)
		// Company: another request in flight for the whole call.
		company := false
		for _, r := range inflight {
			if !r.start.Before(start) {
				break
			}
			if r.trace != c.trace && r.end.After(end) {
				company = true
				break
			}
		}
		if !company {
			continue
		}
		silent := true
		i := sort.Search(len(events), func(i int) bool { return events[i].t.After(start) })
		for ; i < len(events) && events[i].t.Before(end); i++ {
			if events[i].trace != c.trace {
				silent = false
				break
			}
		}
		k := key{c.route, c.fn}
		a := groups[k]
		if a == nil {
			a = &agg{file: c.file, line: c.line}
			groups[k] = a
		}
		a.judged++
		if silent {
			a.silent++
			a.time = parse.SatAdd(a.time, c.sp.Duration)
		}
	}
	var out []*Finding
	for k, a := range groups {
		if a.judged < 5 || a.silent*5 < a.judged*4 {
			continue
		}
		f := &Finding{
			Kind:  BlockingIOInAsync,
			Title: fmt.Sprintf("%s calls out synchronously on the event loop: %d calls held it for %s", k.route, a.silent, units.Duration(a.time)),
			Count: int64(a.silent), Avoidable: a.time,
			Formula: fmt.Sprintf("avoidable = %s: the time of %d of %d calls during which no other request in flight moved (the loop was held)", units.Duration(a.time), a.silent, a.judged),
			Evidence: []Evidence{{Source: "spans", Count: int64(a.silent), Time: a.time,
				What: fmt.Sprintf("%d of %d I/O spans of %s ran while the other requests in flight began and ended nothing", a.silent, a.judged, k.route)}},
			Recommendation: "Use the async client (aiohttp, an async driver) or run the call in a thread with asyncio.to_thread / loop.run_in_executor.",
			// Inferred from the others' silence, and only the instrumented
			// calls: an event-loop log's blocked time is the measurement.
			Quality: Indirect, RouteCosts: map[string]time.Duration{k.route: a.time}, Origin: "spans", OwnBasis: "request time (server spans)",
		}
		if k.fn != "" {
			f.Locations = []Location{{Function: k.fn, File: a.file, Line: a.line, Route: k.route}}
		} else {
			f.Locations = []Location{{Route: k.route}}
		}
		out = append(out, f)
	}
	return out
}

// withoutSetup drops the traces that are no request and began before the
// first request: a service's migrations and seed loads at start-up are
// context, not findings (rule 7).
func withoutSetup(reqs []*traces.Request) []*traces.Request {
	var first time.Time
	for _, r := range reqs {
		if r.Root != nil && IsRequestRoot(r.Root) && (first.IsZero() || r.Start.Before(first)) {
			first = r.Start
		}
	}
	if first.IsZero() {
		return reqs
	}
	out := reqs[:0:0]
	for _, r := range reqs {
		if r.Root != nil && !IsRequestRoot(r.Root) && r.Start.Before(first) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// codeOf is the code location of a span or of its nearest ancestor (up to
// the request's root) that has one.
func codeOf(n, root *traces.Node) (fn, file string, line int) {
	for a := n; a != nil; a = a.Parent {
		if a.Span.CodeFunc != "" {
			return a.Span.CodeFunc, a.Span.CodeFile, a.Span.CodeLine
		}
		if a == root {
			break
		}
	}
	return "", "", 0
}

// spanFP is one fingerprint's db spans, for the slow-query rule.
type spanFP struct {
	text   string
	n      int
	time   time.Duration
	hist   []time.Duration
	routes map[string]int64
}

func addSlow(m map[uint64]*spanFP, id uint64, text string, d time.Duration, route string) {
	a := m[id]
	if a == nil {
		if len(m) >= maxFPs {
			return
		}
		a = &spanFP{text: text, routes: map[string]int64{}}
		m[id] = a
	}
	a.n++
	a.time = parse.SatAdd(a.time, d)
	if len(a.hist) < 1024 {
		a.hist = append(a.hist, d)
	}
	if route != "" && len(a.routes) < 16 {
		a.routes[route]++
	}
}

// slowSpanFindings applies the slow-query rule of the SQL logs to the
// client-side time of db spans (the time the application waited).
func slowSpanFindings(m map[uint64]*spanFP, opt SQLOptions) []*Finding {
	var total time.Duration
	var means []meanCount
	for _, a := range m {
		if isHousekeeping(a.text) {
			continue
		}
		total += a.time
		means = append(means, meanCount{a.time / time.Duration(a.n), int64(a.n)})
	}
	if total == 0 {
		return nil
	}
	typical := medianOfMeans(means)
	var out []*Finding
	for id, a := range m {
		if !isQuery(a.text) || isHousekeeping(a.text) || isSetupStatement(a.text) {
			continue
		}
		mean := a.time / time.Duration(a.n)
		p95 := percentile(a.hist, 0.95)
		share := float64(a.time) / float64(total)
		target, why, ok := slowTarget(mean, p95, share, typical, opt)
		if !ok {
			continue
		}
		avoid := a.time - target*time.Duration(a.n)
		if avoid <= 0 {
			continue
		}
		out = append(out, &Finding{
			Kind:        SlowQuery,
			Title:       fmt.Sprintf("slow query: %s (mean %s, p95 %s, %.0f%% of db span time)", short(a.text, 60), units.Duration(mean), units.Duration(p95), share*100),
			Fingerprint: a.text, QueryID: fingerprint.IDString(id), Count: int64(a.n),
			Avoidable: avoid,
			Formula: fmt.Sprintf("avoidable = %s in %d db spans − %d × %s (%s) = %s",
				units.Duration(a.time), a.n, a.n, units.Duration(target), why, units.Duration(avoid)),
			Evidence: []Evidence{{Source: "spans", Count: int64(a.n), Time: a.time,
				What: fmt.Sprintf("%d db spans, %s in all, mean %s, p95 %s", a.n, units.Duration(a.time), units.Duration(mean), units.Duration(p95))}},
			Recommendation: "EXPLAIN ANALYZE it: add the index its WHERE/ORDER BY needs, select fewer columns, or paginate; if it cannot be fast, cache it or move it off the request path.",
			Quality:        Measured, RouteCosts: routeCosts(a.routes, avoid), Origin: "spans", OwnBasis: "request time (server spans)",
		})
	}
	return out
}

// connTarget says whether a connection-setup span connects to an HTTP
// upstream or to a database, and to which one: by its own attributes
// first, then by the client span it sits under (aiohttp's
// connection_create under an HTTP client span is an HTTP connection), then
// by the spans beside it.
func connTarget(n, root *traces.Node) (isHTTP bool, resource string) {
	sp := n.Span
	if r := dbResource(sp); r != "" {
		return false, r
	}
	if sp.HTTPURL != "" || sp.HTTPMethod != "" {
		return true, hostOf(sp)
	}
	for a := n.Parent; a != nil; a = a.Parent {
		switch a.Span.Category {
		case parse.CatHTTPClient:
			return true, hostOf(a.Span)
		case parse.CatDB:
			return false, dbResource(a.Span)
		}
		if a == root {
			break
		}
	}
	name := strings.ToLower(sp.Name)
	if strings.Contains(name, "http") {
		return true, hostOf(sp)
	}
	// A database connect span usually precedes the statement it serves.
	if p := n.Parent; p != nil {
		for _, c := range p.Children {
			if c.Span.Category == parse.CatDB {
				return false, dbResource(c.Span)
			}
			if c.Span.Category == parse.CatHTTPClient && c.Span.Start.After(sp.Start) {
				return true, hostOf(c.Span)
			}
		}
	}
	return false, ""
}

// dbResource names the database a span talks to: its name, else its
// system; "" when the span says nothing about a database.
func dbResource(sp *parse.Span) string {
	for _, k := range []string{"db.namespace", "db.name"} {
		if v := sp.Attrs[k]; v != "" {
			return strings.ToLower(v)
		}
	}
	if sp.DBSystem != "" {
		return ""
	}
	return ""
}

// hostOf names the upstream of an HTTP client span: host:port of its URL,
// else its server address.
func hostOf(sp *parse.Span) string {
	u := sp.HTTPURL
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexAny(u, "/?#"); j >= 0 {
			u = u[:j]
		}
		if at := strings.LastIndex(u, "@"); at >= 0 {
			u = u[at+1:]
		}
		return strings.ToLower(u)
	}
	if sp.ServerAddr != "" {
		return strings.ToLower(sp.ServerAddr)
	}
	return ""
}

// hasPlaceholder reports bind placeholders ($1, ?, %s, %(name)s, :name):
// the span then does not carry the values, so equal fingerprints say
// nothing about equal parameters.
func hasPlaceholder(stmt string) bool {
	for i := 0; i < len(stmt); i++ {
		switch stmt[i] {
		case '?':
			return true
		case '$':
			if i+1 < len(stmt) && stmt[i+1] >= '0' && stmt[i+1] <= '9' {
				return true
			}
		case '%':
			if i+1 < len(stmt) && (stmt[i+1] == 's' || stmt[i+1] == '(') {
				return true
			}
		case ':':
			if i+1 < len(stmt) && (stmt[i+1] == '_' || stmt[i+1] >= 'a' && stmt[i+1] <= 'z') && (i == 0 || stmt[i-1] != ':') {
				return true
			}
		}
	}
	return false
}

// isPoolCheckout tells a pool checkout/acquire span (a pooled connection
// handed out) from a new connection being set up.
func isPoolCheckout(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "checkout") || strings.Contains(n, "acquire") || strings.HasSuffix(n, ".connection") || strings.Contains(n, "pool.get")
}

func isRead(fp string) bool {
	return len(fp) >= 6 && fp[:6] == "select"
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

// castRE matches a cast on a placeholder, "?::varchar", "? :: integer[]".
var castRE = regexp.MustCompile(`\?\s*::\s*[a-z_][a-z_0-9]*(?:\s+(?:precision|varying|with(?:out)?\s+time\s+zone))*(?:\[\])?`)

// looseFingerprint drops casts on placeholders, which drivers add (asyncpg
// binds "$1::VARCHAR" where SQLAlchemy's own text has "%s"): the same query
// logged by the database and by the application then matches.
func looseFingerprint(fp string) string {
	if !strings.Contains(fp, "::") {
		return fp
	}
	return castRE.ReplaceAllString(fp, "?")
}
