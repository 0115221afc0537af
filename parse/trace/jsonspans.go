package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"hotpath/parse"
)

// jsonStream walks a large JSON document token by token and decodes the
// elements of its span arrays one at a time, so memory is bounded by the
// largest element, not the document; the whole input is capped by
// Options.MaxWholeInput.
type jsonStream struct {
	dec *json.Decoder
	lr  *io.LimitedReader
	max int64
}

func newJSONStream(r io.Reader, opt parse.Options) *jsonStream {
	max := opt.MaxWholeInput
	if max <= 0 {
		max = 1 << 30
	}
	lr := &io.LimitedReader{R: r, N: max + 1}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	return &jsonStream{dec: dec, lr: lr, max: max}
}

func (s *jsonStream) wrap(err error) error {
	if s.lr.N <= 0 {
		return fmt.Errorf("input is larger than %d bytes, the limit for this format (raise it with -max-input)", s.max)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("JSON ends early (truncated file?): %w", io.ErrUnexpectedEOF)
	}
	return err
}

func (s *jsonStream) delim(want json.Delim) error {
	t, err := s.dec.Token()
	if err != nil {
		return s.wrap(err)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, t)
	}
	return nil
}

// skipValue skips the next value (the decoder enforces its depth limit).
func (s *jsonStream) skipValue() error {
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return s.wrap(err)
	}
	return nil
}

// eachElement decodes each element of the array that comes next into a
// fresh value and calls fn; an element that does not decode is skipped and
// counted.
func eachElement[T any](ctx context.Context, s *jsonStream, src *parse.Source, what string, fn func(*T)) error {
	if err := s.delim('['); err != nil {
		return err
	}
	var i int64
	for s.dec.More() {
		i++
		var raw json.RawMessage
		if err := s.dec.Decode(&raw); err != nil {
			return s.wrap(err)
		}
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			src.SkipLine(i, "malformed "+what)
			continue
		}
		fn(v)
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return s.delim(']')
}

// tolerateTruncation turns a truncated document into a warning when
// spans were already read from it (they stay loaded), and keeps it an
// error otherwise.
func tolerateTruncation(err error, src *parse.Source) error {
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) || src.Events() == 0 {
		return err
	}
	src.Warnf("document ends early (truncated file?); kept the %d spans read before the cut", src.Events())
	return nil
}

func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	if len(raw) > 4096 {
		raw = raw[:4096]
	}
	return string(raw)
}

func micros(us float64) time.Time {
	if math.IsNaN(us) || math.IsInf(us, 0) || math.Abs(us) > 1e17 {
		return time.Time{}
	}
	return time.Unix(0, int64(us*1000)).UTC()
}

func microDur(us float64) time.Duration {
	if math.IsNaN(us) || us <= 0 || us > 1e15 {
		return 0
	}
	return time.Duration(us * 1000)
}

func emitSpan(src *parse.Source, sink parse.Sink, sp *parse.Span) {
	Normalize(sp)
	src.SeeTime(sp.Start)
	src.AddEvents(1)
	sink.Span(src, sp)
}

// ---- Zipkin v2 ----

func sniffZipkin(head []byte) bool {
	h := trimSpace(head)
	if len(h) < 2 || h[0] != '[' {
		return false
	}
	h = trimSpace(h[1:])
	if len(h) == 0 || h[0] != '{' {
		return false
	}
	w := h[:min(len(h), 4096)]
	return bytes.Contains(w, []byte(`"traceId"`)) && bytes.Contains(w, []byte(`"id"`))
}

type zipkinEndpoint struct {
	ServiceName string `json:"serviceName"`
	IPv4        string `json:"ipv4"`
	IPv6        string `json:"ipv6"`
	Port        int    `json:"port"`
}

type zipkinSpan struct {
	TraceID        string            `json:"traceId"`
	ID             string            `json:"id"`
	ParentID       string            `json:"parentId"`
	Name           string            `json:"name"`
	Kind           string            `json:"kind"`
	Timestamp      float64           `json:"timestamp"`
	Duration       float64           `json:"duration"`
	LocalEndpoint  *zipkinEndpoint   `json:"localEndpoint"`
	RemoteEndpoint *zipkinEndpoint   `json:"remoteEndpoint"`
	Tags           map[string]string `json:"tags"`
}

func decodeZipkin(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	s := newJSONStream(r, opt)
	return tolerateTruncation(eachElement(ctx, s, src, "zipkin span", func(z *zipkinSpan) {
		if z.TraceID == "" || z.ID == "" {
			src.SkipLine(0, "zipkin span without traceId/id")
			return
		}
		sp := &parse.Span{
			TraceID:  strings.ToLower(z.TraceID),
			SpanID:   strings.ToLower(z.ID),
			ParentID: strings.ToLower(z.ParentID),
			Name:     z.Name,
			Kind:     normKind(z.Kind),
			Start:    micros(z.Timestamp),
			Duration: microDur(z.Duration),
			Attrs:    z.Tags,
		}
		if sp.Attrs == nil {
			sp.Attrs = map[string]string{}
		}
		if z.LocalEndpoint != nil {
			sp.Service = z.LocalEndpoint.ServiceName
		}
		if z.RemoteEndpoint != nil && sp.Attrs["server.address"] == "" && sp.Attrs["net.peer.name"] == "" {
			if z.RemoteEndpoint.ServiceName != "" {
				sp.ServerAddr = z.RemoteEndpoint.ServiceName
			} else if z.RemoteEndpoint.IPv4 != "" {
				sp.ServerAddr = z.RemoteEndpoint.IPv4
			}
		}
		if sp.Kind == "" {
			sp.Kind = "internal"
		}
		emitSpan(src, sink, sp)
	}), src)
}

// ---- Jaeger JSON (query service /api/traces) ----

func sniffJaeger(head []byte) bool {
	h := trimSpace(head)
	if len(h) == 0 || h[0] != '{' {
		return false
	}
	w := h[:min(len(h), 4096)]
	return bytes.Contains(w, []byte(`"data"`)) && bytes.Contains(w, []byte(`"traceID"`)) &&
		(bytes.Contains(w, []byte(`"spans"`)) || bytes.Contains(w, []byte(`"spanID"`)))
}

type jaegerKV struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

type jaegerRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type jaegerSpan struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []jaegerRef `json:"references"`
	StartTime     float64     `json:"startTime"`
	Duration      float64     `json:"duration"`
	Tags          []jaegerKV  `json:"tags"`
	ProcessID     string      `json:"processID"`
}

type jaegerProcess struct {
	ServiceName string     `json:"serviceName"`
	Tags        []jaegerKV `json:"tags"`
}

type jaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []jaegerSpan             `json:"spans"`
	Processes map[string]jaegerProcess `json:"processes"`
}

func decodeJaeger(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	return tolerateTruncation(decodeJaegerDoc(ctx, r, src, sink, opt), src)
}

func decodeJaegerDoc(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	s := newJSONStream(r, opt)
	if err := s.delim('{'); err != nil {
		return err
	}
	for s.dec.More() {
		t, err := s.dec.Token()
		if err != nil {
			return s.wrap(err)
		}
		if key, _ := t.(string); key != "data" {
			if err := s.skipValue(); err != nil {
				return err
			}
			continue
		}
		err = eachElement(ctx, s, src, "jaeger trace", func(tr *jaegerTrace) {
			for i := range tr.Spans {
				js := &tr.Spans[i]
				if js.SpanID == "" {
					src.SkipLine(0, "jaeger span without spanID")
					continue
				}
				sp := &parse.Span{
					TraceID:  strings.ToLower(cmp(js.TraceID, tr.TraceID)),
					SpanID:   strings.ToLower(js.SpanID),
					Name:     js.OperationName,
					Start:    micros(js.StartTime),
					Duration: microDur(js.Duration),
					Attrs:    make(map[string]string, len(js.Tags)),
				}
				for _, ref := range js.References {
					if ref.RefType == "CHILD_OF" || sp.ParentID == "" {
						sp.ParentID = strings.ToLower(ref.SpanID)
					}
				}
				for _, kv := range js.Tags {
					sp.Attrs[kv.Key] = jsonText(kv.Value)
				}
				if p, ok := tr.Processes[js.ProcessID]; ok {
					sp.Service = p.ServiceName
				}
				if sp.Kind = normKind(sp.Attrs["span.kind"]); sp.Kind == "" {
					sp.Kind = "internal"
				}
				emitSpan(src, sink, sp)
			}
		})
		if err != nil {
			return err
		}
	}
	return s.delim('}')
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ---- Chrome Trace Event format ----

func sniffChrome(head []byte) bool {
	h := trimSpace(head)
	if len(h) == 0 {
		return false
	}
	w := h[:min(len(h), 8192)]
	switch h[0] {
	case '{':
		return bytes.Contains(w, []byte(`"traceEvents"`))
	case '[':
		return bytes.Contains(w, []byte(`"ph"`)) && (bytes.Contains(w, []byte(`"ts"`)) || bytes.Contains(w, []byte(`"name"`)))
	}
	return false
}

type chromeEvent struct {
	Name string                     `json:"name"`
	Cat  string                     `json:"cat"`
	Ph   string                     `json:"ph"`
	Ts   float64                    `json:"ts"`
	Dur  float64                    `json:"dur"`
	Pid  json.RawMessage            `json:"pid"`
	Tid  json.RawMessage            `json:"tid"`
	Args map[string]json.RawMessage `json:"args"`
}

type chromeThread struct{ pid, tid string }

type chromeSpan struct {
	sp  *parse.Span
	thr chromeThread
	ts  float64
	dur float64
}

type chromeState struct {
	spans    []*chromeSpan
	open     map[chromeThread][]*chromeSpan
	procName map[string]string
	thrName  map[chromeThread]string
}

func decodeChrome(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	s := newJSONStream(r, opt)
	st := &chromeState{open: map[chromeThread][]*chromeSpan{}, procName: map[string]string{}, thrName: map[chromeThread]string{}}
	t, err := s.dec.Token()
	if err != nil {
		return s.wrap(err)
	}
	d, _ := t.(json.Delim)
	var n int64
	handle := func(ev *chromeEvent) { n++; st.add(ev, src) }
	readArray := func() error {
		var i int64
		for s.dec.More() {
			i++
			var raw json.RawMessage
			if err := s.dec.Decode(&raw); err != nil {
				return s.wrap(err)
			}
			var ev chromeEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				src.SkipLine(i, "malformed trace event")
				continue
			}
			handle(&ev)
			if i&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		_, err := s.dec.Token() // ']'
		return err
	}
	switch d {
	case '[':
		if err := readArray(); err != nil {
			// The format allows the closing ']' to be missing (a trace
			// written by a process that died).
			if !(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) || n == 0 {
				return s.wrap(err)
			}
			src.Warnf("trace event array is not closed (the writer stopped early); read %d events", n)
		}
	case '{':
		found := false
		for s.dec.More() {
			t, err := s.dec.Token()
			if err != nil {
				return s.wrap(err)
			}
			if key, _ := t.(string); key == "traceEvents" {
				if err := s.delim('['); err != nil {
					return err
				}
				found = true
				if err := readArray(); err != nil {
					if n > 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
						src.Warnf("trace event array ends early (truncated file?); read %d events", n)
						break
					}
					return s.wrap(err)
				}
				continue
			}
			if err := s.skipValue(); err != nil {
				return err
			}
		}
		if !found {
			return errors.New(`object has no "traceEvents" array`)
		}
	default:
		return errors.New("not a Chrome trace: expected an array or an object")
	}
	st.finish(src, sink)
	return nil
}

func idText(raw json.RawMessage) string { return jsonText(raw) }

func (st *chromeState) add(ev *chromeEvent, src *parse.Source) {
	thr := chromeThread{pid: idText(ev.Pid), tid: idText(ev.Tid)}
	switch ev.Ph {
	case "X":
		st.newSpan(ev, thr, ev.Ts, ev.Dur)
	case "B":
		cs := st.newSpan(ev, thr, ev.Ts, -1)
		st.open[thr] = append(st.open[thr], cs)
	case "E":
		stack := st.open[thr]
		for i := len(stack) - 1; i >= 0; i-- {
			if ev.Name == "" || stack[i].sp.Name == ev.Name {
				for j := len(stack) - 1; j >= i; j-- {
					stack[j].dur = ev.Ts - stack[j].ts
					mergeArgs(stack[j].sp, ev.Args)
				}
				st.open[thr] = stack[:i]
				return
			}
		}
		src.SkipLine(0, "trace event E without a matching B")
	case "M":
		name := ""
		if v, ok := ev.Args["name"]; ok {
			name = jsonText(v)
		}
		switch ev.Name {
		case "process_name":
			st.procName[thr.pid] = name
		case "thread_name":
			st.thrName[thr] = name
		}
	default:
		src.SkipLine(0, "trace event phase "+strconv.Quote(ev.Ph)+" is not a span")
	}
}

func mergeArgs(sp *parse.Span, args map[string]json.RawMessage) {
	for k, v := range args {
		sp.Attrs[k] = jsonText(v)
	}
}

func (st *chromeState) newSpan(ev *chromeEvent, thr chromeThread, ts, dur float64) *chromeSpan {
	sp := &parse.Span{Name: ev.Name, Attrs: make(map[string]string, len(ev.Args)+1)}
	mergeArgs(sp, ev.Args)
	if ev.Cat != "" {
		sp.Attrs["chrome.cat"] = ev.Cat
	}
	cs := &chromeSpan{sp: sp, thr: thr, ts: ts, dur: dur}
	st.spans = append(st.spans, cs)
	return cs
}

// finish closes unmatched B events, nests spans per thread by time
// containment and emits them.
func (st *chromeState) finish(src *parse.Source, sink parse.Sink) {
	var last float64
	for _, cs := range st.spans {
		if e := cs.ts + max(cs.dur, 0); e > last {
			last = e
		}
	}
	for _, stack := range st.open {
		for _, cs := range stack {
			cs.dur = last - cs.ts
			cs.sp.Attrs["chrome.unfinished"] = "true"
		}
	}
	byThread := map[chromeThread][]*chromeSpan{}
	var threads []chromeThread
	for _, cs := range st.spans {
		if _, ok := byThread[cs.thr]; !ok {
			threads = append(threads, cs.thr)
		}
		byThread[cs.thr] = append(byThread[cs.thr], cs)
	}
	seq := 0
	for _, thr := range threads {
		list := byThread[thr]
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].ts != list[j].ts {
				return list[i].ts < list[j].ts
			}
			return list[i].dur > list[j].dur
		})
		var stack []*chromeSpan
		roots := 0
		for _, cs := range list {
			for len(stack) > 0 {
				top := stack[len(stack)-1]
				if cs.ts >= top.ts && cs.ts+max(cs.dur, 0) <= top.ts+top.dur {
					break
				}
				stack = stack[:len(stack)-1]
			}
			seq++
			sp := cs.sp
			sp.SpanID = "c" + strconv.Itoa(seq)
			if len(stack) > 0 {
				sp.ParentID = stack[len(stack)-1].sp.SpanID
				sp.TraceID = stack[len(stack)-1].sp.TraceID
			} else {
				roots++
				sp.TraceID = "chrome-" + thr.pid + "-" + thr.tid + "-" + strconv.Itoa(roots)
			}
			sp.Start = micros(cs.ts)
			sp.Duration = microDur(cs.dur)
			sp.Service = st.procName[thr.pid]
			if sp.Service == "" {
				sp.Service = "pid " + thr.pid
			}
			sp.Thread = st.thrName[thr]
			if sp.Thread == "" {
				sp.Thread = thr.tid
			}
			if sp.Kind = normKind(sp.Attrs["span.kind"]); sp.Kind == "" {
				sp.Kind = "internal"
			}
			stack = append(stack, cs)
			emitSpan(src, sink, sp)
		}
	}
}
