package trace

import (
	"strconv"
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
}

type kv struct{ k, v string }

var kindByNum = map[int32]string{1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}

func (r *rawSpan) toSpan(service string) *parse.Span {
	sp := &parse.Span{TraceID: r.traceID, SpanID: r.spanID, ParentID: r.parentID, Name: r.name,
		Kind: kindByNum[r.kind], Service: service, Start: time.Unix(0, int64(r.start)).UTC()}
	if r.end > r.start {
		sp.Duration = time.Unix(0, int64(r.end)).Sub(time.Unix(0, int64(r.start)))
	}
	switch r.status {
	case 2:
		sp.Status = "error"
	case 1:
		sp.Status = "ok"
	}
	sp.Attrs = make(map[string]string, len(r.attrs))
	for _, a := range r.attrs {
		sp.Attrs[a.k] = a.v
	}
	sp.Thread = firstAttr(sp.Attrs, []string{"thread.name", "thread.id"})
	Normalize(sp)
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
	return r
}

// fastOTLP parses one TracesData JSON document without pdata, for the
// shapes exporters write. It gives up (ok = false) on anything unusual —
// nulls, repeated keys, byte/array/map values, escapes it does not
// handle, malformed ids — and the caller then uses pdata, so both paths
// yield the same spans.
func fastOTLP(doc []byte, emit func(*parse.Span)) (n int, ok bool) {
	p := &fparser{b: doc}
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
}

func (p *fparser) ws() {
	for p.i < len(p.b) {
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
	high := false
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := p.b[start:p.i]
			p.i++
			if high && !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		}
		if c == '\\' {
			p.i = start
			return nil, true
		}
		if c < 0x20 {
			return nil, false
		}
		high = high || c >= 0x80
		p.i++
	}
	return nil, false
}

// knownFields are the OTLP field names, returned without allocating.
var knownFields = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"resourceSpans", "resource_spans", "resource", "attributes", "scopeSpans", "scope_spans",
		"scope", "spans", "name", "version", "traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id",
		"kind", "startTimeUnixNano", "start_time_unix_nano", "endTimeUnixNano", "end_time_unix_nano", "status", "code",
		"message", "flags", "traceState", "trace_state", "events", "links", "key", "value", "stringValue", "string_value",
		"intValue", "int_value", "boolValue", "bool_value", "doubleValue", "double_value", "schemaUrl", "schema_url",
		"droppedAttributesCount", "dropped_attributes_count", "droppedEventsCount", "dropped_events_count",
		"droppedLinksCount", "dropped_links_count", "arrayValue", "kvlistValue", "bytesValue", "timeUnixNano"} {
		m[k] = k
	}
	return m
}()

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
	switch string(s) {
	case "key":
		return "key", true
	case "value":
		return "value", true
	case "stringValue":
		return "stringValue", true
	case "intValue":
		return "intValue", true
	}
	if k, ok := knownFields[string(s)]; ok {
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
	return string(p.b[start:p.i]), true
}

// uint64Val reads a uint64 given as a string or a number.
func (p *fparser) uint64Val() (uint64, bool) {
	var s string
	var ok bool
	if p.peek() == '"' {
		s, ok = p.str()
	} else {
		s, ok = p.intText()
	}
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

func (p *fparser) int64Val() (int64, bool) {
	var s string
	var ok bool
	if p.peek() == '"' {
		s, ok = p.str()
	} else {
		s, ok = p.intText()
	}
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

// skip skips a value of any kind except null (bounded depth).
func (p *fparser) skip() bool {
	depth := 0
	for {
		switch c := p.peek(); {
		case c == '{' || c == '[':
			p.i++
			depth++
			if depth > 1000 {
				return false
			}
			if p.peek() == '}' || p.peek() == ']' {
				p.i++
				depth--
				break
			}
			if c == '{' {
				if _, ok := p.str(); !ok || !p.eat(':') {
					return false
				}
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
			if _, err := strconv.ParseFloat(string(p.b[start:p.i]), 64); err != nil {
				return false
			}
		default:
			return false // null or garbage: pdata decides
		}
		// After a value: close containers or move to the next element.
		for {
			if depth == 0 {
				return true
			}
			switch p.peek() {
			case ',':
				p.i++
				// inside an object the next element starts with a key;
				// we cannot tell objects from arrays here without a
				// stack, so peek for a key.
				if p.peek() == '"' {
					save := p.i
					if _, ok := p.str(); ok && p.eat(':') {
						goto next
					}
					p.i = save
				}
				goto next
			case '}', ']':
				p.i++
				depth--
				continue
			default:
				return false
			}
		}
	next:
	}
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
	var raws []rawSpan
	var s seen
	ok := p.object(func(key string) bool {
		switch key {
		case "resource":
			if !s.once(0) {
				return false
			}
			return p.object(func(key string) bool {
				if key != "attributes" {
					return p.skip()
				}
				return p.array(func() bool {
					k, v, ok := p.keyValue()
					if ok && k == "service.name" && !haveService {
						service, haveService = v, true
					}
					return ok
				})
			})
		case "scopeSpans", "scope_spans":
			if !s.once(1) {
				return false
			}
			return p.array(func() bool {
				var ss seen
				return p.object(func(key string) bool {
					if key != "spans" {
						if key == "scope" && !ss.once(0) {
							return false
						}
						return p.skip()
					}
					if !ss.once(1) {
						return false
					}
					return p.array(func() bool {
						r, ok := p.span()
						raws = append(raws, r)
						return ok
					})
				})
			})
		case "deprecatedScopeSpans", "deprecated_scope_spans":
			return false
		}
		return p.skip()
	})
	if !ok {
		return false
	}
	for i := range raws {
		*out = append(*out, raws[i].toSpan(service))
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
			ok = p.array(func() bool {
				k, v, ok := p.keyValue()
				r.attrs = append(r.attrs, kv{k, v})
				return ok
			})
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
			ok = p.skip()
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
