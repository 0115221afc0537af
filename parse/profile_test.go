package parse

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/pprof/profile"
)

// memSink collects what a source yields.
type memSink struct {
	mu       sync.Mutex
	profiles []*profile.Profile
	stmts    int
}

func (s *memSink) Profile(_ *Source, p *profile.Profile) {
	s.mu.Lock()
	s.profiles = append(s.profiles, p)
	s.mu.Unlock()
}
func (s *memSink) Statement(*Source, *Statement)       { s.stmts++ }
func (s *memSink) Conn(*Source, *ConnEvent)            {}
func (s *memSink) Span(*Source, *Span)                 {}
func (s *memSink) Stall(*Source, *Stall)               {}
func (s *memSink) Goroutines(*Source, []GoroutineStat) {}

func loadBytes(t testing.TB, name string, data []byte) (*Source, *memSink, error) {
	t.Helper()
	in := NewInput(name, int64(len(data)), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	sink := &memSink{}
	err := Load(context.Background(), in, ProfileFormats(), sink, Options{})
	return in.Src, sink, err
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/profiles/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// funcTotals sums sample values by leaf function name.
func leafTotals(p *profile.Profile, idx int) map[string]int64 {
	out := map[string]int64{}
	for _, s := range p.Sample {
		out[s.Location[0].Line[0].Function.Name] += s.Value[idx]
	}
	return out
}

func TestFoldedPySpyFrames(t *testing.T) {
	data := readTestdata(t, "app.folded")
	src, sink, err := loadBytes(t, "app.folded", data)
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Format(); got != "folded" {
		t.Fatalf("format = %q, want folded", got)
	}
	if len(sink.profiles) != 1 {
		t.Fatalf("got %d profiles", len(sink.profiles))
	}
	p := sink.profiles[0]
	// The file's counts must survive: sum of the trailing numbers.
	var want int64
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		_, n, _, ok := splitFolded([]byte(l))
		if !ok {
			t.Fatalf("bad line %q", l)
		}
		want += n
	}
	var got int64
	for _, s := range p.Sample {
		got += s.Value[0]
	}
	if got != want {
		t.Errorf("total samples = %d, want %d", got, want)
	}
	// py-spy frames become function + file + line.
	found := false
	for _, l := range p.Location {
		ln := l.Line[0]
		if ln.Function.Name == "price_order" {
			found = true
			if ln.Function.Filename != "pysampler.py" || ln.Line == 0 {
				t.Errorf("price_order frame = %s:%d, want pysampler.py:<line>", ln.Function.Filename, ln.Line)
			}
		}
	}
	if !found {
		t.Error("no price_order frame in the profile")
	}
	if p.SampleType[0].Type != "samples" {
		t.Errorf("sample type %v", p.SampleType[0])
	}
}

func TestParseFrame(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want frameKey
	}{
		{"handle (app/views.py:42)", frameKey{name: "handle", file: "app/views.py", line: 42}},
		{"<module> (x.py:1)", frameKey{name: "<module>", file: "x.py", line: 1}},
		{"java/lang/Thread.run_[j]", frameKey{name: "java/lang/Thread.run", sys: "java/lang/Thread.run_[j]"}},
		{"do_syscall_64_[k]", frameKey{name: "do_syscall_64", sys: "do_syscall_64_[k]"}},
		{"tcp_sendmsg_[i]", frameKey{name: "tcp_sendmsg", sys: "tcp_sendmsg_[i]"}},
		{"try_to_wake_up_[w]", frameKey{name: "try_to_wake_up", sys: "try_to_wake_up_[w]"}},
		{"Interp.run_[0]", frameKey{name: "Interp.run", sys: "Interp.run_[0]"}},
		{"x_[K]", frameKey{name: "x_[K]"}},
		{"_[k]", frameKey{name: "_[k]"}},
		{"main.(*T).M", frameKey{name: "main.(*T).M"}},
		{"f (no line)", frameKey{name: "f", file: "no line"}},
		{"[unknown]", frameKey{name: "[unknown]"}},
	} {
		if got := parseFrame(tc.in); got != tc.want {
			t.Errorf("parseFrame(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestSpeedscopeSampledAndEvented(t *testing.T) {
	data := readTestdata(t, "app.speedscope.json")
	src, sink, err := loadBytes(t, "app.speedscope.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if src.Format() != "speedscope" {
		t.Fatalf("format = %q", src.Format())
	}
	p := sink.profiles[0]
	if st := p.SampleType[0]; st.Type != "wall" || st.Unit != "nanoseconds" {
		t.Errorf("sample type = %s/%s, want wall/nanoseconds", st.Type, st.Unit)
	}
	threads := map[string]int64{}
	for _, s := range p.Sample {
		threads[s.Label["thread"][0]] += s.Value[0]
	}
	// The sampled profile: 5 ms per sample, as many samples as the folded
	// file the same sampler wrote (the sum of its lines' counts, as awk
	// '{n += $NF} END {print n}' gives it).
	var foldedTotal int64
	for _, line := range strings.Split(strings.TrimSpace(string(readTestdata(t, "app.folded"))), "\n") {
		n, err := strconv.ParseInt(line[strings.LastIndexByte(line, ' ')+1:], 10, 64)
		if err != nil {
			t.Fatalf("app.folded: %q: %v", line, err)
		}
		foldedTotal += n
	}
	if foldedTotal == 0 {
		t.Fatal("app.folded has no samples")
	}
	if got, want := threads["main thread"], foldedTotal*5_000_000; got != want {
		t.Errorf("sampled profile = %d ns, want %d (5 ms × %d samples)", got, want, foldedTotal)
	}
	// The evented profile: time between open and close events, > 0, and
	// handle_request's cumulative time equals the whole traced request.
	if threads["traced request"] <= 0 {
		t.Fatalf("evented profile has no time: %v", threads)
	}
	var inHandle int64
	for _, s := range p.Sample {
		if s.Label["thread"][0] != "traced request" {
			continue
		}
		for _, l := range s.Location {
			if l.Line[0].Function.Name == "handle_request" {
				inHandle += s.Value[0]
				break
			}
		}
	}
	if inHandle == 0 || inHandle > threads["traced request"] {
		t.Errorf("handle_request cum = %d of %d", inHandle, threads["traced request"])
	}
}

func TestSpeedscopeBadEvents(t *testing.T) {
	doc := `{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"}]},
	"profiles":[{"type":"evented","name":"t","unit":"milliseconds","events":[
	{"type":"O","at":0,"frame":0},{"type":"O","at":1,"frame":1},{"type":"C","at":3,"frame":0}]},
	{"type":"sampled","name":"s","unit":"milliseconds","samples":[[0,1],[0,9]],"weights":[2,3]}]}`
	src, sink, err := loadBytes(t, "bad.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Warnings()) == 0 || !strings.Contains(src.Warnings()[0], "not the innermost open frame") {
		t.Errorf("warnings = %q", src.Warnings())
	}
	if src.SkippedTotal() != 1 {
		t.Errorf("skipped = %d, want 1 (the out-of-range sample)", src.SkippedTotal())
	}
	// Time charged before the mismatched close is kept.
	if len(sink.profiles[0].Sample) == 0 {
		t.Error("no samples kept")
	}
}

func TestBadProfileInputs(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(readTestdata(t, "app.folded"))
	zw.Close()
	empty := &profile.Profile{SampleType: []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}}, PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, Period: 1, TimeNanos: 1}
	var emptyBuf bytes.Buffer
	if err := empty.Write(&emptyBuf); err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i*i*31)
	}
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "input is empty"},
		{"random", string(random), "unrecognised format"},
		{"truncated-gzip", string(gz.Bytes()[:gz.Len()/2]), "truncated file?"},
		{"no-samples", emptyBuf.String(), "no samples"},
		{"folded-garbage", strings.Repeat("a;b 1\n", 20) + "not a stack line\n", ""},
		{"folded-mostly-garbage", "a;b 1\nnot a stack line\n", "unrecognised format"},
		{"speedscope-syntax", `{"$schema":"speedscope","shared":{"frames":[]},"profiles":[`, "byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, _, err := loadBytes(t, tc.name, []byte(tc.data))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if src.SkippedTotal() != 1 {
					t.Errorf("skipped %d, want 1", src.SkippedTotal())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.name+": ") {
				t.Errorf("error %q does not name the input", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if src.Err() == nil || !src.Done() {
				t.Error("source does not record the failure")
			}
		})
	}
}

func TestSniffPprofWriters(t *testing.T) {
	// Go's runtime starts with time_nanos (field 9); pprof's own writer with
	// sample_type (field 1). Both must be recognised, after gzip is undone.
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}}, TimeNanos: 5}
	var buf bytes.Buffer
	if err := p.WriteUncompressed(&buf); err != nil {
		t.Fatal(err)
	}
	if !sniffPprof(buf.Bytes()) {
		t.Errorf("pprof writer output not sniffed: % x", buf.Bytes()[:min(16, buf.Len())])
	}
	if sniffPprof([]byte("\nSELECT 1;\n")) || sniffPprof([]byte("a;b;c 1\n")) {
		t.Error("text sniffed as pprof")
	}
}
