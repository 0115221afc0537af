package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"hotpath/parse"
)

func nest(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

// TestDeepJSON: documents nested ten thousand deep are a clear error or a
// counted skip, never a crash.
func TestDeepJSON(t *testing.T) {
	deep := nest("[", "]", 10000)
	deepObj := nest(`{"a":`, "}", 10000)
	cases := map[string]string{
		"zipkin":  `[{"traceId":"a","id":"b","tags":` + deepObj + `}]`,
		"jaeger":  `{"data":[{"traceID":"a","spans":[{"spanID":"b","tags":[{"key":"k","value":` + deep + `}]}]}]}`,
		"chrome":  `{"traceEvents":[{"ph":"X","name":"n","ts":1,"dur":1,"args":{"a":` + deep + `}}]}`,
		"chrome2": `[{"ph":"X","name":"n","ts":1,"args":` + deepObj + `}]`,
		"otlp":    `{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":` + nest(`{"arrayValue":{"values":[`, "]}}", 10000) + `}]}}]}`,
		"otlp2":   `{"resourceSpans":` + deep + `}`,
	}
	for name, doc := range cases {
		_, src, err := loadBytes(name, []byte(doc), parse.Options{})
		if err == nil && src.SkippedTotal() == 0 {
			t.Errorf("%s: no error and no skip", name)
		}
		t.Logf("%s: err=%v skipped=%d", name, err, src.SkippedTotal())
	}
}

// endlessReader yields n bytes of b repeated, without holding them.
type endlessReader struct {
	b byte
	n int64
}

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

// TestHugeLine: a line of 100 MB and one of 200 MB (generated, never
// committed) in a JSON-lines trace are each one counted skip, the lines
// around them are read whole, and memory does not grow with the line: the
// line is never held (parse/applog tests the asyncio log's).
func TestHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: streams 300 MB of generated lines")
	}
	otlp, err := os.ReadFile(testdata("otlp.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	first := bytes.SplitN(otlp, []byte("\n"), 2)[0]
	// The spans of the line, counted by encoding/json.
	var doc struct {
		ResourceSpans []struct {
			ScopeSpans []struct {
				Spans []json.RawMessage `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	}
	if err := json.Unmarshal(first, &doc); err != nil {
		t.Fatal(err)
	}
	perLine := 0
	for _, rs := range doc.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			perLine += len(ss.Spans)
		}
	}
	// allocated is everything allocated while loading first, a line of n
	// bytes, and first again, garbage included.
	allocated := func(n int64) uint64 {
		open := func() (io.ReadCloser, error) {
			return io.NopCloser(io.MultiReader(bytes.NewReader(first), strings.NewReader("\n{\"resourceSpans\":\"Executing <"),
				&endlessReader{b: 'x', n: n}, strings.NewReader("\n"), bytes.NewReader(first))), nil
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		sink := &collect{}
		in := parse.NewInput("otlp-huge", 0, open)
		if err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if in.Src.Format() != "otlp-json" || in.Src.SkippedTotal() != 1 {
			t.Errorf("%d MiB line: format %s, skipped %v: want the line skipped once", n>>20, in.Src.Format(), in.Src.Skipped())
		}
		if len(sink.spans) != 2*perLine || perLine == 0 {
			t.Errorf("%d MiB line: %d spans, want the %d of each line around it", n>>20, len(sink.spans), 2*perLine)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	a100, a200 := allocated(100<<20), allocated(200<<20)
	t.Logf("allocated %d MiB for a 100 MiB line, %d MiB for a 200 MiB line", a100>>20, a200>>20)
	// A reader that held the line would allocate 100 MiB more for the
	// longer one.
	if a200 > a100+16<<20 {
		t.Errorf("allocations grow with the line: %d MiB for 100 MiB, %d MiB for 200 MiB", a100>>20, a200>>20)
	}
	// A whole-document format refuses more than the configured cap: 40 MB
	// of events against a 32 MiB cap.
	ev := `{"ph":"X","name":"x","ts":1,"dur":1},`
	big := io.MultiReader(strings.NewReader(`{"traceEvents":[`), &repeatReader{s: ev, n: (40 << 20) / len(ev)}, strings.NewReader(`{}]}`))
	in := parse.NewInput("chrome-huge", 0, func() (io.ReadCloser, error) { return io.NopCloser(big), nil })
	err = parse.Load(context.Background(), in, Formats(), &collect{}, parse.Options{MaxWholeInput: 32 << 20})
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("chrome over the cap: %v", err)
	}
}

// repeatReader yields s n times, without holding more than s.
type repeatReader struct {
	s   string
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) && r.n > 0 {
		k := copy(p[w:], r.s[r.off:])
		w += k
		r.off += k
		if r.off == len(r.s) {
			r.off = 0
			r.n--
		}
	}
	if w == 0 {
		return 0, io.EOF
	}
	return w, nil
}

func TestTruncatedJSON(t *testing.T) {
	for _, name := range []string{"zipkin.json", "chrome.json", "jaeger.json", "otlp.jsonl"} {
		data, err := os.ReadFile(testdata(name))
		if err != nil {
			t.Fatal(err)
		}
		cut := data[:len(data)*2/3]
		sink, src, err := loadBytes(name, cut, parse.Options{})
		t.Logf("%s cut: err=%v spans=%d skipped=%d warnings=%v", name, err, len(sink.spans), src.SkippedTotal(), src.Warnings())
		if err == nil && src.SkippedTotal() == 0 && len(src.Warnings()) == 0 {
			t.Errorf("%s: truncation went unnoticed", name)
		}
	}
}

// A Chrome trace whose writer died leaves the array unclosed: the format
// allows it.
func TestChromeUnclosedArray(t *testing.T) {
	doc := `[{"name":"a","ph":"B","ts":1,"pid":1,"tid":1},{"name":"b","ph":"X","ts":2,"dur":3,"pid":1,"tid":1},{"name":"a","ph":"E","ts":9,"pid":1,"tid":1},`
	sink, src, err := loadBytes("unclosed.json", []byte(doc), parse.Options{})
	if err != nil || len(sink.spans) != 2 || len(src.Warnings()) != 1 {
		t.Fatalf("err %v spans %d warnings %v", err, len(sink.spans), src.Warnings())
	}
	if sink.spans[1].ParentID != sink.spans[0].SpanID {
		t.Errorf("b not nested in a")
	}
}

// Spans whose parents are missing or form a cycle load as they are (the
// views layer builds trees from them).
func TestZipkinMissingParentAndCycle(t *testing.T) {
	doc := `[{"traceId":"1","id":"a","parentId":"b","name":"x","timestamp":1,"duration":2},
	{"traceId":"1","id":"b","parentId":"a","name":"y","timestamp":1,"duration":2},
	{"traceId":"1","id":"c","parentId":"zz","name":"z","timestamp":1,"duration":2},
	{"traceId":"1","name":"no id"}]`
	sink, src, err := loadBytes("cycle.json", []byte(doc), parse.Options{})
	if err != nil || len(sink.spans) != 3 || src.SkippedTotal() != 1 {
		t.Fatalf("err %v spans %d skipped %d", err, len(sink.spans), src.SkippedTotal())
	}
}
