package accesslog

import (
	"bytes"
	"strconv"
	"time"
)

// tokKind is how a field of a text access line is delimited.
type tokKind uint8

const (
	tBare    tokKind = iota // up to the next space
	tQuoted                 // "…" with \" and \\ escapes
	tBracket                // […]
)

// token is one field of a text access line. For a bare key=value field
// (key="value" included) key is set and val is the value, unquoted.
type token struct {
	kind   tokKind
	val    []byte
	key    []byte
	quoted bool // the value was quoted (a quoted token, or key="…")
}

// maxTokens bounds the fields looked at on one line.
const maxTokens = 64

// tokenize splits a line into fields the way common-log-style formats
// write them: runs of spaces separate, "…" and […] group. A quoted field
// with no closing quote runs to the end of the line. Values of bare fields
// written as "a, b" (nginx's lists of upstream times) are joined.
func tokenize(dst []token, l []byte) []token {
	dst = dst[:0]
	i := 0
	for i < len(l) && len(dst) < maxTokens {
		for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
			i++
		}
		if i >= len(l) {
			break
		}
		switch l[i] {
		case '"':
			j := closeQuote(l, i+1)
			dst = append(dst, token{kind: tQuoted, val: l[i+1 : j], quoted: true})
			i = j + 1
		case '[':
			j := bytes.IndexByte(l[i+1:], ']')
			if j < 0 {
				j = len(l) - i - 1
			}
			dst = append(dst, token{kind: tBracket, val: l[i+1 : i+1+j]})
			i += j + 2
		default:
			j, kvq := i, false
			for j < len(l) && l[j] != ' ' && l[j] != '\t' {
				if l[j] == '=' && j > i && j+1 < len(l) && l[j+1] == '"' && isKey(l[i:j]) {
					// key="value with spaces"
					k := closeQuote(l, j+2)
					dst = append(dst, token{kind: tBare, key: l[i:j], val: l[j+2 : k], quoted: true})
					for j = min(k+1, len(l)); j < len(l) && l[j] != ' ' && l[j] != '\t'; j++ {
					}
					kvq = true
					break
				}
				j++
			}
			if kvq {
				i = j
				continue
			}
			t := token{kind: tBare, val: l[i:j]}
			if eq := bytes.IndexByte(l[i:j], '='); eq > 0 && isKey(l[i:i+eq]) {
				t.key, t.val = l[i:i+eq], l[i+eq+1:j]
			}
			// "0.004, 0.012": a list written with ", " stays one field.
			for len(t.val) > 1 && t.val[len(t.val)-1] == ',' && j+1 < len(l) && l[j] == ' ' && isNumStart(l[j+1]) {
				k := j + 1
				for k < len(l) && l[k] != ' ' && l[k] != '\t' {
					k++
				}
				t.val = t.val[:len(t.val)+(k-j)]
				j = k
			}
			dst = append(dst, t)
			i = j
		}
	}
	return dst
}

func isNumStart(c byte) bool { return c >= '0' && c <= '9' || c == '-' }

// closeQuote returns the index of the quote closing a string that starts at
// i (after the opening quote), honouring backslash escapes; len(l) when
// there is none.
func closeQuote(l []byte, i int) int {
	for i < len(l) {
		switch l[i] {
		case '\\':
			i += 2
			continue
		case '"':
			return i
		}
		i++
	}
	return len(l)
}

// isKey: a key of a key=value field (letters, digits, _ - . @).
func isKey(k []byte) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '@') {
			return false
		}
	}
	return true
}

// unescape undoes the escapes servers apply inside quoted fields: \" \\
// (Apache, gunicorn), \xHH (nginx, Apache). Other bytes are kept.
func unescape(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			out = append(out, c)
			continue
		}
		switch n := b[i+1]; n {
		case '"', '\\':
			out = append(out, n)
			i++
		case 'x':
			if i+3 < len(b) {
				if v, err := strconv.ParseUint(string(b[i+2:i+4]), 16, 8); err == nil {
					out = append(out, byte(v))
					i += 3
					continue
				}
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// isDash: the placeholder servers log for a missing value.
func isDash(b []byte) bool { return len(b) == 0 || len(b) == 1 && b[0] == '-' }

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// atoi parses a non-negative decimal integer of at most 18 digits.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// decimal parses "12", "0.351", "1.5e-3": value, digits after the point,
// and whether it had a point or exponent.
func decimal(b []byte) (v float64, frac int, isFloat bool, ok bool) {
	if len(b) == 0 || len(b) > 32 || !(b[0] >= '0' && b[0] <= '9' || b[0] == '.') {
		return 0, 0, false, false
	}
	dot := bytes.IndexByte(b, '.')
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+') {
			return 0, 0, false, false
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f != f {
		return 0, 0, false, false
	}
	if dot >= 0 {
		frac = len(b) - dot - 1
	}
	return f, frac, dot >= 0 || bytes.ContainsAny(b, "eE"), true
}

// goDuration parses a duration with units: Go's time.Duration.String
// ("280.17µs", "1.2ms", "1m2.5s") and the "350ms", "12us", "0.5s" that
// other loggers write.
func goDuration(b []byte) (time.Duration, bool) {
	if len(b) < 2 || len(b) > 40 || !(b[0] >= '0' && b[0] <= '9' || b[0] == '.') {
		return 0, false
	}
	c := b[len(b)-1]
	if c != 's' && c != 'm' && c != 'h' {
		return 0, false
	}
	d, err := time.ParseDuration(string(b))
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}

// seconds converts float seconds to a Duration, refusing absurd values.
func seconds(f float64) (time.Duration, bool) {
	if f < 0 || f > 1e7 {
		return 0, false
	}
	return time.Duration(f*1e9 + 0.5), true
}

var months = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

func d2(b []byte) (int, bool) {
	if len(b) < 2 || b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// fraction reads ".123456" or ",123" at b, returning nanoseconds and the
// bytes used.
func fraction(b []byte) (int, int) {
	if len(b) < 2 || (b[0] != '.' && b[0] != ',') || b[1] < '0' || b[1] > '9' {
		return 0, 0
	}
	ns, scale, i := 0, 100000000, 1
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		ns += int(b[i]-'0') * scale
		scale /= 10
		i++
	}
	return ns, i
}

// zoneOffset reads "+0000", "-07:00", "Z" at b: seconds east and bytes used.
func zoneOffset(b []byte) (int, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] == 'Z' {
		return 0, 1, true
	}
	if b[0] != '+' && b[0] != '-' {
		return 0, 0, false
	}
	h, ok := d2(b[1:])
	if !ok {
		return 0, 0, false
	}
	r, n := b[3:], 3
	if len(r) > 0 && r[0] == ':' {
		r, n = r[1:], 4
	}
	m, ok := d2(r)
	if !ok {
		return 0, 0, false
	}
	off := h*3600 + m*60
	if b[0] == '-' {
		off = -off
	}
	return off, n + 2, true
}

// clfTime parses the common log format's "01/Dec/2026:15:28:51 +0000"
// (fractional seconds allowed, as Apache's %{…}t can write).
func clfTime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' {
		return time.Time{}, false
	}
	d, ok1 := d2(b)
	mon, ok2 := months[string(b[3:6])]
	y1, ok3 := d2(b[7:])
	y2, ok4 := d2(b[9:])
	h, ok5 := d2(b[12:])
	mi, ok6 := d2(b[15:])
	s, ok7 := d2(b[18:])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return time.Time{}, false
	}
	ns, n := fraction(b[20:])
	rest := b[20+n:]
	off := 0
	if len(rest) > 1 && rest[0] == ' ' {
		o, _, ok := zoneOffset(rest[1:])
		if !ok {
			return time.Time{}, false
		}
		off = o
	}
	return time.Date(y1*100+y2, mon, d, h, mi, s, ns, time.UTC).Add(-time.Duration(off) * time.Second), true
}

// isoTime parses "2026-12-01T15:28:49+00:00", "2026-12-01T15:29:08.976Z",
// "2026-12-01 15:28:59,060" and "2026/12/01 15:29:08.976115" (Go's log
// package). A time without a zone is taken as UTC, as the SQL logs' are.
// It returns the bytes used.
func isoTime(b []byte) (time.Time, int, bool) {
	if len(b) < 19 || (b[4] != '-' && b[4] != '/') || b[7] != b[4] || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, 0, false
	}
	y1, ok1 := d2(b)
	y2, ok2 := d2(b[2:])
	mo, ok3 := d2(b[5:])
	d, ok4 := d2(b[8:])
	h, ok5 := d2(b[11:])
	mi, ok6 := d2(b[14:])
	s, ok7 := d2(b[17:])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, 0, false
	}
	ns, n := fraction(b[19:])
	i := 19 + n
	off := 0
	if o, m, ok := zoneOffset(b[i:]); ok {
		off, i = o, i+m
	}
	return time.Date(y1*100+y2, time.Month(mo), d, h, mi, s, ns, time.UTC).Add(-time.Duration(off) * time.Second), i, true
}

// epochTime reads seconds (nginx $msec, Caddy's ts), milliseconds,
// microseconds or nanoseconds since 1970, told apart by magnitude.
func epochTime(f float64) (time.Time, bool) {
	switch {
	case f >= 1e9 && f < 1e11:
		return time.Unix(0, int64(f*1e9)).UTC(), true
	case f >= 1e12 && f < 1e14:
		return time.Unix(0, int64(f*1e6)).UTC(), true
	case f >= 1e15 && f < 1e17:
		return time.Unix(0, int64(f*1e3)).UTC(), true
	case f >= 1e18 && f < 1e20:
		return time.Unix(0, int64(f)).UTC(), true
	}
	return time.Time{}, false
}

// epochText is epochTime read from the text, without float rounding:
// "1796138934.078" is that second and 78 ms exactly.
func epochText(b []byte) (time.Time, bool) {
	dot := bytes.IndexByte(b, '.')
	ip, fp := b, []byte(nil)
	if dot >= 0 {
		ip, fp = b[:dot], b[dot+1:]
	}
	n, ok := atoi(ip)
	if !ok || len(fp) > 0 && !isDigits(fp) {
		return time.Time{}, false
	}
	// The fraction in nanoseconds of the unit.
	frac := int64(0)
	for i, scale := 0, int64(1e8); i < len(fp) && i < 9; i, scale = i+1, scale/10 {
		frac += int64(fp[i]-'0') * scale
	}
	switch {
	case n >= 1e9 && n < 1e11:
		return time.Unix(n, frac).UTC(), true
	case n >= 1e12 && n < 1e14:
		return time.Unix(0, n*1e6+frac/1e3).UTC(), true
	case n >= 1e15 && n < 1e17:
		return time.Unix(0, n*1e3+frac/1e6).UTC(), true
	case n >= 1e18 && n < 9e18:
		return time.Unix(0, n).UTC(), true
	}
	return time.Time{}, false
}

// looksLikeID: a request or trace id as servers log them — a UUID, 16 or
// more hex digits (nginx $request_id, trace ids), a W3C traceparent, chi's
// "host/Abc123-000001", Apache mod_unique_id's 24–27 base64 characters.
func looksLikeID(b []byte) bool {
	if len(b) < 16 || len(b) > 128 {
		return false
	}
	letters, digits := 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters++
		case c == '-' || c == '_' || c == '/' || c == '@' || c == '.' || c == ':':
		default:
			return false
		}
	}
	if digits == 0 || bytes.Count(b, []byte{'/'}) > 1 || bytes.Contains(b, []byte("://")) {
		return false
	}
	return letters > 0 || digits >= 16
}

// traceIDOf returns the trace id inside a W3C traceparent
// ("00-<32 hex>-<16 hex>-01"), else the id itself.
func traceIDOf(id string) string {
	if len(id) == 55 && id[2] == '-' && id[35] == '-' && id[52] == '-' {
		return id[3:35]
	}
	return id
}
