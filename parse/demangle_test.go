package parse

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// TestDemangledNamesAsPprof: C++ frames (the race detector's runtime in a
// Go profile recorded under -race, a C++ library) get the names go tool
// pprof -top prints for them.
func TestDemangledNamesAsPprof(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go is needed to run go tool pprof: %v", err)
		}
		t.Skip("no go on PATH")
	}
	mangled := []string{
		"_ZN6__tsan15TraceSwitchPartEPNS_11ThreadStateE", // seen in a -race CPU profile
		"_ZNSt6vectorIiSaIiEE9push_backERKi",             // std::vector<int>::push_back
		"_ZN11__sanitizer18internal_sched_yieldEv",       // the sanitizer runtime
		"main.burnHot", // Go: unchanged
	}
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, Period: 10_000_000, TimeNanos: time.Now().UnixNano()}
	for i, name := range mangled {
		fn := &profile.Function{ID: uint64(i + 1), Name: name, SystemName: name}
		loc := &profile.Location{ID: uint64(i + 1), Line: []profile.Line{{Function: fn}}}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, loc)
		p.Sample = append(p.Sample, &profile.Sample{Location: []*profile.Location{loc}, Value: []int64{int64(i + 1), int64(i+1) * 10_000_000}})
	}
	path := filepath.Join(t.TempDir(), "cxx.pprof")
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goBin, "tool", "pprof", "-top", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof: %v\n%s", err, out)
	}
	var s memSink
	in := NewInput(path, int64(buf.Len()), func() (io.ReadCloser, error) { return os.Open(path) })
	if err := Load(context.Background(), in, ProfileFormats(), &s, Options{}); err != nil {
		t.Fatal(err)
	}
	if len(s.profiles) != 1 {
		t.Fatalf("%d profiles", len(s.profiles))
	}
	for _, fn := range s.profiles[0].Function {
		if !strings.Contains(string(out), " "+fn.Name+"\n") {
			t.Errorf("%q (from %q) is not a name go tool pprof -top prints:\n%s", fn.Name, fn.SystemName, out)
		}
	}
}
