package trace

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
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

// emitOTLP decodes one TracesData JSON document and hands its spans to
// sink: the fast path first, pdata's unmarshaler when the fast path
// declines (the two yield identical spans; see TestOTLPFastPathEquivalence).
func emitOTLP(doc []byte, src *parse.Source, sink parse.Sink) (int, error) {
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
				emit(r.toSpan(service))
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
