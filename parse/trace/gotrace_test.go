package trace

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"hotpath/parse"
)

func deriveFile(t testing.TB, path string) *GoTraceResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := DeriveGoTrace(context.Background(), bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// needGo returns the go command, the peer these tests compare with; a test
// that cannot find it fails under CI=true and skips, saying so, elsewhere.
func needGo(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go is needed to compare with go tool trace: %v", err)
		}
		t.Skipf("go is not on PATH: cannot compare with go tool trace: %v", err)
	}
	return goBin
}

func goToolTracePprof(t testing.TB, kind, path string) *profile.Profile {
	t.Helper()
	goBin := needGo(t)
	out, err := exec.Command(goBin, "tool", "trace", "-pprof="+kind, path).Output()
	if err != nil {
		t.Fatalf("go tool trace -pprof=%s: %v", kind, err)
	}
	p, err := profile.ParseData(out)
	if err != nil {
		t.Fatalf("parse go tool trace output: %v", err)
	}
	return p
}

// stackKey names a sample's stack by its functions, leaf first.
func stackKey(s *profile.Sample) string {
	var names []string
	for _, l := range s.Location {
		for _, ln := range l.Line {
			names = append(names, fmt.Sprintf("%s:%d", ln.Function.Name, ln.Line))
		}
	}
	return strings.Join(names, " < ")
}

// byStack sums [count, delay] per stack key.
func byStack(p *profile.Profile) map[string][2]int64 {
	m := map[string][2]int64{}
	for _, s := range p.Sample {
		k := stackKey(s)
		v := m[k]
		v[0] += s.Value[0]
		v[1] += s.Value[1]
		m[k] = v
	}
	return m
}

func totals(p *profile.Profile) (count, delay int64) {
	for _, s := range p.Sample {
		count += s.Value[0]
		delay += s.Value[1]
	}
	return
}

func topStacks(m map[string][2]int64, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]][1] != m[keys[j]][1] {
			return m[keys[i]][1] > m[keys[j]][1]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

// TestGoTraceAgreesWithGoToolTrace records a real trace and checks that the
// four derived blocking profiles agree with `go tool trace -pprof=TYPE`.
func TestGoTraceAgreesWithGoToolTrace(t *testing.T) {
	needGo(t)
	path := recordBlockingTrace(t, 200)
	res := deriveFile(t, path)
	if len(res.Profiles) != 4 {
		t.Fatalf("got %d profiles", len(res.Profiles))
	}
	for i, kind := range ProfileKinds {
		ours := res.Profiles[i]
		if err := ours.CheckValid(); err != nil {
			t.Fatalf("%s: invalid profile: %v", kind, err)
		}
		if got := ours.SampleType[1].Type; got != kind+"/delay" {
			t.Errorf("%s: sample type %q", kind, got)
		}
		theirs := goToolTracePprof(t, kind, path)
		oc, od := totals(ours)
		tc, td := totals(theirs)
		t.Logf("%-7s hotpath: %6d contentions %12d ns | go tool trace: %6d contentions %12d ns", kind, oc, od, tc, td)
		if td == 0 {
			if od != 0 {
				t.Errorf("%s: go tool trace has no delay, hotpath %d", kind, od)
			}
			continue
		}
		if diff := float64(od-td) / float64(td); diff > 0.01 || diff < -0.01 {
			t.Errorf("%s: total delay %d vs go tool trace %d (%.2f%%)", kind, od, td, diff*100)
		}
		if diff := float64(oc-tc) / float64(max(tc, 1)); diff > 0.01 || diff < -0.01 {
			t.Errorf("%s: total contentions %d vs go tool trace %d", kind, oc, tc)
		}
		om, tm := byStack(ours), byStack(theirs)
		ot, tt := topStacks(om, 5), topStacks(tm, 5)
		for j := range min(len(ot), len(tt)) {
			if ot[j] != tt[j] {
				t.Errorf("%s: top stack #%d differs:\n hotpath:       %s (%v)\n go tool trace: %s (%v)", kind, j+1, ot[j], om[ot[j]], tt[j], tm[tt[j]])
			}
		}
		if len(ot) != len(tt) {
			t.Errorf("%s: %d vs %d stacks", kind, len(om), len(tm))
		}
	}
	// The workload must actually show each kind of blocking.
	want := map[string]string{ProfSync: "sync.(*Mutex).Lock", ProfNet: "net.(*conn).Read", ProfSyscall: "os.(*File).Sync"}
	for i, kind := range ProfileKinds {
		fn, ok := want[kind]
		if !ok {
			continue
		}
		found := false
		for _, s := range res.Profiles[i].Sample {
			if strings.Contains(stackKey(s), fn) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s profile has no stack through %s", kind, fn)
		}
	}
}

func TestGoTraceSummaryAndSpans(t *testing.T) {
	path := recordBlockingTrace(t, 50)
	res := deriveFile(t, path)
	var sync, net, sys, exec int64
	for _, g := range res.Goroutines {
		sync += int64(g.BlockSync)
		net += int64(g.BlockNet)
		sys += int64(g.Syscall)
		exec += int64(g.Exec)
		if g.End.Before(g.Start) {
			t.Errorf("goroutine %d ends before it starts", g.ID)
		}
	}
	if sync == 0 || net == 0 || sys == 0 || exec == 0 {
		t.Errorf("goroutine summary misses time: sync %d net %d syscall %d exec %d", sync, net, sys, exec)
	}
	counts := map[string]int{}
	ids := map[string]bool{}
	for _, sp := range res.Spans {
		counts[sp.Attrs["go.span.type"]+":"+sp.Name]++
		ids[sp.SpanID] = true
	}
	if counts["task:workload"] != 1 || counts["task:worker"] != 4 || counts["region:request"] != 50 || counts["region:locked"] != 50 || counts["log:log: item"] != 50 {
		t.Errorf("unexpected tasks/regions/logs: %v", counts)
	}
	for _, sp := range res.Spans {
		if sp.ParentID != "" && !ids[sp.ParentID] {
			t.Errorf("span %s (%s) has unknown parent %s", sp.SpanID, sp.Name, sp.ParentID)
		}
		if sp.Name == "locked" && sp.Duration < 200_000 {
			t.Errorf("locked region shorter than its sleep: %v", sp.Duration)
		}
	}
}

func TestGoTraceViaLoad(t *testing.T) {
	path := recordBlockingTrace(t, 20)
	sink := &collect{}
	in := parse.Expand([]string{path}, nil)[0]
	if err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{}); err != nil {
		t.Fatal(err)
	}
	if in.Src.Format() != "go-trace" {
		t.Fatalf("format %q", in.Src.Format())
	}
	if len(sink.profiles) != 4 || len(sink.goroutines) == 0 || len(sink.spans) == 0 {
		t.Fatalf("profiles %d goroutines %d spans %d", len(sink.profiles), len(sink.goroutines), len(sink.spans))
	}
	// The derived profiles survive a pprof round trip (what --pprof-out writes).
	var buf bytes.Buffer
	if err := sink.profiles[1].Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := profile.Parse(&buf); err != nil {
		t.Fatal(err)
	}
}

func TestGoTraceBadInput(t *testing.T) {
	path := recordBlockingTrace(t, 20)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Truncated: either a clear error or a warning with what was read.
	for _, cut := range []int{20, len(data) / 3, len(data) - 7} {
		sink := &collect{}
		in := parse.NewInput("cut.trace", int64(cut), func() (rc ioReadCloser, err error) { return nopCloser(data[:cut]), nil })
		err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{})
		if err == nil && len(in.Src.Warnings()) == 0 {
			t.Errorf("cut at %d: neither error nor warning", cut)
		}
		t.Logf("cut at %d: err=%v warnings=%v", cut, err, in.Src.Warnings())
	}
	// Unsupported (pre-1.22) version: the message names it.
	old := append([]byte("go 1.21 trace\x00\x00\x00"), data[16:]...)
	in := parse.NewInput("old.trace", 0, func() (ioReadCloser, error) { return nopCloser(old), nil })
	err = parse.Load(context.Background(), in, Formats(), &collect{}, parse.Options{})
	if err == nil || !strings.Contains(err.Error(), "Go 1.21") {
		t.Errorf("pre-1.22 trace: %v", err)
	}
	future := append([]byte("go 1.99 trace\x00\x00\x00"), data[16:]...)
	in = parse.NewInput("new.trace", 0, func() (ioReadCloser, error) { return nopCloser(future), nil })
	err = parse.Load(context.Background(), in, Formats(), &collect{}, parse.Options{})
	if err == nil || !strings.Contains(err.Error(), "1.99") {
		t.Errorf("future trace: %v", err)
	}
}

func TestCommittedGoTrace(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "trace", "blocking.trace")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the recorded trace is committed test data (testdata/trace/README.md): %v", err)
	}
	res := deriveFile(t, path)
	if res.Err != nil || len(res.Spans) == 0 {
		t.Fatalf("err %v spans %d", res.Err, len(res.Spans))
	}
}
