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
)

// The goshop scenario (testdata/scenarios/goshop): a real pgx service on
// PostgreSQL 15, extended protocol through pgx's statement cache. Its
// groundtruth.json was computed from the same log by an independent script;
// the digest must agree on every fingerprint's count and total time.
func TestGoshopGroundTruth(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "scenarios", "goshop")
	raw, err := os.ReadFile(filepath.Join(dir, "groundtruth.json"))
	if err != nil {
		t.Fatalf("the goshop scenario's ground truth is committed test data: %v", err)
	}
	var gt struct {
		Postgres struct {
			Connections, Executions, Disconnections int64
		} `json:"postgres"`
		Fingerprints map[string]struct {
			Count   int64   `json:"count"`
			TotalMS float64 `json:"total_ms"`
		} `json:"fingerprints"`
	}
	if err := json.Unmarshal(raw, &gt); err != nil {
		t.Fatal(err)
	}
	agg, _ := digestBytes(t, "postgres.log", unpacked(t, filepath.Join(dir, "postgres.log.gz")), Options{})
	d := agg.Digest()
	if d.Statements != gt.Postgres.Executions || d.Connections.Opened != gt.Postgres.Connections || d.Connections.Closed != gt.Postgres.Disconnections {
		t.Errorf("statements %d, connections %d/%d; ground truth %+v", d.Statements, d.Connections.Opened, d.Connections.Closed, gt.Postgres)
	}
	var want, got []string
	for _, f := range gt.Fingerprints {
		want = append(want, fmt.Sprintf("%d/%.1f", f.Count, f.TotalMS))
	}
	for _, q := range d.Queries {
		got = append(got, fmt.Sprintf("%d/%.1f", q.Count, math.Round(float64(q.Total)/1e5)/10))
	}
	sort.Strings(want)
	sort.Strings(got)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("count/total_ms per fingerprint\n got %v\nwant %v", got, want)
	}
	for _, q := range d.Queries {
		if q.Fingerprint == "" {
			t.Errorf("empty fingerprint for %q", q.Slowest.Text)
		}
	}
}

// The pyshop scenario: SQLAlchemy/asyncpg against PostgreSQL 15.
func TestPyshopGroundTruth(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "scenarios", "pyshop")
	raw, err := os.ReadFile(filepath.Join(dir, "groundtruth.json"))
	if err != nil {
		t.Fatalf("the pyshop scenario's ground truth is committed test data: %v", err)
	}
	var gt struct {
		Postgres struct{ Connections, Executions, Disconnections int64 } `json:"postgres"`
	}
	if err := json.Unmarshal(raw, &gt); err != nil {
		t.Fatal(err)
	}
	agg, src := digestBytes(t, "postgres.log", unpacked(t, filepath.Join(dir, "postgres.log.gz")), Options{})
	d := agg.Digest()
	if d.Statements != gt.Postgres.Executions || d.Connections.Opened != gt.Postgres.Connections || d.Connections.Closed != gt.Postgres.Disconnections {
		t.Errorf("statements %d, connections %d/%d; ground truth %+v", d.Statements, d.Connections.Opened, d.Connections.Closed, gt.Postgres)
	}
	if src.SkippedTotal() != 0 {
		t.Errorf("skipped %v", src.Skipped())
	}
}
