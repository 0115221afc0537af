package trace

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"hotpath/parse"
)

func viaPdata(doc []byte) ([]*parse.Span, error) {
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(doc)
	if err != nil {
		return nil, err
	}
	var out []*parse.Span
	ConvertTraces(td, func(sp *parse.Span) { out = append(out, sp) })
	return out, nil
}

func viaFast(doc []byte) ([]*parse.Span, bool) {
	var out []*parse.Span
	_, ok := fastOTLP(doc, func(sp *parse.Span) { out = append(out, sp) })
	return out, ok
}

// checkSame fails when the fast path accepted doc but pdata reads it
// differently.
func checkSame(t *testing.T, doc []byte, mustAccept bool) {
	t.Helper()
	fast, ok := viaFast(doc)
	if !ok {
		if mustAccept {
			t.Fatalf("fast path declined %.200s", doc)
		}
		return
	}
	slow, err := viaPdata(doc)
	if err != nil {
		t.Fatalf("fast path accepted what pdata rejects (%v): %.300s", err, doc)
	}
	if len(fast) == 0 && len(slow) == 0 {
		return
	}
	if !reflect.DeepEqual(fast, slow) {
		for i := range min(len(fast), len(slow)) {
			if !reflect.DeepEqual(fast[i], slow[i]) {
				t.Fatalf("span %d differs:\n fast  %+v\n pdata %+v", i, fast[i], slow[i])
			}
		}
		t.Fatalf("%d vs %d spans", len(fast), len(slow))
	}
}

var otlpVariants = []string{
	`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}},{"key":"service.name","value":{"stringValue":"other"}}]},"scopeSpans":[{"scope":{"name":"x","version":"1"},"spans":[
	 {"traceId":"0AF7651916CD43DD8448EB211C80319C","spanId":"B7AD6B7169203331","parentSpanId":"","name":"GET /a\u00e9\n\"q\"","kind":"SPAN_KIND_SERVER","startTimeUnixNano":1700000000000000000,"endTimeUnixNano":"1700000000500000000",
	  "attributes":[{"key":"http.route","value":{"stringValue":"/a"}},{"key":"http.status_code","value":{"intValue":500}},{"key":"ratio","value":{"doubleValue":0.25}},{"key":"big","value":{"doubleValue":1e21}},{"key":"ok","value":{"boolValue":true}},{"key":"n","value":{"int_value":"-7"}}],
	  "status":{"code":"STATUS_CODE_ERROR","message":"boom"},"events":[{"name":"e","timeUnixNano":"5","attributes":[{"key":"a","value":{"stringValue":"boom"}}]}],"links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203332","flags":256}],"flags":1}]}]}]}`,
	`{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"00000000000000000000000000000000","span_id":"0000000000000001","name":"x","kind":3,"start_time_unix_nano":"5","end_time_unix_nano":"3","status":{"code":1}}]}],"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late"}}]}}]}`,
	`{"resourceSpans":[]}`,
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"0102030405060708","kind":9,"attributes":[{"key":"x","value":{"stringValue":"tab\there"}}]}]}]}],"unknown":{"a":[1,2,{"b":null}]}}`,
}

func TestOTLPFastPathEquivalence(t *testing.T) {
	data, err := os.ReadFile(testdata("otlp.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		checkSame(t, line, true)
		var pretty bytes.Buffer
		jsonIndent(&pretty, line)
		checkSame(t, pretty.Bytes(), true)
	}
	for i, v := range otlpVariants {
		checkSame(t, []byte(v), i != 3) // the null in variant 3 sends it to pdata
	}
	// Shapes the fast path leaves to pdata.
	for _, doc := range []string{
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","name":"b"}]}]}]}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"bytesValue":"AQI="}}]}]}]}]}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}`,
		`{"resourceSpans":null}`,
	} {
		if _, ok := viaFast([]byte(doc)); ok {
			t.Errorf("fast path accepted %s", doc)
		}
	}
}

// TestOTLPFastPathScenario: the lead's goshop scenario (another real
// producer) reads identically through both paths, all on the fast one.
func TestOTLPFastPathScenario(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "scenarios", "goshop", "spans.otlp.jsonl.gz"))
	if err != nil {
		t.Fatalf("the goshop scenario's spans are committed test data: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		checkSame(t, line, true)
	}
}

func FuzzOTLPFastPath(f *testing.F) {
	data, _ := os.ReadFile(testdata("otlp.jsonl"))
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if len(line) > 8<<10 {
			line = line[:8<<10]
		}
		f.Add(line)
	}
	for _, v := range otlpVariants {
		f.Add([]byte(v))
	}
	f.Fuzz(func(t *testing.T, doc []byte) { checkSame(t, doc, false) })
}
