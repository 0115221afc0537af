package trace

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"hotpath/parse"
)

// rawSpan is a span as OTLP carries it, before it becomes a parse.Span.
// Both the pdata path and the fast path fill it, and one function turns it
// into a parse.Span, so the two paths cannot drift apart.
type rawSpan struct {
	traceID, spanID, parentID string
	name                      string
	kind                      int32
	start, end                uint64
	status                    int32
	attrs                     []kv
	events                    []rawEvent
}

// rawEvent is one span event: a name, a time and attributes.
type rawEvent struct {
	name  string
	time  uint64
	attrs []kv
}

type kv struct{ k, v string }

var kindByNum = map[int32]string{1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}

func (r *rawSpan) toSpan(service string) *parse.Span {
	// The times are uint64 nanoseconds: past 2^63 (the year 2262) they
	// are held at the limit rather than wrapped into the past.
	sp := &parse.Span{TraceID: r.traceID, SpanID: r.spanID, ParentID: r.parentID, Name: r.name,
		Kind: kindByNum[r.kind], Service: service, Start: time.Unix(0, int64(min(r.start, math.MaxInt64))).UTC()}
	if r.end > r.start {
		sp.Duration = time.Duration(min(r.end-r.start, math.MaxInt64))
	}
	switch r.status {
	case 2:
		sp.Status = "error"
	case 1:
		sp.Status = "ok"
	}
	sp.Attrs = make(map[string]string, len(r.attrs))
	view := new(attrView)
	var thread, threadID string
	for _, a := range r.attrs {
		sp.Attrs[a.k] = a.v
		// Later duplicates win, as in the map.
		if i := knownAttrIndex(a.k); i >= 0 {
			view.vals[i] = a.v
		}
		switch a.k {
		case "thread.name":
			thread = a.v
		case "thread.id":
			threadID = a.v
		}
	}
	if thread == "" {
		thread = threadID
	}
	sp.Thread = thread
	normalize(sp, view)
	return sp
}

func fromPdata(s ptrace.Span) rawSpan {
	r := rawSpan{traceID: traceHex(s.TraceID()), spanID: spanHex(s.SpanID()), parentID: spanHex(s.ParentSpanID()),
		name: s.Name(), kind: int32(s.Kind()), start: uint64(s.StartTimestamp()), end: uint64(s.EndTimestamp()),
		status: int32(s.Status().Code())}
	attrs := s.Attributes()
	r.attrs = make([]kv, 0, attrs.Len())
	attrs.Range(func(k string, v pcommon.Value) bool {
		r.attrs = append(r.attrs, kv{k, v.AsString()})
		return true
	})
	evs := s.Events()
	for i := 0; i < evs.Len(); i++ {
		e := evs.At(i)
		re := rawEvent{name: e.Name(), time: uint64(e.Timestamp())}
		e.Attributes().Range(func(k string, v pcommon.Value) bool {
			re.attrs = append(re.attrs, kv{k, v.AsString()})
			return true
		})
		r.events = append(r.events, re)
	}
	return r
}

// spans is the span and the connection phases its events record:
// otelhttptrace, configured WithoutSubSpans, writes a client call's phases
// as events (http.getconn.start/done with http.conn.reused,
// http.connect.ADDR.start/done, http.dns.*, http.tls.*) where by default it
// writes child spans; both become the same child spans here.
func (r *rawSpan) spans(service string) []*parse.Span {
	sp := r.toSpan(service)
	out := []*parse.Span{sp}
	if len(r.events) < 2 || sp.SpanID == "" {
		return out
	}
	type phase struct {
		start, end uint64
		attrs      []kv
	}
	phases := map[string]*phase{}
	var order []string
	for _, e := range r.events {
		name, edge, ok := phaseEvent(e.name)
		if !ok {
			continue
		}
		p := phases[name]
		if p == nil {
			p = &phase{}
			phases[name] = p
			order = append(order, name)
		}
		if edge == "start" {
			p.start = e.time
		} else {
			p.end = e.time
		}
		p.attrs = append(p.attrs, e.attrs...)
	}
	var getconn *parse.Span
	for _, name := range order {
		p := phases[name]
		if p.start == 0 || p.end < p.start {
			continue
		}
		c := (&rawSpan{traceID: r.traceID, spanID: sp.SpanID + "." + name, parentID: sp.SpanID, name: name,
			kind: 1, start: p.start, end: p.end, attrs: p.attrs}).toSpan(service)
		if name == "http.getconn" {
			getconn = c
			if c.ConnReused != nil {
				sp.ConnReused = c.ConnReused
			}
		}
		out = append(out, c)
	}
	// Dialling, resolving and the handshake happen inside getting a
	// connection, as the child spans nest.
	if getconn != nil {
		for _, c := range out[1:] {
			if c != getconn && c.Name != "http.send" && c.Name != "http.receive" && c.Name != "http.headers" &&
				!c.Start.Before(getconn.Start) && !c.Start.Add(c.Duration).After(getconn.Start.Add(getconn.Duration)) {
				c.ParentID = getconn.SpanID
			}
		}
	}
	return out
}

// phaseEvent reads an otelhttptrace event name: "http.tls.start" is the
// start of phase "http.tls"; "http.connect.127.0.0.1:443.done" the end of
// "http.connect".
func phaseEvent(name string) (phase, edge string, ok bool) {
	if !strings.HasPrefix(name, "http.") {
		return "", "", false
	}
	switch {
	case strings.HasSuffix(name, ".start"):
		phase, edge = strings.TrimSuffix(name, ".start"), "start"
	case strings.HasSuffix(name, ".done"):
		phase, edge = strings.TrimSuffix(name, ".done"), "done"
	default:
		return "", "", false
	}
	if strings.HasPrefix(phase, "http.connect.") {
		phase = "http.connect"
	}
	switch phase {
	case "http.getconn", "http.dns", "http.connect", "http.tls", "http.send", "http.receive", "http.headers":
		return phase, edge, true
	}
	return "", "", false
}

// fastOTLP parses one TracesData JSON document without pdata, for the
// shapes exporters write. It gives up (ok = false) on anything unusual —
// nulls, repeated keys, byte/array/map values, escapes it does not
// handle, malformed ids — and the caller then uses pdata, so both paths
// yield the same spans.
func fastOTLP(doc []byte, emit func(*parse.Span)) (n int, ok bool) {
	p := &fparser{b: doc, kvs: make([]kv, 0, len(doc)/48)}
	var out []*parse.Span
	okDoc := p.object(func(key string) bool {
		switch key {
		case "resourceSpans", "resource_spans":
			return p.array(func() bool { return p.resourceSpans(&out) })
		}
		return p.skip()
	})
	if !okDoc || p.bad {
		return 0, false
	}
	p.ws()
	if p.i != len(p.b) {
		return 0, false
	}
	for _, sp := range out {
		emit(sp)
	}
	return len(out), true
}

type fparser struct {
	b    []byte
	i    int
	bad  bool
	buf  []byte
	keys map[string]string
	// lastTrace is the last trace id read (ids repeat span after span).
	lastTrace string
	// kvs holds every span's attributes of the document, back to back.
	kvs []kv
}

func (p *fparser) ws() {
	for p.i < len(p.b) && p.b[p.i] <= ' ' {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fparser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *fparser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// object calls field for each key, with the parser at the value.
func (p *fparser) object(field func(key string) bool) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	for {
		key, ok := p.fieldName()
		if !ok || !p.eat(':') || !field(key) {
			return false
		}
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}

func (p *fparser) array(elem func() bool) bool {
	if !p.eat('[') {
		return false
	}
	if p.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.eat(',') {
			continue
		}
		return p.eat(']')
	}
}

// str reads a string; escapes other than surrogates are decoded.
func (p *fparser) str() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	s, ok := p.rawStr()
	if !ok {
		return "", false
	}
	if s == nil {
		return p.strSlow(p.i)
	}
	return string(s), true
}

// rawStr returns the bytes of a string without escapes (the opening quote
// already eaten), or nil with the parser left at the start when the string
// has escapes.
func (p *fparser) rawStr() ([]byte, bool) {
	start := p.i
	b := p.b
	high := false
	for j := start; j < len(b); j++ {
		switch strClass[b[j]] {
		case 0:
			continue
		case clsQuote:
			seg := b[start:j]
			if high && !utf8.Valid(seg) {
				return nil, false
			}
			p.i = j + 1
			return seg, true
		case clsHigh:
			high = true
		default:
			// A backslash or a control byte: the slow path decodes
			// escapes and rejects what JSON forbids.
			p.i = start
			return nil, true
		}
	}
	return nil, false
}

const (
	clsQuote = 1 + iota
	clsEscape
	clsHigh
)

// strClass sorts bytes inside a JSON string: plain, the closing quote,
// a backslash or control byte, a byte of a multi-byte UTF-8 sequence.
var strClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = clsEscape
	}
	t['"'] = clsQuote
	t['\\'] = clsEscape
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsHigh
	}
	return
}()

// knownField returns the OTLP field name s spells, without allocating
// ("" for others).
func knownField(s []byte) string {
	switch string(s) {
	case "resourceSpans":
		return "resourceSpans"
	case "resource_spans":
		return "resource_spans"
	case "resource":
		return "resource"
	case "attributes":
		return "attributes"
	case "scopeSpans":
		return "scopeSpans"
	case "scope_spans":
		return "scope_spans"
	case "scope":
		return "scope"
	case "spans":
		return "spans"
	case "name":
		return "name"
	case "version":
		return "version"
	case "traceId":
		return "traceId"
	case "trace_id":
		return "trace_id"
	case "spanId":
		return "spanId"
	case "span_id":
		return "span_id"
	case "parentSpanId":
		return "parentSpanId"
	case "parent_span_id":
		return "parent_span_id"
	case "kind":
		return "kind"
	case "startTimeUnixNano":
		return "startTimeUnixNano"
	case "start_time_unix_nano":
		return "start_time_unix_nano"
	case "endTimeUnixNano":
		return "endTimeUnixNano"
	case "end_time_unix_nano":
		return "end_time_unix_nano"
	case "status":
		return "status"
	case "code":
		return "code"
	case "message":
		return "message"
	case "flags":
		return "flags"
	case "traceState":
		return "traceState"
	case "trace_state":
		return "trace_state"
	case "events":
		return "events"
	case "links":
		return "links"
	case "key":
		return "key"
	case "value":
		return "value"
	case "stringValue":
		return "stringValue"
	case "string_value":
		return "string_value"
	case "intValue":
		return "intValue"
	case "int_value":
		return "int_value"
	case "boolValue":
		return "boolValue"
	case "bool_value":
		return "bool_value"
	case "doubleValue":
		return "doubleValue"
	case "double_value":
		return "double_value"
	case "schemaUrl":
		return "schemaUrl"
	case "schema_url":
		return "schema_url"
	case "droppedAttributesCount":
		return "droppedAttributesCount"
	case "dropped_attributes_count":
		return "dropped_attributes_count"
	case "droppedEventsCount":
		return "droppedEventsCount"
	case "dropped_events_count":
		return "dropped_events_count"
	case "droppedLinksCount":
		return "droppedLinksCount"
	case "dropped_links_count":
		return "dropped_links_count"
	case "arrayValue":
		return "arrayValue"
	case "kvlistValue":
		return "kvlistValue"
	case "bytesValue":
		return "bytesValue"
	case "timeUnixNano":
		return "timeUnixNano"
	}
	return ""
}

// fieldName reads an object key; the usual ones cost a switch, not an
// allocation.
func (p *fparser) fieldName() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	s, ok := p.rawStr()
	if !ok {
		return "", false
	}
	if s == nil {
		return p.strSlow(p.i)
	}
	if len(s) == 0 {
		return "", false // pdata's reader takes "" for the end of the object
	}
	if k := knownField(s); k != "" {
		return k, true
	}
	return string(s), true
}

// value reads an attribute's string value; short ones (methods, systems,
// hosts, routes) are interned.
func (p *fparser) value() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	s, ok := p.rawStr()
	if !ok {
		return "", false
	}
	if s == nil {
		return p.strSlow(p.i)
	}
	if len(s) > 32 {
		return string(s), true
	}
	if v, ok := p.keys[string(s)]; ok {
		return v, true
	}
	v := string(s)
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	if len(p.keys) < 4096 {
		p.keys[v] = v
	}
	return v, true
}

// key reads an object key or attribute name, interned: the same few
// names repeat on every span.
func (p *fparser) key() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	s, ok := p.rawStr()
	if !ok {
		return "", false
	}
	if s == nil {
		return p.strSlow(p.i)
	}
	if k, ok := p.keys[string(s)]; ok {
		return k, true
	}
	k := string(s)
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	if len(p.keys) < 4096 {
		p.keys[k] = k
	}
	return k, true
}

func (p *fparser) strSlow(start int) (string, bool) {
	buf := append(p.buf[:0], p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			p.buf = buf
			if !utf8.Valid(buf) {
				return "", false
			}
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return "", false
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			if p.i+4 > len(p.b) {
				return "", false
			}
			v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
			if err != nil || v >= 0xD800 && v <= 0xDFFF {
				return "", false // surrogates: leave them to pdata
			}
			buf = utf8.AppendRune(buf, rune(v))
			p.i += 4
		default:
			return "", false
		}
	}
	return "", false
}

// num reads a JSON number's text (integers only: no fraction/exponent).
func (p *fparser) intText() (string, bool) {
	p.ws()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i == start || p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return "", false
	}
	digits := p.b[start:p.i]
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return "", false // not JSON
	}
	return string(p.b[start:p.i]), true
}

// intValText reads an integer given as a JSON string or a JSON number, as
// protojson writes 64-bit integers either way.
func (p *fparser) intValText() (string, bool) {
	if p.peek() == '"' {
		return p.str()
	}
	return p.intText()
}

// uint64Val reads a uint64 given as a string or a number.
func (p *fparser) uint64Val() (uint64, bool) {
	s, ok := p.intValText()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

func (p *fparser) int64Val() (int64, bool) {
	s, ok := p.intValText()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func (p *fparser) enum(names map[string]int32) (int32, bool) {
	if p.peek() == '"' {
		s, ok := p.str()
		v, known := names[s]
		return v, ok && known
	}
	s, ok := p.intText()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 32)
	return int32(v), err == nil
}

var (
	kindEnum   = map[string]int32{"SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5}
	statusEnum = map[string]int32{"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
)

// skip skips a value of any kind except null (bounded depth), checking
// it is valid JSON.
func (p *fparser) skip() bool {
	var stack []byte // open containers: '{' or '['
	for {
		// A value.
		switch c := p.peek(); {
		case c == '{' || c == '[':
			p.i++
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if p.peek() == closer {
				p.i++
				break // empty container: a complete value
			}
			if len(stack) >= 1000 {
				return false
			}
			stack = append(stack, c)
			if c == '{' && !p.memberKey() {
				return false
			}
			continue
		case c == '"':
			if _, ok := p.str(); !ok {
				return false
			}
		case c == 't' || c == 'f':
			w := "true"
			if c == 'f' {
				w = "false"
			}
			if p.i+len(w) > len(p.b) || string(p.b[p.i:p.i+len(w)]) != w {
				return false
			}
			p.i += len(w)
		case c == '-' || c >= '0' && c <= '9':
			start := p.i
			for p.i < len(p.b) && (p.b[p.i] == '-' || p.b[p.i] == '+' || p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E' || p.b[p.i] >= '0' && p.b[p.i] <= '9') {
				p.i++
			}
			if !validNumber(p.b[start:p.i]) {
				return false
			}
		default:
			return false // null or garbage: pdata decides
		}
		// After a value: close containers, or go on to the next member.
	after:
		for {
			if len(stack) == 0 {
				return true
			}
			top := stack[len(stack)-1]
			switch p.peek() {
			case ',':
				p.i++
				if top == '{' && !p.memberKey() {
					return false
				}
				break after
			case '}':
				if top != '{' {
					return false
				}
				p.i++
				stack = stack[:len(stack)-1]
			case ']':
				if top != '[' {
					return false
				}
				p.i++
				stack = stack[:len(stack)-1]
			default:
				return false
			}
		}
	}
}

// memberKey reads `"key":` inside a skipped object.
func (p *fparser) memberKey() bool {
	if p.peek() != '"' {
		return false
	}
	if _, ok := p.str(); !ok {
		return false
	}
	return p.eat(':')
}

// validNumber reports whether b is a JSON number.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i == len(b)
}

// u32 checks a uint32 given as a number or a string (flags, counts).
func (p *fparser) u32() bool {
	var s string
	var ok bool
	if p.peek() == '"' {
		s, ok = p.str()
	} else {
		s, ok = p.intText()
	}
	if !ok {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

func (p *fparser) strOnly() bool {
	_, ok := p.str()
	return ok
}

func (p *fparser) kvArray(each func(k, v string)) bool {
	return p.array(func() bool {
		k, v, ok := p.keyValue()
		if ok && each != nil {
			each(k, v)
		}
		return ok
	})
}

// typedObject reads an object whose known fields must have pdata's types;
// unknown fields are skipped as pdata skips them; a repeated field sends
// the document to pdata.
func (p *fparser) typedObject(fields map[string]func() bool) bool {
	var s seen
	idx := map[string]uint{}
	return p.object(func(key string) bool {
		f, ok := fields[key]
		if !ok {
			return p.skip()
		}
		bit, ok := idx[canonField(key)]
		if !ok {
			bit = uint(len(idx))
			idx[canonField(key)] = bit
		}
		return s.once(bit) && f()
	})
}

// canonField maps snake_case spellings to camelCase (for repeat checks).
func canonField(k string) string {
	switch k {
	case "dropped_attributes_count":
		return "droppedAttributesCount"
	case "time_unix_nano":
		return "timeUnixNano"
	case "trace_id":
		return "traceId"
	case "span_id":
		return "spanId"
	case "trace_state":
		return "traceState"
	}
	return k
}

func (p *fparser) scopeObject() bool {
	if p.peek() != '{' {
		return false
	}
	return p.typedObject(map[string]func() bool{
		"name": p.strOnly, "version": p.strOnly,
		"attributes":             func() bool { return p.kvArray(nil) },
		"droppedAttributesCount": p.u32, "dropped_attributes_count": p.u32,
	})
}

func (p *fparser) eventsArray(out *[]rawEvent) bool {
	return p.array(func() bool {
		if p.peek() != '{' {
			return false
		}
		var e rawEvent
		tm := func() bool { var ok bool; e.time, ok = p.uint64Val(); return ok }
		ok := p.typedObject(map[string]func() bool{
			"timeUnixNano": tm, "time_unix_nano": tm,
			"name":                   func() bool { var ok bool; e.name, ok = p.str(); return ok },
			"attributes":             func() bool { return p.kvArray(func(k, v string) { e.attrs = append(e.attrs, kv{k, v}) }) },
			"droppedAttributesCount": p.u32, "dropped_attributes_count": p.u32,
		})
		if ok && len(*out) < maxEvents {
			*out = append(*out, e)
		}
		return ok
	})
}

// maxEvents bounds the events kept of one span.
const maxEvents = 64

func (p *fparser) linksArray() bool {
	return p.array(func() bool {
		if p.peek() != '{' {
			return false
		}
		return p.typedObject(map[string]func() bool{
			"traceId": func() bool { _, ok := p.hexID(32); return ok }, "trace_id": func() bool { _, ok := p.hexID(32); return ok },
			"spanId": func() bool { _, ok := p.hexID(16); return ok }, "span_id": func() bool { _, ok := p.hexID(16); return ok },
			"traceState": p.strOnly, "trace_state": p.strOnly,
			"attributes":             func() bool { return p.kvArray(nil) },
			"droppedAttributesCount": p.u32, "dropped_attributes_count": p.u32,
			"flags": p.u32,
		})
	})
}

type seen uint32

func (s *seen) once(bit uint) bool {
	if *s&(1<<bit) != 0 {
		return false
	}
	*s |= 1 << bit
	return true
}

func (p *fparser) resourceSpans(out *[]*parse.Span) bool {
	var service string
	haveService := false
	raws := make([]rawSpan, 0, 64)
	var s seen
	ok := p.object(func(key string) bool {
		switch key {
		case "resource":
			if !s.once(0) {
				return false
			}
			if p.peek() != '{' {
				return false
			}
			return p.typedObject(map[string]func() bool{
				"attributes": func() bool {
					return p.kvArray(func(k, v string) {
						if k == "service.name" && !haveService {
							service, haveService = v, true
						}
					})
				},
				"droppedAttributesCount": p.u32, "dropped_attributes_count": p.u32,
				"entityRefs": func() bool { return false }, "entity_refs": func() bool { return false },
			})
		case "scopeSpans", "scope_spans":
			if !s.once(1) {
				return false
			}
			return p.array(func() bool {
				if p.peek() != '{' {
					return false
				}
				return p.typedObject(map[string]func() bool{
					"scope":     p.scopeObject,
					"schemaUrl": p.strOnly, "schema_url": p.strOnly,
					"spans": func() bool {
						return p.array(func() bool {
							r, ok := p.span()
							raws = append(raws, r)
							return ok
						})
					},
				})
			})
		case "deprecatedScopeSpans", "deprecated_scope_spans":
			return false
		case "schemaUrl", "schema_url":
			return s.once(2) && p.strOnly()
		}
		return p.skip()
	})
	if !ok {
		return false
	}
	for i := range raws {
		*out = append(*out, raws[i].spans(service)...)
	}
	return true
}

func (p *fparser) hexID(n int) (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	raw, ok := p.rawStr()
	if !ok || raw == nil {
		return "", false // escapes in an id: pdata decides
	}
	if len(raw) == 0 {
		return "", true
	}
	if len(raw) != n {
		return "", false
	}
	allZero, upper := true, false
	for _, c := range raw {
		switch {
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			upper = true
		default:
			return "", false
		}
		if c != '0' {
			allZero = false
		}
	}
	if allZero {
		return "", true // an all-zero id is "empty", as pdata reads it
	}
	if upper {
		b := make([]byte, len(raw))
		for i, c := range raw {
			if c >= 'A' && c <= 'F' {
				c += 'a' - 'A'
			}
			b[i] = c
		}
		return string(b), true
	}
	// Spans of one trace come together: reuse the last trace id.
	if n == 32 && string(raw) == p.lastTrace {
		return p.lastTrace, true
	}
	id := string(raw)
	if n == 32 {
		p.lastTrace = id
	}
	return id, true
}

func (p *fparser) span() (rawSpan, bool) {
	var r rawSpan
	var s seen
	ok := p.object(func(key string) bool {
		var ok bool
		switch key {
		case "traceId", "trace_id":
			if !s.once(0) {
				return false
			}
			r.traceID, ok = p.hexID(32)
		case "spanId", "span_id":
			if !s.once(1) {
				return false
			}
			r.spanID, ok = p.hexID(16)
		case "parentSpanId", "parent_span_id":
			if !s.once(2) {
				return false
			}
			r.parentID, ok = p.hexID(16)
		case "name":
			if !s.once(3) {
				return false
			}
			r.name, ok = p.str()
		case "kind":
			if !s.once(4) {
				return false
			}
			r.kind, ok = p.enum(kindEnum)
		case "startTimeUnixNano", "start_time_unix_nano":
			if !s.once(5) {
				return false
			}
			r.start, ok = p.uint64Val()
		case "endTimeUnixNano", "end_time_unix_nano":
			if !s.once(6) {
				return false
			}
			r.end, ok = p.uint64Val()
		case "attributes":
			if !s.once(7) {
				return false
			}
			start := len(p.kvs)
			ok = p.array(func() bool {
				k, v, ok := p.keyValue()
				p.kvs = append(p.kvs, kv{k, v})
				return ok
			})
			r.attrs = p.kvs[start:len(p.kvs):len(p.kvs)]
		case "status":
			if !s.once(8) {
				return false
			}
			var ss seen
			ok = p.object(func(key string) bool {
				switch key {
				case "code":
					if !ss.once(0) {
						return false
					}
					var ok bool
					r.status, ok = p.enum(statusEnum)
					return ok
				case "message":
					if !ss.once(1) {
						return false
					}
					_, ok := p.str()
					return ok
				}
				return p.skip()
			})
		case "flags", "traceState", "trace_state", "droppedAttributesCount", "dropped_attributes_count",
			"events", "droppedEventsCount", "dropped_events_count", "links", "droppedLinksCount", "dropped_links_count":
			if !s.once(9 + fieldBit(key)) {
				return false
			}
			switch key {
			case "traceState", "trace_state":
				ok = p.strOnly()
			case "events":
				ok = p.eventsArray(&r.events)
			case "links":
				ok = p.linksArray()
			default:
				ok = p.u32()
			}
		default:
			ok = p.skip()
		}
		return ok
	})
	return r, ok
}

func fieldBit(key string) uint {
	switch key {
	case "flags":
		return 0
	case "traceState", "trace_state":
		return 1
	case "droppedAttributesCount", "dropped_attributes_count":
		return 2
	case "events":
		return 3
	case "droppedEventsCount", "dropped_events_count":
		return 4
	case "links":
		return 5
	}
	return 6
}

// keyValue reads {"key": …, "value": {…}} with a scalar value.
func (p *fparser) keyValue() (k, v string, ok bool) {
	// The shape every exporter writes, read straight through:
	// {"key":"…","value":{"stringValue":"…"}}; anything else goes the
	// general way from the same start.
	save := p.i
	if k, v, ok := p.keyValueCommon(); ok {
		return k, v, true
	}
	p.i = save
	var s seen
	ok = p.object(func(key string) bool {
		var ok bool
		switch key {
		case "key":
			if !s.once(0) {
				return false
			}
			k, ok = p.key()
		case "value":
			if !s.once(1) {
				return false
			}
			v, ok = p.anyValue()
		default:
			return false // keyStrindex and the like: pdata decides
		}
		return ok
	})
	return k, v, ok && s == 3
}

func (p *fparser) keyValueCommon() (k, v string, ok bool) {
	if !p.eat('{') {
		return "", "", false
	}
	if f, ok := p.fieldName(); !ok || f != "key" || !p.eat(':') {
		return "", "", false
	}
	if k, ok = p.key(); !ok || !p.eat(',') {
		return "", "", false
	}
	if f, ok := p.fieldName(); !ok || f != "value" || !p.eat(':') || !p.eat('{') {
		return "", "", false
	}
	if f, ok := p.fieldName(); !ok || (f != "stringValue" && f != "string_value") || !p.eat(':') {
		return "", "", false
	}
	if v, ok = p.value(); !ok || !p.eat('}') || !p.eat('}') {
		return "", "", false
	}
	return k, v, true
}

func (p *fparser) anyValue() (string, bool) {
	var out string
	n := 0
	ok := p.object(func(key string) bool {
		n++
		if n > 1 {
			return false
		}
		switch key {
		case "stringValue", "string_value":
			var ok bool
			out, ok = p.value()
			return ok
		case "boolValue", "bool_value":
			switch {
			case p.peek() == 't' && p.i+4 <= len(p.b) && string(p.b[p.i:p.i+4]) == "true":
				p.i += 4
				out = "true"
			case p.peek() == 'f' && p.i+5 <= len(p.b) && string(p.b[p.i:p.i+5]) == "false":
				p.i += 5
				out = "false"
			default:
				return false
			}
			return true
		case "intValue", "int_value":
			v, ok := p.int64Val()
			out = strconv.FormatInt(v, 10)
			return ok
		case "doubleValue", "double_value":
			var s string
			var ok bool
			if p.peek() == '"' {
				s, ok = p.str()
			} else {
				start := p.i
				ok = p.skip()
				s = string(p.b[start:p.i])
			}
			if !ok {
				return false
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return false
			}
			out = pcommon.NewValueDouble(f).AsString()
			return true
		}
		return false // arrays, maps, bytes: pdata renders those
	})
	return out, ok && n == 1
}
