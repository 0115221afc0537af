package trace

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"hotpath/parse"
)

// maxJSONLine bounds one line of a JSON-lines trace file (the Collector's
// file exporter writes one batch per line); a longer line is skipped.
const maxJSONLine = 64 << 20

func trimSpace(b []byte) []byte { return bytes.TrimLeft(b, " \t\r\n\ufeff") }

func sniffOTLP(head []byte) bool {
	h := trimSpace(head)
	if len(h) == 0 || h[0] != '{' {
		return false
	}
	// Jaeger's query API v3 wraps TracesData: {"result": {"resourceSpans"…}}.
	i := bytes.Index(h, []byte(`"resourceSpans"`))
	if i < 0 {
		i = bytes.Index(h, []byte(`"resource_spans"`))
	}
	return i >= 0 && i < 256 || otlpOtherSignal(h) != "" || isV3Error(h)
}

// isV3Error recognises the Jaeger query API v3's error answer,
// {"error": {"httpCode": 404, "message": "…"}}, so that its message reaches
// the user.
func isV3Error(h []byte) bool {
	k := trimSpace(h[1:])
	return bytes.HasPrefix(k, []byte(`"error"`)) && bytes.Contains(h[:min(len(h), 512)], []byte(`"httpCode"`))
}

// otlpOtherSignal names the OTLP signal of a logs or metrics document
// ("resourceLogs" …), so that it gets a clear error rather than
// "unrecognised format".
func otlpOtherSignal(h []byte) string {
	w := h[:min(len(h), 256)]
	for _, k := range []string{"resourceLogs", "resourceMetrics", "resourceProfiles"} {
		if bytes.Contains(w, []byte(`"`+k+`"`)) && !bytes.Contains(h, []byte(`"resourceSpans"`)) {
			return k
		}
	}
	return ""
}

func decodeOTLP(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	// Strings are cut before anything is held; depth is checked per
	// document before pdata (which recurses per level) sees one.
	r, report := parse.GuardJSON(r, src, parse.JSONLines)
	defer report()
	// One document per line (the file exporter), or one document over many
	// lines: decide by whether the first line is complete JSON.
	p := asPeeker(r)
	head, _ := p.Peek(parse.SniffSize)
	if k := otlpOtherSignal(trimSpace(head)); k != "" {
		return fmt.Errorf("this is OTLP %s data (%q), not traces; hotpath reads OTLP traces (resourceSpans)",
			strings.TrimPrefix(strings.ToLower(k), "resource"), k)
	}
	sc := parse.NewLineScanner(p, maxJSONLine)
	first, ok, err := sc.Next()
	for ok && err == nil && !sc.TooLong() && len(bytes.TrimSpace(first)) == 0 {
		first, ok, err = sc.Next()
	}
	if err != nil || !ok {
		return err
	}
	if !sc.TooLong() && !json.Valid(first) {
		// A multi-line document: the first line plus the rest, whole.
		first = bytes.Clone(first) // reading on reuses the scanner's buffer
		rest, err := parse.ReadWhole(sc.Rest(), opt)
		if err != nil {
			return err
		}
		data := make([]byte, 0, len(first)+1+len(rest))
		data = append(append(append(data, first...), '\n'), rest...)
		return emitOTLPDocs(data, src, sink)
	}
	var answered error // an API's error answer, returned when nothing else was read
	for {
		if sc.TooLong() {
			src.SkipLine(sc.Line(), fmt.Sprintf("line longer than %d MiB", maxJSONLine>>20))
		} else if len(bytes.TrimSpace(first)) > 0 {
			if _, err := emitOTLP(first, src, sink); err != nil {
				var ae *apiError
				switch {
				case errors.As(err, &ae):
					answered = err
					src.SkipLine(sc.Line(), err.Error())
				case errors.Is(err, parse.ErrJSONTooDeep):
					src.SkipLine(sc.Line(), fmt.Sprintf("JSON nested deeper than %d levels", parse.MaxJSONDepth))
				default:
					src.SkipLine(sc.Line(), "not an OTLP TracesData JSON line")
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		first, ok, err = sc.Next()
		if err != nil {
			return err
		}
		if !ok {
			if src.Events() == 0 && answered != nil {
				return answered
			}
			return nil
		}
	}
}

// emitOTLPDocs reads one pretty-printed document, or several one after
// the other (a stream of Jaeger API v3 results saved whole).
func emitOTLPDocs(data []byte, src *parse.Source, sink parse.Sink) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	for i := 1; ; i++ {
		var doc json.RawMessage
		if err := dec.Decode(&doc); err != nil {
			if err == io.EOF && i > 1 {
				return nil
			}
			if i > 1 && src.Events() > 0 {
				src.Warnf("document %d is not readable JSON (%v); kept the %d spans before it", i, err, src.Events())
				return nil
			}
			return fmt.Errorf("not a readable OTLP JSON document: %w", parse.JSONErrorAt(data, err))
		}
		if _, err := emitOTLP(doc, src, sink); err != nil {
			if i > 1 {
				reason := "not an OTLP TracesData document"
				if errors.Is(err, parse.ErrJSONTooDeep) {
					reason = fmt.Sprintf("JSON nested deeper than %d levels", parse.MaxJSONDepth)
				}
				src.SkipLine(int64(i), reason)
				continue
			}
			return fmt.Errorf("not a readable OTLP JSON document: %w", err)
		}
	}
}

// apiError is a query API's error answer in place of traces.
type apiError struct{ answer string }

func (e *apiError) Error() string {
	return "the Jaeger query API answered with an error: " + e.answer
}

// unwrapResult takes the TracesData out of Jaeger's query API v3 answer,
// {"result": TracesData} (one per line when streamed), and turns its
// {"error": {…}} answer into an error.
func unwrapResult(doc []byte) ([]byte, error) {
	h := trimSpace(doc)
	if len(h) == 0 || h[0] != '{' {
		return doc, nil
	}
	k := trimSpace(h[1:])
	if !bytes.HasPrefix(k, []byte(`"result"`)) && !bytes.HasPrefix(k, []byte(`"error"`)) {
		return doc, nil
	}
	var result, apiErr json.RawMessage
	parse.JSONMembers(h, func(key string, v json.RawMessage) bool {
		switch key {
		case "result":
			result = v
		case "error":
			apiErr = v
		}
		return true
	})
	if result != nil {
		return result, nil
	}
	if apiErr != nil {
		return nil, &apiError{answer: jsonText(apiErr)}
	}
	return doc, nil
}

// emitOTLP decodes one TracesData JSON document and hands its spans to
// sink: the fast path first, pdata's unmarshaler when the fast path
// declines (the two yield identical spans; see TestOTLPFastPathEquivalence).
func emitOTLP(doc []byte, src *parse.Source, sink parse.Sink) (int, error) {
	doc, err := unwrapResult(doc)
	if err != nil {
		return 0, err
	}
	var first, last time.Time
	emit := func(sp *parse.Span) {
		if first.IsZero() || sp.Start.Before(first) {
			first = sp.Start
		}
		if sp.Start.After(last) {
			last = sp.Start
		}
		sink.Span(src, sp)
	}
	n, ok := fastOTLP(doc, emit)
	if !ok {
		// The fast path gives up past its own depth bound; pdata walks
		// the nesting recursively (a million levels overflow the stack,
		// which no recover catches): it sees only documents that pass.
		if err := parse.CheckJSONDepth(doc); err != nil {
			return 0, err
		}
		n = 0
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(doc)
		if err != nil {
			return 0, err
		}
		ConvertTraces(td, func(sp *parse.Span) { n++; emit(sp) })
	}
	src.AddEvents(int64(n))
	src.SeeTime(first)
	src.SeeTime(last)
	return n, nil
}

// ConvertTraces turns pdata traces into hotpath spans.
func ConvertTraces(td ptrace.Traces, emit func(*parse.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		service := ""
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			service = v.AsString()
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				r := fromPdata(spans.At(k))
				for _, sp := range r.spans(service) {
					emit(sp)
				}
			}
		}
	}
}

func traceHex(id pcommon.TraceID) string {
	if id.IsEmpty() {
		return ""
	}
	return hex.EncodeToString(id[:])
}

func spanHex(id pcommon.SpanID) string {
	if id.IsEmpty() {
		return ""
	}
	return hex.EncodeToString(id[:])
}
