package detect

// The detection model (README.md, "The detection model"), in one place:
// how the candidates every detector yields become the findings a person
// reads.
//
//  1. Events count once: sameevents.go matches sources that carry the same
//     events before anything is counted.
//  2. Units of work: the SQL detector's windows (sql.go) and the requests of
//     traces (traces.go) are where N+1 and repeated reads are judged.
//  3. Causes: a finding is keyed by its cause (Assemble, causeKey): one
//     finding per cause, with routes, call sites and sources as evidence;
//     estimates of one cause are reconciled, never added.
//  4. Call sites: frames.go says which frames are the application's.
//  5. Joins: a candidate that knows only a query, a task or a caller is
//     joined to the call site other sources name (join).
//  6. One denominator: Rank takes every share over the dataset's request
//     time (denominator.go), or the finding's own total, named.
//  7. Noise is context: noise.go keeps housekeeping, set-up and idle time
//     out of findings.

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"hotpath/parse"
	"hotpath/views/fingerprint"
	"hotpath/views/traces"
	"hotpath/views/units"
)

// Quality says how directly a source measured a candidate's avoidable time:
// of one cause's estimates, the best-measured one stands.
type Quality int

const (
	// Assumed: nothing measured (a default cost, a log without durations).
	Assumed Quality = iota
	// Weak: measured, but on too few observations to extrapolate.
	Weak
	// Indirect: measured beside the cost (the database's server time for a
	// round trip the application pays, profile samples under a frame).
	Indirect
	// Measured: measured where it is paid (client-side spans, the time the
	// event loop was blocked, lock waits, CPU samples).
	Measured
)

func (q Quality) String() string {
	return [...]string{"assumed", "weak", "indirect", "measured"}[q]
}

// causeAnchor is one way of naming a cause.
type causeAnchor int

const (
	bySite causeAnchor = iota
	byFingerprint
	bySourceQuery
	byResource
)

// causeAnchors says, per kind, what names its cause, first choice first.
// A lazy loop is fixed where it is written; a repeated read or a slow
// query by the query itself; a missing pool or a throw-away HTTP client
// once for the database or upstream, whichever handler reaches it.
var causeAnchors = map[Kind][]causeAnchor{
	NPlusOne:           {bySite, byFingerprint},
	CacheableDuplicate: {byFingerprint, bySite},
	SlowQuery:          {byFingerprint, bySite},
	NoConnectionPool:   {byResource, bySite},
	HTTPClientChurn:    {byResource, bySite},
	BlockingIOInAsync:  {bySite},
	LockContention:     {bySite},
	CPUHotspot:         {bySite},
}

// site is a candidate's call site: its first location naming a function,
// else a file:line.
func (f *Finding) site() (Location, bool) {
	for _, l := range f.Locations {
		if l.Function != "" {
			return l, true
		}
	}
	for _, l := range f.Locations {
		if l.File != "" && l.Line > 0 {
			return l, true
		}
	}
	return Location{}, false
}

// siteName is the part of a call site two sources agree on: the function
// (Go's package-qualified name, Python's bare name), else file:line.
func siteName(l Location) string {
	if l.Function != "" {
		return l.Function
	}
	if l.File != "" {
		return fmt.Sprintf("%s:%d", path.Base(l.File), l.Line)
	}
	return ""
}

// causeKey names f's cause with the first anchor of its kind it knows.
func causeKey(f *Finding) string {
	anchors := causeAnchors[f.Kind]
	if anchors == nil {
		anchors = []causeAnchor{bySite, byFingerprint}
	}
	for _, a := range anchors {
		switch a {
		case bySite:
			if l, ok := f.site(); ok {
				return string(f.Kind) + "|site:" + siteName(l)
			}
		case byFingerprint:
			if f.Fingerprint != "" {
				return string(f.Kind) + "|fp:" + looseFingerprint(f.Fingerprint)
			}
		case bySourceQuery:
			if f.SourceQuery != "" {
				return string(f.Kind) + "|after:" + looseFingerprint(f.SourceQuery)
			}
		case byResource:
			if f.Resource != "" {
				return string(f.Kind) + "|res:" + f.Resource
			}
		}
	}
	// Nothing names it: one finding per kind and source.
	return string(f.Kind) + "|src:" + strings.Join(f.Sources(), ",")
}

// Assemble turns the candidates of every detector into findings: joins them
// to the call sites other sources name, groups them by cause, reconciles
// each cause's estimates, and drops CPU hotspots another finding explains.
// reqs are the requests of the traces (after same-event matching).
func Assemble(cands []*Finding, reqs []*traces.Request) []*Finding {
	cands = dropNoise(cands)
	join(cands, reqs)
	groups := map[string][]*Finding{}
	var order []string
	for _, f := range cands {
		k := causeKey(f)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], f)
	}
	out := make([]*Finding, 0, len(order))
	for _, k := range order {
		f := reconcile(groups[k])
		f.Cause = k
		out = append(out, f)
	}
	return dropExplained(out)
}

// reconcile folds one cause's candidates into one finding. The best-measured
// estimate stands (sources that see the same time are never added); the
// others corroborate with their evidence, locations and routes.
func reconcile(fs []*Finding) *Finding {
	fs = foldOrigins(fs)
	sort.SliceStable(fs, func(i, j int) bool { return better(fs[i], fs[j]) })
	best := fs[0]
	m := *best
	m.Evidence = nil
	m.Locations = nil
	m.TraceIDs = append([]string(nil), best.TraceIDs...)
	m.RouteCosts = nil
	// The call site is the best-measured candidate's that names one.
	for _, f := range fs {
		if l, ok := f.site(); ok {
			m.Locations = []Location{l}
			break
		}
	}
	for _, f := range fs {
		m.Evidence = append(m.Evidence, f.Evidence...)
		m.TraceIDs = appendUnique(m.TraceIDs, f.TraceIDs...)
		if m.Fingerprint == "" {
			m.Fingerprint, m.QueryID = f.Fingerprint, f.QueryID
		}
		if m.Resource == "" {
			m.Resource = f.Resource
		}
		if m.Recommendation == "" {
			m.Recommendation = f.Recommendation
		}
		// Per-route costs come from the best-measured source that has
		// them: a source that cannot see routes says nothing about them.
		if m.RouteCosts == nil && len(f.RouteCosts) > 0 {
			m.RouteCosts = f.RouteCosts
		}
	}
	// Other call sites and the routes as further locations.
	for _, f := range fs {
		for _, l := range f.Locations {
			if l.Function != "" && len(m.Locations) > 0 && l.Function != m.Locations[0].Function && !hasLocation(m.Locations, l.Function) {
				m.Locations = append(m.Locations, Location{Function: l.Function, File: l.File, Line: l.Line})
			}
		}
	}
	m.RouteCosts = scaleCosts(majorRoutes(m.RouteCosts), m.Avoidable)
	if len(m.Locations) > 0 && m.Locations[0].Route == "" {
		if r := topCost(m.RouteCosts); r != "" {
			m.Locations[0].Route = r
		}
	}
	for _, r := range sortedRoutes(m.RouteCosts) {
		if !hasRoute(m.Locations, r) {
			m.Locations = append(m.Locations, Location{Route: r})
		}
	}
	if len(fs) > 1 {
		var others []string
		for _, f := range fs[1:] {
			if f.Avoidable > 0 && f.Quality != best.Quality || f.Avoidable != best.Avoidable && f.Avoidable > 0 {
				others = append(others, fmt.Sprintf("%s %s (%s)", firstSource(f), units.Duration(f.Avoidable), f.Quality))
			}
		}
		if len(others) > 0 {
			m.Formula += "; the estimate of " + firstSource(best) + " (" + best.Quality.String() + ") stands, not added to " + strings.Join(others, ", ")
		}
	}
	return &m
}

// foldOrigins adds up the candidates one source yields for one cause: two
// fingerprints lazy-loaded by one loop, two call sites of one blocked
// handler, the connections of two routes to one database are different
// time, seen once each. Sources are compared after, never added.
func foldOrigins(fs []*Finding) []*Finding {
	byOrigin := map[string][]*Finding{}
	var order []string
	for _, f := range fs {
		o := f.Origin
		if o == "" {
			o = firstSource(f)
		}
		if _, ok := byOrigin[o]; !ok {
			order = append(order, o)
		}
		byOrigin[o] = append(byOrigin[o], f)
	}
	if len(order) == len(fs) {
		return fs
	}
	out := make([]*Finding, 0, len(order))
	for _, o := range order {
		g := byOrigin[o]
		if len(g) == 1 {
			out = append(out, g[0])
			continue
		}
		sort.SliceStable(g, func(i, j int) bool { return g[i].Avoidable > g[j].Avoidable })
		m := *g[0]
		m.Evidence = append([]Evidence(nil), g[0].Evidence...)
		m.Locations = append([]Location(nil), g[0].Locations...)
		m.RouteCosts = map[string]time.Duration{}
		for r, c := range g[0].RouteCosts {
			m.RouteCosts[r] += c
		}
		var parts []string
		for _, f := range g[1:] {
			m.Avoidable = parse.SatAdd(m.Avoidable, f.Avoidable)
			m.Count += f.Count
			m.Quality = min(m.Quality, f.Quality)
			m.Observed = max(m.Observed, f.Observed)
			m.Evidence = append(m.Evidence, f.Evidence...)
			m.Locations = append(m.Locations, f.Locations...)
			m.TraceIDs = appendUnique(m.TraceIDs, f.TraceIDs...)
			for r, c := range f.RouteCosts {
				m.RouteCosts[r] += c
			}
			what := f.Fingerprint
			if l, ok := f.site(); ok && (what == "" || f.Fingerprint == m.Fingerprint) {
				what = siteName(l)
			}
			if what == "" {
				what = f.Title
			}
			parts = append(parts, fmt.Sprintf("%s for %s", units.Duration(f.Avoidable), short(what, 60)))
		}
		m.Formula += fmt.Sprintf("; plus %s from the same source: %s in all", strings.Join(parts, ", "), units.Duration(m.Avoidable))
		out = append(out, &m)
	}
	return out
}

// better orders one cause's candidates: the best-measured first, then the
// one with more observations, then the larger estimate.
func better(a, b *Finding) bool {
	if a.Quality != b.Quality {
		return a.Quality > b.Quality
	}
	if (a.Avoidable > 0) != (b.Avoidable > 0) {
		return a.Avoidable > 0
	}
	if a.Count != b.Count {
		return a.Count > b.Count
	}
	return a.Avoidable > b.Avoidable
}

func firstSource(f *Finding) string {
	if s := f.Sources(); len(s) > 0 {
		return s[0]
	}
	return "?"
}

func hasLocation(ls []Location, fn string) bool {
	for _, l := range ls {
		if l.Function == fn {
			return true
		}
	}
	return false
}

func hasRoute(ls []Location, r string) bool {
	for _, l := range ls {
		if l.Route == r {
			return true
		}
	}
	return false
}

// scaleCosts makes per-route costs add up to the estimate that stands: the
// split may come from another source than the total.
func scaleCosts(m map[string]time.Duration, total time.Duration) map[string]time.Duration {
	var sum time.Duration
	for _, c := range m {
		sum += c
	}
	if sum <= 0 || sum == total {
		return m
	}
	out := make(map[string]time.Duration, len(m))
	for r, c := range m {
		out[r] = time.Duration(float64(c) * float64(total) / float64(sum))
	}
	return out
}

// majorRoutes keeps the routes that carry at least a twentieth of a
// cause's cost: a healthy twin that ran the query twice is not where the
// problem is.
func majorRoutes(m map[string]time.Duration) map[string]time.Duration {
	var total time.Duration
	for _, c := range m {
		total += c
	}
	if len(m) < 2 || total <= 0 {
		return m
	}
	out := map[string]time.Duration{}
	for r, c := range m {
		if c*20 >= total {
			out[r] = c
		}
	}
	return out
}

func topCost(m map[string]time.Duration) string {
	best, n := "", time.Duration(-1)
	for r, c := range m {
		if c > n || c == n && r < best {
			best, n = r, c
		}
	}
	return best
}

// sortedRoutes lists m's routes by cost, largest first.
func sortedRoutes(m map[string]time.Duration) []string {
	rs := make([]string, 0, len(m))
	for r := range m {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool {
		if m[rs[i]] != m[rs[j]] {
			return m[rs[i]] > m[rs[j]]
		}
		return rs[i] < rs[j]
	})
	return rs
}

// join gives candidates the call site and resource other sources name
// (the detection model's joins, README.md: by trace id and fingerprint
// through the spans, by caller through profile stacks, by the only
// resource a dataset has).
func join(cands []*Finding, reqs []*traces.Request) {
	joinByFingerprint(cands, reqs)
	joinHandlerByRoute(cands, reqs)
	joinByCaller(cands)
	joinRoutesByHandler(cands, reqs)
	joinResources(cands)
	joinOnlySite(cands)
}

// joinOnlySite gives the N+1 candidates that know only their query (a SQL
// log without code locations) the call site of the dataset's only N+1 that
// names one (a profile's lazy loader), when one query holds nearly all of
// their avoidable time: the data has nothing else to tell them apart
// with, and the evidence says so.
func joinOnlySite(cands []*Finding) {
	sites := map[string]Location{}
	byFP := map[string]time.Duration{}
	var lone []*Finding
	var total time.Duration
	for _, f := range cands {
		if f.Kind != NPlusOne {
			continue
		}
		if l, ok := f.site(); ok {
			sites[siteName(l)] = l
			continue
		}
		lone = append(lone, f)
		byFP[looseFingerprint(f.Fingerprint)] += f.Avoidable
		total += f.Avoidable
	}
	if len(sites) != 1 || len(lone) == 0 {
		return
	}
	top, best := "", time.Duration(-1)
	for fp, t := range byFP {
		if t > best {
			top, best = fp, t
		}
	}
	if len(byFP) > 1 && best*10 < total*9 {
		return
	}
	for _, l := range sites {
		for _, f := range lone {
			if looseFingerprint(f.Fingerprint) != top {
				continue
			}
			loc := Location{Function: l.Function, File: l.File, Line: l.Line}
			if len(f.Locations) > 0 {
				loc.Route = f.Locations[0].Route
			}
			f.Locations = append([]Location{loc}, f.Locations...)
			f.Evidence = append(f.Evidence, Evidence{Source: firstSource(f),
				What: fmt.Sprintf("joined to %s: the only N+1 call site the sources name, and the query repeated in a loop that holds most of the N+1 time", siteName(l))})
		}
	}
}

// joinHandlerByRoute gives a candidate that knows its route but no call
// site the handler that serves the route (the code.function its server
// spans name), the weakest join: a stall known by its task's route, a
// query known by its sqlcommenter route.
func joinHandlerByRoute(cands []*Finding, reqs []*traces.Request) {
	counts := map[string]map[Location]int{}
	for _, r := range reqs {
		if r.Root == nil || r.Root.CodeFunc == "" || !IsRequestRoot(r.Root) {
			continue
		}
		if counts[r.Route] == nil {
			counts[r.Route] = map[Location]int{}
		}
		counts[r.Route][Location{Function: r.Root.CodeFunc, File: r.Root.CodeFile, Line: r.Root.CodeLine}]++
	}
	if len(counts) == 0 {
		return
	}
	for _, f := range cands {
		if _, ok := f.site(); ok || f.Kind == NoConnectionPool || f.Kind == HTTPClientChurn {
			continue
		}
		route := ""
		for _, l := range f.Locations {
			if l.Route != "" {
				route = l.Route
				break
			}
		}
		if route == "" && len(f.RouteCosts) == 1 {
			for r := range f.RouteCosts {
				route = r
			}
		}
		var best Location
		n, total := 0, 0
		for l, c := range counts[route] {
			total += c
			if c > n || c == n && siteName(l) < siteName(best) {
				best, n = l, c
			}
		}
		if n == 0 || n*2 <= total {
			continue
		}
		best.Route = route
		f.Locations = append([]Location{best}, f.Locations...)
		f.Evidence = append(f.Evidence, Evidence{Source: "spans", Count: int64(n),
			What: fmt.Sprintf("%s is served by %s (the code.function of %d of its %d server spans)", route, siteName(best), n, total)})
	}
}

// joinRoutesByHandler gives a profile candidate that knows no route the
// route of the request handler its stack passes through: the server spans
// name their handler (code.function), the profile's stack holds it.
func joinRoutesByHandler(cands []*Finding, reqs []*traces.Request) {
	// Every function the spans of a request name (the handler, the call
	// sites of its statements) says which route runs it.
	counts := map[string]map[string]int{}
	for _, r := range reqs {
		if r.Root == nil || !IsRequestRoot(r.Root) {
			continue
		}
		traces.Walk(r.Node, func(n *traces.Node) bool {
			if fn := n.Span.CodeFunc; fn != "" {
				if counts[fn] == nil {
					counts[fn] = map[string]int{}
				}
				counts[fn][r.Route]++
			}
			return true
		})
	}
	if len(counts) == 0 {
		return
	}
	handler := map[string]string{}
	for fn, rs := range counts {
		best, n, total := "", 0, 0
		for r, c := range rs {
			total += c
			if c > n || c == n && r < best {
				best, n = r, c
			}
		}
		if n*5 >= total*4 { // a function most of whose spans run on one route
			handler[fn] = best
		}
	}
	for _, f := range cands {
		st := f.stack()
		if len(st) == 0 || len(f.RouteCosts) > 0 {
			continue
		}
		for _, fr := range st {
			if r, ok := handler[fr.Function]; ok {
				f.RouteCosts = map[string]time.Duration{r: f.Avoidable}
				if len(f.Locations) > 0 && f.Locations[0].Route == "" {
					f.Locations[0].Route = r
				}
				break
			}
		}
	}
}

// joinByFingerprint gives a candidate that knows a query but no call site
// the call site of the spans (or other candidates) that ran the same
// fingerprint, when one site ran most of them.
func joinByFingerprint(cands []*Finding, reqs []*traces.Request) {
	type site struct {
		loc    Location
		n      int
		time   time.Duration
		routes map[string]int64
	}
	need := map[string]bool{}
	for _, f := range cands {
		if f.Fingerprint != "" {
			need[looseFingerprint(f.Fingerprint)] = true
		}
	}
	if len(need) == 0 {
		return
	}
	sites := map[string]map[string]*site{}
	add := func(fp string, l Location, n int, t time.Duration) {
		if sites[fp] == nil {
			sites[fp] = map[string]*site{}
		}
		k := siteName(l)
		s := sites[fp][k]
		if s == nil {
			s = &site{loc: Location{Function: l.Function, File: l.File, Line: l.Line}, routes: map[string]int64{}}
			sites[fp][k] = s
		}
		s.n += n
		s.time = parse.SatAdd(s.time, t)
		if l.Route != "" {
			s.routes[l.Route] += int64(n)
		}
	}
	var fpr fingerprint.Fingerprinter
	for _, r := range reqs {
		traces.Walk(r.Node, func(n *traces.Node) bool {
			sp := n.Span
			if sp.Category != parse.CatDB || sp.DBStatement == "" || sp.CodeFunc == "" {
				return true
			}
			fp := looseFingerprint(string(fpr.Fingerprint(sp.DBStatement).Fingerprint))
			if need[fp] {
				add(fp, Location{Function: sp.CodeFunc, File: sp.CodeFile, Line: sp.CodeLine, Route: r.Route}, 1, sp.Duration)
			}
			return true
		})
	}
	// Candidates that know both (a Rails ↳ line, a sqlcommenter func tag)
	// testify too, where no span does.
	for _, f := range cands {
		if l, ok := f.site(); ok && f.Fingerprint != "" && f.Kind != NoConnectionPool && f.Kind != HTTPClientChurn {
			fp := looseFingerprint(f.Fingerprint)
			if sites[fp] == nil || f.Evidence == nil || f.Evidence[0].Source != "spans" {
				add(fp, l, int(max(f.Count, 1)), 0)
			}
		}
	}
	for _, f := range cands {
		if f.Fingerprint == "" {
			continue
		}
		if _, ok := f.site(); ok {
			continue
		}
		var best *site
		total := 0
		for _, s := range sites[looseFingerprint(f.Fingerprint)] {
			total += s.n
			if best == nil || s.n > best.n || s.n == best.n && siteName(s.loc) < siteName(best.loc) {
				best = s
			}
		}
		if best == nil || best.n*2 <= total {
			continue // no site ran most of it: the query is the anchor
		}
		loc := best.loc
		loc.Route = topRoute(best.routes)
		if len(f.Locations) > 0 && f.Locations[0].Route != "" {
			loc.Route = f.Locations[0].Route
		}
		spreadRoutes := len(f.RouteCosts) == 0 && len(best.routes) > 0
		f.Locations = append([]Location{loc}, f.Locations...)
		what := fmt.Sprintf("%d of %d executions of this fingerprint ran at %s", best.n, total, siteName(best.loc))
		if best.time > 0 {
			what = fmt.Sprintf("%d of %d db spans of this fingerprint (%s) ran at %s", best.n, total, units.Duration(best.time), siteName(best.loc))
		}
		f.Evidence = append(f.Evidence, Evidence{Source: "spans", Count: int64(best.n), Time: best.time, What: what})
		if f.Kind == CacheableDuplicate && best.time > 0 && len(f.Evidence) > 0 && f.Evidence[0].Time > 0 && f.Count > 0 && f.Quality < Measured {
			// The database log times the server's work; the spans what the
			// application waited, round trip included: a cache saves that.
			mean := best.time / time.Duration(best.n)
			fraction := float64(f.Avoidable) / float64(f.Evidence[0].Time)
			client := time.Duration(float64(mean) * float64(f.Count) * fraction)
			if client > f.Avoidable {
				f.Formula += fmt.Sprintf("; with the %s mean client-side time of %d spans of this fingerprint: %d executions × %s × %.0f%% = %s",
					units.Duration(mean), best.n, f.Count, units.Duration(mean), fraction*100, units.Duration(client))
				f.Avoidable = client
				f.Quality = Measured
			}
		}
		if spreadRoutes {
			f.RouteCosts = routeCosts(best.routes, f.Avoidable)
		}
	}
}

// joinByCaller moves a profile candidate whose stack passes through the
// call site another candidate of the same kind names onto that site: the
// blocking call under a handler the event-loop log names is that
// handler's problem, seen deeper.
func joinByCaller(cands []*Finding) {
	sites := map[Kind]map[string]Location{}
	for _, f := range cands {
		if len(f.stack()) > 0 {
			continue // a profile's own site does not attract others
		}
		if l, ok := f.site(); ok && l.Function != "" {
			if sites[f.Kind] == nil {
				sites[f.Kind] = map[string]Location{}
			}
			sites[f.Kind][l.Function] = l
		}
	}
	for _, f := range cands {
		st := f.stack()
		own, ok := f.site()
		if len(st) == 0 || !ok || sites[f.Kind] == nil {
			continue
		}
		if _, named := sites[f.Kind][own.Function]; named {
			continue
		}
		for _, fr := range st[1:] {
			if l, ok := sites[f.Kind][fr.Function]; ok {
				f.Locations = append([]Location{{Function: l.Function, File: l.File, Line: l.Line, Route: l.Route}}, f.Locations...)
				if len(f.Evidence) > 0 {
					f.Evidence[0].What += fmt.Sprintf(" (called from %s)", l.Function)
				}
				break
			}
		}
	}
}

// stack is the first profile stack of f's evidence.
func (f *Finding) stack() []Frame {
	for _, e := range f.Evidence {
		if len(e.Stack) > 0 {
			return e.Stack
		}
	}
	return nil
}

// joinResources gives pool and HTTP-client candidates that do not know
// their database or upstream the only one of the dataset, when there is
// only one: a log line or a profile frame is about that one.
func joinResources(cands []*Finding) {
	for _, kind := range []Kind{NoConnectionPool, HTTPClientChurn} {
		known := map[string]bool{}
		for _, f := range cands {
			if f.Kind == kind && f.Resource != "" {
				known[f.Resource] = true
			}
		}
		only := ""
		switch len(known) {
		case 0:
			only = resourceLabel(kind)
		case 1:
			for r := range known {
				only = r
			}
		default:
			continue
		}
		// Logs and traces first; their call sites then say which of a
		// profile's sites are the same cause.
		sites := map[string]bool{}
		for _, f := range cands {
			if f.Kind != kind || len(f.stack()) > 0 {
				continue
			}
			if f.Resource == "" {
				f.Resource = only
			}
			for _, l := range f.Locations {
				if l.Function != "" {
					sites[siteName(l)] = true
				}
			}
		}
		for _, f := range cands {
			if f.Kind != kind || f.Resource != "" {
				continue
			}
			// A profile's call site that the sources naming the resource
			// do not reach is a site of its own (a shared client that
			// redials now and then), not more of the same cause.
			if l, ok := f.site(); ok && len(sites) > 0 && !sites[siteName(l)] {
				continue
			}
			f.Resource = only
		}
	}
}

func resourceLabel(k Kind) string {
	if k == HTTPClientChurn {
		return "the upstream"
	}
	return "the database"
}

// dropExplained removes CPU hotspots at a function another finding names
// (a lazy-loading loop is busy because of its queries): the detection model reports
// a hotspot only when nothing else explains it.
func dropExplained(fs []*Finding) []*Finding {
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

// RouteShare is what a fix saves on one route.
type RouteShare struct {
	Route     string
	Avoidable time.Duration
	Time      time.Duration // the route's request time
	Share     float64
}

// RouteShares says what a fix saves per affected route, largest first:
// "/orders: 38% of its request time (1.2s)".
func RouteShares(f *Finding) string {
	var parts []string
	for i, r := range f.Routes {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("%d more routes", len(f.Routes)-i))
			break
		}
		if r.Time > 0 {
			parts = append(parts, fmt.Sprintf("%s: %s of its request time (%s)", r.Route, units.Share(r.Share), units.Duration(r.Avoidable)))
		} else {
			parts = append(parts, fmt.Sprintf("%s: %s", r.Route, units.Duration(r.Avoidable)))
		}
	}
	return strings.Join(parts, "; ")
}

// Rank puts every finding on the dataset's one scale (rule 6): the share of
// den's request time a fix saves; where the dataset has none, the share of
// the finding's own source's total of the same unit, named. Severity follows
// the share, confidence the number of independent sources; order is by
// share, then avoidable time, then confidence.
func Rank(fs []*Finding, den Denominator) []*Finding {
	for _, f := range fs {
		f.OwnObserved = f.Observed
		if f.OwnBasis == "" {
			f.OwnBasis = basisOf(f)
		}
		// A source that saw more of its unit than the dataset's request
		// time (a profile of the whole process beside spans of a few
		// requests) is not covered by it: its own total stands, named.
		if den.Time > 0 && f.OwnObserved <= den.Time {
			f.Observed, f.Basis = den.Time, den.Basis
		} else {
			f.Basis = f.OwnBasis
		}
		f.Share = 0
		if f.Observed > 0 {
			f.Share = min(float64(f.Avoidable)/float64(f.Observed), 1)
		}
		f.Severity = SeverityOf(f.Share, f.Avoidable)
		f.Confidence = confidenceOf(len(f.Sources()))
		f.Routes = nil
		for _, r := range sortedRoutes(f.RouteCosts) {
			rs := RouteShare{Route: r, Avoidable: f.RouteCosts[r], Time: den.Routes[r]}
			if rs.Time > 0 {
				rs.Share = min(float64(rs.Avoidable)/float64(rs.Time), 1)
			}
			f.Routes = append(f.Routes, rs)
		}
	}
	conf := map[string]int{"high": 3, "medium": 2, "low": 1}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Share != b.Share {
			return a.Share > b.Share
		}
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
