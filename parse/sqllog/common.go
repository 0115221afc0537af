// Package sqllog decodes SQL query logs — PostgreSQL stderr/csvlog/jsonlog,
// the MySQL/MariaDB slow and general logs, Rails debug logs — into
// parse.Statement and parse.ConnEvent values, streamed to a parse.Sink as
// they are read. (SQLAlchemy's and Django's statements come in Python
// application logs: package parse/applog reads those.) Memory stays bounded whatever the input size:
// one Statement is reused, statement text is capped at MaxStatement bytes, and
// per-session state is capped.
//
// The Statement passed to the sink (and the memory behind its Text and
// Params) is reused by the decoder after the call returns; a sink that keeps
// any of it must copy it.
package sqllog

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"net/url"
	"strings"
	"time"
	"unsafe"

	"hotpath/parse"
)

// MaxStatement is how many bytes of one statement's text are kept; the rest
// is counted but dropped and the statement is flagged Truncated.
const MaxStatement = 64 << 10

// maxLine bounds one physical line (a statement line plus its prefix).
const maxLine = MaxStatement + 4<<10

// maxSessions caps per-session decoder state (pending statements,
// prepare-time accumulators).
const maxSessions = 1 << 16

// Formats lists the SQL log formats in sniffing order: the most specific
// signatures first.
func Formats() []parse.Format {
	return []parse.Format{
		{Name: "postgres-csv", Family: "sql", Sniff: sniffPGCSV, Decode: decodePGCSV},
		{Name: "postgres-json", Family: "sql", Sniff: sniffPGJSON, Decode: decodePGJSON},
		{Name: "mysql-slow", Family: "sql", Sniff: sniffMySQLSlow, Decode: decodeMySQLSlow},
		{Name: "mysql-general", Family: "sql", Sniff: sniffMySQLGeneral, Decode: decodeMySQLGeneral},
		{Name: "postgres-stderr", Family: "sql", Sniff: sniffPGStderr, Decode: decodePGStderr},
		{Name: "rails", Family: "sql", Sniff: sniffRails, Decode: decodeRails},
	}
}

// bstr views b as a string without copying. The string is only valid while b
// is not modified: use it for map lookups and for values handed to the sink
// under the reuse contract.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// textBuf accumulates one statement's text up to MaxStatement bytes.
type textBuf struct {
	b         []byte
	truncated bool
	total     int64
}

func (t *textBuf) reset() { t.b = t.b[:0]; t.truncated = false; t.total = 0 }

func (t *textBuf) add(p []byte) {
	t.total += int64(len(p))
	if room := MaxStatement - len(t.b); room < len(p) {
		if room > 0 {
			t.b = append(t.b, p[:room]...)
		}
		t.truncated = true
		return
	}
	t.b = append(t.b, p...)
}

func (t *textBuf) addByte(c byte) {
	t.total++
	if len(t.b) >= MaxStatement {
		t.truncated = true
		return
	}
	t.b = append(t.b, c)
}

// params holds bind parameters in one reused buffer.
type params struct {
	buf  []byte
	list []string
	offs []int
}

func (p *params) reset() { p.buf = p.buf[:0]; p.list = p.list[:0]; p.offs = p.offs[:0] }

func (p *params) add(v []byte) {
	if len(p.offs) >= 1024 {
		return
	}
	if len(v) > 4<<10 {
		v = v[:4<<10]
	}
	p.offs = append(p.offs, len(p.buf))
	p.buf = append(p.buf, v...)
}

// strings returns the parameters as strings viewing the buffer (valid until
// the next reset).
func (p *params) strings() []string {
	p.list = p.list[:0]
	for i, o := range p.offs {
		end := len(p.buf)
		if i+1 < len(p.offs) {
			end = p.offs[i+1]
		}
		p.list = append(p.list, bstr(p.buf[o:end]))
	}
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}

// interner returns stable (heap) strings for repeated small values —
// users, databases, session ids — without allocating on a hit. The last
// value is remembered, so a run of equal values costs one comparison.
type interner struct {
	m      map[string]string
	recent [4]string
	next   int
	// noMap skips the map: for values that are rarely seen again once
	// they stop recurring (PostgreSQL pids of short sessions).
	noMap bool
}

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	for _, s := range in.recent {
		if len(s) == len(b) && s == bstr(b) {
			return s
		}
	}
	var s string
	ok := false
	if in.noMap {
		s = string(b)
		ok = true
	} else {
		s, ok = in.m[bstr(b)]
	}
	if !ok {
		if in.m == nil || len(in.m) >= 1<<14 {
			in.m = make(map[string]string, 256)
		}
		s = string(b)
		in.m[s] = s
	}
	in.recent[in.next&3] = s
	in.next++
	return s
}

// hasPrefix is bytes.HasPrefix for short constant prefixes, inlined.
func hasPrefix(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if b[i] != p[i] {
			return false
		}
	}
	return true
}

// emitter batches event counts and the time range into the Source, so the
// hot path does not take the Source's lock per statement.
type emitter struct {
	ctx        context.Context
	src        *parse.Source
	sink       parse.Sink
	events     int64
	conns      int64
	first, end time.Time
	n          int
	// Statements cut at MaxStatement, and the line of the first.
	truncated, firstCut int64
}

func newEmitter(ctx context.Context, src *parse.Source, sink parse.Sink) *emitter {
	return &emitter{ctx: ctx, src: src, sink: sink}
}

func (e *emitter) see(t time.Time) {
	if t.IsZero() {
		return
	}
	if e.first.IsZero() || t.Before(e.first) {
		e.first = t
	}
	if t.After(e.end) {
		e.end = t
	}
}

func (e *emitter) stmt(st *parse.Statement) {
	e.sink.Statement(e.src, st)
	e.events++
	if st.Truncated {
		if e.truncated == 0 {
			e.firstCut = st.Line
		}
		e.truncated++
	}
	if !st.Start.IsZero() {
		e.see(st.Start.Add(st.Duration))
	}
}

// conn emits a connection event. Only statements count as the source's
// events (as pgBadger counts queries: testdata/sql/cuts/verdicts.json);
// connection events are counted apart, so that a log holding only them
// still loads.
func (e *emitter) conn(ev *parse.ConnEvent) {
	e.sink.Conn(e.src, ev)
	e.conns++
	e.see(ev.Time)
}

// tick is called once per line; every 4096 lines it publishes progress and
// checks for cancellation.
func (e *emitter) tick() error {
	e.n++
	if e.n&4095 != 0 {
		return nil
	}
	e.flush()
	return e.ctx.Err()
}

// finish publishes the last counts and says how many statements were cut.
func (e *emitter) finish() {
	e.flush()
	if e.truncated > 0 {
		e.src.Warnf("%d statements longer than %d KiB cut to their first %d KiB (the first at line %d): their fingerprints and examples are of the part kept",
			e.truncated, MaxStatement>>10, MaxStatement>>10, e.firstCut)
	}
}

func (e *emitter) flush() {
	if e.events > 0 {
		e.src.AddEvents(e.events)
		e.events = 0
	}
	if e.conns > 0 {
		e.src.AddConnEvents(e.conns)
		e.conns = 0
	}
	if !e.first.IsZero() {
		e.src.SeeTime(e.first)
		e.src.SeeTime(e.end)
		e.first, e.end = time.Time{}, time.Time{}
	}
}

// ExtractTags returns the sqlcommenter (key='value',…, URL-encoded) or
// marginalia (key:value,…) tags found in the comments of a statement, nil if
// there are none.
func ExtractTags(text []byte) map[string]string {
	var tags map[string]string
	for {
		i := bytes.Index(text, []byte("/*"))
		if i < 0 {
			return tags
		}
		text = text[i+2:]
		j := bytes.Index(text, []byte("*/"))
		if j < 0 {
			return tags
		}
		body := bytes.TrimSpace(text[:j])
		text = text[j+2:]
		if len(body) == 0 || body[0] == '!' || body[0] == '+' {
			continue // MySQL version comments, optimizer hints
		}
		tags = parseTagComment(body, tags)
	}
}

func parseTagComment(body []byte, tags map[string]string) map[string]string {
	// sqlcommenter: key='value',key2='value2'
	if bytes.Contains(body, []byte("='")) {
		for len(body) > 0 {
			eq := bytes.IndexByte(body, '=')
			if eq <= 0 || eq+1 >= len(body) || body[eq+1] != '\'' {
				return tags
			}
			key := bytes.TrimSpace(body[:eq])
			rest := body[eq+2:]
			end := bytes.IndexByte(rest, '\'')
			if end < 0 || !isTagKey(key) {
				return tags
			}
			val := rest[:end]
			body = bytes.TrimLeft(rest[end+1:], " ,")
			if tags == nil {
				tags = map[string]string{}
			}
			if len(tags) < 32 {
				k, v := string(key), string(val)
				// A driver with the pyformat paramstyle (psycopg2,
				// SQLAlchemy's echo) doubles every % of the text: an
				// encoded value never holds "%%" itself.
				v = strings.ReplaceAll(v, "%%", "%")
				if u, err := url.QueryUnescape(k); err == nil {
					k = u
				}
				if u, err := url.PathUnescape(v); err == nil {
					v = u
				}
				tags[k] = strings.ReplaceAll(v, `\'`, `'`)
			}
		}
		return tags
	}
	// marginalia: application:foo,controller:bar,action:baz
	if bytes.IndexByte(body, ':') <= 0 {
		return tags
	}
	for _, part := range bytes.Split(body, []byte{','}) {
		c := bytes.IndexByte(part, ':')
		if c <= 0 {
			return tags
		}
		key := bytes.TrimSpace(part[:c])
		if !isTagKey(key) {
			return tags
		}
		if tags == nil {
			tags = map[string]string{}
		}
		if len(tags) < 32 {
			tags[string(key)] = string(bytes.TrimSpace(part[c+1:]))
		}
	}
	return tags
}

func isTagKey(k []byte) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '%') {
			return false
		}
	}
	return true
}

// hasComment is a cheap test before ExtractTags.
func hasComment(b []byte) bool { return bytes.Contains(b, []byte("/*")) }

// isBinary reports a line with NUL or control bytes no SQL text or log
// line has (tab, CR and ESC are allowed).
func isBinary(l []byte) bool {
	// Eight bytes at a time: only words holding a byte below 0x20 are
	// looked at closely.
	for len(l) >= 8 {
		x := binary.LittleEndian.Uint64(l)
		if (x-0x2020202020202020)&^x&0x8080808080808080 != 0 {
			for _, c := range l[:8] {
				if c < 0x20 && c != '\t' && c != '\r' && c != 0x1b {
					return true
				}
			}
		}
		l = l[8:]
	}
	for _, c := range l {
		if c < 0x20 && c != '\t' && c != '\r' && c != 0x1b {
			return true
		}
	}
	return false
}

const binaryReason = "binary garbage line"

// garbageReason classifies a line that no grammar accepted.
func garbageReason(l []byte, what string) string {
	if isBinary(l) {
		return binaryReason
	}
	if !utf8Valid(l) {
		return "invalid UTF-8 line that is not " + what
	}
	return "line that is not " + what
}

func utf8Valid(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return strings.ToValidUTF8(bstr(b), "\uFFFD") == bstr(b)
		}
	}
	return true
}

// ---------------------------------------------------------------- numbers

// atoi parses leading decimal digits.
func atoi(b []byte) (n int64, used int) {
	for used < len(b) && b[used] >= '0' && b[used] <= '9' && used < 18 {
		n = n*10 + int64(b[used]-'0')
		used++
	}
	return n, used
}

// parseDecimal parses "12.345" scaled by unit (e.g. time.Millisecond for a
// value in ms) into nanoseconds, without floating point.
func parseDecimal(b []byte, unit time.Duration) (d time.Duration, used int, ok bool) {
	ip, n := atoi(b)
	if n == 0 {
		return 0, 0, false
	}
	used = n
	if ip > math.MaxInt64/int64(unit) {
		return 0, used, false // does not fit a Duration: no time anyone measured
	}
	d = time.Duration(ip) * unit
	if used < len(b) && b[used] == '.' {
		used++
		scale := unit / 10
		for used < len(b) && b[used] >= '0' && b[used] <= '9' {
			if scale > 0 {
				d = parse.SatAdd(d, time.Duration(b[used]-'0')*scale)
				scale /= 10
			}
			used++
		}
	}
	return d, used, true
}

func digits2(b []byte) (int, bool) {
	if len(b) < 2 || b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

func digitsN(b []byte, n int) (int, bool) {
	if len(b) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// ---------------------------------------------------------------- times

// timeParser parses timestamps, caching the conversion of the last second
// seen (logs are nearly sorted, so the cache almost always hits).
type timeParser struct {
	lastKey  [19]byte
	lastUnix int64
	lastOK   bool
	zones    map[string]int // zone name → offset seconds
	warned   bool
	src      *parse.Source
}

// dateTime parses "YYYY-MM-DD HH:MM:SS" (or with 'T') into Unix seconds, in
// UTC.
func (tp *timeParser) dateTime(b []byte) (int64, bool) {
	if len(b) < 19 {
		return 0, false
	}
	if tp.lastOK && string(b[:19]) == string(tp.lastKey[:]) {
		return tp.lastUnix, true
	}
	y, ok1 := digitsN(b, 4)
	mo, ok2 := digits2(b[5:])
	d, ok3 := digits2(b[8:])
	h, ok4 := digits2(b[11:])
	mi, ok5 := digits2(b[14:])
	s, ok6 := digits2(b[17:])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	u := time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC).Unix()
	copy(tp.lastKey[:], b[:19])
	tp.lastUnix, tp.lastOK = u, true
	return u, true
}

// pgTime parses PostgreSQL's %m/%t form "2026-11-27 22:11:28[.144] UTC"
// and returns the bytes consumed.
func (tp *timeParser) pgTime(b []byte) (time.Time, int, bool) {
	sec, ok := tp.dateTime(b)
	if !ok {
		return time.Time{}, 0, false
	}
	i := 19
	var nsec int64
	if i+1 < len(b) && (b[i] == '.' || b[i] == ',' && b[i+1] >= '0' && b[i+1] <= '9') {
		i++
		scale := int64(1e8)
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			nsec += int64(b[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	if i+1 < len(b) && b[i] == ' ' && (b[i+1] >= 'A' && b[i+1] <= 'Z' || b[i+1] == '+' || b[i+1] == '-') {
		j := i + 1
		for j < len(b) && b[j] != ' ' && b[j] != ']' && b[j] != ',' && b[j] != ':' && b[j] != '"' && j-i < 8 {
			j++
		}
		if j > i+1 {
			sec -= int64(tp.zone(b[i+1 : j]))
			i = j
		}
	}
	return time.Unix(sec, nsec).UTC(), i, true
}

// zone returns the offset of a zone abbreviation or numeric offset.
func (tp *timeParser) zone(z []byte) int {
	switch bstr(z) {
	case "UTC", "GMT", "Z", "UCT":
		return 0
	}
	if off, ok := tp.zones[bstr(z)]; ok {
		return off
	}
	if tp.zones == nil {
		tp.zones = map[string]int{}
	}
	off := 0
	name := string(z)
	if (z[0] == '+' || z[0] == '-') && len(z) >= 3 {
		h, _ := digits2(z[1:])
		m := 0
		if len(z) >= 5 {
			r := z[3:]
			if r[0] == ':' {
				r = r[1:]
			}
			m, _ = digits2(r)
		}
		off = h*3600 + m*60
		if z[0] == '-' {
			off = -off
		}
	} else if loc, err := time.LoadLocation(name); err == nil {
		_, off = time.Now().In(loc).Zone()
	} else if t, err := time.Parse("MST", name); err == nil {
		_, off = t.Zone()
		if off == 0 && !tp.warned && tp.src != nil {
			tp.warned = true
			tp.src.Warnf("time zone %q is ambiguous; its timestamps are read as UTC", name)
		}
	}
	if len(tp.zones) < 64 {
		tp.zones[name] = off
	}
	return off
}

// epoch parses %n "1795817592.144".
func epoch(b []byte) (time.Time, int, bool) {
	sec, n := atoi(b)
	if n < 9 {
		return time.Time{}, 0, false
	}
	var nsec int64
	if n < len(b) && b[n] == '.' {
		n++
		scale := int64(1e8)
		for n < len(b) && b[n] >= '0' && b[n] <= '9' {
			nsec += int64(b[n]-'0') * scale
			scale /= 10
			n++
		}
	}
	return time.Unix(sec, nsec).UTC(), n, true
}

// lines counts lines of head that satisfy ok, ignoring a last line the sniff
// window may have cut; it stops after max lines.
func sniffLines(head []byte, max int, fn func(l []byte)) {
	sniffLinesCut(head, max, true, fn)
}

// sniffLinesCut is sniffLines; dropCut false also passes the last line when
// the window cut it (for formats recognised by a line's head alone).
func sniffLinesCut(head []byte, max int, dropCut bool, fn func(l []byte)) {
	if dropCut && len(head) == parse.SniffSize {
		if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
			head = head[:i]
		}
	}
	for n := 0; len(head) > 0 && n < max; n++ {
		i := bytes.IndexByte(head, '\n')
		var l []byte
		if i < 0 {
			l, head = head, nil
		} else {
			l, head = head[:i], head[i+1:]
		}
		fn(bytes.TrimSuffix(l, []byte{'\r'}))
	}
}
