package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestHostileDurations: durations near the int64 limit, as a file can say,
// add up to the limit instead of wrapping (three 9e12 ms statements
// totalled 8.55e12 ms, less than one of them): a PostgreSQL log with three
// statements of 9,000,000,000,000 ms, and OTLP spans that end at the last
// uint64 nanosecond. The exact sums exceed int64 nanoseconds, so each
// total must be the limit, 9,223,372,036,854.775807 ms.
func TestHostileDurations(t *testing.T) {
	dir := t.TempDir()
	pg := ""
	for i, s := range []string{"SELECT 1", "SELECT 2", "SELECT 3"} {
		pg += fmt.Sprintf("2024-01-01 10:00:0%d.000 UTC [101] LOG:  duration: 9000000000000.000 ms  statement: %s\n", i, s)
	}
	span := func(id, parent, name string, kind int, attrs string) string {
		return fmt.Sprintf(`{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"%s","parentSpanId":"%s","name":"%s","kind":%d,"startTimeUnixNano":"1","endTimeUnixNano":"18446744073709551615","attributes":[%s]}`,
			id, parent, name, kind, attrs)
	}
	db := `{"key":"db.system","value":{"stringValue":"postgresql"}},{"key":"db.statement","value":{"stringValue":"SELECT 1"}}`
	otlp := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"spans":[` +
		span("0000000000000001", "", "GET /x", 2, `{"key":"http.route","value":{"stringValue":"/x"}},{"key":"http.request.method","value":{"stringValue":"GET"}}`) + "," +
		span("0000000000000002", "0000000000000001", "SELECT", 3, db) + "," + span("0000000000000003", "0000000000000001", "SELECT", 3, db) + `]}]}]}` + "\n"
	for name, text := range map[string]string{"pg.log": pg, "spans.jsonl": otlp} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, errs, code := reportJSON(t, filepath.Join(dir, "pg.log"), filepath.Join(dir, "spans.jsonl"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	const limitMS = float64(math.MaxInt64) / 1e6
	near := func(x float64) bool { return math.Abs(x-limitMS) < 1 }
	if len(r.Queries) != 1 || r.Queries[0].Count != 3 || !near(r.Queries[0].TotalMS) || r.Queries[0].MaxMS != 9e12 {
		t.Errorf("queries %+v: want one fingerprint of 3, total at the limit %.3f ms", r.Queries, limitMS)
	}
	if len(r.Traces.Routes) != 1 || !near(r.Traces.Routes[0].TotalMs) || !near(r.Traces.Routes[0].DBMs) {
		t.Errorf("routes %+v: want total and db time at the limit", r.Traces.Routes)
	}
	for _, f := range r.Findings {
		if f.AvoidableMS < 0 || f.AvoidableMS > limitMS+1 || f.Share < 0 || f.Share > 1 {
			t.Errorf("finding %q: avoidable %.3f ms, share %g", f.Title, f.AvoidableMS, f.Share)
		}
	}
}
