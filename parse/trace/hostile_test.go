package trace

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"hotpath/parse"
)

const otlpGood = `{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"good","startTimeUnixNano":"1000","endTimeUnixNano":"2000"}]}]}]}`

// deepOTLP is a TracesData document whose one attribute value is an
// arrayValue nested steps times: three levels of objects and arrays each.
func deepOTLP(steps int) string {
	depth := steps
	return `{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060709","name":"deep","startTimeUnixNano":"1000","endTimeUnixNano":"2000","attributes":[{"key":"a","value":` +
		strings.Repeat(`{"arrayValue":{"values":[`, depth) + `{"stringValue":"x"}` + strings.Repeat(`]}}`, depth) + `}]}]}]}]}`
}

// TestDeepOTLPNoStackOverflow: the file — gzipped OTLP under
// 100 KB whose attribute nests a million levels deep — used to kill the
// process with a Go stack overflow (pdata walks the nesting recursively;
// recover cannot catch it). Run in a child process so that a regression
// fails this test instead of killing the test binary. Each case is a
// file whose depth and good-span count the generator knows.
func TestDeepOTLPNoStackOverflow(t *testing.T) {
	if os.Getenv("HOTPATH_DEEP_OTLP_CHILD") != "" {
		deepOTLPChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeepOTLPNoStackOverflow$", "-test.v")
	cmd.Env = append(os.Environ(), "HOTPATH_DEEP_OTLP_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("stack overflow")) {
		tail := out[max(0, len(out)-3000):]
		t.Fatalf("child failed (%v):\n%s", err, tail)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

func deepOTLPChild(t *testing.T) {
	const steps = 1_000_000
	cases := []struct {
		name     string
		text     string
		spans    int    // good spans the file holds
		skip     string // the reason the deep document is skipped, or "" when the load fails
		errorHas string
	}{
		// JSON lines: the deep line is skipped, the good one read.
		{"lines", otlpGood + "\n" + deepOTLP(steps) + "\n" + otlpGood + "\n", 2, "JSON nested deeper than 1000 levels", ""},
		// 6,000 levels: deeper than the fast path's bound, shallower than
		// encoding/json's (10,000).
		{"lines-6000", otlpGood + "\n" + deepOTLP(2000) + "\n", 1, "JSON nested deeper than 1000 levels", ""},
		// One pretty-printed document: a clear error naming a byte.
		{"document", "{\n" + deepOTLP(steps)[1:], 0, "", "byte "},
		{"document-6000", "{\n" + deepOTLP(2000)[1:], 0, "", "more than 1000 levels"},
		// Jaeger's query API v3 wrapping.
		{"v3", otlpGood + "\n" + `{"result":` + deepOTLP(steps) + "}\n", 1, "JSON nested deeper than 1000 levels", ""},
	}
	dir := t.TempDir()
	for _, c := range cases {
		path := filepath.Join(dir, c.name+".json.gz")
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write([]byte(c.text))
		zw.Close()
		if c.name == "lines" && gz.Len() > 100<<10 {
			t.Fatalf("the generated file is %d bytes gzipped, not the issue's under 100 KB", gz.Len())
		}
		if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		sink := &collect{}
		in := parse.Expand([]string{path}, nil)[0]
		err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{})
		t.Logf("%s (%d bytes gzipped): err=%v spans=%d skipped=%v", c.name, gz.Len(), err, len(sink.spans), in.Src.Skipped())
		if c.skip == "" {
			if err == nil || !strings.Contains(err.Error(), c.errorHas) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: error %v, want one naming the file and %q", c.name, err, c.errorHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		sk := in.Src.Skipped()
		if len(sink.spans) != c.spans || len(sk) != 1 || sk[0].Reason != c.skip || sk[0].Count != 1 || sk[0].FirstLine != 2 {
			t.Errorf("%s: %d spans (want %d), skipped %v (want 1 at line 2: %q)", c.name, len(sink.spans), c.spans, sk, c.skip)
		}
	}
}

// TestHugeStringsCut: a span name and an attribute of 64 MiB each (the
// issue's Zipkin file had a 1 GB name and took 13.2 GB) come out cut to
// parse.MaxJSONString, counted, in every JSON trace format, with
// allocations bounded by the limit rather than the string: the test's
// bound, a quarter of one string, is passed by any reader that copies the
// string once.
func TestHugeStringsCut(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 128 MiB per format")
	}
	const size = 64 << 20
	cases := []struct {
		name   string
		parts  []string // the document, with a huge string between parts
		format string
		cuts   string
		got    func(c *collect) (name, attr string)
		array  bool // the attribute is an arrayValue, shown as JSON
	}{
		{"otlp-lines", []string{`{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","startTimeUnixNano":"1000","endTimeUnixNano":"2000","name":"`,
			`","attributes":[{"key":"db.statement","value":{"stringValue":"`, `"}}]}]}]}]}` + "\n" + otlpGood + "\n"}, "otlp-json", "2 strings",
			func(c *collect) (string, string) { return c.spans[0].Name, c.spans[0].Attrs["db.statement"] }, false},
		{"otlp-document", []string{"{\n" + `"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","startTimeUnixNano":"1000","endTimeUnixNano":"2000","name":"`,
			`","attributes":[{"key":"db.statement","value":{"arrayValue":{"values":[{"stringValue":"`, `"}]}}}]}]}]}]}`}, "otlp-json", "2 strings",
			func(c *collect) (string, string) { return c.spans[0].Name, c.spans[0].Attrs["db.statement"] }, true},
		{"zipkin", []string{`[{"traceId":"1","id":"2","timestamp":1,"duration":2,"name":"`, `","tags":{"sql.query":"`, `"}}]`}, "zipkin-json", "2 strings",
			func(c *collect) (string, string) { return c.spans[0].Name, c.spans[0].Attrs["sql.query"] }, false},
		{"jaeger", []string{`{"data":[{"traceID":"1","spans":[{"traceID":"1","spanID":"2","startTime":1,"duration":2,"operationName":"`, `","tags":[{"key":"k","type":"string","value":"`, `"}]}]}]}`}, "jaeger-json", "2 strings",
			func(c *collect) (string, string) { return c.spans[0].Name, c.spans[0].Attrs["k"] }, false},
		{"chrome", []string{`{"traceEvents":[{"ph":"X","ts":1,"dur":2,"pid":1,"tid":1,"name":"`, `","args":{"a":"`, `"}}]}`}, "chrome-trace", "2 strings",
			func(c *collect) (string, string) { return c.spans[0].Name, c.spans[0].Attrs["a"] }, false},
		{"v8-cpuprofile", []string{`{"nodes":[{"id":1,"callFrame":{"functionName":"`, `","url":"`, `","lineNumber":0},"children":[]}],"startTime":0,"endTime":10,"samples":[1],"timeDeltas":[5]}`}, "v8-cpuprofile", "2 strings",
			func(c *collect) (string, string) {
				fn := c.profiles[0].Function[0]
				return fn.Name, fn.Filename
			}, false},
	}
	for _, c := range cases {
		open := func() (io.ReadCloser, error) {
			var rs []io.Reader
			for i, p := range c.parts {
				rs = append(rs, strings.NewReader(p))
				if i < len(c.parts)-1 {
					rs = append(rs, &endlessReader{b: 'x', n: size})
				}
			}
			return io.NopCloser(io.MultiReader(rs...)), nil
		}
		sink := &collect{}
		in := parse.NewInput(c.name, 0, open)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{})
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: format %s, err %v, allocated %d MiB, warnings %v", c.name, in.Src.Format(), err, alloc>>20, in.Src.Warnings())
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if in.Src.Format() != c.format || len(sink.spans) == 0 && len(sink.profiles) == 0 {
			t.Errorf("%s: read as %q with %d spans", c.name, in.Src.Format(), len(sink.spans))
			continue
		}
		name, attr := c.got(sink)
		want := strings.Repeat("x", parse.MaxJSONString)
		wantAttr := want
		if c.array {
			wantAttr = `["` + want + `"]`
		}
		if name != want || attr != wantAttr {
			t.Errorf("%s: name %d bytes, attribute %d bytes, want both cut to %d", c.name, len(name), len(attr), parse.MaxJSONString)
		}
		w := in.Src.Warnings()
		if len(w) != 1 || !strings.HasPrefix(w[0], c.cuts+" longer than 64 KiB cut") || !strings.Contains(w[0], "the longest 67108864 bytes") {
			t.Errorf("%s: warnings %v, want %s cut, the longest %d bytes", c.name, w, c.cuts, size)
		}
		if alloc > size/4 {
			t.Errorf("%s: allocated %d MiB for two strings of %d MiB: the strings were copied", c.name, alloc>>20, size>>20)
		}
	}
}
