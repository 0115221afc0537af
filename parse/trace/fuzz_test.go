package trace

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"testing"

	"hotpath/parse"
)

// fuzzDecode runs one format's decoder directly (parse.Load would turn a
// panic into an error and hide it from the fuzzer).
func fuzzDecode(f *testing.F, name string, seeds ...string) {
	var format parse.Format
	for _, ft := range Formats() {
		if ft.Name == name {
			format = ft
		}
	}
	for _, s := range seeds {
		if data, err := os.ReadFile(testdata(s)); err == nil {
			if len(data) > 16<<10 {
				data = data[:16<<10]
			}
			f.Add(data)
		} else {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		format.Sniff(data)
		src := parse.NewSource("fuzz", int64(len(data)))
		_ = format.Decode(context.Background(), bufio.NewReader(bytes.NewReader(data)), src, &collect{}, parse.Options{MaxWholeInput: 1 << 20})
	})
}

func FuzzGoTrace(f *testing.F) {
	fuzzDecode(f, "go-trace", "blocking.trace", "go 1.22 trace\x00\x00\x00", "go 1.21 trace\x00\x00\x00\x01\x02")
}

func FuzzOTLP(f *testing.F) {
	fuzzDecode(f, "otlp-json", "otlp.jsonl", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01","spanId":"02","name":"x"}]}]}]}`)
}

func FuzzZipkin(f *testing.F) {
	fuzzDecode(f, "zipkin-json", "zipkin.json", `[{"traceId":"1","id":"2","timestamp":1e30,"duration":-5}]`)
}

func FuzzJaeger(f *testing.F) {
	fuzzDecode(f, "jaeger-json", "jaeger.json", `{"data":[{"traceID":"1","spans":[{"spanID":"2","references":[{"spanID":"2"}]}]}]}`)
}

func FuzzChrome(f *testing.F) {
	fuzzDecode(f, "chrome-trace", "chrome.json", `[{"ph":"B","name":"a","ts":1},{"ph":"E","ts":0},{"ph":"X","ts":"x"}]`)
}
