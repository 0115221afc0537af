package querydigest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"hotpath/parse"
)

func testdataFile(t testing.TB, name string) []byte {
	_, file, _, _ := runtime.Caller(0)
	return unpacked(t, filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sql", name))
}

func stmt(text string, d time.Duration, session string, params ...string) *parse.Statement {
	return &parse.Statement{Text: text, Duration: d, HasDuration: d > 0, Session: session, Params: params, Rows: -1,
		Start: time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)}
}

func TestAggregate(t *testing.T) {
	a := New(Options{})
	src := parse.NewSource("x.log", 0)
	for i := 1; i <= 100; i++ {
		a.Statement(src, stmt(fmt.Sprintf("SELECT * FROM orders WHERE id = %d", i), time.Duration(i)*time.Millisecond, "s1"))
	}
	for i := 0; i < 10; i++ {
		a.Statement(src, stmt("SELECT name FROM users WHERE id = $1", time.Millisecond, fmt.Sprintf("s%d", i%3), "7"))
	}
	d := a.Digest()
	if d.Statements != 110 || d.Fingerprints != 2 || len(d.Queries) != 2 {
		t.Fatalf("digest %+v", d)
	}
	q := d.Queries[0] // most total time first
	if q.Fingerprint != "select * from orders where id = ?" || q.Count != 100 {
		t.Fatalf("top %+v", q)
	}
	if q.Total != 5050*time.Millisecond || q.Mean != 50500*time.Microsecond || q.Max != 100*time.Millisecond {
		t.Errorf("total/mean/max %v %v %v", q.Total, q.Mean, q.Max)
	}
	for _, c := range []struct {
		got, want time.Duration
	}{{q.P50, 50 * time.Millisecond}, {q.P95, 95 * time.Millisecond}, {q.P99, 99 * time.Millisecond}} {
		if e := math.Abs(float64(c.got-c.want)) / float64(c.want); e > 0.07 {
			t.Errorf("percentile %v, want %v ±7%%", c.got, c.want)
		}
	}
	// Different literal each time: an N+1 shape.
	if q.DistinctParams != 100 && math.Abs(float64(q.DistinctParams-100)) > 10 {
		t.Errorf("distinct params %d, want ≈100", q.DistinctParams)
	}
	if q.Slowest.Text != "SELECT * FROM orders WHERE id = 100" || q.Slowest.Duration != 100*time.Millisecond || q.Typical.Text == "" {
		t.Errorf("examples %+v / %+v", q.Slowest, q.Typical)
	}
	if q.Sessions != 1 || q.First.IsZero() || q.Last.Before(q.First) {
		t.Errorf("sessions %d first %v last %v", q.Sessions, q.First, q.Last)
	}
	var n int64
	for _, b := range q.Histogram {
		n += b.Count
	}
	if n != 100 {
		t.Errorf("histogram holds %d", n)
	}
	// Same parameters every time: a cacheable duplicate.
	u := d.Queries[1]
	if u.DistinctParams != 1 || u.Sessions != 3 || len(u.Slowest.Params) != 1 || u.Slowest.Params[0] != "7" {
		t.Errorf("users %+v", u)
	}
}

func TestJSONSchema(t *testing.T) {
	a := New(Options{})
	a.Statement(nil, stmt("select 1", time.Millisecond, "a"))
	a.Conn(nil, &parse.ConnEvent{Kind: parse.ConnOpened, Session: "a"})
	a.Conn(nil, &parse.ConnEvent{Kind: parse.ConnClosed, Session: "a", SessionTime: 15 * time.Millisecond})
	d := a.Digest()
	b, _ := json.Marshal(map[string]any{"queries": d.QueriesJSON(), "connections": d.Connections.JSON()})
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	q := got["queries"].([]any)[0].(map[string]any)
	for _, k := range strings.Fields("id fingerprint count total_ms mean_ms p50_ms p95_ms p99_ms max_ms rows distinct_params example") {
		if _, ok := q[k]; !ok {
			t.Errorf("queries[] lacks %q", k)
		}
	}
	if len(q) != 12 {
		t.Errorf("queries[] has %d fields: %v", len(q), q)
	}
	c := got["connections"].(map[string]any)
	if c["opened"] != 1.0 || c["closed"] != 1.0 || c["mean_session_ms"] != 15.0 || len(c) != 3 {
		t.Errorf("connections %v", c)
	}
	if q["total_ms"] != 1.0 || q["example"] != "select 1" {
		t.Errorf("query %v", q)
	}
}

func TestFingerprintCap(t *testing.T) {
	a := New(Options{MaxFingerprints: 50})
	for i := 0; i < 200; i++ {
		a.Statement(nil, stmt(fmt.Sprintf("select * from t%d", i), time.Millisecond, ""))
	}
	d := a.Digest()
	if d.Fingerprints != 50 || d.Overflow != 150 || d.Statements != 200 {
		t.Fatalf("fingerprints %d overflow %d", d.Fingerprints, d.Overflow)
	}
	other, ok := d.Find(OtherID)
	if !ok || other.Count != 150 || !other.Other {
		t.Errorf("other %+v", other)
	}
}

// Many distinct fingerprints, huge statements: memory stays bounded.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: streams 1 GB of generated statements")
	}
	a := New(Options{})
	big := strings.Repeat("x", 60<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 30000; i++ {
		a.Statement(nil, stmt(fmt.Sprintf("select %s_%d from t where a = %d", big[:i%1000], i, i), time.Duration(i), fmt.Sprint(i%100)))
	}
	for i := 0; i < 200; i++ {
		a.Statement(nil, stmt("select '"+big+"' from t"+big[:i], time.Duration(i), "x"))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 120<<20 {
		t.Errorf("heap grew by %d MB", grew>>20)
	}
	d := a.Digest()
	if d.Fingerprints != 10000 || d.Statements != 30200 {
		t.Errorf("fingerprints %d statements %d", d.Fingerprints, d.Statements)
	}
}

func TestConcurrent(t *testing.T) {
	a := New(Options{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			src := parse.NewSource(fmt.Sprint(g), 0)
			for i := 0; i < 1000; i++ {
				s := fmt.Sprint(i % 10)
				a.Conn(src, &parse.ConnEvent{Kind: parse.ConnOpened, Session: s})
				a.Statement(src, stmt(fmt.Sprintf("select %d", i), time.Microsecond, s))
				a.Conn(src, &parse.ConnEvent{Kind: parse.ConnClosed, Session: s})
				if i%100 == 0 {
					a.Digest()
				}
			}
		}(g)
	}
	wg.Wait()
	d := a.Digest()
	if d.Statements != 4000 || d.Connections.Opened != 4000 || d.Connections.Closed != 4000 || d.Connections.StatementsPerSession != 1 {
		t.Errorf("%+v", d.Connections)
	}
}

func TestHistogram(t *testing.T) {
	var h Hist
	for i := 1; i <= 10000; i++ {
		h.Add(time.Duration(i) * time.Microsecond)
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		want := q * 10000 * float64(time.Microsecond)
		if got := float64(h.Quantile(q)); math.Abs(got-want)/want > 0.07 {
			t.Errorf("q%.2f = %v, want %v", q, time.Duration(got), time.Duration(want))
		}
	}
	var o Hist
	o.Add(time.Hour)
	h.Merge(&o)
	if h.Count() != 10001 || h.Quantile(1) < 17*time.Minute {
		t.Errorf("merge: %d, max bucket %v", h.Count(), h.Quantile(1))
	}
	for i := 0; i < (histMaxBits-2)*histSub; i++ {
		lo, hi := histBounds(i)
		if histIndex(lo) != i || histIndex(hi-1) != i {
			t.Fatalf("bucket %d [%d,%d) maps to %d/%d", i, lo, hi, histIndex(lo), histIndex(hi-1))
		}
	}
}

func TestDistinct(t *testing.T) {
	for _, n := range []int{0, 1, 16, 17, 1000, 100000} {
		var d Distinct
		for i := 0; i < n; i++ {
			d.Add(uint64(i) * 0x9E3779B97F4A7C15)
			d.Add(uint64(i) * 0x9E3779B97F4A7C15)
		}
		got := d.Count()
		if n <= 16 && got != int64(n) || math.Abs(float64(got)-float64(n)) > 0.06*float64(n) {
			t.Errorf("distinct(%d) = %d", n, got)
		}
	}
}

// The samples written by real servers, end to end.
func TestSampleDigests(t *testing.T) {
	for _, tc := range []struct {
		file                 string
		stmts, fingerprints  int64
		opened, closed       int64
		topFingerprintPrefix string
	}{
		{"pgbench-stderr-cut.log.gz", 1416, 29, 194, 191, "copy pgbench_accounts from stdin"},
		{"pg-pgbadger.log.gz", 153, 0, 7, 7, ""},
		{"mariadb-slow.log.gz", 250, 0, 0, 0, ""},
		{"sqlalchemy-echo.log.gz", 42, 0, 5, 5, ""},
	} {
		data := testdataFile(t, tc.file)
		a, _ := digestBytes(t, tc.file, data, Options{})
		d := a.Digest()
		if d.Statements != tc.stmts || tc.fingerprints > 0 && int64(d.Fingerprints) != tc.fingerprints {
			t.Errorf("%s: statements %d fingerprints %d", tc.file, d.Statements, d.Fingerprints)
		}
		if d.Connections.Opened != tc.opened || d.Connections.Closed != tc.closed {
			t.Errorf("%s: connections %+v", tc.file, d.Connections)
		}
		if tc.topFingerprintPrefix != "" && !strings.HasPrefix(d.Queries[0].Fingerprint, tc.topFingerprintPrefix) {
			t.Errorf("%s: top %q", tc.file, d.Queries[0].Fingerprint)
		}
	}
	// SQLAlchemy: "[generated in …]" is compile time; nothing is timed, and
	// the repeated identical read is one parameter set.
	a, _ := digestBytes(t, "sa", testdataFile(t, "sqlalchemy-echo.log.gz"), Options{})
	d := a.Digest()
	if d.Timed != 0 || d.TotalTime != 0 {
		t.Errorf("SQLAlchemy statements timed: %d, %v", d.Timed, d.TotalTime)
	}
	var dash Query
	for _, q := range d.Queries {
		if strings.Contains(q.Fingerprint, "from hp_customer where id = ?") && q.Count == 5 {
			dash = q
		}
	}
	if dash.DistinctParams != 1 || len(dash.Tags) != 1 || dash.Tags[0].Value != "/dashboard" {
		t.Errorf("repeated read %+v", dash)
	}
	if d.Connections.Reused != 4 {
		t.Errorf("pool reuse %+v", d.Connections)
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// The shape cache is an optimisation only: with and without it every
// fingerprint gets the same count and the same number of distinct
// parameter sets, on every sample and on the cuts of real logs.
func TestShapeCacheIsTransparent(t *testing.T) {
	files := []string{"pgbench-stderr-cut.log.gz", "pg-pgbadger.log.gz", "pg-default.log.gz", "pg-structured.csv.gz",
		"mariadb-slow.log.gz", "mariadb-general.log.gz", "sysbench-slow-cut.log.gz", "sysbench-general-cut.log.gz",
		"sqlalchemy-echo.log.gz", "django-debug.log.gz", "rails-activerecord.log.gz"}
	var datas [][]byte
	for _, f := range files {
		datas = append(datas, testdataFile(t, f))
	}
	for _, f := range []string{"pgbench-2000-sessions.log.gz", "sysbench-slow-6000-entries.log.gz", "sysbench-general-10000-lines.log.gz"} {
		files = append(files, "cuts/"+f)
		datas = append(datas, unpacked(t, cutsFile(f)))
	}
	for i, data := range datas {
		with, _ := digestBytes(t, files[i], data, Options{})
		without, _ := digestBytes(t, files[i], data, Options{NoShapeCache: true})
		a, b := with.Digest(), without.Digest()
		if a.Fingerprints != b.Fingerprints || a.Statements != b.Statements {
			t.Errorf("%s: %d/%d fingerprints, %d/%d statements", files[i], a.Fingerprints, b.Fingerprints, a.Statements, b.Statements)
			continue
		}
		for _, q := range a.Queries {
			o, ok := b.Find(q.ID)
			if !ok || o.Count != q.Count || o.DistinctParams != q.DistinctParams || o.Total != q.Total {
				t.Errorf("%s: %s %q: count %d/%d distinct %d/%d", files[i], q.ID, q.Fingerprint, q.Count, o.Count, q.DistinctParams, o.DistinctParams)
			}
		}
	}
}
