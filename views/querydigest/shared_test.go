package querydigest

import (
	"fmt"
	"sort"
	"testing"
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

// The full real logs of ../shared/data: the counts a user checks with grep
// and against pgBadger / pt-query-digest (see the README there).
func TestSharedPgbench(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size log")
	}
	data := unpacked(t, sharedFile(t, "pgbench-stderr.log.gz"))
	agg, src := digestBytes(t, "pgbench-stderr.log", data, Options{})
	d := agg.Digest()
	if d.Statements != 93960 || d.Timed != 93960 {
		t.Errorf("statements = %d (timed %d), want 93,960 (grep -c duration:)", d.Statements, d.Timed)
	}
	c := d.Connections
	if c.Opened != 13414 || c.Closed != 13414 || c.Received != 13414 {
		t.Errorf("connections received/opened/closed = %d/%d/%d, want 13,414 each", c.Received, c.Opened, c.Closed)
	}
	// pgBadger: 29 unique normalized queries, average session 15 ms, 7 queries per session.
	if d.Fingerprints != 29 {
		for _, q := range d.Queries {
			t.Logf("%6d %s", q.Count, q.Fingerprint)
		}
		t.Errorf("fingerprints = %d, want pgBadger's 29", d.Fingerprints)
	}
	// pgBadger 12's normalyzed_info (-x json) on the same file: the same 29
	// groups with the same counts (begin 13,413 = "BEGIN;" ×13,412 + one
	// "begin" of pgbench -i).
	if got, want := counts(d), "[1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 5 50 13412 13412 13412 13412 13412 13412 13413]"; got != want {
		t.Errorf("fingerprint counts %s, pgBadger's %s", got, want)
	}
	if ms := c.MeanSession.Milliseconds(); ms < 14 || ms > 16 {
		t.Errorf("mean session = %v, pgBadger says 15 ms", c.MeanSession)
	}
	if c.StatementsPerSession < 6.5 || c.StatementsPerSession > 7.5 {
		t.Errorf("statements per session = %.2f, pgBadger says 7", c.StatementsPerSession)
	}
	if src.SkippedTotal() != 0 {
		t.Errorf("skipped %v", src.Skipped())
	}
	t.Logf("%d fingerprints, mean session %v, %.2f statements/session, skipped %d", d.Fingerprints, c.MeanSession, c.StatementsPerSession, src.SkippedTotal())
}

func TestSharedSlowLog(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size log")
	}
	data := unpacked(t, sharedFile(t, "sysbench-mariadb-slow.log.gz"))
	agg, src := digestBytes(t, "sysbench-mariadb-slow.log", data, Options{})
	d := agg.Digest()
	if d.Statements != 55294 {
		t.Errorf("statements = %d, want 55,294 (grep -c '^# Query_time')", d.Statements)
	}
	for _, q := range d.Queries {
		t.Logf("%6d %s", q.Count, q.Fingerprint)
	}
	// hotpath keeps sbtest1 and sbtest2 apart; pt-query-digest folds digits
	// in identifiers and finds 15.
	if d.Fingerprints != 27 {
		t.Errorf("fingerprints = %d, want 27", d.Fingerprints)
	}
	pt, _ := digestBytes(t, "sysbench-mariadb-slow.log", data, Options{FoldIdentDigits: true})
	pd := pt.Digest()
	if pd.Fingerprints != 15 {
		for _, q := range pd.Queries {
			t.Logf("%6d %s", q.Count, q.Fingerprint)
		}
		t.Errorf("fingerprints with identifier digits folded = %d, want pt-query-digest's 15", pd.Fingerprints)
	}
	// pt-query-digest 3.2.1 on the same file: the same 15 classes with the
	// same counts once digits in identifiers are folded as it folds them.
	if got, want := counts(pd), "[1 2 2 8 2761 2762 2763 2763 2763 2764 2764 2764 2764 2765 27648]"; got != want {
		t.Errorf("folded fingerprint counts %s, pt-query-digest's %s", got, want)
	}
	if top := pd.Queries; len(top) > 0 {
		var point Query
		for _, q := range top {
			if q.Fingerprint == "select c from sbtest? where id = ?" {
				point = q
			}
		}
		if point.Count != 27648 {
			t.Errorf("point select count = %d, pt-query-digest says 27,648", point.Count)
		}
	}
	if sk := src.Skipped(); len(sk) != 1 || sk[0].Count != 1 {
		t.Errorf("skipped = %v, want the one cut-short last entry", sk)
	}
}

func TestSharedGeneralLog(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size log")
	}
	data := unpacked(t, sharedFile(t, "sysbench-mariadb-general.log.gz"))
	agg, src := digestBytes(t, "sysbench-mariadb-general.log", data, Options{})
	d := agg.Digest()
	// 85,616 Execute commands (grep -c Execute) plus the 13 Query commands
	// of the set-up; Prepare is not an execution.
	if d.Statements != 85616+13 {
		t.Errorf("statements = %d, want 85,616 Execute + 13 Query", d.Statements)
	}
	if d.Timed != 0 {
		t.Errorf("the general log has no durations, got %d timed", d.Timed)
	}
	if c := d.Connections; c.Opened != 6 || c.Closed != 2 {
		t.Errorf("connections opened/closed = %d/%d, want 6/2", c.Opened, c.Closed)
	}
	t.Logf("%d fingerprints, skipped %v", d.Fingerprints, src.Skipped())
}
