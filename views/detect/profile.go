package detect

import (
	"fmt"
	"hotpath/views/units"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// ProfileOptions tune what profiles testify.
type ProfileOptions struct {
	// SamplePeriod converts sample counts (folded stacks) to time;
	// py-spy's default rate is 100 Hz.
	SamplePeriod time.Duration
	// MinShare is the smallest share of a profile's time a finding must
	// have to be reported.
	MinShare float64
	// CPUHotspotShare is the share of CPU time under one application
	// function that makes it a cpu_hotspot.
	CPUHotspotShare float64
}

// DefaultProfileOptions are the defaults of the command-line flags.
func DefaultProfileOptions() ProfileOptions {
	return ProfileOptions{SamplePeriod: 10 * time.Millisecond, MinShare: 0.005, CPUHotspotShare: 0.10}
}

// NamedProfile is a profile and the format of the source it came from.
type NamedProfile struct {
	Profile *profile.Profile
	Source  string // "pprof", "folded" …
	Name    string // which input(s): findings of one profile add up, of two are compared
}

// timeIndex picks the value index that measures time, and how to convert it
// to a duration; ok is false for profiles that do not measure time (heap).
func timeIndex(p *profile.Profile, period time.Duration) (idx int, scale time.Duration, kind string, ok bool) {
	for i, st := range p.SampleType {
		switch {
		case strings.HasPrefix(st.Type, "net/") || strings.HasPrefix(st.Type, "syscall/") || strings.HasPrefix(st.Type, "sched/"):
			// Blocking profiles derived from Go traces other than sync:
			// network, syscall and scheduler waits are not lock waits.
			return 0, 0, "", false
		case st.Unit == "nanoseconds" && (st.Type == "cpu" || st.Type == "wall"):
			return i, 1, st.Type, true
		case st.Unit == "nanoseconds" && strings.HasSuffix(st.Type, "delay"):
			return i, 1, "delay", true
		}
	}
	if len(p.SampleType) == 1 && p.SampleType[0].Type == "samples" && p.SampleType[0].Unit == "count" {
		return 0, period, "samples", true
	}
	return 0, 0, "", false
}

// scaled is v samples of scale each, saturating at the longest Duration:
// counts come from inputs (a folded file may say 9223372036854775807).
func scaled(v int64, scale time.Duration) time.Duration {
	if v <= 0 || scale <= 0 {
		return 0
	}
	if v > math.MaxInt64/int64(scale) {
		return math.MaxInt64
	}
	return time.Duration(v) * scale
}

// siteKey is a call site: the application frame nearest above the frame
// that showed the problem.
type siteKey struct {
	class frameClass
	site  funcFrame
	lib   string // the library frame's function, for the evidence line
}

type siteValue struct {
	value    int64
	stack    []funcFrame // the heaviest stack, call site first
	heavy    int64
	routes   map[string]int64 // value per route, from pprof labels
	handlers map[string]int64 // value per handler function, from pprof labels
}

// ProfileFindings reads what the profiles testify: call sites of connection
// setup, HTTP client setup, lazy loads, blocking calls on an event loop,
// lock waits, and CPU hotspots.
// keepAliveLoops are the goroutines a net/http Transport runs per open
// connection: a goroutine profile full of them is connections never
// reused nor closed — a Transport (or Client) made per call.
var keepAliveLoops = map[string]bool{"net/http.(*persistConn).readLoop": true, "net/http.(*persistConn).writeLoop": true}

// goroutineFindings reads a goroutine profile: leaked keep-alive
// connection loops, by the handler and route their labels name.
func goroutineFindings(np NamedProfile, idx int) []*Finding {
	type leak struct {
		n        int64
		handlers map[string]int64
		routes   map[string]int64
	}
	l := leak{handlers: map[string]int64{}, routes: map[string]int64{}}
	var total int64
	for _, s := range np.Profile.Sample {
		v := s.Value[idx]
		total += v
		isLoop := false
		for _, loc := range s.Location {
			for _, ln := range loc.Line {
				if ln.Function != nil && keepAliveLoops[ln.Function.Name] {
					isLoop = true
				}
			}
		}
		if !isLoop {
			continue
		}
		l.n += v
		if h := handlerLabel(s); h != "" {
			l.handlers[h] += v
		}
		if r := routeLabel(s); r != "" {
			l.routes[r] += v
		}
	}
	// Two loops per connection; a shared Transport keeps a few.
	conns := l.n / 2
	if conns < 10 {
		return nil
	}
	var out []*Finding
	emit := func(fn string, n int64, routes map[string]int64) {
		f := &Finding{
			Kind:    HTTPClientChurn,
			Title:   fmt.Sprintf("%d HTTP keep-alive connections left open (a Transport or Client per call)", n/2),
			Count:   n / 2,
			Formula: fmt.Sprintf("avoidable: not measurable from a goroutine profile (%d read/write loops of %d idle connections are counted; their set-up time comes from CPU profiles or spans)", n, n/2),
			Evidence: []Evidence{{Source: np.Source, Count: n / 2,
				What: fmt.Sprintf("%d of %d goroutines are net/http persistConn read/write loops: %d connections kept open, never reused", n, total, n/2)}},
			Recommendation: "Create one http.Client (one Transport) at start-up and reuse it for every call; a Transport per call leaks its idle connections and redoes TCP and TLS set-up each time.",
			Quality:        Assumed, Origin: np.Name, OwnBasis: "goroutines (" + np.Source + ")",
		}
		if fn != "" {
			f.Locations = []Location{{Function: fn}}
		}
		if len(routes) > 0 {
			rc := map[string]time.Duration{}
			for r := range routes {
				rc[r] = 0
			}
			f.RouteCosts = rc
			if len(f.Locations) > 0 {
				f.Locations[0].Route = topRoute(routes)
			}
		}
		out = append(out, f)
	}
	if len(l.handlers) == 0 {
		emit("", l.n, l.routes)
		return out
	}
	// Per labelled handler: only the one that leaks many is a cause.
	for h, n := range l.handlers {
		if n/2 >= 10 {
			emit(h, n, map[string]int64{topRoute(l.routes): n})
		}
	}
	return out
}

func ProfileFindings(profiles []NamedProfile, opt ProfileOptions) []*Finding {
	def := DefaultProfileOptions()
	if opt.SamplePeriod <= 0 {
		opt.SamplePeriod = def.SamplePeriod
	}
	if opt.MinShare <= 0 {
		opt.MinShare = def.MinShare
	}
	if opt.CPUHotspotShare <= 0 {
		opt.CPUHotspotShare = def.CPUHotspotShare
	}
	var out []*Finding
	defer func() { routeByLabels(profiles, out) }()
	for _, np := range profiles {
		if st := np.Profile.SampleType; len(st) == 1 && st[0].Type == "goroutine" {
			out = append(out, goroutineFindings(np, 0)...)
			continue
		}
		idx, scale, kind, ok := timeIndex(np.Profile, opt.SamplePeriod)
		if !ok {
			continue
		}
		out = append(out, profileFindings(np, idx, scale, kind, opt)...)
	}
	return out
}

func profileFindings(np NamedProfile, idx int, scale time.Duration, kind string, opt ProfileOptions) []*Finding {
	p := np.Profile
	var total int64
	// In a block or mutex profile the total counts every parked goroutine
	// (idle connections' read loops, accept loops, timers); only waits on
	// a request path — under an application frame — are request time.
	var onPath int64
	sites := map[siteKey]*siteValue{}
	appFlat := map[funcFrame]*siteValue{} // CPU under the nearest application frame
	served := kind == "delay" && servesRequests(p)
	var frames []funcFrame
	for _, s := range p.Sample {
		v := s.Value[idx]
		if v <= 0 {
			continue
		}
		total += v
		frames = frames[:0]
		for _, loc := range s.Location {
			for _, ln := range loc.Line {
				if ln.Function != nil {
					frames = append(frames, funcFrame{ln.Function.Name, ln.Function.Filename, int(ln.Line)})
				}
			}
		}
		if kind == "delay" && onRequestPath(frames, served) {
			onPath += v
		}
		loop := onEventLoop(frames)
		// Walk from the leaf up: the first classified library frame, then
		// the nearest application frame above it.
		waiting := false
		for i, f := range frames {
			c := classify(f)
			// A blocking call matters off an event loop only as a wait in a
			// block/mutex profile; a thread may block without stalling others.
			if c == classBlocking && !loop && kind != "delay" {
				waiting = true // a thread waiting on I/O is not busy
				continue
			}
			if c == classNone {
				continue
			}
			if kind == "delay" && c != classLock {
				c = classLock // in a block/mutex profile every wait is a lock/channel wait
			}
			found := false
			for j := i + 1; j < len(frames); j++ {
				if isEntryPoint(frames[j]) {
					found = true // start-up work, not a request's call site
					break
				}
				if isApplication(frames[j]) {
					addSite(sites, siteKey{c, frames[j].key(), f.name}, v, frames[j:])
					sites[siteKey{c, frames[j].key(), f.name}].addRoute(routeLabel(s), v)
					found = true
					break
				}
			}
			// No application frame above: the work runs on a goroutine of
			// its own (net/http dials and handshakes in the Transport's
			// goroutines). Its pprof labels, inherited from the handler
			// that started it, may still say which route it served.
			if !found && (c == classHTTPClientSetup || c == classConnect) {
				k := siteKey{c, funcFrame{}, f.name}
				addSite(sites, k, v, frames[i:])
				sites[k].addRoute(routeLabel(s), v)
				sites[k].addHandler(handlerLabel(s), v)
			}
			break
		}
		// On an event loop, a wall-clock sample whose leaf is the
		// program's own code is the loop held there: computing, or inside
		// a C call a Python sampler cannot see (time.sleep, a blocking
		// read). Every other task waits either way.
		if loop && kind != "cpu" && kind != "delay" && len(frames) > 0 && isApplication(frames[0]) && !isEntryPoint(frames[0]) {
			k := siteKey{classBlocking, frames[0].key(), "its own code or a C call"}
			addSite(sites, k, v, frames)
			sites[k].addRoute(routeLabel(s), v)
			continue
		}
		// In a wall-clock profile, time a thread spent waiting on a query, a
		// socket or a file is no hotspot of the function that waits.
		if waiting && kind != "cpu" {
			continue
		}
		if (kind == "cpu" || kind == "samples" || kind == "wall") && len(frames) > 0 && !isIdle(frames[0]) {
			for j, f := range frames {
				if isEntryPoint(f) {
					break
				}
				if isApplication(f) {
					addSiteFlat(appFlat, f.key(), v, frames[j:])
					appFlat[f.key()].addRoute(routeLabel(s), v)
					break
				}
			}
		}
	}
	if total == 0 {
		return nil
	}
	observed := scaled(total, scale)
	basis := timeLabel(kind) + " (" + np.Source + ")"
	if kind == "delay" {
		observed = scaled(onPath, scale)
		basis = "lock and channel wait on request paths (" + np.Source + ")"
	}
	quality := Indirect
	if kind == "delay" {
		quality = Measured
	}
	// A mutex profile charges a contention to the Unlock of the holder, a
	// block profile to the Lock of the waiter: merged, one lock's wait
	// appears at both ends of one call site. It is one wait, counted once.
	lockSide := map[funcFrame]siteKey{}
	for k, sv := range sites {
		if k.class != classLock {
			continue
		}
		if o, ok := lockSide[k.site]; ok {
			if sites[o].value >= sv.value {
				delete(sites, k)
				continue
			}
			delete(sites, o)
		}
		lockSide[k.site] = k
	}
	var out []*Finding
	for k, sv := range sites {
		share := float64(sv.value) / float64(total)
		if share < opt.MinShare {
			continue
		}
		t := scaled(sv.value, scale)
		f := siteFinding(k, t, share, kind)
		if f == nil {
			continue
		}
		f.Observed, f.OwnBasis, f.Origin = observed, basis, np.Name
		if f.Quality = quality; k.class == classLock {
			f.Quality = Measured
		}
		if k.site.name != "" {
			f.Locations = []Location{{Function: k.site.name, File: k.site.file, Line: heavyLine(sv.stack)}}
		}
		labelled := ""
		if h := topRoute(sv.handlers); k.site.name == "" && h != "" && sv.handlers[h]*2 > sv.value {
			f.Locations = []Location{{Function: h}}
			labelled = " (on goroutines labelled handler=" + h + ")"
		}
		f.RouteCosts = routeCosts(sv.routes, t)
		f.Evidence = []Evidence{{Source: np.Source, Time: t,
			What:  fmt.Sprintf("%s of %s %s (%.1f%%) under %s, called from %s", units.Duration(t), units.Duration(observed), basis, share*100, k.lib, k.site.name),
			Stack: stackFrames(sv.stack, sv.heavy, total)}}
		f.Evidence[0].What += labelled
		out = append(out, f)
	}
	if kind == "cpu" || kind == "wall" || kind == "samples" {
		for fn, sv := range appFlat {
			share := float64(sv.value) / float64(total)
			if share < opt.CPUHotspotShare {
				continue
			}
			t := scaled(sv.value, scale)
			out = append(out, &Finding{
				Kind:      CPUHotspot,
				Title:     fmt.Sprintf("%s spends %.0f%% of %s", fn.name, share*100, timeLabel(kind)),
				Locations: []Location{{Function: fn.name, File: fn.file, Line: heavyLine(sv.stack)}},
				Avoidable: t / 2, Quality: Measured, OwnBasis: basis, Origin: np.Name,
				Formula:  fmt.Sprintf("avoidable = ½ × %s %s time in %s and the library code it calls directly (assumes a 2× speed-up)", units.Duration(t), kind, fn.name),
				Observed: observed,
				Evidence: []Evidence{{Source: np.Source, Time: t,
					What:  fmt.Sprintf("%s of %s %s time (%.1f%%) with %s as the nearest application frame", units.Duration(t), units.Duration(observed), kind, share*100, fn.name),
					Stack: stackFrames(sv.stack, sv.heavy, total)}},
				Recommendation: "Profile " + fn.name + " in isolation (go test -bench / py-spy top): cache or precompute its results, or move the work off the request path.",
				RouteCosts:     routeCosts(sv.routes, t/2),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Avoidable > out[j].Avoidable })
	return out
}

// routeByLabels gives profile candidates that know no route the route of
// the handler their stack passes through, as the profiles' own pprof
// labels pair handlers and routes (CPU and goroutine profiles carry
// labels; block and mutex profiles do not, but their stacks hold the same
// handlers).
func routeByLabels(profiles []NamedProfile, fs []*Finding) {
	pairs := map[string]map[string]int64{}
	for _, np := range profiles {
		for _, s := range np.Profile.Sample {
			h, r := handlerLabel(s), routeLabel(s)
			if h == "" || r == "" {
				continue
			}
			if pairs[h] == nil {
				pairs[h] = map[string]int64{}
			}
			pairs[h][r]++
		}
	}
	if len(pairs) == 0 {
		return
	}
	for _, f := range fs {
		if len(f.RouteCosts) > 0 {
			continue
		}
		for _, fr := range f.stack() {
			if rs, ok := pairs[enclosingFunc(fr.Function)]; ok {
				r := topRoute(rs)
				f.RouteCosts = map[string]time.Duration{r: f.Avoidable}
				if len(f.Locations) > 0 && f.Locations[0].Route == "" {
					f.Locations[0].Route = r
				}
				break
			}
		}
	}
}

// routeLabel is the route a sample's pprof labels name, if any.
func routeLabel(s *profile.Sample) string {
	for _, k := range []string{"http.route", "route", "endpoint"} {
		if v := s.Label[k]; len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// handlerLabel is the handler function a sample's pprof labels name: the
// call site of work done on goroutines of its own, which inherit the
// labels of the goroutine that started them.
func handlerLabel(s *profile.Sample) string {
	for _, k := range []string{"handler", "http.handler", "function", "code.function"} {
		if v := s.Label[k]; len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (sv *siteValue) addRoute(route string, v int64) {
	if route == "" {
		return
	}
	if sv.routes == nil {
		sv.routes = map[string]int64{}
	}
	if _, ok := sv.routes[route]; ok || len(sv.routes) < 32 {
		sv.routes[route] += v
	}
}

func (sv *siteValue) addHandler(fn string, v int64) {
	if fn == "" {
		return
	}
	if sv.handlers == nil {
		sv.handlers = map[string]int64{}
	}
	if _, ok := sv.handlers[fn]; ok || len(sv.handlers) < 32 {
		sv.handlers[fn] += v
	}
}

// heavyLine is the line of the call site in its heaviest stack.
func heavyLine(stack []funcFrame) int {
	if len(stack) == 0 {
		return 0
	}
	return stack[0].line
}

// requestFrames are the frames a request's goroutine runs under: Go's
// net/http server and gRPC's.
var requestFrames = map[string]bool{
	"net/http.(*conn).serve": true, "net/http.serverHandler.ServeHTTP": true,
	"google.golang.org/grpc.(*Server).handleStream": true, "google.golang.org/grpc.(*Server).processUnaryRPC": true,
}

// servesRequests reports a profile of a program whose requests show in its
// stacks (a Go HTTP or gRPC server).
func servesRequests(p *profile.Profile) bool {
	for _, fn := range p.Function {
		if requestFrames[fn.Name] {
			return true
		}
	}
	return false
}

// onRequestPath reports a wait on a request's path: in a server whose
// request goroutines show (served), a wait under one of them; otherwise a
// wait under an application frame other than the entry point. A parked
// goroutine of the runtime, a library or the program's own background
// loops (a flusher waiting for its ticker) is idle, not request time.
func onRequestPath(frames []funcFrame, served bool) bool {
	if served {
		for _, f := range frames {
			if requestFrames[f.name] {
				return true
			}
		}
		return false
	}
	for _, f := range frames {
		if isEntryPoint(f) {
			return false
		}
		if isApplication(f) {
			return true
		}
	}
	return false
}

func addSite(m map[siteKey]*siteValue, k siteKey, v int64, stack []funcFrame) {
	sv := m[k]
	if sv == nil {
		sv = &siteValue{}
		m[k] = sv
	}
	sv.value += v
	if v > sv.heavy {
		sv.heavy = v
		sv.stack = append([]funcFrame(nil), stack...)
	}
}

func addSiteFlat(m map[funcFrame]*siteValue, f funcFrame, v int64, stack []funcFrame) {
	sv := m[f]
	if sv == nil {
		sv = &siteValue{}
		m[f] = sv
	}
	sv.value += v
	if v > sv.heavy {
		sv.heavy = v
		sv.stack = append([]funcFrame(nil), stack...)
	}
}

func stackFrames(fs []funcFrame, heavy, total int64) []Frame {
	out := make([]Frame, 0, min(len(fs), 12))
	for i, f := range fs {
		if i == 12 {
			break
		}
		out = append(out, Frame{Function: f.name, File: f.file, Line: f.line, Share: float64(heavy) / float64(total)})
	}
	return out
}

// siteFinding turns a classified call site into a finding of its kind.
func siteFinding(k siteKey, t time.Duration, share float64, kind string) *Finding {
	site := k.site.name
	if site == "" {
		site = "goroutines of their own (" + k.lib + ")"
	}
	switch k.class {
	case classConnect:
		return &Finding{Kind: NoConnectionPool,
			Title:          fmt.Sprintf("%s opens a new database connection (%s in connection setup)", site, units.Duration(t)),
			Avoidable:      t,
			Formula:        fmt.Sprintf("avoidable = %s spent in connection setup under %s (a pool reuses connections)", units.Duration(t), site),
			Recommendation: "Use a connection pool (pgxpool, database/sql's pool, SQLAlchemy QueuePool) created once at start-up instead of connecting per request."}
	case classHTTPClientSetup:
		return &Finding{Kind: HTTPClientChurn,
			Title:          fmt.Sprintf("%s sets up a new HTTP client/connection (%s in dial/TLS/session setup)", site, units.Duration(t)),
			Avoidable:      t,
			Formula:        fmt.Sprintf("avoidable = %s spent in client construction, dialling and TLS handshakes under %s (a shared client reuses connections)", units.Duration(t), site),
			Recommendation: "Create one HTTP client (http.Client with a shared Transport; one aiohttp.ClientSession) at start-up and reuse it for every call."}
	case classLazyLoad:
		return &Finding{Kind: NPlusOne,
			Title:          fmt.Sprintf("%s lazy-loads relationships one query at a time (%s)", site, units.Duration(t)),
			Avoidable:      t * 9 / 10,
			Formula:        fmt.Sprintf("avoidable ≈ 90%% of %s spent in the ORM's lazy loader under %s (one batched query replaces N)", units.Duration(t), site),
			Recommendation: "Load the relationship eagerly (SQLAlchemy selectinload/joinedload, GORM Preload) or batch the lookups into one IN (…) query."}
	case classBlocking:
		return &Finding{Kind: BlockingIOInAsync,
			Title:          fmt.Sprintf("%s blocks the event loop in %s (%s)", site, k.lib, units.Duration(t)),
			Avoidable:      t,
			Formula:        fmt.Sprintf("avoidable = %s of samples on the event loop inside blocking call %s under %s (every other task waits meanwhile)", units.Duration(t), k.lib, site),
			Recommendation: "Use the async equivalent (asyncio.sleep, aiohttp, aiofiles, asyncpg) or run the call in a thread with asyncio.to_thread / loop.run_in_executor."}
	case classLock:
		return &Finding{Kind: LockContention,
			Title:          fmt.Sprintf("%s: %s waiting on a lock", site, units.Duration(t)),
			Avoidable:      t,
			Formula:        fmt.Sprintf("avoidable = %s of %s time attributed to %s (waits behind the lock)", units.Duration(t), kind, site),
			Recommendation: "Shorten the critical section: do I/O and slow work outside the lock, or shard the lock."}
	}
	return nil
}

// timeLabel names what a profile's samples measure.
func timeLabel(kind string) string {
	switch kind {
	case "cpu":
		return "CPU time"
	case "wall":
		return "wall time"
	case "delay":
		return "lock and channel wait time"
	}
	return "sampled time"
}
