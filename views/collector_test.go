package views_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"hotpath/parse"
	"hotpath/parse/formats"
	"hotpath/views"
)

// TestCollectorParallelLoads: the command loads its inputs in parallel
// into one collector (the SQL detectors, the digest, spans and profiles
// all fed at once); what it builds is what loading them one after another
// builds. Run with -race (.ci/test does), this is the collector's
// concurrency check.
func TestCollectorParallelLoads(t *testing.T) {
	const dir = "../testdata/scenarios/pyshop/"
	paths := []string{dir + "postgres.log.gz", dir + "sqlalchemy.log.gz", dir + "asyncio.log", dir + "profile.folded", dir + "spans.otlp.jsonl.gz"}
	build := func(parallel bool) string {
		opt := views.DefaultOptions()
		c := views.NewStandardCollector(opt)
		all := formats.All()
		inputs := parse.Expand(paths, strings.NewReader(""))
		views.MatchSameEvents(context.Background(), inputs, all, parse.Options{})
		var wg sync.WaitGroup
		errs := make([]error, len(inputs))
		for i, in := range inputs {
			c.AddSource(in.Src)
			load := func() { errs[i] = parse.Load(context.Background(), in, all, c, parse.Options{}) }
			if !parallel {
				load()
				continue
			}
			wg.Add(1)
			go func() { defer wg.Done(); load() }()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s: %v", paths[i], err)
			}
		}
		return summary(views.Build(c, opt))
	}
	seq := build(false)
	if !strings.Contains(seq, "n_plus_one") || !strings.Contains(seq, "statements") {
		t.Fatalf("the scenario built no findings or no digest:\n%s", seq)
	}
	for round := range 2 {
		if par := build(true); par != seq {
			t.Fatalf("round %d: parallel loads built\n%s\none after another:\n%s", round, par, seq)
		}
	}
}

// summary prints what the views say: every finding with its numbers, the
// digest, the traces and the top hotspots.
func summary(v *views.Views) string {
	var b strings.Builder
	for _, f := range v.Findings {
		// The primary location as it is; the further ones as a set: their
		// order follows the order the inputs finished loading (a tie among
		// one cause's candidates), which this test does not pin down.
		var more []string
		for _, l := range f.Locations[min(1, len(f.Locations)):] {
			more = append(more, l.String())
		}
		sort.Strings(more)
		fmt.Fprintf(&b, "%d %s %s %v %d %q %v %q\n", f.Rank, f.Kind, f.Severity, f.Avoidable, f.Count, f.Title, f.Locations[:min(1, len(f.Locations))], more)
	}
	if q := v.Queries; q != nil {
		fmt.Fprintf(&b, "%d statements, %d fingerprints, %+v connections\n", q.Statements, q.Fingerprints, q.Connections.Opened)
		for _, e := range q.Queries {
			fmt.Fprintf(&b, "  %s %d %v\n", e.ID, e.Count, e.Total)
		}
	}
	fmt.Fprintf(&b, "%d traces, %d spans, %d requests\n", v.TraceSummary.Traces, v.TraceSummary.Spans, v.TraceSummary.Requests)
	if h := v.Hotspots; h != nil {
		fmt.Fprintf(&b, "hotspots %+v\n", h.Rows[:min(5, len(h.Rows))])
	}
	for _, s := range v.Sources {
		fmt.Fprintf(&b, "%s %s %d events %d skipped\n", s.Path, s.Format, s.Events, s.SkippedAll)
	}
	return b.String()
}
