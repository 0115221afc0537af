package detect

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"hotpath/parse"
	"hotpath/views/units"
)

// TaskResolver names the request an asyncio task served (from spans that
// carry asyncio.task.name); ok is false when no span knows the task.
type TaskResolver func(task string) (loc Location, traceID string, ok bool)

// StallFindings reads event-loop logs: slow callbacks (the loop was blocked)
// become blocking_io_in_async, unclosed aiohttp sessions and connectors
// become http_client_churn evidence. source names the format. A slow
// callback names the task's coroutine, often the framework's request
// handler; resolve (may be nil) joins the task to the request it served,
// so the finding names the route and handler instead.
func StallFindings(stalls []*parse.Stall, source string, resolve TaskResolver) []*Finding {
	if len(stalls) == 0 {
		return nil
	}
	type group struct {
		loc       Location
		n         int64
		total     time.Duration
		max       time.Duration
		examples  []string
		kind      parse.StallKind
		unclosedC int64
		traces    []string
	}
	groups := map[string]*group{}
	var first, last time.Time
	for _, s := range stalls {
		if !s.Time.IsZero() {
			if first.IsZero() || s.Time.Before(first) {
				first = s.Time
			}
			if s.Time.After(last) {
				last = s.Time
			}
		}
		kind := s.Kind
		if kind == parse.StallUnclosedConn {
			kind = parse.StallUnclosedClient
		}
		loc := Location{Function: s.Coroutine, File: s.File, Line: s.Line}
		if kind == parse.StallUnclosedClient {
			loc = creationSite(s.Traceback)
		}
		var traceID string
		if kind == parse.StallSlowCallback && resolve != nil && s.Task != "" {
			if rl, tid, ok := resolve(s.Task); ok {
				loc, traceID = rl, tid
			}
		}
		if kind == parse.StallSlowCallback && loc.Route == "" && pythonLibraryFile(loc.File) {
			// The framework's handler is no call site: say only that the
			// loop stalled, and let profiles name the function.
			loc = Location{}
		}
		key := string(kind) + "|" + loc.String()
		g := groups[key]
		if g == nil {
			g = &group{loc: loc, kind: kind}
			groups[key] = g
		}
		if traceID != "" && len(g.traces) < 5 {
			g.traces = append(g.traces, traceID)
		}
		if s.Kind == parse.StallUnclosedConn {
			g.unclosedC++
		} else {
			g.n++
		}
		g.total = parse.SatAdd(g.total, s.Duration)
		g.max = max(g.max, s.Duration)
		if len(g.examples) < 2 && s.Message != "" {
			g.examples = append(g.examples, short(s.Message, 300))
		}
	}
	// Observed: the wall time the log covers (the event loop's lifetime as
	// far as the log shows), at least the blocked time itself.
	span := last.Sub(first)
	var blocked time.Duration
	for _, g := range groups {
		if g.kind == parse.StallSlowCallback {
			blocked += g.total
		}
	}
	observed := max(span, blocked)
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	locatedUnclosed := false
	for _, g := range groups {
		if g.kind == parse.StallUnclosedClient && g.loc.Function != "" {
			locatedUnclosed = true
		}
	}
	var out []*Finding
	for _, k := range keys {
		g := groups[k]
		if g.kind == parse.StallUnclosedClient && g.loc.Function == "" && locatedUnclosed {
			continue // the same leaks, reported again without their traceback
		}
		where := g.loc.Function
		if g.loc.File != "" {
			where += " (" + filepath.Base(g.loc.File) + fmt.Sprintf(":%d)", g.loc.Line)
		}
		if g.loc.Route != "" {
			where = g.loc.Route + " " + where
		}
		if where == "" {
			where = "tasks no span names"
		}
		switch g.kind {
		case parse.StallSlowCallback:
			if g.n < minStalls {
				continue // a stall now and then is the loop's weather, not a cause
			}
			f := &Finding{
				Kind:      BlockingIOInAsync,
				Title:     fmt.Sprintf("the event loop was blocked %d times for %s in all (longest %s) in %s", g.n, units.Duration(g.total), units.Duration(g.max), where),
				Count:     g.n,
				Avoidable: g.total, Observed: observed,
				Formula: fmt.Sprintf("avoidable = %s: the sum of %d asyncio slow-callback durations (every other task waited meanwhile), of %s the log covers", units.Duration(g.total), g.n, units.Duration(observed)),
				Evidence: []Evidence{{Source: source, Count: g.n, Time: g.total, Examples: g.examples,
					What: fmt.Sprintf("%d 'Executing … took' warnings, %s in all", g.n, units.Duration(g.total))}},
				Recommendation: "Find the blocking call inside the coroutine (time.sleep, requests/urllib, open().read(), a sync DB driver) and use its async equivalent or asyncio.to_thread.",
				Quality:        Measured, OwnBasis: "event-loop time (" + source + ")", Origin: source,
			}
			if g.loc.Route != "" {
				f.RouteCosts = map[string]time.Duration{g.loc.Route: g.total}
			}
			if g.loc != (Location{}) {
				f.Locations = []Location{g.loc}
			}
			f.TraceIDs = g.traces
			out = append(out, f)
		default:
			f := &Finding{
				Kind:  HTTPClientChurn,
				Title: fmt.Sprintf("%d aiohttp client sessions and %d connectors left unclosed, created in %s", g.n, g.unclosedC, where),
				Count: g.n + g.unclosedC,
				// Leaked sessions cost sockets and connection setup; the
				// time shows in profiles and traces, not in this log.
				Formula: "avoidable: not measurable from the event-loop log alone (leaked sessions and connectors are counted; connection setup time comes from profiles or traces)",
				Evidence: []Evidence{{Source: source, Count: g.n + g.unclosedC, Examples: g.examples,
					What: fmt.Sprintf("%d 'Unclosed client session' and %d 'Unclosed connector' errors", g.n, g.unclosedC)}},
				Recommendation: "Create one aiohttp.ClientSession at start-up (app.cleanup_ctx / a lifespan handler), reuse it for every call, and close it at shutdown.",
				Quality:        Assumed, OwnBasis: "event-loop time (" + source + ")", Origin: source,
			}
			if g.loc.Function != "" {
				f.Locations = []Location{g.loc}
			}
			out = append(out, f)
		}
	}
	return out
}

// minStalls is how many slow callbacks of one task's coroutine make a
// blocking_io_in_async finding.
const minStalls = 3

// creationSite is the innermost application frame of a traceback (where the
// program created a leaked session), or nothing when every frame is library
// code. Frames of wrappers that patch a library (an instrumentation
// module's replacement __init__) are the library's, not the program's.
func creationSite(tb []parse.TraceFrame) Location {
	for i := len(tb) - 1; i >= 0; i-- {
		f := tb[i]
		if strings.HasPrefix(f.File, "<") || pythonLibraryFile(f.File) || isWrapperFrame(f.Function, f.File) {
			continue
		}
		return Location{Function: f.Function, File: f.File, Line: f.Line}
	}
	return Location{}
}
