package accesslog

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// sval is one scalar of a structured record.
type sval struct {
	s     string
	num   bool // a JSON number (s is its text)
	isStr bool
}

// maxFields bounds what one structured record contributes.
const maxFields = 256

// wantedKeys are the flattened keys fieldsRecord reads; a structured
// record keeps only these.
var wantedKeys = func() map[string]bool {
	m := map[string]bool{"request": true, "proto": true, "request_proto": true}
	for _, list := range [][]string{methodKeys, targetKeys, statusKeys, durationKeys, idKeys, timeKeys, routeKeys, clientKeys, sizeKeys} {
		for _, k := range list {
			m[k] = true
		}
	}
	return m
}()

var sizeKeys = []string{"size", "bytes", "body_bytes_sent", "bytes_sent", "bytes_out", "downstreamcontentsize", "response_size"}

// jsonScanner reads one JSON object into the wanted flattened keys
// ("request.headers.X-Request-Id" → "request_headers_x_request_id"),
// skipping everything else without allocating: an array contributes its
// first scalar (Caddy's header values), objects nest three deep at most.
type jsonScanner struct {
	b   []byte
	i   int
	key []byte
	dst map[string]sval
}

func (j *jsonScanner) ws() {
	for j.i < len(j.b) && (j.b[j.i] == ' ' || j.b[j.i] == '\t' || j.b[j.i] == '\r' || j.b[j.i] == '\n') {
		j.i++
	}
}

// str reads a string at j.i (after its opening quote is checked) and
// returns its raw bytes and whether it has escapes.
func (j *jsonScanner) str() (raw []byte, esc, ok bool) {
	start := j.i + 1
	for k := start; k < len(j.b); k++ {
		switch j.b[k] {
		case '\\':
			esc = true
			k++
		case '"':
			j.i = k + 1
			return j.b[start:k], esc, true
		}
	}
	return nil, false, false
}

// skip reads over one value of any kind.
func (j *jsonScanner) skip() bool {
	j.ws()
	if j.i >= len(j.b) {
		return false
	}
	switch j.b[j.i] {
	case '"':
		_, _, ok := j.str()
		return ok
	case '{', '[':
		depth := 0
		for j.i < len(j.b) {
			switch j.b[j.i] {
			case '"':
				if _, _, ok := j.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					j.i++
					return true
				}
			}
			j.i++
		}
		return false
	}
	start := j.i
	for j.i < len(j.b) && j.b[j.i] != ',' && j.b[j.i] != '}' && j.b[j.i] != ']' && j.b[j.i] != ' ' {
		j.i++
	}
	return j.i > start // a '}' where a value should be is not one
}

// object reads an object at j.i; keyLen is the length of the key prefix
// in j.key.
func (j *jsonScanner) object(keyLen, depth int) bool {
	j.i++ // {
	for {
		j.ws()
		if j.i >= len(j.b) {
			return false
		}
		if j.b[j.i] == '}' {
			j.i++
			return true
		}
		if j.b[j.i] == ',' {
			j.i++
			continue
		}
		if j.b[j.i] != '"' {
			return false
		}
		k, esc, ok := j.str()
		if !ok {
			return false
		}
		if esc {
			var s string
			if json.Unmarshal(j.b[j.i-len(k)-2:j.i], &s) != nil {
				return false
			}
			k = []byte(s)
		}
		j.key = j.key[:keyLen]
		if keyLen > 0 {
			j.key = append(j.key, '_')
		}
		j.key = appendNormKey(j.key, k)
		j.ws()
		if j.i >= len(j.b) || j.b[j.i] != ':' {
			return false
		}
		j.i++
		if !j.value(len(j.key), depth) {
			return false
		}
	}
}

// value reads the value of the key in j.key[:keyLen].
func (j *jsonScanner) value(keyLen, depth int) bool {
	j.ws()
	if j.i >= len(j.b) {
		return false
	}
	switch c := j.b[j.i]; c {
	case '{':
		if depth >= 3 || len(j.dst) >= maxFields {
			return j.skip()
		}
		return j.object(keyLen, depth+1)
	case '[':
		j.i++
		j.ws()
		if j.i < len(j.b) && j.b[j.i] != ']' && j.b[j.i] != '{' && j.b[j.i] != '[' {
			if !j.value(keyLen, depth) {
				return false
			}
		}
		// The rest of the array.
		for {
			j.ws()
			if j.i >= len(j.b) {
				return false
			}
			switch j.b[j.i] {
			case ']':
				j.i++
				return true
			case ',':
				j.i++
			default:
				if !j.skip() {
					return false
				}
			}
		}
	case '"':
		raw, esc, ok := j.str()
		if !ok {
			return false
		}
		if wantedKeys[string(j.key[:keyLen])] {
			v := string(raw)
			if esc {
				if json.Unmarshal(j.b[j.i-len(raw)-2:j.i], &v) != nil {
					return false
				}
			}
			j.dst[string(j.key[:keyLen])] = sval{s: v, isStr: true}
		}
		return true
	default:
		start := j.i
		for j.i < len(j.b) && j.b[j.i] != ',' && j.b[j.i] != '}' && j.b[j.i] != ']' && j.b[j.i] != ' ' && j.b[j.i] != '\t' {
			j.i++
		}
		lit := j.b[start:j.i]
		if len(lit) == 0 {
			return false
		}
		if wantedKeys[string(j.key[:keyLen])] && string(lit) != "null" {
			j.dst[string(j.key[:keyLen])] = sval{s: string(lit), num: c == '-' || c >= '0' && c <= '9'}
		}
		return true
	}
}

// structuredRecord reads a JSON object line into rec. It is a record when
// it has a method, a target and a status; other objects are neutral (the
// runtime messages a server writes to the same log).
func structuredRecord(rec *Record, l []byte, _ bool) lineClass {
	j := jsonScanner{b: l, dst: make(map[string]sval, 16)}
	j.ws()
	if j.i >= len(l) || l[j.i] != '{' || !j.object(0, 0) {
		return lineForeign
	}
	if j.ws(); j.i != len(l) {
		return lineForeign // not one object
	}
	return fieldsRecord(rec, j.dst)
}

// logfmtRecord reads key=value fields (log/slog's TextHandler, logrus's
// text formatter) into rec.
func logfmtRecord(rec *Record, toks []token) lineClass {
	f := make(map[string]sval, len(toks))
	for _, t := range toks {
		if t.key != nil {
			f[normKey(t.key)] = sval{s: unescape(t.val), isStr: t.quoted}
		}
	}
	return fieldsRecord(rec, f)
}

func first(f map[string]sval, keys []string) (string, sval, bool) {
	for _, k := range keys {
		if v, ok := f[k]; ok && v.s != "" && v.s != "-" {
			return k, v, true
		}
	}
	return "", sval{}, false
}

func hasAny(f map[string]sval, keys []string) bool {
	for _, k := range keys {
		if _, ok := f[k]; ok {
			return true
		}
	}
	return false
}

func fieldsRecord(rec *Record, f map[string]sval) lineClass {
	*rec = Record{Bytes: -1}
	var keys []string
	mk, m, okM := first(f, methodKeys)
	tk, tg, okT := first(f, targetKeys)
	sk, st, okS := first(f, statusKeys)
	if !okT {
		// nginx JSON formats often log "$request" whole.
		if v, ok := f["request"]; ok {
			if mm, tt, pp, ok := requestLine([]byte(v.s)); ok {
				tk, tg, okT = "request", sval{s: string(tt)}, true
				rec.Proto = string(pp)
				if !okM {
					mk, m, okM = "request", sval{s: string(mm)}, true
				}
			}
		}
	}
	n, err := strconv.Atoi(st.s)
	if !okS || err != nil || n < 100 || n > 599 {
		return lineNeutral
	}
	rec.Status = n
	if !okM || !okT {
		// The keys are there, empty: a request without a request line
		// (nginx logs a port probe as "request_method":"").
		if hasAny(f, methodKeys) && hasAny(f, targetKeys) {
			return lineNoRequest
		}
		return lineNeutral
	}
	rec.Method, rec.Target = strings.ToUpper(m.s), tg.s
	keys = append(keys, mk, tk, sk)
	if k, v, ok := first(f, durationKeys); ok {
		if d, unitless, num, ok := structuredDuration(k, v); ok {
			rec.Duration, rec.HasDuration = d, true
			rec.durUnitless, rec.durNumber = unitless, num
			keys = append(keys, k)
		}
	}
	if k, v, ok := first(f, timeKeys); ok {
		if t, ok := structuredTime(v); ok {
			rec.Time = t
			keys = append(keys, k)
			rec.TimeIsStart = strings.Contains(k, "start")
		}
	}
	if !rec.HasDuration {
		rec.TimeIsStart = true
	}
	for _, k := range idKeys {
		v, ok := f[k]
		if !ok || v.s == "" || v.s == "-" || len(v.s) > 128 || k == "id" && !v.isStr {
			continue
		}
		rec.RequestID = traceIDOf(v.s)
		keys = append(keys, k)
		break
	}
	if k, v, ok := first(f, routeKeys); ok && strings.HasPrefix(v.s, "/") {
		rec.Route = v.s
		keys = append(keys, k)
	}
	if _, v, ok := first(f, clientKeys); ok {
		rec.Client = v.s
	}
	if v, ok := f["proto"]; ok && rec.Proto == "" {
		rec.Proto = v.s
	} else if v, ok := f["request_proto"]; ok && rec.Proto == "" {
		rec.Proto = v.s
	}
	for _, k := range sizeKeys {
		if v, ok := f[k]; ok {
			if n, err := strconv.ParseInt(v.s, 10, 64); err == nil && n >= 0 {
				rec.Bytes = n
				break
			}
		}
	}
	rec.keys = keys
	return lineRecord
}

// structuredDuration reads a duration field: with units ("34.292µs",
// "1.2ms"), in the unit its key names ("duration_ms"), decimal seconds
// (Caddy, zap, nginx's $request_time), or integer nanoseconds (how Go
// encodes a time.Duration: log/slog's JSONHandler, logrus, Traefik,
// echo). unitless reports a number whose unit was assumed.
func structuredDuration(k string, v sval) (d time.Duration, unitless bool, num float64, ok bool) {
	b := []byte(strings.TrimSpace(v.s))
	if d, ok := goDuration(b); ok {
		return d, false, 0, true
	}
	vc, f, _, _ := value(b)
	if vc != vInt && vc != vDec {
		return 0, false, 0, false
	}
	unit := keyUnit(k)
	switch {
	case unit != 0:
	case vc == vDec:
		unit = time.Second
	default:
		unit = time.Nanosecond
	}
	x := f * float64(unit)
	if x > 1e16 || x < 0 {
		return 0, false, 0, false
	}
	return time.Duration(x + 0.5), keyUnit(k) == 0, f, true
}

// structuredTime reads an ISO/RFC 3339 or common-log time, or epoch
// seconds/ms/µs/ns.
func structuredTime(v sval) (time.Time, bool) {
	b := []byte(v.s)
	if t, _, ok := isoTime(b); ok {
		return t, true
	}
	if t, ok := clfTime(b); ok {
		return t, true
	}
	if f, _, isFloat, ok := decimal(b); ok {
		if t, ok := epochText(b); ok {
			return t, true
		}
		if isFloat {
			return epochTime(f) // 1.7961e9
		}
	}
	return time.Time{}, false
}
