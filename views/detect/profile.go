package detect

import (
	"fmt"
	"hotpath/views/units"
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

// siteKey is a call site: the application frame nearest above the frame
// that showed the problem.
type siteKey struct {
	class frameClass
	site  funcFrame
	lib   string // the library frame's function, for the evidence line
}

type siteValue struct {
	value int64
	stack []funcFrame // the heaviest stack, call site first
	heavy int64
}

// ProfileFindings reads what the profiles testify: call sites of connection
// setup, HTTP client setup, lazy loads, blocking calls on an event loop,
// lock waits, and CPU hotspots.
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
	for _, np := range profiles {
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
	sites := map[siteKey]*siteValue{}
	appFlat := map[funcFrame]*siteValue{} // CPU under the nearest application frame
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
					frames = append(frames, funcFrame{ln.Function.Name, ln.Function.Filename})
				}
			}
		}
		loop := onEventLoop(frames)
		// Walk from the leaf up: the first classified library frame, then
		// the nearest application frame above it.
		for i, f := range frames {
			c := classify(f)
			// A blocking call matters off an event loop only as a wait in a
			// block/mutex profile; a thread may block without stalling others.
			if c == classNone || (c == classBlocking && !loop && kind != "delay") {
				continue
			}
			if kind == "delay" && c != classLock {
				c = classLock // in a block/mutex profile every wait is a lock/channel wait
			}
			for j := i + 1; j < len(frames); j++ {
				if isEntryPoint(frames[j]) {
					break // start-up work, not a request's call site
				}
				if isApplication(frames[j]) {
					addSite(sites, siteKey{c, frames[j], f.name}, v, frames[j:])
					break
				}
			}
			break
		}
		if (kind == "cpu" || kind == "samples" || kind == "wall") && len(frames) > 0 && !isIdle(frames[0]) {
			for j, f := range frames {
				if isEntryPoint(f) {
					break
				}
				if isApplication(f) {
					addSiteFlat(appFlat, f, v, frames[j:])
					break
				}
			}
		}
	}
	if total == 0 {
		return nil
	}
	observed := time.Duration(total) * scale
	var out []*Finding
	for k, sv := range sites {
		share := float64(sv.value) / float64(total)
		if share < opt.MinShare {
			continue
		}
		t := time.Duration(sv.value) * scale
		f := siteFinding(k, t, share, kind)
		if f == nil {
			continue
		}
		f.Observed = observed
		f.Locations = []Location{{Function: k.site.name, File: k.site.file}}
		f.Evidence = []Evidence{{Source: np.Source, Time: t,
			What:  fmt.Sprintf("%s of %s %s profile time (%.1f%%) under %s, called from %s", units.Duration(t), units.Duration(observed), kind, share*100, k.lib, k.site.name),
			Stack: stackFrames(sv.stack, sv.heavy, total)}}
		out = append(out, f)
	}
	if kind == "cpu" || kind == "wall" || kind == "samples" {
		for fn, sv := range appFlat {
			share := float64(sv.value) / float64(total)
			if share < opt.CPUHotspotShare {
				continue
			}
			t := time.Duration(sv.value) * scale
			out = append(out, &Finding{
				Kind:      CPUHotspot,
				Title:     fmt.Sprintf("%s spends %.0f%% of %s", fn.name, share*100, timeLabel(kind)),
				Locations: []Location{{Function: fn.name, File: fn.file}},
				Avoidable: t / 2,
				Formula:   fmt.Sprintf("avoidable = ½ × %s %s time in %s and the library code it calls directly (assumes a 2× speed-up)", units.Duration(t), kind, fn.name),
				Observed:  observed,
				Evidence: []Evidence{{Source: np.Source, Time: t,
					What:  fmt.Sprintf("%s of %s %s time (%.1f%%) with %s as the nearest application frame", units.Duration(t), units.Duration(observed), kind, share*100, fn.name),
					Stack: stackFrames(sv.stack, sv.heavy, total)}},
				Recommendation: "Profile " + fn.name + " in isolation (go test -bench / py-spy top): cache or precompute its results, or move the work off the request path.",
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Avoidable > out[j].Avoidable })
	return out
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
		out = append(out, Frame{Function: f.name, File: f.file, Share: float64(heavy) / float64(total)})
	}
	return out
}

// siteFinding turns a classified call site into a finding of its kind.
func siteFinding(k siteKey, t time.Duration, share float64, kind string) *Finding {
	site := k.site.name
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
