package views

import (
	"strings"
	"time"

	"hotpath/parse"
	"hotpath/views/detect"
	"hotpath/views/querydigest"
	"hotpath/views/traces"
)

// Options are what a user chose about the views (command-line flags).
type Options struct {
	Hotspots HotspotOptions
	Profile  detect.ProfileOptions
	SQL      detect.SQLOptions
	// NoDetect skips the detectors: digests, hotspots and traces only.
	NoDetect bool
}

// DefaultOptions are the defaults of the command-line flags.
func DefaultOptions() Options {
	return Options{Profile: detect.DefaultProfileOptions(), SQL: detect.DefaultSQLOptions()}
}

// Views is everything hotpath shows, computed from a Collector.
type Views struct {
	Sources  []SourceView
	Groups   []ProfileGroup
	Hotspots *Hotspots // nil when no profile loaded
	// HotspotsErr explains a missing Hotspots table when profiles did load
	// (say, an unknown -sample_index).
	HotspotsErr error
	// Findings are the detected problems, ranked.
	Findings []*detect.Finding
	// Queries is the SQL query digest (per fingerprint) and the connection
	// and session statistics; nil when no SQL log loaded.
	Queries  *querydigest.Digest
	Warnings []string

	// Traces are the spans grouped into traces and requests; TraceSummary
	// is the report's `traces` section.
	Traces       []*traces.Trace
	TraceSummary traces.Summary
	// Goroutines and Stalls come from Go execution traces and event-loop
	// logs.
	Goroutines []parse.GoroutineStat
	Stalls     []*parse.Stall
}

// SourceView is what the Sources pane and the report say about one input.
type SourceView struct {
	Path        string
	Format      string
	Compression string
	Events      int64
	Bytes       int64 // bytes read after decompression
	RawBytes    int64 // bytes read from the file or network
	Size        int64 // bytes on disk, 0 when unknown
	Skipped     []parse.Skip
	SkippedAll  int64
	Warnings    []string
	// Notes say how the source was used when that is not a problem with
	// it: "same events as postgres.log: used once".
	Notes       []string
	SameAs      string // the input whose events this one repeats: not read again
	First, Last time.Time
	Err         error
	Done        bool
}

// SourceViews snapshots the state of every source.
func SourceViews(srcs []*parse.Source) []SourceView {
	out := make([]SourceView, len(srcs))
	for i, s := range srcs {
		first, last := s.TimeRange()
		out[i] = SourceView{
			Path: s.Path, Format: s.Format(), Compression: s.Compression(),
			Events: s.Events(), Bytes: s.DecodedBytes(), RawBytes: s.BytesRead(), Size: s.Size,
			Skipped: s.Skipped(), SkippedAll: s.SkippedTotal(), Warnings: s.Warnings(), Notes: s.Notes(), SameAs: s.SameAs(),
			First: first, Last: last, Err: s.Err(), Done: s.Done(),
		}
	}
	return out
}

// Build computes the views of everything collected so far.
func Build(c *Collector, opt Options) *Views {
	v := &Views{}
	v.Groups, v.Warnings = GroupProfiles(c.Profiles())
	if len(v.Groups) > 0 {
		v.Hotspots, v.HotspotsErr = ComputeHotspots(v.Groups, opt.Hotspots)
	}
	for _, q := range c.queries {
		if qd, ok := q.(interface{ Digest() querydigest.Digest }); ok && v.Queries == nil {
			if d := qd.Digest(); d.Statements > 0 || d.Connections.Opened > 0 || d.Connections.Closed > 0 {
				v.Queries = &d
			}
		}
	}
	srcOf := c.spanSources()
	v.Traces = dropSameRequests(traces.Group(uniqueSpans(c.Spans(), srcOf)), srcOf)
	v.TraceSummary = traces.SummarizeTraces(v.Traces, 10)
	v.Goroutines = c.GoroutineStats()
	v.Stalls = c.Stalls()
	if !opt.NoDetect {
		v.Findings = findings(c, v, opt)
	}
	// Last: matching same events adds notes to the sources.
	v.Sources = SourceViews(c.Sources())
	return v
}

// findings runs every detector over what was collected, then lets the
// detection model (views/detect) join, group, reconcile and rank what they
// found.
func findings(c *Collector, v *Views, opt Options) []*detect.Finding {
	var nps []detect.NamedProfile
	for _, g := range v.Groups {
		nps = append(nps, detect.NamedProfile{Profile: g.Profile, Source: g.Format, Name: strings.Join(g.Sources, ",")})
	}
	found := detect.ProfileFindings(nps, opt.Profile)
	for _, f := range c.finders {
		found = append(found, f.Findings()...)
	}
	found = append(found, detect.StallFindings(v.Stalls, "asyncio-log", taskResolver(v.Traces))...)
	reqs := traces.AllRequests(v.Traces)
	found = append(found, detect.TraceFindings(reqs, opt.SQL)...)
	den := detect.RequestTime(reqs)
	if den.Time == 0 {
		for _, f := range c.finders {
			if u, ok := f.(interface{ UnitsOfWork() (time.Duration, int) }); ok {
				if t, n := u.UnitsOfWork(); t > 0 {
					den = detect.UnitsOfWork(t, n)
				}
			}
		}
	}
	return detect.Rank(detect.Assemble(found, reqs), den)
}

// HotspotsErrOrNil is v.HotspotsErr, nil-safe on v.
func (v *Views) HotspotsErrOrNil() error {
	if v == nil {
		return nil
	}
	return v.HotspotsErr
}

// taskResolver joins asyncio task names (in event-loop logs) to the requests
// whose server spans carry them as asyncio.task.name.
func taskResolver(ts []*traces.Trace) detect.TaskResolver {
	byTask := map[string]*traces.Request{}
	for _, r := range traces.AllRequests(ts) {
		if r.Root == nil {
			continue
		}
		if task := r.Root.Attrs["asyncio.task.name"]; task != "" {
			byTask[task] = r
		}
	}
	if len(byTask) == 0 {
		return nil
	}
	return func(task string) (detect.Location, string, bool) {
		r, ok := byTask[task]
		if !ok {
			return detect.Location{}, "", false
		}
		return detect.Location{Function: r.Root.CodeFunc, File: r.Root.CodeFile, Line: r.Root.CodeLine, Route: r.Route}, r.Trace.ID, true
	}
}
