package accesslog

import (
	"bytes"
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

// flatten walks a decoded JSON object into normalised keys
// ("request.headers.X-Request-Id" → "request_headers_x_request_id"); an
// array contributes its first scalar (Caddy's header values).
func flatten(dst map[string]sval, prefix string, v any, depth int) {
	if len(dst) >= maxFields {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if depth > 3 {
			return
		}
		for k, e := range x {
			nk := normKey([]byte(k))
			if prefix != "" {
				nk = prefix + "_" + nk
			}
			flatten(dst, nk, e, depth+1)
		}
	case []any:
		if len(x) > 0 {
			switch x[0].(type) {
			case map[string]any, []any:
			default:
				flatten(dst, prefix, x[0], depth)
			}
		}
	case string:
		dst[prefix] = sval{s: x, isStr: true}
	case json.Number:
		dst[prefix] = sval{s: string(x), num: true}
	case bool:
		dst[prefix] = sval{s: strconv.FormatBool(x)}
	}
}

// structuredRecord reads a JSON object line into rec. It is a record when
// it has a method, a target and a status; other objects are neutral (the
// runtime messages a server writes to the same log).
func structuredRecord(rec *Record, l []byte, _ bool) lineClass {
	d := json.NewDecoder(bytes.NewReader(l))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil || obj == nil {
		return lineForeign
	}
	f := make(map[string]sval, len(obj)+8)
	flatten(f, "", obj, 0)
	return fieldsRecord(rec, f)
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
	for _, k := range []string{"size", "bytes", "body_bytes_sent", "bytes_sent", "bytes_out", "downstreamcontentsize", "response_size"} {
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
