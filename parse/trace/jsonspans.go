package trace

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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
	return eachElementOpen(ctx, s, src, what, fn)
}

// eachElementOpen is eachElement after the array's '[' was read.
func eachElementOpen[T any](ctx context.Context, s *jsonStream, src *parse.Source, what string, fn func(*T)) error {
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
	// Whole microseconds are exact in a float64 (today's are ~1.8e15 <
	// 2^53); their nanoseconds (~1.8e18) are not, so scale the parts apart.
	whole := math.Trunc(us)
	return time.Unix(0, int64(whole)*1000+int64(math.Round((us-whole)*1000))).UTC()
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

// firstElement decodes the first element of the JSON array head starts
// with; cut says the window ended inside it.
func firstElement(h []byte) (v map[string]json.RawMessage, isArray, cut bool) {
	dec := json.NewDecoder(bytes.NewReader(h))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, false, false
	}
	if err := dec.Decode(&v); err != nil {
		return nil, true, true
	}
	return v, true, false
}

func hasKeys(m map[string]json.RawMessage, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// ---- Zipkin v2 ----

// sniffZipkin accepts Zipkin v2 JSON as it comes: a list of spans (what
// reporters POST to /api/v2/spans), a list of traces, each a list of spans
// (GET /api/v2/traces), or one span object (zipkin2's encoder for a single
// span). A span has "traceId" and "id" (Jaeger's domain spans say
// "spanId", OTLP's nest under "resourceSpans").
func sniffZipkin(head []byte) bool {
	h := trimSpace(head)
	if len(h) < 2 {
		return false
	}
	if h[0] == '{' {
		var traceID, id bool
		cut, ok := parse.JSONMembers(h, func(key string, _ json.RawMessage) bool {
			switch key {
			case "traceId":
				traceID = true
			case "id":
				id = true
			case "spanId", "spanID", "traceID", "resourceSpans", "traceEvents":
				return false
			}
			return true
		})
		return ok && traceID && (id || cut == "id")
	}
	if h[0] != '[' {
		return false
	}
	inner := trimSpace(h[1:])
	if len(inner) > 0 && inner[0] == '[' { // a list of traces
		h = inner
	}
	v, isArray, cut := firstElement(h)
	if !isArray {
		return false
	}
	if cut {
		w := h[:min(len(h), 4096)]
		return bytes.Contains(w, []byte(`"traceId"`)) && bytes.Contains(w, []byte(`"id"`))
	}
	return hasKeys(v, "traceId", "id")
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
	Annotations    []zipkinNote      `json:"annotations"`
}

type zipkinNote struct {
	Timestamp float64 `json:"timestamp"`
	Value     string  `json:"value"`
}

// zipkinTags maps the tag names Zipkin and OpenTracing instrumentations
// use (zipkin-go's sql.query, OpenTracing's db.type and peer.*) to the
// OpenTelemetry names the model reads, when the span has no OTel name.
var zipkinTags = [][2]string{
	{"sql.query", "db.statement"}, {"db.query", "db.statement"}, {"db.type", "db.system"},
	{"http.path", "http.target"}, {"peer.hostname", "net.peer.name"},
}

// zipkinPhases are the annotations zipkin-go's httptrace writes on a
// client span: each pair is a phase of getting a connection, and becomes
// the child span OpenTelemetry's otelhttptrace writes for it.
var zipkinPhases = []struct{ start, done, name string }{
	{"Connecting", "Connected", "http.getconn"},
	{"DNS Start", "DNS Done", "http.dns"},
	{"Connect Start", "Connect Done", "http.connect"},
	{"TLS Handshake Start", "TLS Handshake Done", "http.tls"},
}

func decodeZipkin(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	r, report := parse.GuardJSON(r, src, parse.JSONDocument)
	defer report()
	br := asPeeker(r)
	if first := firstByte(br); first == '{' {
		data, err := parse.ReadWhole(br, opt)
		if err != nil {
			return err
		}
		var z zipkinSpan
		if err := json.Unmarshal(data, &z); err != nil {
			return fmt.Errorf("not a Zipkin v2 span object: %w", parse.JSONErrorAt(data, err))
		}
		emitZipkin(&z, src, sink)
		return nil
	}
	s := newJSONStream(br, opt)
	if err := s.delim('['); err != nil {
		return err
	}
	var i int64
	// A collector that stores each report as it came writes one list per
	// line: the lists follow each other.
	for {
		if err := zipkinList(ctx, s, src, sink, &i); err != nil {
			return err
		}
		if !s.dec.More() {
			return nil
		}
		if err := s.delim('['); err != nil {
			return err
		}
	}
}

// zipkinList reads the spans (or traces) of one top-level list, after its
// '[', up to its ']'.
func zipkinList(ctx context.Context, s *jsonStream, src *parse.Source, sink parse.Sink, i *int64) error {
	for s.dec.More() {
		*i++
		var raw json.RawMessage
		if err := s.dec.Decode(&raw); err != nil {
			return tolerateTruncation(s.wrap(err), src)
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '[' { // one trace of a list of traces
			var trace []zipkinSpan
			if err := json.Unmarshal(raw, &trace); err != nil {
				src.SkipLine(*i, "malformed zipkin trace (a list of spans)")
				continue
			}
			for j := range trace {
				emitZipkin(&trace[j], src, sink)
			}
		} else {
			var z zipkinSpan
			if err := json.Unmarshal(raw, &z); err != nil {
				src.SkipLine(*i, "malformed zipkin span")
				continue
			}
			emitZipkin(&z, src, sink)
		}
		if *i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return tolerateTruncation(s.delim(']'), src)
}

// firstByte peeks at the first byte that is not white space (or a BOM).
func firstByte(p peeker) byte {
	for n := 64; n <= 64<<10; n *= 4 {
		b, _ := p.Peek(n)
		if t := trimSpace(b); len(t) > 0 {
			return t[0]
		}
		if len(b) < n {
			return 0
		}
	}
	return 0
}

func emitZipkin(z *zipkinSpan, src *parse.Source, sink parse.Sink) {
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
	for _, m := range zipkinTags {
		if v := sp.Attrs[m[0]]; v != "" && sp.Attrs[m[1]] == "" {
			sp.Attrs[m[1]] = v
		}
	}
	if sp.Attrs["db.statement"] != "" && sp.Attrs["db.system"] == "" && z.RemoteEndpoint != nil && z.RemoteEndpoint.ServiceName != "" {
		sp.Attrs["db.system"] = z.RemoteEndpoint.ServiceName // zipkin-go names the database by its service
	}
	if r := sp.Attrs["httptrace.got_connection.reused"]; r != "" && sp.Attrs["http.conn.reused"] == "" {
		sp.Attrs["http.conn.reused"] = r
	}
	emitSpan(src, sink, sp)
	emitZipkinPhases(z, sp, src, sink)
}

// emitZipkinPhases turns httptrace annotations into the connection-phase
// child spans of the client span: getting a connection (with whether it
// was reused), DNS, dialling and the TLS handshake nested in it.
func emitZipkinPhases(z *zipkinSpan, parent *parse.Span, src *parse.Source, sink parse.Sink) {
	if len(z.Annotations) < 2 {
		return
	}
	at := map[string]float64{}
	for _, a := range z.Annotations {
		if _, ok := at[a.Value]; !ok {
			at[a.Value] = a.Timestamp
		}
	}
	var getconn string
	for _, ph := range zipkinPhases {
		s, ok1 := at[ph.start]
		e, ok2 := at[ph.done]
		if !ok1 || !ok2 || e < s {
			continue
		}
		c := &parse.Span{TraceID: parent.TraceID, SpanID: parent.SpanID + "." + ph.name, ParentID: parent.SpanID,
			Name: ph.name, Kind: "internal", Service: parent.Service, Start: micros(s), Duration: microDur(e - s),
			Attrs: map[string]string{}}
		if ph.name == "http.getconn" {
			getconn = c.SpanID
			if r := parent.Attrs["http.conn.reused"]; r != "" {
				c.Attrs["http.conn.reused"] = r
			}
		} else if getconn != "" {
			c.ParentID = getconn
		}
		emitSpan(src, sink, c)
	}
}

// ---- Jaeger JSON ----
//
// Jaeger writes one span model in several shapes, and people save each:
//
//   - the query API v1 (/api/traces, the UI's "Trace JSON"): {"data":
//     [trace…], "errors": …}, a trace being {"traceID", "spans",
//     "processes"} with hex ids, µs times and {"key","type","value"} tags;
//   - one such trace object alone (the UI model, ui_01 in Jaeger's tests);
//   - a list of UI spans with their process inline (the anonymizer's
//     capture), or one such span;
//   - the domain model as JSON (api_v2 over the gRPC gateway, Jaeger's
//     converters): {"spans": […]} or one span, base64 ids, RFC 3339 start
//     times, "22938000ns" durations, {"key","vType","vStr"…} tags;
//   - the Thrift batch as JSON: {"process", "spans"} with integer ids
//     (traceIdLow/High, spanId, parentSpanId).
//
// One decoder reads them all: ids may be hex, base64 or integers, times
// numbers or text. The query API v3 ({"result": TracesData}) is OTLP and is
// read by the OTLP reader. Storage rows (Cassandra's, Elasticsearch's
// capitalised or flattened documents) are not an interchange format and
// are not read.

func sniffJaeger(head []byte) bool {
	h := trimSpace(head)
	if len(h) == 0 {
		return false
	}
	w := h[:min(len(h), 8192)]
	switch h[0] {
	case '[':
		v, isArray, cut := firstElement(h)
		if !isArray {
			return false
		}
		if cut {
			return bytes.Contains(w, []byte(`"spanID"`)) && bytes.Contains(w, []byte(`"traceID"`))
		}
		return isJaegerSpan(v)
	case '{':
		keys := map[string]json.RawMessage{}
		cut, ok := parse.JSONMembers(h, func(key string, v json.RawMessage) bool {
			keys[key] = v
			return len(keys) < 64
		})
		if !ok {
			return false
		}
		if cut != "" {
			keys[cut] = nil
		}
		_, data := keys["data"]
		_, spans := keys["spans"]
		errs, _ := keys["errors"]
		switch {
		case data && len(errs) > 0 && !bytes.Equal(errs, []byte("null")):
			return true // the query API's error answer, read for its message
		case data:
			return bytes.Contains(w, []byte(`"traceID"`)) &&
				(bytes.Contains(w, []byte(`"spans"`)) || bytes.Contains(w, []byte(`"spanID"`)))
		case spans:
			return bytes.Contains(w, []byte(`"operationName"`))
		}
		return isJaegerSpan(keys)
	}
	return false
}

// isJaegerSpan: a UI span ("traceID"/"spanID", an id spelling no other
// format uses) or a domain span ("traceId"/"spanId" and "operationName").
func isJaegerSpan(m map[string]json.RawMessage) bool {
	return hasKeys(m, "traceID", "spanID") || hasKeys(m, "traceId", "spanId", "operationName")
}

// jaegerKV is a tag in any of the shapes: UI {"key","type","value"}, domain
// {"key","vType","vStr"|"vInt64"|…}, Thrift {"key","vType","vLong"|…}.
type jaegerKV struct {
	Key      string          `json:"key"`
	Type     string          `json:"type"`
	Value    json.RawMessage `json:"value"`
	VStr     *string         `json:"vStr"`
	VInt64   json.RawMessage `json:"vInt64"`
	VLong    json.RawMessage `json:"vLong"`
	VBool    *bool           `json:"vBool"`
	VFloat64 json.RawMessage `json:"vFloat64"`
	VDouble  json.RawMessage `json:"vDouble"`
	VBinary  json.RawMessage `json:"vBinary"`
}

func (kv *jaegerKV) text() string {
	switch {
	case kv.Value != nil:
		return jsonText(kv.Value)
	case kv.VStr != nil:
		return *kv.VStr
	case kv.VBool != nil:
		return strconv.FormatBool(*kv.VBool)
	}
	for _, raw := range []json.RawMessage{kv.VInt64, kv.VLong, kv.VFloat64, kv.VDouble, kv.VBinary} {
		if raw != nil {
			return jsonText(raw)
		}
	}
	return ""
}

type jaegerRef struct {
	RefType string          `json:"refType"`
	TraceID json.RawMessage `json:"traceID"` // also traceId: encoding/json matches keys case-insensitively
	SpanID  json.RawMessage `json:"spanID"`
}

type jaegerProcess struct {
	ServiceName string     `json:"serviceName"`
	Tags        []jaegerKV `json:"tags"`
}

type jaegerSpan struct {
	TraceID       json.RawMessage `json:"traceID"`
	TraceIDLow    json.RawMessage `json:"traceIdLow"`
	TraceIDHigh   json.RawMessage `json:"traceIdHigh"`
	SpanID        json.RawMessage `json:"spanID"`
	ParentSpanID  json.RawMessage `json:"parentSpanId"`
	OperationName string          `json:"operationName"`
	References    []jaegerRef     `json:"references"`
	StartTime     json.RawMessage `json:"startTime"`
	Duration      json.RawMessage `json:"duration"`
	Tags          []jaegerKV      `json:"tags"`
	ProcessID     string          `json:"processID"`
	Process       *jaegerProcess  `json:"process"`
}

// jaegerTrace is a UI trace, a domain trace or a Thrift batch.
type jaegerTrace struct {
	TraceID    json.RawMessage          `json:"traceID"`
	Spans      []jaegerSpan             `json:"spans"`
	Processes  map[string]jaegerProcess `json:"processes"`
	Process    *jaegerProcess           `json:"process"`
	ProcessMap []struct {
		ProcessID string        `json:"processID"`
		Process   jaegerProcess `json:"process"`
	} `json:"processMap"`
}

func decodeJaeger(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	r, report := parse.GuardJSON(r, src, parse.JSONDocument)
	defer report()
	br := asPeeker(r)
	if firstByte(br) == '[' {
		return decodeJaegerSpanList(ctx, br, src, sink, opt)
	}
	return tolerateTruncation(decodeJaegerDoc(ctx, br, src, sink, opt), src)
}

// decodeJaegerSpanList reads a list of UI spans. A list cut short or
// broken after some spans (the anonymizer's reader stops at a trailing
// comma) keeps the spans before the break, with a warning.
func decodeJaegerSpanList(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	s := newJSONStream(r, opt)
	if err := s.delim('['); err != nil {
		return err
	}
	var i int64
	for s.dec.More() {
		i++
		var raw json.RawMessage
		if err := s.dec.Decode(&raw); err != nil {
			err = s.wrap(err)
			if src.Events() > 0 {
				src.Warnf("the span list breaks after element %d (%v); kept the %d spans before", i-1, err, src.Events())
				return nil
			}
			return err
		}
		var js jaegerSpan
		if err := json.Unmarshal(raw, &js); err != nil {
			src.SkipLine(i, "malformed jaeger span")
			continue
		}
		emitJaeger(&js, nil, nil, src, sink)
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return tolerateTruncation(s.delim(']'), src)
}

func decodeJaegerDoc(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	s := newJSONStream(r, opt)
	if err := s.delim('{'); err != nil {
		return err
	}
	rest := map[string]json.RawMessage{} // members of a bare trace or span
	var apiErrors json.RawMessage
	sawData := false
	for s.dec.More() {
		t, err := s.dec.Token()
		if err != nil {
			return s.wrap(err)
		}
		key, _ := t.(string)
		switch key {
		case "data":
			// A list of traces, streamed one trace at a time; null when
			// the query matched nothing.
			sawData = true
			t, err := s.dec.Token()
			if err != nil {
				return s.wrap(err)
			}
			if t == nil {
				continue
			}
			if t != json.Delim('[') {
				return errors.New(`"data" is not a list of traces`)
			}
			if err := eachElementOpen(ctx, s, src, "jaeger trace", func(tr *jaegerTrace) { emitJaegerTrace(tr, src, sink) }); err != nil {
				return err
			}
		case "errors":
			if err := s.dec.Decode(&apiErrors); err != nil {
				return s.wrap(err)
			}
		default:
			var v json.RawMessage
			if err := s.dec.Decode(&v); err != nil {
				return s.wrap(err)
			}
			if len(rest) < 256 {
				rest[key] = v
			}
		}
	}
	if err := s.delim('}'); err != nil {
		return err
	}
	if sawData {
		if src.Events() == 0 && len(bytes.TrimSpace(apiErrors)) > 0 && !bytes.Equal(bytes.TrimSpace(apiErrors), []byte("null")) {
			return fmt.Errorf("the Jaeger query API answered with errors: %s", jsonText(apiErrors))
		}
		return nil
	}
	doc, err := json.Marshal(rest)
	if err != nil {
		return err
	}
	if _, ok := rest["spans"]; ok {
		var tr jaegerTrace
		if err := json.Unmarshal(doc, &tr); err != nil {
			return fmt.Errorf("not a Jaeger trace object: %w", err)
		}
		emitJaegerTrace(&tr, src, sink)
		return nil
	}
	var js jaegerSpan
	if err := json.Unmarshal(doc, &js); err != nil {
		return fmt.Errorf("not a Jaeger span object: %w", err)
	}
	emitJaeger(&js, nil, nil, src, sink)
	return nil
}

func emitJaegerTrace(tr *jaegerTrace, src *parse.Source, sink parse.Sink) {
	procs := tr.Processes
	if len(tr.ProcessMap) > 0 {
		procs = make(map[string]jaegerProcess, len(tr.ProcessMap))
		for _, pm := range tr.ProcessMap {
			procs[pm.ProcessID] = pm.Process
		}
	}
	for i := range tr.Spans {
		emitJaeger(&tr.Spans[i], tr, procs, src, sink)
	}
}

func emitJaeger(js *jaegerSpan, tr *jaegerTrace, procs map[string]jaegerProcess, src *parse.Source, sink parse.Sink) {
	spanID := jaegerID(js.SpanID, 8)
	if spanID == "" {
		src.SkipLine(0, "jaeger span without spanID")
		return
	}
	traceID := jaegerTraceID(js)
	if traceID == "" && tr != nil {
		traceID = jaegerID(tr.TraceID, 16)
	}
	start, okStart := jaegerTime(js.StartTime)
	dur, okDur := jaegerDuration(js.Duration)
	if !okStart || !okDur {
		src.SkipLine(0, "jaeger span with a startTime or duration that is neither microseconds nor a time")
		return
	}
	sp := &parse.Span{
		TraceID:  traceID,
		SpanID:   spanID,
		Name:     js.OperationName,
		Start:    start,
		Duration: dur,
		Attrs:    make(map[string]string, len(js.Tags)),
	}
	for _, ref := range js.References {
		if ref.RefType == "CHILD_OF" || strings.EqualFold(ref.RefType, "child-of") || sp.ParentID == "" {
			if id := jaegerID(ref.SpanID, 8); id != "" {
				sp.ParentID = id
			}
		}
	}
	if sp.ParentID == "" {
		if id := jaegerID(js.ParentSpanID, 8); id != "" && id != "0000000000000000" {
			sp.ParentID = id
		}
	}
	for i := range js.Tags {
		sp.Attrs[js.Tags[i].Key] = js.Tags[i].text()
	}
	switch {
	case js.Process != nil:
		sp.Service = js.Process.ServiceName
	case tr != nil && tr.Process != nil:
		sp.Service = tr.Process.ServiceName
	default:
		if p, ok := procs[js.ProcessID]; ok {
			sp.Service = p.ServiceName
		}
	}
	if sp.Kind = normKind(sp.Attrs["span.kind"]); sp.Kind == "" {
		sp.Kind = "internal"
	}
	emitSpan(src, sink, sp)
}

// jaegerTraceID: "traceID" in any spelling, or the Thrift halves.
func jaegerTraceID(js *jaegerSpan) string {
	if id := jaegerID(js.TraceID, 16); id != "" {
		return id
	}
	low, okLow := jaegerInt(js.TraceIDLow)
	if !okLow {
		return ""
	}
	if high, ok := jaegerInt(js.TraceIDHigh); ok && high != 0 {
		return fmt.Sprintf("%016x%016x", high, low)
	}
	return fmt.Sprintf("%016x", low)
}

// jaegerID reads an id given as hex text, base64 of its bytes (the domain
// model's JSON) or an integer (Thrift), into lower-case hex as Jaeger's
// UI shows it: a trace id whose high half is zero in 16 digits.
func jaegerID(raw json.RawMessage, size int) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	if raw[0] != '"' {
		if v, ok := jaegerInt(raw); ok {
			return fmt.Sprintf("%016x", v)
		}
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || s == "" {
		return ""
	}
	if isHex(s) {
		return strings.ToLower(s)
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && (len(b) == 8 || len(b) == 16) {
		h := hex.EncodeToString(b)
		if len(b) == 16 && size == 16 && strings.HasPrefix(h, "0000000000000000") {
			h = h[16:]
		}
		return h
	}
	return s
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// jaegerInt reads an integer id; Thrift writes them signed.
func jaegerInt(raw json.RawMessage) (uint64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] == '"' || bytes.Equal(raw, []byte("null")) {
		return 0, false
	}
	if v, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return uint64(v), true
	}
	if v, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
		return v, true
	}
	return 0, false
}

// jaegerTime reads microseconds since the epoch, or an RFC 3339 time.
func jaegerTime(raw json.RawMessage) (time.Time, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return time.Time{}, true
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, false
		}
		return t.UTC(), true
	}
	us, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return time.Time{}, false
	}
	return micros(us), true
}

// jaegerDuration reads microseconds, or a Go/protobuf duration text
// ("22938000ns", "0.022938s").
func jaegerDuration(raw json.RawMessage) (time.Duration, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, true
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, false
		}
		return d, true
	}
	us, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, false
	}
	return microDur(us), true
}
