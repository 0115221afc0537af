package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"hotpath/parse"
)

// The reference numbers of these tests come from walking each file as
// generic JSON (map[string]any), not from the decoders under test.

func readJSONDocs(t *testing.T, name string) []any {
	t.Helper()
	data, err := os.ReadFile(testdata(name))
	if err != nil {
		t.Fatal(err)
	}
	var docs []any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		docs = append(docs, v)
	}
	return docs
}

// genericSpans lists the span objects of any of the shapes: OTLP (under
// "result" or not), Jaeger (data / spans / a span list / one span), Zipkin
// (a span, a list of spans, a list of lists).
func genericSpans(v any) []map[string]any {
	switch x := v.(type) {
	case []any:
		var out []map[string]any
		for _, e := range x {
			out = append(out, genericSpans(e)...)
		}
		return out
	case map[string]any:
		if r, ok := x["result"]; ok {
			return genericSpans(r)
		}
		if rs, ok := x["resourceSpans"].([]any); ok {
			var out []map[string]any
			for _, r := range rs {
				for _, ss := range r.(map[string]any)["scopeSpans"].([]any) {
					for _, s := range ss.(map[string]any)["spans"].([]any) {
						out = append(out, s.(map[string]any))
					}
				}
			}
			return out
		}
		if d, ok := x["data"]; ok {
			return genericSpans(d)
		}
		if s, ok := x["spans"]; ok {
			return genericSpans(s)
		}
		return []map[string]any{x}
	}
	return nil
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// spanKey identifies a span across shapes: its ids, start and duration.
func spanKey(sp *parse.Span) string {
	return fmt.Sprintf("%s/%s<%s %s %d", sp.TraceID, sp.SpanID, sp.ParentID, sp.Start.UTC().Format(time.RFC3339Nano), sp.Duration)
}

func spanKeys(spans []*parse.Span) []string {
	out := make([]string, len(spans))
	for i, sp := range spans {
		out[i] = spanKey(sp)
	}
	sort.Strings(out)
	return out
}

// TestTraceShapes reads each shape the peers' fixtures showed hotpath
// misreading, as real programs wrote them (testdata/trace/README.md), and
// checks the spans and traces against the file walked as generic JSON.
func TestTraceShapes(t *testing.T) {
	for _, tc := range []struct {
		file, format string
		idKeys       []string // the file's trace id field
	}{
		{"zipkin-span.json", "zipkin-json", []string{"traceId"}},
		{"zipkin-traces.json", "zipkin-json", []string{"traceId"}},
		{"jaeger-trace.json", "jaeger-json", []string{"traceID"}},
		{"jaeger-spans.json", "jaeger-json", []string{"traceID"}},
		{"jaeger-domain.json", "jaeger-json", []string{"traceId"}},
		{"jaeger-thrift-batch.json", "jaeger-json", []string{"traceIdLow"}},
		{"jaeger-v3.jsonl", "otlp-json", []string{"traceId"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			sink, src := loadFile(t, testdata(tc.file))
			if src.Format() != tc.format {
				t.Fatalf("format %q, want %q", src.Format(), tc.format)
			}
			var want []map[string]any
			for _, d := range readJSONDocs(t, tc.file) {
				want = append(want, genericSpans(d)...)
			}
			traces := map[string]bool{}
			for _, s := range want {
				traces[firstString(s, tc.idKeys...)] = true
			}
			got := map[string]bool{}
			for _, sp := range sink.spans {
				got[sp.TraceID] = true
				if sp.SpanID == "" || sp.TraceID == "" || sp.Start.IsZero() {
					t.Errorf("span %q: ids %q/%q start %v", sp.Name, sp.TraceID, sp.SpanID, sp.Start)
				}
			}
			if len(sink.spans) != len(want) || len(got) != len(traces) || src.SkippedTotal() != 0 {
				t.Errorf("%d spans in %d traces (skipped %d), the file has %d in %d", len(sink.spans), len(got), src.SkippedTotal(), len(want), len(traces))
			}
			// Every parent named is a span of the file, or the trace's root.
			idx := spanIndex(sink.spans)
			for _, sp := range sink.spans {
				if sp.ParentID != "" && idx[sp.ParentID] == nil && len(want) > 1 && sp.Kind != "server" {
					t.Errorf("span %q: parent %q is not in the file", sp.Name, sp.ParentID)
				}
			}
		})
	}
}

// TestJaegerShapesAgree: one trace saved in different shapes reads as the
// same spans — ids, parents, times — whichever envelope and id encoding
// (hex, base64, Thrift integers) carried it.
func TestJaegerShapesAgree(t *testing.T) {
	load := func(name string) []*parse.Span {
		sink, _ := loadFile(t, testdata(name))
		return sink.spans
	}
	// jaeger-trace.json and jaeger-spans.json hold data[1] of jaeger.json.
	var second []*parse.Span
	v1 := load("jaeger.json")
	docs := readJSONDocs(t, "jaeger.json")
	id := docs[0].(map[string]any)["data"].([]any)[1].(map[string]any)["traceID"].(string)
	for _, sp := range v1 {
		if sp.TraceID == id {
			second = append(second, sp)
		}
	}
	for _, pair := range [][2][]*parse.Span{
		{second, load("jaeger-trace.json")},
		{second, load("jaeger-spans.json")},
		{load("jaeger-domain.json"), load("jaeger-thrift-batch.json")},
	} {
		a, b := spanKeys(pair[0]), spanKeys(pair[1])
		if len(a) == 0 || strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("shapes disagree:\n%s\n--- vs ---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
	}
	// Services and names come through every shape.
	for _, sp := range load("jaeger-domain.json") {
		if sp.Service != "orders" || sp.Name == "" {
			t.Errorf("domain span: service %q name %q", sp.Service, sp.Name)
		}
	}
	for _, sp := range load("jaeger-spans.json") {
		if sp.Service == "" {
			t.Errorf("span list: %q has no service", sp.Name)
		}
	}
}

// TestJaegerV3MatchesOTLP: the query API v3 lines carry the same spans as
// the OTLP file they wrap.
func TestJaegerV3MatchesOTLP(t *testing.T) {
	v3, _ := loadFile(t, testdata("jaeger-v3.jsonl"))
	otlp, _ := loadFile(t, testdata("otlp.jsonl"))
	ids := map[string]bool{}
	for _, sp := range v3.spans {
		ids[sp.TraceID] = true
	}
	var same []*parse.Span
	for _, sp := range otlp.spans {
		if ids[sp.TraceID] {
			same = append(same, sp)
		}
	}
	if a, b := spanKeys(v3.spans), spanKeys(same); len(ids) != 2 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("v3: %d spans of %d traces; otlp has %d of them", len(a), len(ids), len(b))
	}
}

// TestTraceAPIErrors: the query APIs' error answers say what the API said.
func TestTraceAPIErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		// Jaeger v3 HTTP gateway (cmd/query/app/apiv3/http_gateway.go, returnTraces).
		{"v3", `{"error":{"httpCode":404,"message":"No traces found"}}`, "No traces found"},
		// Jaeger v1 structuredResponse (cmd/query/app/http_handler.go).
		{"v1", `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}`, "trace not found"},
		{"otlp-logs", `{"resourceLogs":[{"resource":{},"scopeLogs":[]}]}`, "not traces"},
	} {
		_, _, err := loadBytes(tc.name, []byte(tc.doc), parse.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// TestJaegerSpanListBroken: a span list with a trailing comma (Jaeger's
// anonymizer stops there) keeps the spans before the break and says so.
func TestJaegerSpanListBroken(t *testing.T) {
	data, err := os.ReadFile(testdata("jaeger-spans.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	// "[", span, … span, "]": keep three spans, end the third with ",".
	broken := strings.Join(lines[:4], "\n") + ",\n]\n"
	sink, src, err := loadBytes("broken.json", []byte(broken), parse.Options{})
	if err != nil || len(sink.spans) != 3 || len(src.Warnings()) != 1 {
		t.Errorf("err %v, %d spans, warnings %v", err, len(sink.spans), src.Warnings())
	}
}

// TestChromeCPUProfile: the V8 CPU profile in a trace Node wrote
// (nodegen/cpu_trace.js) is read next to its spans, with the samples and
// time the file's ProfileChunk events hold.
func TestChromeCPUProfile(t *testing.T) {
	sink, src := loadFile(t, testdata("chrome-cpu.json"))
	if src.Format() != "chrome-trace" {
		t.Fatalf("format %q", src.Format())
	}
	doc := readJSONDocs(t, "chrome-cpu.json")[0].(map[string]any)
	// Reference: spans are X events and B events; samples are the chunks'
	// samples whose node is not "(idle)", each weighing its time delta.
	wantSpans := 0
	nodes := map[string]map[string]any{}
	var samples []string
	var deltas []float64
	for _, e := range doc["traceEvents"].([]any) {
		ev := e.(map[string]any)
		switch {
		case ev["ph"] == "X" || ev["ph"] == "B":
			wantSpans++
		case ev["name"] == "ProfileChunk":
			data := ev["args"].(map[string]any)["data"].(map[string]any)
			if cp, ok := data["cpuProfile"].(map[string]any); ok {
				for _, n := range asList(cp["nodes"]) {
					nodes[fmt.Sprint(n.(map[string]any)["id"])] = n.(map[string]any)
				}
				for _, s := range asList(cp["samples"]) {
					samples = append(samples, fmt.Sprint(s))
				}
			}
			for _, d := range asList(data["timeDeltas"]) {
				f, _ := d.(json.Number).Float64()
				deltas = append(deltas, f)
			}
		}
	}
	wantSamples, wantWall, wantFlat := v8Reference(nodes, samples, deltas)
	if len(sink.spans) != wantSpans {
		t.Errorf("%d spans, the file has %d X/B events", len(sink.spans), wantSpans)
	}
	if len(sink.profiles) != 1 {
		t.Fatalf("%d profiles", len(sink.profiles))
	}
	checkV8Profile(t, sink.profiles[0].Sample, "JavaScriptMainThread", wantSamples, wantWall, wantFlat)
}

// v8Reference: the samples whose node is not "(idle)", each weighing its
// time delta (µs), in total and by leaf function.
func v8Reference(nodes map[string]map[string]any, samples []string, deltas []float64) (n int, wall float64, flat map[string]float64) {
	flat = map[string]float64{}
	for i, s := range samples {
		name := nodes[s]["callFrame"].(map[string]any)["functionName"].(string)
		if name == "(idle)" {
			continue
		}
		if name == "" {
			name = "(anonymous)"
		}
		n++
		wall += max(deltas[i], 0)
		flat[name] += max(deltas[i], 0)
	}
	return n, wall, flat
}

func checkV8Profile(t *testing.T, samples []*profile.Sample, thread string, wantSamples int, wantWall float64, wantFlat map[string]float64) {
	t.Helper()
	var n, wall int64
	flat := map[string]float64{}
	for _, s := range samples {
		n += s.Value[0]
		wall += s.Value[1]
		flat[s.Location[0].Line[0].Function.Name] += float64(s.Value[1]) / 1000
		if got := s.Label["thread"]; thread != "" && (len(got) != 1 || got[0] != thread) {
			t.Errorf("thread label %v", got)
		}
	}
	if n != int64(wantSamples) || wall != int64(wantWall*1000) || wantSamples == 0 {
		t.Errorf("%d samples, %d ns; the file has %d non-idle samples, %.0f µs", n, wall, wantSamples, wantWall)
	}
	for fn, us := range wantFlat {
		if d := flat[fn] - us; d > 0.5 || d < -0.5 {
			t.Errorf("%s: flat %.0f µs, the file says %.0f", fn, flat[fn], us)
		}
	}
	if wantFlat["checksum"] == 0 && wantFlat["handle"] == 0 {
		t.Errorf("the workload's functions are missing: %v", wantFlat)
	}
}

// TestV8CPUProfile: the .cpuprofile node --cpu-prof wrote (nodegen) reads
// as the same kind of profile, against the file walked as generic JSON.
func TestV8CPUProfile(t *testing.T) {
	sink, src := loadFile(t, testdata("node.cpuprofile"))
	if src.Format() != "v8-cpuprofile" || len(sink.profiles) != 1 {
		t.Fatalf("format %q, %d profiles", src.Format(), len(sink.profiles))
	}
	doc := readJSONDocs(t, "node.cpuprofile")[0].(map[string]any)
	nodes := map[string]map[string]any{}
	for _, n := range asList(doc["nodes"]) {
		nodes[fmt.Sprint(n.(map[string]any)["id"])] = n.(map[string]any)
	}
	var samples []string
	var deltas []float64
	for _, s := range asList(doc["samples"]) {
		samples = append(samples, fmt.Sprint(s))
	}
	for _, d := range asList(doc["timeDeltas"]) {
		f, _ := d.(json.Number).Float64()
		deltas = append(deltas, f)
	}
	n, wall, flat := v8Reference(nodes, samples, deltas)
	checkV8Profile(t, sink.profiles[0].Sample, "", n, wall, flat)
	// Frames keep their script and 1-based line.
	for _, fn := range sink.profiles[0].Function {
		if fn.Name == "checksum" && !strings.HasSuffix(fn.Filename, "orders.js") {
			t.Errorf("checksum in %q", fn.Filename)
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// TestChromeSamplesAndStrings: the format's own samples + stackFrames (as
// Hermes writes them, numbers quoted) and events whose ts/dur/tid are
// strings. Hermes is not available here: the document follows the Trace
// Event Format's "stackFrames"/"samples" sections and the quoting of
// speedscope's Hermes samples.
func TestChromeSamplesAndStrings(t *testing.T) {
	doc := `{"traceEvents":[
	 {"name":"thread_name","ph":"M","pid":7,"ts":"100","tid":"71","args":{"name":"mqt_js"}},
	 {"name":"run","ph":"X","pid":7,"tid":"71","ts":"100","dur":"50"},
	 {"name":"step","ph":"B","pid":7,"tid":"71","ts":"110"},
	 {"name":"step","ph":"E","pid":7,"tid":"71","ts":"130"}],
	"samples":[
	 {"cpu":"-1","name":"","ts":"101","pid":7,"tid":"71","weight":"1","sf":2},
	 {"cpu":"-1","name":"","ts":"111","pid":7,"tid":"71","weight":"2","sf":3},
	 {"cpu":"-1","name":"","ts":"121","pid":7,"tid":"71","weight":"1","sf":1},
	 {"cpu":"-1","name":"","ts":"131","pid":7,"tid":"71","weight":"1","sf":9}],
	"stackFrames":{
	 "1":{"name":"[root]","category":"root"},
	 "2":{"name":"main(http://localhost/index.bundle:1:1)","category":"JavaScript","parent":1},
	 "3":{"name":"[GC Young Gen]","category":"Metadata","parent":2}}}`
	sink, src, err := loadBytes("hermes.json", []byte(doc), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.spans) != 2 || sink.spans[1].ParentID != sink.spans[0].SpanID || sink.spans[1].Duration != 20*time.Microsecond {
		t.Errorf("spans %+v", sink.spans)
	}
	if sink.spans[0].Thread != "mqt_js" {
		t.Errorf("thread %q", sink.spans[0].Thread)
	}
	if len(sink.profiles) != 1 {
		t.Fatalf("%d profiles", len(sink.profiles))
	}
	got := map[string]int64{}
	for _, s := range sink.profiles[0].Sample {
		got[s.Location[0].Line[0].Function.Name] += s.Value[0]
	}
	if got["main"] != 1 || got["[GC Young Gen]"] != 2 || len(got) != 2 {
		t.Errorf("samples by leaf %v", got)
	}
	main := sink.profiles[0].Sample[0].Location[0].Line[0]
	if main.Function.Filename != "http://localhost/index.bundle" || main.Line != 1 {
		t.Errorf("frame %s:%d", main.Function.Filename, main.Line)
	}
	// The root-only sample is left out with a warning, the unknown frame 9
	// is a counted skip.
	if len(src.Warnings()) != 1 || src.SkippedTotal() != 1 {
		t.Errorf("warnings %v skipped %d", src.Warnings(), src.SkippedTotal())
	}
}

// TestSniffByStructure: a word in a value is not a format. A Chrome trace
// mentioning speedscope, a Zipkin span and a Jaeger span differ by their
// keys.
func TestSniffByStructure(t *testing.T) {
	chromeWithWord := `{"traceEvents":[{"ph":"X","name":"x","ts":1,"dur":1,"pid":1,"tid":1,"args":{"url":"file:///speedscope/profiles/a.js","shared":1}}],"metadata":{"source":"DevTools"}}`
	for _, tc := range []struct{ doc, want string }{
		{chromeWithWord, "chrome-trace"},
		{`{"traceId":"a1","id":"b2","name":"x","timestamp":1,"duration":2}`, "zipkin-json"},
		{`{"traceID":"a1","spanID":"b2","operationName":"x","startTime":1,"duration":2}`, "jaeger-json"},
		{`{"traceId":"AAAAAAAAAAE=","spanId":"AAAAAAAAAAI=","operationName":"x","startTime":"2026-01-02T03:04:05Z","duration":"0.002s"}`, "jaeger-json"},
		{`[[{"traceId":"a1","id":"b2","name":"x","timestamp":1,"duration":2}]]`, "zipkin-json"},
	} {
		_, src, err := loadBytes("doc.json", []byte(tc.doc), parse.Options{})
		if err != nil || src.Format() != tc.want {
			t.Errorf("%s: format %q err %v, want %s", tc.doc[:40], src.Format(), err, tc.want)
		}
	}
}
