package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/pprof/profile"

	"hotpath/views/report"
)

// TestReportTraces: trace inputs fill the report's traces section, and
// -pprof-out writes the derived blocking profiles as files go tool pprof
// reads.
func TestReportTraces(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"report", "--format", "json", "--pprof-out", dir,
		"../../testdata/trace/blocking.trace", "../../testdata/trace/otlp.jsonl", "../../testdata/trace/zipkin.json",
		"../../testdata/trace/chrome.json", "../../testdata/trace/jaeger.json", "../../testdata/trace/asyncio.log"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r report.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	formats := map[string]bool{}
	for _, s := range r.Sources {
		formats[s.Format] = true
		if s.Error != "" {
			t.Errorf("%s: %s", s.Path, s.Error)
		}
	}
	for _, f := range []string{"go-trace", "otlp-json", "zipkin-json", "chrome-trace", "jaeger-json", "asyncio-log"} {
		if !formats[f] {
			t.Errorf("no source read as %s", f)
		}
	}
	if r.Traces.Traces == 0 || r.Traces.Spans < 300 || r.Traces.Requests == 0 || len(r.Traces.Routes) == 0 {
		t.Errorf("traces section: %+v", r.Traces)
	}
	// The sync profile is lock/channel waiting; the fsync closure waits in
	// a syscall, which must not be reported as a lock. Closures are their
	// enclosing function's call sites (main.workload); the evidence stack
	// keeps the closure that waited.
	lock := false
	for _, f := range r.Findings {
		for _, e := range f.Evidence {
			if len(e.Stack) == 0 {
				continue
			}
			if e.Stack[0].Function == "main.workload.func2.1.3" {
				t.Errorf("syscall wait reported as %s: %s", f.Kind, f.Title)
			}
			if e.Stack[0].Function == "main.workload.func2.1.1" && f.Kind == "lock_contention" && f.Locations[0].Function == "main.workload" {
				lock = true
			}
		}
	}
	if !lock {
		t.Errorf("the mutex region is not a lock_contention finding: %+v", r.Findings)
	}
	for _, kind := range []string{"net", "sync", "syscall", "sched"} {
		path := filepath.Join(dir, "blocking-"+kind+".pb.gz")
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := profile.Parse(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if p.SampleType[1].Type != kind+"/delay" {
			t.Errorf("%s: sample type %s", path, p.SampleType[1].Type)
		}
	}
	goBin := needTool(t, "go", "to open the written profile with go tool pprof")
	cmd := exec.Command(goBin, "tool", "pprof", "-top", filepath.Join(dir, "blocking-sync.pb.gz"))
	if b, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(b, []byte("sync.(*Mutex).Lock")) {
		t.Errorf("go tool pprof: %v\n%s", err, b)
	}
}
