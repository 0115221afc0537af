package querydigest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"
)

// counts lists the statement count of every fingerprint, ascending.
func counts(d Digest) string {
	var c []int64
	for _, q := range d.Queries {
		c = append(c, q.Count)
	}
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return fmt.Sprint(c)
}

// cutsFile is a file of testdata/sql/cuts: cuts of real logs too large to
// commit (cuts/cut.sh made them from the originals its README names).
func cutsFile(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sql", "cuts", name)
}

// cutVerdict is one file's entry of testdata/sql/cuts/verdicts.json:
// grep's counts and pgBadger's or pt-query-digest's numbers on the cut, as
// cuts/cut.sh recorded them.
type cutVerdict struct {
	Bytes              int64            `json:"bytes"`
	Grep               map[string]int64 `json:"grep"`
	Peer               string           `json:"peer"`
	Statements         int64            `json:"statements"`
	TotalMS            float64          `json:"total_ms"`
	Fingerprints       int              `json:"fingerprints"`
	FingerprintCounts  []int64          `json:"fingerprint_counts"`
	Connections        int64            `json:"connections"`
	Sessions           int64            `json:"sessions"`
	SessionMS          float64          `json:"session_ms"`
	FingerprintsFolded int              `json:"fingerprints_folded"`
	ClassesFolded      map[string]int64 `json:"classes_folded"`
	Classes            map[string]int64 `json:"classes"`
}

func cutVerdicts(t testing.TB) map[string]cutVerdict {
	t.Helper()
	b, err := os.ReadFile(cutsFile("verdicts.json"))
	if err != nil {
		t.Fatalf("the committed verdicts are missing (regenerate with testdata/sql/cuts/cut.sh): %v", err)
	}
	var v map[string]cutVerdict
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", cutsFile("verdicts.json"), err)
	}
	return v
}

func cutVerdictOf(t testing.TB, name string) cutVerdict {
	t.Helper()
	v, ok := cutVerdicts(t)[name]
	if !ok {
		t.Fatalf("no verdict for %s in %s", name, cutsFile("verdicts.json"))
	}
	return v
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// The first 2000 sessions of a pgbench -C run on PostgreSQL 15, against
// pgBadger 12's -x json on the same cut and grep's counts.
func TestPgbenchCutAgainstPgBadger(t *testing.T) {
	const name = "pgbench-2000-sessions.log.gz"
	v := cutVerdictOf(t, name)
	agg, src := digestBytes(t, name, unpacked(t, cutsFile(name)), Options{})
	d := agg.Digest()
	if d.Statements != v.Statements || d.Timed != v.Statements || d.Statements != v.Grep["duration"] {
		t.Errorf("statements %d (timed %d), pgBadger %d, grep -c duration: %d", d.Statements, d.Timed, v.Statements, v.Grep["duration"])
	}
	// pgBadger adds the durations as logged (3 decimals); so does hotpath.
	if got := millis(d.TotalTime); math.Abs(got-v.TotalMS) > 0.0015 {
		t.Errorf("total %.3f ms, pgBadger %.3f ms", got, v.TotalMS)
	}
	if d.Fingerprints != v.Fingerprints {
		for _, q := range d.Queries {
			t.Logf("%6d %s", q.Count, q.Fingerprint)
		}
		t.Errorf("fingerprints %d, pgBadger's normalized queries %d", d.Fingerprints, v.Fingerprints)
	}
	// The same groups with the same counts (pgBadger lower-cases: "begin"
	// of pgbench -i and pgbench's "BEGIN;" are one group, as here).
	if got, want := counts(d), fmt.Sprint(v.FingerprintCounts); got != want {
		t.Errorf("fingerprint counts %s, pgBadger's %s", got, want)
	}
	c := d.Connections
	if c.Received != v.Grep["connection received"] || c.Opened != v.Connections || c.Opened != v.Grep["connection authorized"] ||
		c.Closed != v.Grep["disconnection"] {
		t.Errorf("connections received/opened/closed %d/%d/%d, pgBadger %d, grep %v", c.Received, c.Opened, c.Closed, v.Connections, v.Grep)
	}
	// pgBadger's session duration is the sum of the "session time" values
	// in whole ms; each is logged to the ms, so the means agree within 1 ms.
	if mean := v.SessionMS / float64(v.Sessions); math.Abs(millis(c.MeanSession)-mean) > 1 {
		t.Errorf("mean session %v, pgBadger %.1f ms", c.MeanSession, mean)
	}
	if per := float64(v.Statements) / float64(v.Sessions); math.Abs(c.StatementsPerSession-per) > 0.05 {
		t.Errorf("statements per session %.2f, pgBadger %.2f", c.StatementsPerSession, per)
	}
	if src.SkippedTotal() != 0 {
		t.Errorf("skipped %v", src.Skipped())
	}
}

// 6000 entries of a sysbench oltp_read_write run in MariaDB's slow log,
// against pt-query-digest 3.2.1 on the same cut.
func TestSlowLogCutAgainstPtQueryDigest(t *testing.T) {
	const name = "sysbench-slow-6000-entries.log.gz"
	v := cutVerdictOf(t, name)
	data := unpacked(t, cutsFile(name))
	agg, src := digestBytes(t, name, data, Options{})
	d := agg.Digest()
	if d.Statements != v.Statements || d.Statements != v.Grep["# Query_time"] {
		t.Errorf("statements %d, pt-query-digest %d, grep -c '^# Query_time' %d", d.Statements, v.Statements, v.Grep["# Query_time"])
	}
	if got := millis(d.TotalTime); math.Abs(got-v.TotalMS) > 0.0015 {
		t.Errorf("total %.3f ms, pt-query-digest %.3f ms", got, v.TotalMS)
	}
	// hotpath keeps sbtest1 and sbtest2 apart; pt-query-digest folds digits
	// in identifiers. Folded as it folds them, the classes are its classes.
	pt, _ := digestBytes(t, name, data, Options{FoldIdentDigits: true})
	pd := pt.Digest()
	if pd.Fingerprints != v.FingerprintsFolded {
		t.Errorf("fingerprints with identifier digits folded %d, pt-query-digest %d", pd.Fingerprints, v.FingerprintsFolded)
	}
	if d.Fingerprints <= pd.Fingerprints {
		t.Errorf("%d fingerprints unfolded, %d folded: sbtest1 and sbtest2 should stay apart", d.Fingerprints, pd.Fingerprints)
	}
	var want []int64
	for _, n := range v.ClassesFolded {
		want = append(want, n)
	}
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	if got := counts(pd); got != fmt.Sprint(want) {
		for _, q := range pd.Queries {
			t.Logf("%6d %s", q.Count, q.Fingerprint)
		}
		t.Errorf("folded fingerprint counts %s, pt-query-digest's %v", got, want)
	}
	// The point select, in both spellings (pt-query-digest drops the
	// spaces around "=").
	var point int64
	for _, q := range pd.Queries {
		if q.Fingerprint == "select c from sbtest? where id = ?" {
			point = q.Count
		}
	}
	if want := v.ClassesFolded["select c from sbtest? where id=?"]; point != want || want == 0 {
		t.Errorf("point select %d, pt-query-digest %d", point, want)
	}
	if src.SkippedTotal() != 0 {
		t.Errorf("skipped %v", src.Skipped())
	}
}

// 10000 lines of the same run's general log: pt-query-digest classes the
// binary protocol's Execute and Prepare as administrator commands; hotpath
// counts an Execute (or a Query) as a statement, a Prepare as none, and
// Connect/Quit as connections.
func TestGeneralLogCutAgainstPtQueryDigest(t *testing.T) {
	const name = "sysbench-general-10000-lines.log.gz"
	v := cutVerdictOf(t, name)
	agg, src := digestBytes(t, name, unpacked(t, cutsFile(name)), Options{})
	d := agg.Digest()
	var queries int64 // pt-query-digest's classes of SQL text: the Query commands
	for fp, n := range v.Classes {
		if len(fp) < len("administrator command: ") || fp[:len("administrator command: ")] != "administrator command: " {
			queries += n
		}
	}
	exec := v.Classes["administrator command: Execute"]
	if want := queries + exec; d.Statements != want || want != v.Grep["Query"]+v.Grep["Execute"] {
		t.Errorf("statements %d, pt-query-digest %d queries + %d Execute, grep %v", d.Statements, queries, exec, v.Grep)
	}
	if d.Timed != 0 {
		t.Errorf("the general log has no durations, got %d timed", d.Timed)
	}
	if c := d.Connections; c.Opened != v.Classes["administrator command: Connect"] || c.Closed != v.Classes["administrator command: Quit"] ||
		c.Opened != v.Grep["Connect"] || c.Closed != v.Grep["Quit"] {
		t.Errorf("connections opened/closed %d/%d, pt-query-digest Connect/Quit %d/%d", c.Opened, c.Closed,
			v.Classes["administrator command: Connect"], v.Classes["administrator command: Quit"])
	}
	if src.SkippedTotal() != 0 {
		t.Errorf("skipped %v", src.Skipped())
	}
}
