package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SQL logs go through the command like every other input: sniffed among all
// formats, digested, and reported in the JSON report's schema (README.md).
func TestReportSQLLogs(t *testing.T) {
	dir := "../../testdata/sql/"
	r, errs, code := reportJSON(t, dir+"pgbench-stderr-cut.log.gz", dir+"mariadb-slow.log.gz", dir+"sqlalchemy-echo.log.gz",
		dir+"pg-structured.csv.gz", dir+"pg-structured.json.gz", dir+"mariadb-general.log.gz", dir+"django-debug.log.gz", dir+"rails-activerecord.log.gz")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := map[string]string{"pgbench-stderr-cut.log.gz": "postgres-stderr", "mariadb-slow.log.gz": "mysql-slow",
		"sqlalchemy-echo.log.gz": "sqlalchemy", "pg-structured.csv.gz": "postgres-csv", "pg-structured.json.gz": "postgres-json",
		"mariadb-general.log.gz": "mysql-general", "django-debug.log.gz": "django", "rails-activerecord.log.gz": "rails"}
	var stmts int64
	for _, s := range r.Sources {
		if f := want[filepath.Base(s.Path)]; s.Format != f {
			t.Errorf("%s read as %q, want %q", s.Path, s.Format, f)
		}
	}
	for _, q := range r.Queries {
		stmts += q.Count
		if q.ID == "" || q.Fingerprint == "" || q.Example == "" {
			t.Errorf("incomplete query %+v", q)
		}
		if q.Count > 0 && q.P50MS > q.MaxMS+1e-9 {
			t.Errorf("p50 > max in %+v", q)
		}
	}
	// 1416 + 250 + 42 + 153 + 250 + 221 + 71 statements: pg-structured.csv
	// and .json are one server's run logged twice (csvlog and jsonlog at
	// once), so its 153 statements count once.
	if stmts != 2403 {
		t.Errorf("%d statements in queries[]", stmts)
	}
	// PostgreSQL authorized/disconnection (194/191 + 7/7, the structured
	// pair once), MariaDB Connect/Quit 6/6, SQLAlchemy pool 5/5.
	if r.Connections.Opened != 194+7+6+5 || r.Connections.Closed != 191+7+6+5 || r.Connections.MeanSessionMS <= 0 {
		t.Errorf("connections %+v", r.Connections)
	}
	// The text report has the query profile.
	out, _, _ := runHotpath(t, "report", dir+"pgbench-stderr-cut.log.gz")
	if !strings.Contains(out, "Queries\n1416 statements (1416 timed), 29 fingerprints") || !strings.Contains(out, "select abalance from pgbench_accounts where aid = ?") {
		t.Errorf("text report:\n%s", out)
	}
	md, _, _ := runHotpath(t, "report", "-format", "md", dir+"pgbench-stderr-cut.log.gz")
	if !strings.Contains(md, "## Queries") || !strings.Contains(md, "| rank | total | share | calls | mean | p95 | fingerprint |") {
		t.Errorf("markdown report:\n%s", md)
	}
}

// The first 2000 sessions of a real pgbench -C run (testdata/sql/cuts):
// the JSON report says what pgBadger and grep say about the same file
// (cuts/verdicts.json, written by cuts/cut.sh).
func TestReportPgbenchCut(t *testing.T) {
	const dir, name = "../../testdata/sql/cuts/", "pgbench-2000-sessions.log.gz"
	raw, err := os.ReadFile(dir + "verdicts.json")
	if err != nil {
		t.Fatalf("the committed verdicts are missing (regenerate with testdata/sql/cuts/cut.sh): %v", err)
	}
	var verdicts map[string]struct {
		Bytes        int64            `json:"bytes"`
		Grep         map[string]int64 `json:"grep"`
		Statements   int64            `json:"statements"`
		TotalMS      float64          `json:"total_ms"`
		Fingerprints int              `json:"fingerprints"`
		Sessions     int64            `json:"sessions"`
		SessionMS    float64          `json:"session_ms"`
	}
	if err := json.Unmarshal(raw, &verdicts); err != nil {
		t.Fatal(err)
	}
	v, ok := verdicts[name]
	if !ok {
		t.Fatalf("no verdict for %s", name)
	}
	r, errs, code := reportJSON(t, dir+name)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var stmts int64
	var total float64
	for _, q := range r.Queries {
		stmts += q.Count
		total += q.TotalMS
	}
	if stmts != v.Statements || stmts != v.Grep["duration"] || len(r.Queries) != v.Fingerprints {
		t.Errorf("statements %d, fingerprints %d; pgBadger %d and %d, grep -c duration: %d", stmts, len(r.Queries), v.Statements, v.Fingerprints, v.Grep["duration"])
	}
	if math.Abs(total-v.TotalMS) > 0.0015 {
		t.Errorf("total %.3f ms, pgBadger %.3f ms", total, v.TotalMS)
	}
	if c := r.Connections; c.Opened != v.Grep["connection authorized"] || c.Closed != v.Grep["disconnection"] ||
		math.Abs(c.MeanSessionMS-v.SessionMS/float64(v.Sessions)) > 1 {
		t.Errorf("connections %+v; grep %v, pgBadger's mean session %.1f ms", c, v.Grep, v.SessionMS/float64(v.Sessions))
	}
	// The source as the JSON schema describes it: the unpacked size (wc -c).
	if s := r.Sources[0]; len(r.Sources) != 1 || s.Format != "postgres-stderr" || s.Events != v.Statements || s.Bytes != v.Bytes ||
		s.Skipped != 0 || len(s.Warnings) != 0 {
		t.Errorf("sources %+v, want one postgres-stderr of %d bytes and %d events", r.Sources, v.Bytes, v.Statements)
	}
}
