package detect_test

import (
	"bufio"
	"compress/gzip"
	"os"
	"strings"
	"testing"

	"hotpath/views"
	"hotpath/views/detect"
)

// build loads paths as hotpath does; every file must load.
func build(t *testing.T, paths ...string) *views.Views {
	t.Helper()
	return loadViews(t, true, paths...)
}

// grepCount counts the lines of a gzipped file that contain sub.
func grepCount(t *testing.T, path, sub string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var n int64
	for sc.Scan() {
		if strings.Contains(sc.Text(), sub) {
			n++
		}
	}
	return n
}

// TestSameEventsCountOnce: one PostgreSQL run logged as stderr, csvlog and
// jsonlog at once (testdata/sql/record-threeformats.sh). Loaded together,
// the three give exactly one run's numbers — the statements grep counts in
// the stderr log, the same findings as any one of them alone — and Sources
// says which were used once.
func TestSameEventsCountOnce(t *testing.T) {
	dir := "../../testdata/sql/threeformats/"
	want := grepCount(t, dir+"postgresql.log.gz", "duration: ")
	wantConns := grepCount(t, dir+"postgresql.log.gz", "connection authorized")
	all := build(t, dir)
	for _, name := range []string{"postgresql.log.gz", "postgresql.csv.gz", "postgresql.json.gz"} {
		one := build(t, dir+name)
		if one.Queries == nil || one.Queries.Statements != want {
			t.Fatalf("%s alone: statements %v, want %d (grep)", name, one.Queries, want)
		}
		if all.Queries.Statements != one.Queries.Statements || all.Queries.Connections.Opened != one.Queries.Connections.Opened {
			t.Errorf("all three: %d statements, %d connections; %s alone: %d, %d",
				all.Queries.Statements, all.Queries.Connections.Opened, name, one.Queries.Statements, one.Queries.Connections.Opened)
		}
		if one.Queries.Connections.Opened != wantConns {
			t.Errorf("%s alone: %d connections opened, grep counts %d", name, one.Queries.Connections.Opened, wantConns)
		}
		if len(all.Findings) != len(one.Findings) {
			t.Errorf("all three: %d findings, %s alone: %d", len(all.Findings), name, len(one.Findings))
		}
	}
	var same, used int
	for _, s := range all.Sources {
		switch {
		case s.SameAs != "":
			same++
			if len(s.Notes) == 0 || !strings.Contains(s.Notes[0], "used once") {
				t.Errorf("%s: notes %q, want a 'used once' note", s.Path, s.Notes)
			}
		case s.Events > 0:
			used++
		}
	}
	if same != 2 || used != 1 {
		t.Errorf("%d sources used and %d marked as the same events; want 1 and 2", used, same)
	}
}

// TestSameRequestsCountOnce: goshop's execution trace has a runtime/trace
// task per request its OpenTelemetry spans also have: loaded together, the
// requests are the spans' alone (the trace's tasks are matched and used
// once), and the denominator is the spans' request time.
func TestSameRequestsCountOnce(t *testing.T) {
	spans := build(t, goshop+"spans.otlp.jsonl.gz")
	both := build(t, goshop+"spans.otlp.jsonl.gz", goshop+"exec.trace")
	a, b := spans.TraceSummary.Requests, both.TraceSummary.Requests
	// A task cut by the trace's start or end may stay unmatched: at most 1 %.
	if b < a || b > a+a/100 {
		t.Errorf("requests: spans alone %d, with the execution trace %d", a, b)
	}
	var noted bool
	for _, s := range both.Sources {
		for _, n := range s.Notes {
			noted = noted || strings.Contains(n, "same as")
		}
	}
	if !noted {
		t.Error("no source says its requests were matched")
	}
	if len(both.Findings) == 0 || len(spans.Findings) == 0 {
		t.Fatal("no findings")
	}
	f0, g0 := spans.Findings[0], both.Findings[0]
	if g0.Observed > f0.Observed+f0.Observed/100 {
		t.Errorf("denominator with the execution trace %v, spans alone %v: the tasks were counted again", g0.Observed, f0.Observed)
	}
}

// TestCoarseTimestampsTimeNoRoundTrip: a MariaDB slow log writes each
// statement's start in whole seconds (SET timestamp=…), so the silence
// between statements is no round trip: a repeated read saves at most the
// statements' own time, which the log's Query_time lines sum to.
func TestCoarseTimestampsTimeNoRoundTrip(t *testing.T) {
	v := build(t, "../../testdata/sql/mariadb-slow.log.gz")
	n := 0
	for _, f := range v.Findings {
		if f.Kind != detect.CacheableDuplicate {
			continue
		}
		n++
		if f.Avoidable > f.Evidence[0].Time {
			t.Errorf("%s: avoidable %v exceeds the statements' own time %v: %s", f.Title, f.Avoidable, f.Evidence[0].Time, f.Formula)
		}
		if !strings.Contains(f.Formula, "no round trip") {
			t.Errorf("formula does not say the log times no round trip: %s", f.Formula)
		}
	}
	if n == 0 {
		t.Fatal("no repeated read in the sysbench slow log sample")
	}
}
