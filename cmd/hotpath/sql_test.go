package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SQL logs go through the command like every other input: sniffed among all
// formats, digested, and reported in the DESIGN.md schema.
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

// The shared real-world pgbench log: what pgBadger and grep say about it.
func TestReportSharedPgbenchLog(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size log")
	}
	dir := os.Getenv("HOTPATH_SHARED_DATA")
	if dir == "" {
		dir = "../../../shared/data"
	}
	path := filepath.Join(dir, "pgbench-stderr.log.gz")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not present", path)
	}
	r, errs, code := reportJSON(t, path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var stmts int64
	for _, q := range r.Queries {
		stmts += q.Count
	}
	if stmts != 93960 || len(r.Queries) != 29 || r.Connections.Opened != 13414 || r.Connections.Closed != 13414 {
		t.Errorf("statements %d, fingerprints %d, connections %+v", stmts, len(r.Queries), r.Connections)
	}
	// DESIGN.md's example source, exactly.
	if s := r.Sources[0]; s.Format != "postgres-stderr" || s.Events != 93960 || s.Bytes != 19249237 || s.Skipped != 0 || len(s.Warnings) != 0 {
		t.Errorf("source %+v", r.Sources[0])
	}
}
