package trace

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

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
	i := bytes.Index(h, []byte(`"resourceSpans"`))
	if i < 0 {
		i = bytes.Index(h, []byte(`"resource_spans"`))
	}
	return i >= 0 && i < 256
}

func decodeOTLP(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	// One document per line (the file exporter), or one document over many
	// lines: decide by whether the first line is complete JSON.
	sc := parse.NewLineScanner(r, maxJSONLine)
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
		if _, err := emitOTLP(data, src, sink); err != nil {
			return fmt.Errorf("not a readable OTLP JSON document: %w", err)
		}
		return nil
	}
	for {
		if sc.TooLong() {
			src.SkipLine(sc.Line(), fmt.Sprintf("line longer than %d MiB", maxJSONLine>>20))
		} else if len(bytes.TrimSpace(first)) > 0 {
			if _, err := emitOTLP(first, src, sink); err != nil {
				src.SkipLine(sc.Line(), "not an OTLP TracesData JSON line")
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
			return nil
		}
	}
}

// emitOTLP decodes one TracesData JSON document and hands its spans to sink.
func emitOTLP(doc []byte, src *parse.Source, sink parse.Sink) (int, error) {
	var um ptrace.JSONUnmarshaler
	td, err := um.UnmarshalTraces(doc)
	if err != nil {
		return 0, err
	}
	n := 0
	ConvertTraces(td, func(sp *parse.Span) {
		n++
		src.SeeTime(sp.Start)
		src.AddEvents(1)
		sink.Span(src, sp)
	})
	return n, nil
}

var kindNames = map[ptrace.SpanKind]string{
	ptrace.SpanKindServer:   "server",
	ptrace.SpanKindClient:   "client",
	ptrace.SpanKindInternal: "internal",
	ptrace.SpanKindProducer: "producer",
	ptrace.SpanKindConsumer: "consumer",
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
				emit(convertSpan(spans.At(k), service))
			}
		}
	}
}

func convertSpan(s ptrace.Span, service string) *parse.Span {
	sp := &parse.Span{
		TraceID: traceHex(s.TraceID()),
		SpanID:  spanHex(s.SpanID()),
		Name:    s.Name(),
		Kind:    kindNames[s.Kind()],
		Service: service,
		Start:   s.StartTimestamp().AsTime().UTC(),
	}
	if pid := s.ParentSpanID(); !pid.IsEmpty() {
		sp.ParentID = spanHex(pid)
	}
	if end, start := s.EndTimestamp(), s.StartTimestamp(); end > start {
		sp.Duration = end.AsTime().Sub(start.AsTime())
	}
	switch s.Status().Code() {
	case ptrace.StatusCodeError:
		sp.Status = "error"
	case ptrace.StatusCodeOk:
		sp.Status = "ok"
	}
	attrs := s.Attributes()
	sp.Attrs = make(map[string]string, attrs.Len())
	attrs.Range(func(k string, v pcommon.Value) bool {
		sp.Attrs[k] = v.AsString()
		return true
	})
	sp.Thread = firstAttr(sp.Attrs, []string{"thread.name", "thread.id"})
	Normalize(sp)
	return sp
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
