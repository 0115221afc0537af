package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	rpprof "runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hotpath/views/report"
)

// burn keeps a CPU busy for d; its name is what the tests look for.
//
//go:noinline
func burnHot(d time.Duration) uint64 {
	var x uint64 = 1
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 1000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

//go:noinline
func burnCool(d time.Duration) uint64 { return burnHot(d) ^ 1 }

var sinkVal atomic.Uint64

// recordCPUProfile records a real CPU profile of burnHot (3 parts) and
// burnCool (1 part).
func recordCPUProfile(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "cpu.pprof")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rpprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	sinkVal.Add(burnHot(600 * time.Millisecond))
	sinkVal.Add(burnCool(200 * time.Millisecond))
	rpprof.StopCPUProfile()
	f.Close()
	return path
}

func runHotpath(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func reportJSON(t *testing.T, args ...string) (*report.Report, string, int) {
	t.Helper()
	out, errs, code := runHotpath(t, append([]string{"report", "-format", "json"}, args...)...)
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s\nstderr: %s", err, out, errs)
	}
	return &r, errs, code
}

// pprofTop runs `go tool pprof -top` and returns flat% and cum% by function.
func pprofTop(t *testing.T, path string, extra ...string) map[string][2]float64 {
	t.Helper()
	goBin := needTool(t, "go", "to compare with go tool pprof")
	args := append([]string{"tool", "pprof", "-top", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0"}, extra...)
	out, err := exec.Command(goBin, append(args, path)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof: %v\n%s", err, out)
	}
	rows := map[string][2]float64{}
	inTable := false
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "flat" {
			inTable = true
			continue
		}
		if !inTable || len(f) < 6 {
			continue
		}
		flat, _ := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
		cum, _ := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
		name := strings.Join(f[5:], " ")
		name = strings.TrimSuffix(name, " (inline)")
		rows[name] = [2]float64{flat, cum}
	}
	return rows
}

func TestReportAgreesWithGoToolPprof(t *testing.T) {
	path := recordCPUProfile(t, t.TempDir())
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"all", nil},
		{"focus", []string{"-focus", "burnCool"}},
		{"ignore", []string{"-ignore", "burnCool"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, errs, code := reportJSON(t, append(tc.flags, path)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			want := pprofTop(t, path, tc.flags...)
			if len(r.Hotspots) == 0 {
				t.Fatal("no hotspots")
			}
			if tc.name == "all" && !strings.HasSuffix(r.Hotspots[0].Function, "burnHot") {
				t.Errorf("top function = %s, want main.burnHot", r.Hotspots[0].Function)
			}
			if len(r.Hotspots) != len(want) {
				t.Errorf("%d functions, go tool pprof shows %d", len(r.Hotspots), len(want))
			}
			for _, h := range r.Hotspots {
				w, ok := want[h.Function]
				if !ok {
					t.Errorf("%s not in go tool pprof -top", h.Function)
					continue
				}
				if math.Abs(h.FlatShare*100-w[0]) > 0.006 || math.Abs(h.CumShare*100-w[1]) > 0.006 {
					t.Errorf("%s: flat %.2f%% cum %.2f%%, go tool pprof says %.2f%% %.2f%%", h.Function, h.FlatShare*100, h.CumShare*100, w[0], w[1])
				}
			}
		})
	}
}

func TestReportFromPprofURL(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				sinkVal.Add(burnHot(20 * time.Millisecond))
			}
		}
	}()
	defer close(stop)
	r, errs, code := reportJSON(t, srv.URL+"/debug/pprof/profile?seconds=1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if r.Sources[0].Format != "pprof" || r.Sources[0].Events == 0 {
		t.Fatalf("source = %+v", r.Sources[0])
	}
	found := false
	for _, h := range r.Hotspots[:min(3, len(r.Hotspots))] {
		if strings.HasSuffix(h.Function, "burnHot") {
			found = true
		}
	}
	if !found {
		t.Errorf("burnHot not among the top 3: %+v", r.Hotspots[:min(3, len(r.Hotspots))])
	}
}

func TestBadInputsEachGetOneLine(t *testing.T) {
	dir := t.TempDir()
	good := recordCPUProfile(t, dir)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodBytes, _ := os.ReadFile(good)
	noSamples := write("nosamples.pprof", mustNoSampleProfile(t))
	empty := write("empty", nil)
	random := write("random.bin", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, 0x01}, 100))
	truncated := write("truncated.pb.gz", goodBytes[:len(goodBytes)/2]) // runtime/pprof gzips
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=1", ln.Addr())
	ln.Close() // nothing listens there now

	bad := []string{empty, random, truncated, noSamples, unreachable}
	r, errs, code := reportJSON(t, append(bad, good)...)
	if code != 0 {
		t.Errorf("exit %d with one good input, want 0", code)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != len(bad) {
		t.Fatalf("stderr has %d lines, want one per bad input (%d):\n%s", len(lines), len(bad), errs)
	}
	for i, b := range bad {
		if !strings.Contains(lines[i], b) {
			t.Errorf("line %d %q does not name %s", i, lines[i], b)
		}
	}
	if len(r.Hotspots) == 0 || r.Sources[len(r.Sources)-1].Error != "" {
		t.Errorf("the good input did not load: %+v", r.Sources[len(r.Sources)-1])
	}
	// Nothing loads: non-zero exit.
	_, _, code = reportJSON(t, bad...)
	if code == 0 {
		t.Error("exit 0 when nothing loaded")
	}
}

func mustNoSampleProfile(t *testing.T) []byte {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "p")
	if err != nil {
		t.Fatal(err)
	}
	// A CPU profile stopped at once has a header and no samples.
	if err := rpprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	rpprof.StopCPUProfile()
	f.Close()
	b, _ := os.ReadFile(f.Name())
	return b
}

func TestReportSectionsNeverMissing(t *testing.T) {
	out, _, _ := runHotpath(t, "report", "-format", "json", "/does/not/exist")
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sources", "findings", "queries", "hotspots", "connections", "traces"} {
		v, ok := raw[k]
		if !ok || string(v) == "null" {
			t.Errorf("section %q is %s", k, v)
		}
	}
}

func TestDemoDataLoads(t *testing.T) {
	// The embedded profiles are what `hotpath demo` opens.
	r, errs, code := reportJSON(t, "-demo", "-sample_index", "delay", "workload")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if len(r.Sources) < 5 {
		t.Fatalf("demo has %d sources", len(r.Sources))
	}
	var delayed bool
	for _, h := range r.Hotspots {
		if strings.Contains(h.Function, "recordAudit") && h.CumShare > 0.2 {
			delayed = true
		}
	}
	if !delayed {
		t.Errorf("the mutex held across the slow write does not show in the delay profile: %+v", r.Hotspots[:min(5, len(r.Hotspots))])
	}
}

func TestLegacyTextProfilesStdinAndDirectories(t *testing.T) {
	dir := t.TempDir()
	// The runtime still writes the legacy text forms with debug=1.
	for _, name := range []string{"heap", "goroutine", "mutex", "block"} {
		f, err := os.Create(filepath.Join(dir, name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		if err := rpprof.Lookup(name).WriteTo(f, 1); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("ignored"), 0o644)
	r, errs, code := reportJSON(t, "-sample_index", "goroutine", dir)
	t.Logf("stderr: %s", errs)
	loaded := map[string]bool{}
	for _, s := range r.Sources {
		if strings.HasSuffix(s.Path, ".hidden") {
			t.Error("hidden file was read")
		}
		if s.Error == "" {
			loaded[filepath.Base(s.Path)] = true
			if s.Format != "pprof" {
				t.Errorf("%s read as %s", s.Path, s.Format)
			}
		}
	}
	// heap and goroutine always have samples; mutex/block may be empty and
	// then fail with "no samples", which is the right answer.
	if !loaded["heap.txt"] || !loaded["goroutine.txt"] || code != 0 {
		t.Fatalf("loaded %v, exit %d", loaded, code)
	}
	if len(r.Hotspots) == 0 || r.Hotspots[0].SampleType != "goroutine/count" {
		t.Errorf("goroutine hotspots = %+v", r.Hotspots[:min(1, len(r.Hotspots))])
	}

	// stdin
	folded, _ := os.ReadFile("../../testdata/profiles/app.folded")
	var out, errb bytes.Buffer
	code = run([]string{"report", "-format", "json", "-"}, bytes.NewReader(folded), &out, &errb)
	var sr report.Report
	if err := json.Unmarshal(out.Bytes(), &sr); err != nil || code != 0 {
		t.Fatalf("stdin: exit %d, %v, %s", code, err, errb.String())
	}
	if sr.Sources[0].Path != "-" || sr.Sources[0].Format != "folded" || sr.Hotspots[0].Function != "<listcomp>" {
		t.Errorf("stdin report: %+v %+v", sr.Sources[0], sr.Hotspots[0])
	}
}

// TestReportJSONSchema checks the field names README.md's "JSON report"
// fixes, on the demo, a SQL log and a trace.
func TestReportJSONSchema(t *testing.T) {
	out, errs, code := runHotpath(t, "report", "-format", "json", "-demo", "workload")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"sources":  {"path", "format", "events", "bytes", "skipped", "warnings"},
		"findings": {"rank", "id", "kind", "severity", "confidence", "title", "avoidable_ms", "share", "formula", "evidence_sources", "locations", "count", "recommendation"},
		"hotspots": {"function", "file", "sample_type", "flat", "flat_share", "cum", "cum_share"},
	}
	for section, keys := range want {
		items, ok := raw[section].([]any)
		if !ok || len(items) == 0 {
			t.Errorf("%s: no items in the demo report", section)
			continue
		}
		obj := items[0].(map[string]any)
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				t.Errorf("%s[0] lacks %q: %v", section, k, obj)
			}
		}
	}
	conn := raw["connections"].(map[string]any)
	for _, k := range []string{"opened", "closed", "mean_session_ms"} {
		if _, ok := conn[k]; !ok {
			t.Errorf("connections lacks %q", k)
		}
	}
	tr := raw["traces"].(map[string]any)
	for _, k := range []string{"traces", "spans"} {
		if _, ok := tr[k]; !ok {
			t.Errorf("traces lacks %q", k)
		}
	}
	f := raw["findings"].([]any)[0].(map[string]any)
	if f["rank"].(float64) != 1 || f["kind"] != "lock_contention" {
		t.Errorf("first demo finding = %v", f)
	}
	switch f["severity"] {
	case "critical", "high", "medium", "low", "info":
	default:
		t.Errorf("severity %v", f["severity"])
	}
	// The queries section and the traces' numbers, on a SQL log and a
	// trace (the workload demo has neither): the keys of README.md's
	// "JSON report", the statements grep counts in the log (153) and the
	// spans and trace ids of the Zipkin file as encoding/json reads them.
	zb, err := os.ReadFile("../../testdata/trace/zipkin.json")
	if err != nil {
		t.Fatal(err)
	}
	var zspans []struct {
		TraceID string `json:"traceId"`
	}
	if err := json.Unmarshal(zb, &zspans); err != nil {
		t.Fatal(err)
	}
	ztraces := map[string]bool{}
	for _, sp := range zspans {
		ztraces[sp.TraceID] = true
	}
	out, errs, code = runHotpath(t, "report", "-format", "json", "../../testdata/sql/pg-default.log.gz", "../../testdata/trace/zipkin.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	raw = nil
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	qs, _ := raw["queries"].([]any)
	var stmts float64
	for i, q := range qs {
		obj := q.(map[string]any)
		for _, k := range []string{"id", "fingerprint", "count", "total_ms", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "rows", "distinct_params", "example"} {
			if _, ok := obj[k]; !ok {
				t.Errorf("queries[%d] lacks %q: %v", i, k, obj)
			}
		}
		stmts += obj["count"].(float64)
	}
	if stmts != 153 {
		t.Errorf("queries count %v statements, grep counts 153", stmts)
	}
	tr = raw["traces"].(map[string]any)
	if tr["traces"].(float64) != float64(len(ztraces)) || tr["spans"].(float64) != float64(len(zspans)) {
		t.Errorf("traces %v, want %d traces of %d spans", tr, len(ztraces), len(zspans))
	}
}

func TestReportMarkdownAndText(t *testing.T) {
	md, _, code := runHotpath(t, "report", "-format", "md", "-demo", "workload")
	if code != 0 || !strings.Contains(md, "| # | Bottleneck | Severity | Evidence (measured) | Avoidable | Recommendation |") ||
		!strings.Contains(md, "**lock_contention**") {
		t.Errorf("markdown report:\n%s", md)
	}
	txt, _, _ := runHotpath(t, "report", "-demo", "-nodecount", "3", "workload")
	if !strings.Contains(txt, "Findings") || !strings.Contains(txt, "Hotspots (cpu/nanoseconds)") || !strings.Contains(txt, "flat%") {
		t.Errorf("text report:\n%s", txt)
	}
	_, errs, code := runHotpath(t, "report", "-format", "yaml", "-demo")
	if code != 2 || !strings.Contains(errs, "unknown report format") {
		t.Errorf("bad format: exit %d, %s", code, errs)
	}
}

func TestFailOnGatesCI(t *testing.T) {
	pg := "../../testdata/scenarios/goshop/postgres.log.gz" // a planted slow query: critical
	for _, tc := range []struct {
		gate string
		code int
	}{{"critical", 3}, {"high", 3}, {"", 0}} {
		args := []string{"report", "-format", "json"}
		if tc.gate != "" {
			args = append(args, "-fail-on", tc.gate)
		}
		_, errs, code := runHotpath(t, append(args, pg)...)
		if code != tc.code {
			t.Errorf("-fail-on %q: exit %d, want %d (%s)", tc.gate, code, tc.code, errs)
		}
		if tc.code == 3 && !strings.Contains(errs, "slow query") {
			t.Errorf("-fail-on %q does not say which finding failed: %s", tc.gate, errs)
		}
	}
	if _, _, code := runHotpath(t, "report", "-fail-on", "severe", pg); code != 2 {
		t.Errorf("bad -fail-on: exit %d, want 2", code)
	}
}

// TestNamedDemos: the two recorded services show every finding kind
// between them, each at the code location the scenario planted it.
func TestNamedDemos(t *testing.T) {
	for name, want := range map[string][][2]string{
		"goshop": {{"slow_query", ""}, {"n_plus_one", "ordersNPlusOne"}, {"no_connection_pool", "stockNewConn"},
			{"http_client_churn", "ratesNewTransport"}, {"lock_contention", "appendAuditLocked"}, {"cpu_hotspot", "priceQuote"}},
		"pyshop": {{"n_plus_one", "render_orders"}, {"no_connection_pool", "stock_nopool"}, {"blocking_io_in_async", "report_blocking"},
			{"http_client_churn", "fetch_rate"}, {"cacheable_duplicate", ""}},
	} {
		t.Run(name, func(t *testing.T) {
			r, errs, code := reportJSON(t, "-demo", name)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			for _, w := range want {
				found := false
				for _, f := range r.Findings {
					if f.Kind != w[0] {
						continue
					}
					for _, l := range f.Locations {
						if strings.Contains(l.Function, w[1]) {
							found = true
						}
					}
					found = found || (w[1] == "" && len(f.Locations) == 0) || w[1] == ""
				}
				if !found {
					t.Errorf("%s: no %s finding at %s", name, w[0], w[1])
				}
			}
		})
	}
	if _, errs, code := runHotpath(t, "report", "-demo", "nosuch"); code != 2 || !strings.Contains(errs, "goshop") {
		t.Errorf("unknown demo: exit %d, %s", code, errs)
	}
}

// TestSniffingIgnoresProseAndCode: a directory holding a service's logs
// next to its README, scripts and notes loads the logs; files that merely
// quote a log message (a Markdown table, a regexp, a logger's name in code)
// are not claimed by a log format.
func TestSniffingIgnoresProseAndCode(t *testing.T) {
	r, _, code := reportJSON(t, "-no-detect", "../../testdata/scenarios/pyshop")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := map[string]string{
		"asyncio.log": "asyncio-log", "postgres.log.gz": "postgres-stderr", "sqlalchemy.log.gz": "sqlalchemy",
		"profile.folded": "folded", "spans.otlp.jsonl.gz": "otlp-json",
		"README.md": "", "groundtruth.md": "", "groundtruth.py": "", "groundtruth.json": "", "app.py": "", "load.py": "",
	}
	for _, s := range r.Sources {
		f, ok := want[filepath.Base(s.Path)]
		if !ok {
			continue
		}
		got := s.Format
		if s.Error != "" {
			got = ""
		}
		if got != f {
			t.Errorf("%s read as %q (error %q), want %q", filepath.Base(s.Path), s.Format, s.Error, f)
		}
	}
}
