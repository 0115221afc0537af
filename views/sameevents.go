package views

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/google/pprof/profile"

	"hotpath/parse"
	"hotpath/views/detect"
	"hotpath/views/traces"
)

// sampleBytes is how much of each SQL log MatchSameEvents reads ahead: the
// first few thousand events, enough to tell one log written in several
// formats from different logs.
const sampleBytes = 512 << 10

// MatchSameEvents reads the beginning of every SQL log among inputs that
// can be read twice and marks the inputs whose events another input
// carries too (rule 1 of the detection model; views/detect decides which
// match and which is used): Load then skips them, and Sources says so.
// Call it before loading.
func MatchSameEvents(ctx context.Context, inputs []*parse.Input, formats []parse.Format, opt parse.Options) {
	var sql []parse.Format
	for _, f := range formats {
		if f.Family == "sql" {
			sql = append(sql, f)
		}
	}
	var samples []*detect.EventSample
	byPath := map[string]*parse.Input{}
	for _, in := range inputs {
		if ctx.Err() != nil {
			return
		}
		s := &sampleSink{sample: detect.NewEventSample(in.Src.Path, "")}
		format, ok := parse.Peek(ctx, in, sql, s, opt, sampleBytes)
		if !ok || s.sample.Len() == 0 {
			continue
		}
		s.sample.Format = format
		samples = append(samples, s.sample)
		byPath[in.Src.Path] = in
	}
	for _, g := range detect.SameEvents(samples) {
		for _, dup := range g[1:] {
			byPath[dup.Path].Src.SetSameAs(g[0].Path)
			byPath[dup.Path].Src.SetFormat(dup.Format)
		}
		byPath[g[0].Path].Src.SetNote("same-events", fmt.Sprintf("%d other input(s) carry the same events (%s): used once", len(g)-1, names(g[1:])))
	}
}

func names(ss []*detect.EventSample) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += filepath.Base(s.Path) + " (" + s.Format + ")"
	}
	return out
}

// sampleSink collects a peeked input's statements and connection events.
type sampleSink struct{ sample *detect.EventSample }

func (s *sampleSink) Statement(_ *parse.Source, st *parse.Statement) { s.sample.Statement(st) }
func (s *sampleSink) Conn(_ *parse.Source, ev *parse.ConnEvent)      { s.sample.Conn(ev) }
func (*sampleSink) Profile(*parse.Source, *profile.Profile)          {}
func (*sampleSink) Span(*parse.Source, *parse.Span)                  {}
func (*sampleSink) Stall(*parse.Source, *parse.Stall)                {}
func (*sampleSink) Goroutines(*parse.Source, []parse.GoroutineStat)  {}

// uniqueSpans drops spans exported twice (the same trace and span id, name
// and start in two files, or twice in one), keeping the first: each counts
// once. Two different spans a buggy tracer gave one id are both kept.
func uniqueSpans(spans []*parse.Span, src map[*parse.Span]*parse.Source) []*parse.Span {
	type id struct {
		trace, span, name string
		start             int64
	}
	seen := make(map[id]bool, len(spans))
	out := spans[:0:0]
	dups := map[*parse.Source]int{}
	for _, sp := range spans {
		if sp.SpanID != "" && sp.TraceID != "" {
			k := id{sp.TraceID, sp.SpanID, sp.Name, sp.Start.UnixNano()}
			if seen[k] {
				dups[src[sp]]++
				continue
			}
			seen[k] = true
		}
		out = append(out, sp)
	}
	for s, n := range dups {
		if s != nil {
			s.SetNote("same-spans", fmt.Sprintf("%d spans repeat spans already read (same trace and span id): used once", n))
		}
	}
	return out
}

// dropSameRequests removes the requests one source repeats of another (a
// Go execution trace's tasks beside the OpenTelemetry spans of the same
// requests, an access log beside traces), and the traces left empty. It
// returns, for each removed request, the request it repeats: what only the
// removed one knew (an asyncio task name in an access line) still joins.
func dropSameRequests(ts []*traces.Trace, src map[*parse.Span]*parse.Source) ([]*traces.Trace, map[*traces.Request]*traces.Request) {
	bySrc := map[*parse.Source]*detect.RequestSource{}
	var order []*parse.Source
	for _, t := range ts {
		for _, r := range t.Requests {
			s := src[r.Root]
			rs := bySrc[s]
			if rs == nil {
				rs = &detect.RequestSource{}
				if s != nil {
					rs.Path, rs.Format = s.Path, s.Format()
				}
				bySrc[s] = rs
				order = append(order, s)
			}
			rs.Requests = append(rs.Requests, r)
		}
	}
	if len(order) < 2 {
		return ts, nil
	}
	var srcs []detect.RequestSource
	for _, s := range order {
		srcs = append(srcs, *bySrc[s])
	}
	drop, notes := detect.SameRequests(srcs)
	if len(drop) == 0 {
		return ts, nil
	}
	for _, s := range order {
		if s != nil && notes[s.Path] != "" {
			s.SetNote("same-requests", notes[s.Path])
		}
	}
	out := ts[:0:0]
	for _, t := range ts {
		keep := t.Requests[:0:0]
		for _, r := range t.Requests {
			if drop[r] == nil {
				keep = append(keep, r)
			}
		}
		if len(keep) == 0 && len(t.Requests) > 0 {
			continue
		}
		t.Requests = keep
		out = append(out, t)
	}
	return out, drop
}
