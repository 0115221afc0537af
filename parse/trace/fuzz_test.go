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
	fuzzDecode(f, "otlp-json", "otlp.jsonl", "jaeger-v3.jsonl",
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01","spanId":"02","name":"x"}]}]}]}`,
		`{"result":{"resourceSpans":[]}}`+"\n"+`{"error":{"httpCode":404,"message":"No traces found"}}`,
		"{\n\"result\": {\"resourceSpans\": []}}\n{\"resourceSpans\": [{}]}", `{"resourceLogs":[]}`)
}

func FuzzZipkin(f *testing.F) {
	fuzzDecode(f, "zipkin-json", "zipkin.json", "zipkin-span.json", "zipkin-traces.json",
		`[{"traceId":"1","id":"2","timestamp":1e30,"duration":-5}]`, `{"traceId":"1","id":"2"}`, `[[{"traceId":"1","id":"2"}],[]]`)
}

func FuzzJaeger(f *testing.F) {
	fuzzDecode(f, "jaeger-json", "jaeger.json", "jaeger-trace.json", "jaeger-spans.json", "jaeger-domain.json", "jaeger-thrift-batch.json",
		`{"data":[{"traceID":"1","spans":[{"spanID":"2","references":[{"spanID":"2"}]}]}]}`,
		`{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}`,
		`[{"traceID":"1","spanID":"2","duration":"x"},`+"\n]",
		`{"spans":[{"traceIdLow":-1,"traceIdHigh":1,"spanId":-9,"parentSpanId":0,"startTime":"2026-01-02T03:04:05Z","duration":"1.5s","tags":[{"key":"k","vBool":true}]}]}`)
}

func FuzzChrome(f *testing.F) {
	fuzzDecode(f, "chrome-trace", "chrome.json", "chrome-cpu.json",
		`[{"ph":"B","name":"a","ts":1},{"ph":"E","ts":0},{"ph":"X","ts":"x"}]`,
		`{"traceEvents":[{"ph":"P","name":"Profile","id":"0x1","pid":1,"tid":1,"args":{"data":{"startTime":1}}},{"ph":"P","name":"ProfileChunk","id":"0x1","pid":1,"tid":2,"args":{"data":{"cpuProfile":{"nodes":[{"id":1,"callFrame":{"functionName":"(root)"}},{"id":2,"parent":1,"callFrame":{"functionName":"f"}},{"id":3,"parent":3,"callFrame":{"functionName":"loop"}}],"samples":[2,3,4]},"timeDeltas":[5,-1]}}}]}`,
		`{"traceEvents":[{"ph":"I","name":"CpuProfile","pid":1,"tid":1,"args":{"data":{"cpuProfile":{"nodes":[{"id":1,"callFrame":{"functionName":"(root)"},"children":[2]},{"id":2,"callFrame":{"functionName":"g"},"children":[1]}],"samples":[2,2],"timeDeltas":[1,2]}}}}]}`,
		`{"traceEvents":[],"samples":[{"sf":"2","weight":"3","tid":"1"},{"sf":5}],"stackFrames":{"1":{"name":"[root]","category":"root"},"2":{"name":"f(a.js:1:2)","parent":"2"}}}`)
}

func FuzzV8CPUProfile(f *testing.F) {
	fuzzDecode(f, "v8-cpuprofile", "node.cpuprofile",
		`{"nodes":[{"id":1,"callFrame":{"functionName":"(root)"},"children":[2,3]},{"id":2,"callFrame":{"functionName":"(idle)"}},{"id":3,"callFrame":{"functionName":"","url":"a.js","lineNumber":-5},"children":[3]}],"startTime":1,"endTime":9,"samples":[2,3,9],"timeDeltas":[1e308,-4]}`,
		`{"nodes":[],"samples":[1]}`)
}
