package accesslog

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"hotpath/parse"
)

// lineClass is what a line is to the access-log reader.
type lineClass uint8

const (
	// lineForeign: neither an access record nor a message servers are
	// known to mix into their access logs.
	lineForeign lineClass = iota
	// lineNeutral: blank, a server's own message (uvicorn's "INFO:
	// Started server process", gunicorn's "[…] [pid] [INFO]"), a
	// traceback, a structured record that is not a request.
	lineNeutral
	// lineNoRequest: an access record without a request line (a port
	// probe, a client that sent garbage): nginx "" 400, Apache "\n" 400.
	lineNoRequest
	lineRecord
)

// family is the shape of a line.
type family uint8

const (
	famNone   family = iota
	famCLF           // common-log style: fields, "request" status …
	famChi           // chi's middleware.Logger: "request" from addr - status sizeB in dur
	famJSON          // one JSON object per line
	famLogfmt        // key=value fields
)

func (f family) String() string {
	switch f {
	case famCLF:
		return "common-log"
	case famChi:
		return "chi"
	case famJSON:
		return "json"
	case famLogfmt:
		return "logfmt"
	}
	return "none"
}

// ref names a field of a text line: a key=value key, or a position
// relative to the request field (negative before it).
type ref struct {
	key string
	pos int
}

func (r ref) String() string {
	if r.key != "" {
		return r.key + "="
	}
	return fmt.Sprintf("request%+d", r.pos)
}

// vclass is what a field's value looks like.
type vclass uint8

const (
	vOther vclass = iota
	vDash         // "-" or empty
	vInt          // 1659
	vDec          // 0.351 (a list "0.001, 0.002" sums)
	vUnit         // 280.17µs, 350ms
	vSlash        // 0/352445 (Apache %T/%D)
)

// value classifies b; d is the duration for vUnit and vSlash (µs part),
// f the number for vInt and vDec.
func value(b []byte) (c vclass, f float64, d time.Duration, frac int) {
	if isDash(b) {
		return vDash, 0, 0, 0
	}
	if n, ok := atoi(b); ok {
		return vInt, float64(n), 0, 0
	}
	if v, fr, _, ok := decimal(b); ok {
		return vDec, v, 0, fr
	}
	if d, ok := goDuration(b); ok {
		return vUnit, 0, d, 0
	}
	if i := bytes.IndexByte(b, '/'); i > 0 {
		if _, ok1 := atoi(b[:i]); ok1 {
			if us, ok2 := atoi(b[i+1:]); ok2 {
				return vSlash, 0, parse.SatMul(time.Duration(us), time.Microsecond), 0
			}
		}
	}
	if bytes.Contains(b, []byte(", ")) || bytes.Contains(b, []byte(" : ")) {
		// nginx's lists of upstream times, one per upstream tried.
		sum, any := 0.0, false
		for _, part := range bytes.FieldsFunc(b, func(r rune) bool { return r == ',' || r == ':' || r == ' ' }) {
			if isDash(part) {
				continue
			}
			v, fr, _, ok := decimal(part)
			if !ok {
				return vOther, 0, 0, 0
			}
			sum, any, frac = sum+v, true, max(frac, fr)
		}
		if any {
			return vDec, sum, 0, frac
		}
		return vDash, 0, 0, 0
	}
	return vOther, 0, 0, 0
}

// normKey lower-cases a key and maps its separators to '_'
// ("X-Request-ID" → "x_request_id", "@timestamp" → "timestamp").
func normKey(k []byte) string { return string(appendNormKey(make([]byte, 0, len(k)), k)) }

func appendNormKey(b, k []byte) []byte {
	for _, c := range k {
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c == '-' || c == '.' || c == ' ' || c == '/':
			b = append(b, '_')
		case c == '@':
		default:
			b = append(b, c)
		}
	}
	return b
}

// Key names, in the order they are preferred, as the common loggers
// write them (normalised by normKey).
var (
	methodKeys = []string{"method", "request_method", "http_method", "http_request_method", "requestmethod", "req_method", "verb"}
	targetKeys = []string{"request_uri", "uri", "path", "request_path", "requestpath", "url", "request_url", "req_url", "req_path",
		"http_target", "url_path", "target", "request_target", "http_url", "url_full"}
	statusKeys = []string{"status", "status_code", "statuscode", "http_status", "http_status_code", "response_status",
		"http_response_status_code", "downstreamstatus", "resp_status", "res_status", "response_code"}
	// durationKeys: request time first, upstream times last; connect and
	// header times are not request durations.
	durationKeys = []string{"request_time", "rt", "duration", "latency", "elapsed", "took", "response_time", "request_duration",
		"duration_ms", "latency_ms", "elapsed_ms", "took_ms", "response_time_ms", "request_time_ms", "time_ms", "duration_us",
		"latency_us", "duration_ns", "latency_ns", "duration_s", "request_duration_seconds", "time_taken",
		"upstream_response_time", "urt", "upstream_time"}
	idKeys = []string{"request_id", "req_id", "requestid", "rid", "x_request_id", "http_x_request_id",
		"request_headers_x_request_id", "request_x_request_id", "correlation_id", "unique_id", "trace_id", "traceid", "traceparent", "id"}
	timeKeys = []string{"time", "ts", "timestamp", "time_iso8601", "time_local", "datetime", "date_time", "logged_at", "msec",
		"start_time", "startutc", "startlocal", "request_start_time"}
	routeKeys  = []string{"route", "http_route", "route_pattern", "matched_route"}
	clientKeys = []string{"remote_addr", "remote_ip", "client_ip", "clienthost", "client_addr", "request_remote_ip", "ip", "client"}
)

var durationKeyRank = func() map[string]int {
	m := map[string]int{}
	for i, k := range durationKeys {
		m[k] = i
	}
	return m
}()

var idKeySet = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range idKeys {
		m[k] = true
	}
	return m
}()

// keyUnit is the unit a duration key's name states ("duration_ms"), 0
// when it states none.
func keyUnit(k string) time.Duration {
	switch {
	case strings.HasSuffix(k, "_ms") || strings.HasSuffix(k, "_millis") || strings.HasSuffix(k, "_milliseconds") || k == "time_taken":
		return time.Millisecond
	case strings.HasSuffix(k, "_us") || strings.HasSuffix(k, "_usec") || strings.HasSuffix(k, "_micros") || strings.HasSuffix(k, "_microseconds"):
		return time.Microsecond
	case strings.HasSuffix(k, "_ns") || strings.HasSuffix(k, "_nanos") || strings.HasSuffix(k, "_nanoseconds"):
		return time.Nanosecond
	case strings.HasSuffix(k, "_s") || strings.HasSuffix(k, "_sec") || strings.HasSuffix(k, "_seconds"):
		return time.Second
	}
	return 0
}

// analysis is one text line's fields as the reader sees them before a
// layout is known.
type analysis struct {
	fam   family
	class lineClass
	toks  []token
	req   int // the request field (famCLF, famChi)
	used  []bool
	// What the fixed fields say.
	method, target, proto []byte
	status                int
	bytes                 int64
	time                  time.Time
	clfTime               bool // the time is a bracketed common-log time
	identUser             bool // "host ident user [time]"
	client                []byte
	chiDur                time.Duration
	// Structured records (famJSON, famLogfmt).
	rec Record
}

// requestLine splits "GET /x HTTP/1.1" (or "GET /x") into its parts.
func requestLine(b []byte) (method, target, proto []byte, ok bool) {
	sp := bytes.IndexByte(b, ' ')
	if sp < 1 || sp > 24 {
		return nil, nil, nil, false
	}
	for _, c := range b[:sp] {
		if !(c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return nil, nil, nil, false
		}
	}
	method, rest := b[:sp], b[sp+1:]
	if i := bytes.LastIndex(rest, []byte(" HTTP/")); i >= 0 {
		target, proto = rest[:i], rest[i+1:]
	} else {
		target = rest
	}
	if len(target) == 0 || !(target[0] == '/' || target[0] == '*' || bytes.HasPrefix(target, []byte("http://")) || bytes.HasPrefix(target, []byte("https://"))) {
		// CONNECT host:443 is a request too.
		if string(method) != "CONNECT" || len(target) == 0 {
			return nil, nil, nil, false
		}
	}
	return method, target, proto, true
}

func statusOf(t token) (int, bool) {
	if t.kind != tBare || t.key != nil || len(t.val) != 3 {
		return 0, false
	}
	n, ok := atoi(t.val)
	if !ok || n < 100 || n > 599 {
		return 0, false
	}
	return int(n), true
}

// analyze reads one line of any family.
func analyze(a *analysis, line []byte) {
	toks := a.toks[:0]
	*a = analysis{toks: toks, req: -1, used: a.used[:0]}
	l := stripANSI(bytes.TrimSpace(line))
	if len(l) == 0 || line[0] == ' ' || line[0] == '\t' {
		// Blank, or the continuation of a record (a traceback's frames).
		a.class = lineNeutral
		return
	}
	if j := jsonStart(l); j >= 0 {
		a.fam = famJSON
		a.class = structuredRecord(&a.rec, l[j:], true)
		return
	}
	if serverMessage(l) {
		a.class = lineNeutral
		return
	}
	a.toks = tokenize(a.toks, l)
	for range a.toks {
		a.used = append(a.used, false)
	}
	// The request: the first quoted field that is a request line, else a
	// quoted field followed by a status (an access record whose client
	// sent no request line).
	for i, t := range a.toks {
		if t.kind != tQuoted || t.key != nil {
			continue
		}
		if m, tg, p, ok := requestLine(t.val); ok {
			a.req, a.method, a.target, a.proto = i, m, tg, p
			break
		}
	}
	if a.req < 0 {
		for i, t := range a.toks {
			if t.kind == tQuoted && t.key == nil && i+1 < len(a.toks) {
				if _, ok := statusOf(a.toks[i+1]); ok && len(t.val) < 64 {
					a.req = i
					break
				}
			}
		}
	}
	if a.req < 0 {
		if isLogfmt(a.toks) {
			a.fam = famLogfmt
			a.class = logfmtRecord(&a.rec, a.toks)
			return
		}
		a.class = lineForeign
		return
	}
	a.used[a.req] = true
	r := a.req
	// chi: "GET http://host/x HTTP/1.1" from 127.0.0.1:5 - 200 12B in 18.95µs
	if r+7 < len(a.toks) && string(a.toks[r+1].val) == "from" && string(a.toks[r+3].val) == "-" && string(a.toks[r+6].val) == "in" {
		st, ok1 := statusOf(a.toks[r+4])
		sz := a.toks[r+5].val
		d, ok2 := goDuration(a.toks[r+7].val)
		if ok1 && ok2 && len(sz) > 1 && sz[len(sz)-1] == 'B' && isDigits(sz[:len(sz)-1]) {
			a.fam, a.status, a.chiDur, a.client = famChi, st, d, a.toks[r+2].val
			a.bytes, _ = atoi(sz[:len(sz)-1])
			for i := r; i <= r+7; i++ {
				a.used[i] = true
			}
			a.findTime(0, r)
			a.setClass()
			return
		}
	}
	st, ok := statusOf(a.toks[min(r+1, len(a.toks)-1)])
	if !ok || r+1 >= len(a.toks) {
		a.class = lineForeign
		return
	}
	a.fam, a.status = famCLF, st
	a.used[r+1] = true
	a.bytes = -1
	if r+2 < len(a.toks) {
		if t := a.toks[r+2]; t.kind == tBare && t.key == nil {
			if n, ok := atoi(t.val); ok {
				a.bytes, a.used[r+2] = n, true
			} else if isDash(t.val) {
				a.used[r+2] = true
			}
		}
	}
	// uvicorn writes the reason phrase after the status: "200 OK".
	for i := r + 2; i < len(a.toks) && a.bytes < 0 && (i == r+2 || a.used[i-1]); i++ {
		if t := a.toks[i]; t.kind != tBare || t.key != nil || !isWord(t.val) {
			break
		}
		a.used[i] = true
	}
	a.findTime(0, len(a.toks))
	// The client: "host ident user [time]", "host [time]", or uvicorn's
	// "host:port - \"request\"".
	for i := 0; i < r; i++ {
		if a.used[i] && a.toks[i].kind == tBracket && a.clfTime {
			if i >= 3 && a.toks[i-1].kind == tBare && a.toks[i-2].kind == tBare && a.toks[i-3].kind == tBare {
				a.identUser = true
				a.client = a.toks[i-3].val
				a.used[i-1], a.used[i-2], a.used[i-3] = true, true, true
			} else if i >= 1 && a.toks[i-1].kind == tBare {
				a.client = a.toks[i-1].val
				a.used[i-1] = true
			}
			break
		}
	}
	if a.client == nil {
		for i := r - 1; i >= 0 && i >= r-3; i-- {
			if t := a.toks[i]; !a.used[i] && t.kind == tBare && t.key == nil && looksLikeAddr(t.val) {
				a.client, a.used[i] = t.val, true
				break
			}
		}
	}
	a.setClass()
}

func (a *analysis) setClass() {
	if a.method == nil {
		a.class = lineNoRequest
	} else {
		a.class = lineRecord
	}
}

// findTime finds the record's time among the unused fields in [from, to),
// best first: a bracketed common-log time (the server's own), a bracketed
// or bare ISO time, a date and a time of day (Go's log package, Python's
// asctime), a syslog "Dec  1 15:28:59", epoch seconds with a fraction
// (nginx $msec). Every field that is a time is marked used, the ones not
// chosen too (a syslog day is not a duration).
func (a *analysis) findTime(from, to int) {
	toks := a.toks
	best, bestRank := time.Time{}, 99
	take := func(t time.Time, rank int, idx ...int) {
		for _, i := range idx {
			a.used[i] = true
		}
		if rank < bestRank {
			best, bestRank = t, rank
		}
	}
	for i := from; i < to; i++ {
		if a.used[i] {
			continue
		}
		t := toks[i]
		switch t.kind {
		case tBracket:
			if tm, ok := clfTime(t.val); ok {
				take(tm, 0, i)
			} else if tm, _, ok := isoTime(t.val); ok {
				take(tm, 1, i)
			}
		case tBare:
			if t.key != nil {
				continue
			}
			if tm, _, ok := isoTime(t.val); ok {
				take(tm, 1, i)
				continue
			}
			if i+1 < to && len(t.val) == 10 && (t.val[4] == '-' || t.val[4] == '/') {
				joined := make([]byte, 0, 11+len(toks[i+1].val))
				joined = append(append(append(joined, t.val...), ' '), toks[i+1].val...)
				if tm, n, ok := isoTime(joined); ok && n >= len(joined)-1 {
					take(tm, 2, i, i+1)
					i++
					continue
				}
			}
			if m, ok := months[string(t.val)]; ok && i+2 < to {
				day, ok1 := atoi(toks[i+1].val)
				hms := toks[i+2].val
				h, ok2 := d2(hms)
				mi, ok3 := d2(hms[min(3, len(hms)):])
				s, ok4 := d2(hms[min(6, len(hms)):])
				if ok1 && ok2 && ok3 && ok4 && len(hms) >= 8 && hms[2] == ':' && day >= 1 && day <= 31 {
					// Syslog's traditional stamp has no year: this year's.
					take(time.Date(time.Now().Year(), m, int(day), h, mi, s, 0, time.UTC), 3, i, i+1, i+2)
					i += 2
					continue
				}
			}
		}
	}
	if bestRank > 3 {
		for i := from; i < to; i++ {
			if t := toks[i]; !a.used[i] && t.kind == tBare && t.key == nil {
				if bytes.IndexByte(t.val, '.') > 0 {
					if tm, ok := epochText(t.val); ok {
						take(tm, 4, i)
						break
					}
				}
			}
		}
	}
	if bestRank < 99 {
		a.time, a.clfTime = best, bestRank == 0
	}
}

// isWord: letters only (a reason phrase word).
func isWord(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '\'' || c == '-') {
			return false
		}
	}
	return true
}

// looksLikeAddr: an IPv4 or IPv6 address, with or without a port.
func looksLikeAddr(b []byte) bool {
	if len(b) < 2 || len(b) > 64 {
		return false
	}
	dots, colons := 0, 0
	for _, c := range b {
		switch {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return dots == 3 || colons >= 2
}

// serverMessage: the lines servers write into the same stream as their
// access log — uvicorn's "INFO:     Started server process [1]" (a level
// and a colon, then spaces), gunicorn's "[2026-… +0000] [123] [INFO] …",
// Python tracebacks.
func serverMessage(l []byte) bool {
	if bytes.HasPrefix(l, []byte("Traceback (most recent call last):")) || exceptionLine(l) {
		return true
	}
	if i := bytes.IndexByte(l, ':'); i >= 4 && i <= 8 && i+2 < len(l) && l[i+1] == ' ' && l[i+2] == ' ' {
		lvl := string(l[:i])
		if lvl == "INFO" || lvl == "WARNING" || lvl == "ERROR" || lvl == "DEBUG" || lvl == "CRITICAL" {
			return !bytes.Contains(l, []byte(`" `)) // uvicorn's access lines have the same prefix
		}
	}
	if l[0] == '[' {
		if i := bytes.Index(l, []byte("] [")); i > 0 && bytes.Contains(l[i:min(len(l), i+32)], []byte("] [INFO]")) ||
			bytes.Contains(l[:min(len(l), 64)], []byte("] [ERROR]")) || bytes.Contains(l[:min(len(l), 64)], []byte("] [WARNING]")) ||
			bytes.Contains(l[:min(len(l), 64)], []byte("] [DEBUG]")) || bytes.Contains(l[:min(len(l), 64)], []byte("] [CRITICAL]")) {
			return true
		}
	}
	return false
}

// exceptionLine: the last line of a Python traceback,
// "h11._util.RemoteProtocolError: no request line received".
func exceptionLine(l []byte) bool {
	i := bytes.IndexByte(l, ':')
	if i <= 0 || i > 128 {
		return false
	}
	name := l[:i]
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	for _, suf := range []string{"Error", "Exception", "Warning", "Exit", "Interrupt"} {
		if bytes.HasSuffix(name, []byte(suf)) {
			return true
		}
	}
	return false
}

// stripANSI removes CSI colour sequences (chi colours its output on a
// terminal, uvicorn its level names).
func stripANSI(l []byte) []byte {
	if bytes.IndexByte(l, 0x1b) < 0 {
		return l
	}
	out := make([]byte, 0, len(l))
	for i := 0; i < len(l); i++ {
		if l[i] == 0x1b && i+1 < len(l) && l[i+1] == '[' {
			j := i + 2
			for j < len(l) && (l[j] >= '0' && l[j] <= '9' || l[j] == ';') {
				j++
			}
			if j < len(l) {
				i = j
				continue
			}
		}
		out = append(out, l[i])
	}
	return out
}

// jsonStart: where a JSON object starts on the line — at its start, or
// after a prefix (a container runtime's, a logging format's) when the line
// ends with '}'. -1 when the line is not JSON.
func jsonStart(l []byte) int {
	if l[0] == '{' {
		return 0
	}
	if l[len(l)-1] != '}' {
		return -1
	}
	if i := bytes.Index(l, []byte(`{"`)); i > 0 && i < 200 {
		return i
	}
	return -1
}

// isLogfmt: most fields are key=value, three at least.
func isLogfmt(toks []token) bool {
	kv := 0
	for _, t := range toks {
		if t.key != nil {
			kv++
		}
	}
	return kv >= 3 && kv*5 >= len(toks)*4
}

// ---- Layout inference ----

// Layout is what the first lines of a text access log say about all of
// them: the family, which field holds the duration and in which unit,
// which the request id, and whether the logged time is the request's
// start (Apache's %t, aiohttp's %t, gorilla/handlers) or its end (nginx,
// gunicorn, chi, Caddy).
type Layout struct {
	fam       family
	dur       ref
	hasDur    bool
	unit      time.Duration // for unitless numbers in the duration field; 0: as the value says
	unitWhy   string
	id        ref
	hasID     bool
	timeStart bool
	keys      []string // structured: the keys found, for the description
	desc      string
}

// String describes the layout for Sources.
func (l *Layout) String() string { return l.desc }

// DurationUnit overrides the unit of unitless duration numbers; 0 keeps
// the inferred one.
type DurationUnit = time.Duration

// column gathers one field's values over the window.
type column struct {
	ref          ref
	order        int
	num, dash    int
	other, ids   int
	ints, decs   int
	units, slash int
	zeros        int
	statusLike   int
	vals         []float64
}

// Infer decides the layout of lines (the first lines of a log, blank and
// foreign ones included: they are ignored). ok is false when none is an
// access record. unit, when not 0, is the unit of unitless durations
// (hotpath's -access-duration-unit), else it is inferred.
func Infer(lines [][]byte, unit time.Duration) (*Layout, bool) {
	var a analysis
	fams := map[family]int{}
	cols := map[ref]*column{}
	var order []ref
	var structured []string
	nrec := 0
	var clfTime, identUser int
	for _, l := range lines {
		analyze(&a, l)
		if a.class != lineRecord && a.class != lineNoRequest {
			continue
		}
		fams[a.fam]++
		if a.class != lineRecord {
			continue
		}
		nrec++
		switch a.fam {
		case famJSON, famLogfmt:
			for _, k := range a.rec.keys {
				if !slices.Contains(structured, k) {
					structured = append(structured, k)
				}
			}
			continue
		case famChi:
			continue
		}
		if a.clfTime {
			clfTime++
		}
		if a.identUser {
			identUser++
		}
		for i, t := range a.toks {
			if a.used[i] {
				continue
			}
			var r ref
			if t.key != nil {
				r = ref{key: normKey(t.key)}
			} else {
				r = ref{pos: i - a.req}
			}
			c := cols[r]
			if c == nil {
				c = &column{ref: r, order: len(order)}
				cols[r] = c
				order = append(order, r)
			}
			vc, f, _, _ := value(t.val)
			if t.kind == tBracket && vc != vDash {
				vc = vOther // "[18900]" is a pid, never a duration
			}
			switch vc {
			case vDash:
				c.dash++
			case vInt:
				c.num++
				c.ints++
				c.vals = append(c.vals, f)
				if f == 0 {
					c.zeros++
				}
				if int(f) == a.status {
					c.statusLike++
				}
			case vDec:
				c.num++
				c.decs++
				c.vals = append(c.vals, f)
			case vUnit:
				c.num++
				c.units++
			case vSlash:
				c.num++
				c.slash++
			default:
				c.other++
				if looksLikeID(t.val) {
					c.ids++
				}
			}
		}
	}
	if nrec == 0 && len(fams) == 0 {
		return nil, false
	}
	lay := &Layout{}
	best := 0
	for f, n := range fams {
		if n > best || n == best && f < lay.fam {
			lay.fam, best = f, n
		}
	}
	switch lay.fam {
	case famChi:
		lay.hasDur = true
		lay.desc = "middleware.Logger (\"request\" from addr - status sizeB in duration; time is the log's, at the end)"
		return lay, true
	case famJSON, famLogfmt:
		lay.keys = structured
		lay.unit = unit
		lay.desc = fmt.Sprintf("records with keys %s", strings.Join(structured, ", "))
		if unit != 0 {
			lay.desc += fmt.Sprintf("; unitless durations read as %v", unit)
		}
		return lay, true
	}
	// Duration: a key=value field with a duration key, else a field
	// with units, else Apache's %T/%D, else decimal seconds, else
	// integers; every value a number or "-", and not a copy of the status
	// (nginx $upstream_status) or a time.
	var pick *column
	rank := func(c *column) int {
		if c.ref.key != "" {
			if r, ok := durationKeyRank[c.ref.key]; ok {
				return r
			}
			return -1
		}
		switch {
		case c.units > 0:
			return 100
		case c.slash > 0:
			return 101
		case c.decs > 0:
			return 102
		default:
			return 103
		}
	}
	for _, r := range order {
		c := cols[r]
		if c.num == 0 || c.other > 0 {
			continue
		}
		if c.ref.key != "" && c.ref.key == "uct" || c.ints == c.num && c.statusLike*5 >= c.num*4 && c.num > 0 {
			continue
		}
		if rank(c) < 0 {
			continue
		}
		if pick == nil || rank(c) < rank(pick) {
			pick = c
		}
	}
	var parts []string
	switch {
	case identUser > 0:
		parts = append(parts, "host ident user [time] \"request\" status size")
	case clfTime > 0:
		parts = append(parts, "host [time] \"request\" status size")
	default:
		parts = append(parts, "\"request\" status")
	}
	if pick != nil {
		lay.dur, lay.hasDur = pick.ref, true
		switch {
		case pick.units > 0:
			parts = append(parts, fmt.Sprintf("duration at %v with units", pick.ref))
		case pick.slash > 0:
			lay.unit, lay.unitWhy = time.Microsecond, "Apache %T/%D: the µs part"
		case pick.ints == pick.num:
			// %D (µs) is never 0 and rarely under 50 µs; %{ms}T and
			// gunicorn-less integers in ms are.
			sorted := slices.Clone(pick.vals)
			slices.Sort(sorted)
			median := sorted[len(sorted)/2]
			if pick.zeros > 0 || median < 50 {
				lay.unit, lay.unitWhy = time.Millisecond, fmt.Sprintf("integers with zeros or a median of %g: milliseconds, as Apache %%{ms}T", median)
			} else {
				lay.unit, lay.unitWhy = time.Microsecond, fmt.Sprintf("integers, median %g: microseconds, as Apache %%D / gunicorn %%(D)s", median)
			}
		default:
			lay.unit, lay.unitWhy = time.Second, "decimal seconds, as nginx $request_time / gunicorn %(L)s / aiohttp %Tf"
		}
		if u := keyUnit(pick.ref.key); pick.ref.key != "" && u != 0 {
			lay.unit, lay.unitWhy = u, "the key says"
		}
		if unit != 0 && pick.units == 0 && pick.slash == 0 {
			lay.unit, lay.unitWhy = unit, "as -access-duration-unit says"
		}
		if lay.unitWhy != "" {
			parts = append(parts, fmt.Sprintf("duration at %v (%s)", pick.ref, lay.unitWhy))
		}
		// Apache and aiohttp log when the request began; nginx, gunicorn
		// and the rest when it ended.
		lay.timeStart = clfTime > 0 && (identUser == 0 || pick.ints == pick.num || pick.slash > 0)
	} else {
		parts = append(parts, "no duration")
		lay.timeStart = true // nothing to subtract
	}
	// Request id: an id key, else the first field holding ids on most lines.
	var idc *column
	for _, r := range order {
		c := cols[r]
		if r.key != "" && idKeySet[r.key] && c.other > 0 {
			idc = c
			break
		}
	}
	if idc == nil {
		for _, r := range order {
			c := cols[r]
			if r.key == "" && c.ids > 0 && c.ids*2 >= c.ids+c.other+c.num && c.ids >= c.other {
				idc = c
				break
			}
		}
	}
	if idc != nil {
		lay.id, lay.hasID = idc.ref, true
		parts = append(parts, fmt.Sprintf("request id at %v", idc.ref))
	}
	if pick != nil {
		if lay.timeStart {
			parts = append(parts, "time is the request's start")
		} else {
			parts = append(parts, "time is the request's end")
		}
	}
	lay.desc = strings.Join(parts, "; ")
	return lay, true
}

// Parse reads one line with the layout. class tells a record from a
// record without a request line, a server message or a foreign line.
func (lay *Layout) parse(a *analysis, line []byte) (Record, lineClass) {
	analyze(a, line)
	switch a.class {
	case lineRecord:
	case lineNoRequest:
		return Record{Status: a.status, Time: a.time}, lineNoRequest
	default:
		return Record{}, a.class
	}
	switch a.fam {
	case famJSON, famLogfmt:
		rec := a.rec
		rec.keys = nil
		if lay.unit != 0 && rec.durUnitless {
			rec.Duration = parse.FloatDuration(rec.durNumber * float64(lay.unit))
		}
		return rec, lineRecord
	}
	rec := Record{Method: string(a.method), Target: unescape(a.target), Proto: string(a.proto), Status: a.status,
		Bytes: a.bytes, Time: a.time, Client: string(a.client)}
	if a.fam == famChi {
		rec.Duration, rec.HasDuration = a.chiDur, true
		for i := 0; i < a.req; i++ {
			if t := a.toks[i]; t.kind == tBracket && looksLikeID(t.val) {
				rec.RequestID = traceIDOf(string(t.val))
			}
		}
		return rec, lineRecord
	}
	if lay.fam != famCLF {
		return rec, lineRecord
	}
	if lay.hasDur {
		if t, ok := a.at(lay.dur); ok {
			vc, f, d, _ := value(t.val)
			switch vc {
			case vUnit, vSlash:
				rec.Duration, rec.HasDuration = d, true
			case vInt, vDec:
				if f*float64(lay.unit) < 1e16 {
					rec.Duration, rec.HasDuration = time.Duration(f*float64(lay.unit)+0.5), true
				}
			}
		}
		rec.TimeIsStart = lay.timeStart
	} else {
		rec.TimeIsStart = true
	}
	if lay.hasID {
		if t, ok := a.at(lay.id); ok && !isDash(t.val) && len(t.val) <= 128 {
			rec.RequestID = traceIDOf(unescape(t.val))
		}
	}
	return rec, lineRecord
}

// at returns the unused field ref names on this line.
func (a *analysis) at(r ref) (token, bool) {
	if r.key != "" {
		for i, t := range a.toks {
			if t.key != nil && !a.used[i] && normKey(t.key) == r.key {
				return t, true
			}
		}
		return token{}, false
	}
	i := a.req + r.pos
	if i < 0 || i >= len(a.toks) || a.used[i] || a.toks[i].key != nil {
		return token{}, false
	}
	return a.toks[i], true
}
