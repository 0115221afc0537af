package applog

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hotpath/parse"
	"hotpath/parse/sqllog"
)

// maxMessage bounds one record's message (a statement and its lines, a
// traceback): the rest is counted and dropped.
const maxMessage = sqllog.MaxStatement + 4<<10

// maxLine bounds one physical line.
const maxLine = maxMessage

// record is one log record, framed: its first line's prefix fields and its
// message with every line up to the next record.
type record struct {
	line                                  int64
	time                                  time.Time
	level                                 string
	logger, thread, task, pid, reqID, msg []byte
	truncated                             bool
	extra                                 int64 // lines after the first
	extraLine                             int64
}

func (r *record) set(line int64, f *fields, tooLong bool) {
	r.line = line
	r.time = f.time
	r.level = levelWord(f.level)
	r.logger = append(r.logger[:0], f.name...)
	r.thread = append(r.thread[:0], f.thread...)
	if len(r.thread) == 0 {
		r.thread = append(r.thread, f.threadID...)
	}
	r.task = append(r.task[:0], f.task...)
	r.pid = append(r.pid[:0], f.pid...)
	if len(r.pid) == 0 {
		r.pid = append(r.pid, f.procName...)
	}
	r.reqID = append(r.reqID[:0], f.reqID...)
	r.msg = append(r.msg[:0], f.msg[:min(len(f.msg), maxMessage)]...)
	r.truncated = tooLong || len(f.msg) > maxMessage
	r.extra, r.extraLine = 0, 0
}

func (r *record) addLine(l []byte, line int64, tooLong bool) {
	if r.extra == 0 {
		r.extraLine = line
	}
	r.extra++
	if len(r.msg)+1+len(l) > maxMessage {
		if room := maxMessage - len(r.msg) - 1; room > 0 {
			r.msg = append(append(r.msg, '\n'), l[:room]...)
		}
		r.truncated = true
		return
	}
	r.msg = append(append(r.msg, '\n'), l...)
	if tooLong {
		r.truncated = true
	}
}

type stats struct {
	records       int64
	accessRecords [4]int64
	requests      [4]int64
	other         map[string]int64 // logger → records of loggers not read
}

func (s *stats) addOther(name string) {
	if _, ok := s.other[name]; !ok && len(s.other) >= 64 {
		name = "(more loggers)"
	}
	s.other[name]++
}

type decoder struct {
	em      emitter
	src     *parse.Source
	info    *headInfo
	year    int
	access  AccessReader
	rec     record
	open    bool
	seq     int64 // records dispatched
	sa      saReader
	dj      djangoReader
	aio     aioReader
	stats   stats
	in      interner
	accRec  AccessRecord
	span    parse.Span
	keyBuf  []byte
	sessBuf []byte
	// clock-only times (datefmt="%H:%M:%S") roll over at midnight.
	lastClock time.Time
	dayOff    time.Duration
	// markers are the requests the application's own records open and
	// close per thread or task ("start GET /orders rid=djs-00002"): the
	// unit of work of the statements logged in between.
	markers map[string]marker
	marked  int64
}

func newDecoder(ctx context.Context, src *parse.Source, sink parse.Sink, info *headInfo, access AccessReader) *decoder {
	d := &decoder{em: emitter{ctx: ctx, src: src, sink: sink}, src: src, info: info, year: time.Now().UTC().Year(), access: access}
	d.sa.init()
	d.stats.other = map[string]int64{}
	return d
}

func decode(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, access AccessReader) error {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < parse.SniffSize {
		br = bufio.NewReaderSize(r, parse.SniffSize)
	}
	head, _ := br.Peek(parse.SniffSize)
	info := analyze(head)
	if info == nil {
		return fmt.Errorf("no Python logging records in the first %d bytes (no record prefix with a logger name hotpath knows)", len(head))
	}
	d := newDecoder(ctx, src, sink, info, access)
	src.SetNote("applog-layout", info.describe())
	sc := parse.NewLineScanner(br, maxLine)
	var f fields
	for {
		l, ok, err := sc.Next()
		if err != nil {
			d.end()
			return fmt.Errorf("line %d: %w", sc.Line()+1, err)
		}
		if !ok {
			break
		}
		if err := d.em.tick(); err != nil {
			d.end()
			return err
		}
		line := sc.Line()
		if isBinary(l) {
			src.SkipLine(line, "binary garbage line")
			continue
		}
		if !utf8.Valid(l) {
			// logging writes text in the handler's encoding (UTF-8, or
			// escapes); these bytes came from elsewhere.
			src.SkipLine(line, "invalid UTF-8 line (not written by logging)")
			continue
		}
		if d.startsRecord(l, &f) {
			d.finish()
			d.begin(line, &f, sc.TooLong())
			continue
		}
		if d.open && !info.json {
			d.rec.addLine(l, line, sc.TooLong())
			continue
		}
		if len(strings.TrimSpace(bstr(l))) == 0 {
			continue
		}
		if info.json {
			src.SkipLine(line, "line that is not a JSON logging record")
		} else {
			src.SkipLine(line, fmt.Sprintf("line before the first record (layout %s)", info.ly))
		}
	}
	d.end()
	return nil
}

// startsRecord reports whether l is a record's first line, and reads its
// prefix into f.
func (d *decoder) startsRecord(l []byte, f *fields) bool {
	switch {
	case d.info.json:
		return jsonRecord(l, f)
	case d.info.ly.bare:
		*f = fields{}
		if len(l) == 0 || l[0] == ' ' || l[0] == '\t' || continuationHead(l) {
			return false
		}
		f.msg = l
		return true
	}
	return d.info.ly.match(l, f, d.year)
}

// continuationHead: lines asyncio's exception handler writes after the
// message of a record without a prefix.
func continuationHead(l []byte) bool {
	for _, p := range []string{"client_session:", "connector:", "connections:", "source_traceback:", "handle_traceback:",
		"Traceback (most recent call last):", "exception:", "future:", "task:", "transport:", "protocol:", "handle:"} {
		if len(l) >= len(p) && string(l[:len(p)]) == p {
			return true
		}
	}
	return false
}

func (d *decoder) begin(line int64, f *fields, tooLong bool) {
	if f.timeKind == tClock && !f.time.IsZero() {
		t := f.time.Add(d.dayOff)
		if !d.lastClock.IsZero() && t.Before(d.lastClock.Add(-12*time.Hour)) {
			d.dayOff += 24 * time.Hour
			t = t.Add(24 * time.Hour)
		}
		d.lastClock = t
		f.time = t
	}
	d.rec.set(line, f, tooLong)
	d.open = true
}

// finish dispatches the open record to the reader of its logger.
func (d *decoder) finish() {
	if !d.open {
		return
	}
	d.open = false
	r := &d.rec
	d.seq++
	d.stats.records++
	var fam family
	if d.info.named {
		fam = familyOf(r.logger)
	} else {
		fam = familyOfMessage(r.msg)
	}
	multi := false
	switch fam {
	case famSAEngine:
		d.sa.engine(d, r, !d.info.named)
		multi = !saParamsLine(r.msg)
	case famSAPool:
		d.sa.pool(d, r)
	case famDjango:
		d.dj.read(d, r)
		multi = true
	case famAsyncio:
		d.aio.asyncio(d, r)
		multi = !isSlowCallback(r.msg)
	case famWarnings:
		d.aio.warning(d, r)
		multi = true
	case famAccess:
		d.readAccess(r)
	default:
		if !d.info.named {
			d.sa.touch(d, r)
		}
		d.requestMarker(r)
		name := string(r.logger)
		if name == "" {
			name = "(unnamed)"
		}
		d.stats.addOther(name)
		multi = true
	}
	if !multi && r.extra > 0 {
		// print() or warnings output between records: not this record's.
		for i := int64(0); i < r.extra; i++ {
			d.src.SkipLine(r.extraLine, "line that continues no multi-line record (print or warnings output?)")
		}
	}
	d.aio.expire(d, false)
}

func (d *decoder) end() {
	d.finish()
	d.sa.flushAll(d)
	d.aio.expire(d, true)
	d.summary()
	d.em.warnTruncated()
	d.em.flush()
}

// summary says in Sources what each kind of record yielded: notes, not
// warnings, since nothing is wrong with the file.
func (d *decoder) summary() {
	src := d.src
	by := "logger"
	if !d.info.named {
		by = "message (the layout has no %(name)s)"
	}
	if n := d.sa.statements + d.sa.paramLines; n > 0 || d.sa.dropped > 0 {
		src.SetNote("applog-sqlalchemy", fmt.Sprintf("SQLAlchemy engine records (by %s): %d statements, %d parameter lines", by, d.sa.statements, d.sa.paramLines))
	}
	if n := d.sa.opened + d.sa.closed + d.sa.reused; n > 0 {
		src.SetNote("applog-pool", fmt.Sprintf("SQLAlchemy pool records: %d connections opened, %d closed, %d checked out again", d.sa.opened, d.sa.closed, d.sa.reused))
	}
	if d.dj.statements > 0 {
		src.SetNote("applog-django", fmt.Sprintf("django.db.backends records: %d timed statements", d.dj.statements))
	}
	if d.marked > 0 {
		src.SetNote("applog-markers", fmt.Sprintf("%d request markers (a method, a path and a request id in the application's own records) give the statements of their thread or task a request", d.marked))
	}
	if d.aio.slow+d.aio.unclosed > 0 || d.aio.duplicates > 0 {
		s := fmt.Sprintf("asyncio records: %d slow callbacks, %d unclosed aiohttp sessions/connectors", d.aio.slow, d.aio.unclosed)
		if d.aio.duplicates > 0 {
			s += fmt.Sprintf(" (%d py.warnings ResourceWarnings about the same objects counted once)", d.aio.duplicates)
		}
		src.SetNote("applog-asyncio", s)
	}
	for i, n := range d.stats.accessRecords {
		if n == 0 {
			continue
		}
		if d.stats.requests[i] == n {
			src.SetNote("applog-access-"+accessLoggers[i], fmt.Sprintf("%s records: %d requests", accessLoggers[i], n))
		} else {
			src.SetNote("applog-access-"+accessLoggers[i], fmt.Sprintf("%s records: %d, of which %d read as requests (the others are in an access format this reader does not know)", accessLoggers[i], n, d.stats.requests[i]))
		}
	}
	if len(d.stats.other) > 0 {
		type kv struct {
			k string
			v int64
		}
		var all []kv
		var total int64
		for k, v := range d.stats.other {
			all = append(all, kv{k, v})
			total += v
		}
		sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
		var parts []string
		for i, x := range all {
			if i == 6 {
				parts = append(parts, "…")
				break
			}
			parts = append(parts, x.k+" "+strconv.FormatInt(x.v, 10))
		}
		src.SetNote("applog-other", fmt.Sprintf("%d records not read (no SQL, event-loop or access content): %s", total, strings.Join(parts, ", ")))
	}
}

// ---------------------------------------------------------------- JSON lines

// jsonKeys are the keys python-json-logger, structlog's JSONRenderer and
// hand-written json Formatters use, preferred first.
var (
	jsonName   = []string{"name", "logger", "logger_name", "loggerName"}
	jsonMsg    = []string{"message", "msg", "event"}
	jsonTime   = []string{"asctime", "timestamp", "time", "@timestamp", "ts", "created"}
	jsonLevel  = []string{"levelname", "level", "severity", "log.level"}
	jsonThread = []string{"threadName", "thread_name"}
	jsonTID    = []string{"thread"}
	jsonTask   = []string{"taskName", "task_name", "task"}
	jsonPid    = []string{"process", "pid", "processName"}
	jsonReqID  = []string{"request_id", "requestId", "correlation_id", "x_request_id"}
	jsonExc    = []string{"exc_info", "exception", "stack_info"}
)

// jsonRecord reads one JSON-lines logging record into f.
func jsonRecord(l []byte, f *fields) bool {
	*f = fields{}
	i := 0
	for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
		i++
	}
	if i >= len(l) || l[i] != '{' {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(l, &m) != nil {
		return false
	}
	get := func(keys []string) []byte {
		for _, k := range keys {
			if v, ok := m[k]; ok {
				return jsonText(v)
			}
		}
		return nil
	}
	f.name, f.msg = get(jsonName), get(jsonMsg)
	if f.msg == nil {
		return false
	}
	if exc := get(jsonExc); len(exc) > 0 && string(exc) != "null" {
		f.msg = append(append(append([]byte(nil), f.msg...), '\n'), exc...)
	}
	for _, k := range jsonTime {
		v, ok := m[k]
		if !ok {
			continue
		}
		if len(v) > 0 && v[0] == '"' {
			if t, ok := parseTimeString(jsonText(v)); ok {
				f.time = t
				break
			}
		} else if x, err := strconv.ParseFloat(string(v), 64); err == nil && x > 0 {
			if x > 1e12 { // milliseconds
				x /= 1000
			}
			sec := int64(x)
			f.time = time.Unix(sec, int64((x-float64(sec))*1e9)).UTC()
			break
		}
	}
	f.level = get(jsonLevel)
	if levelAt(f.level) != len(f.level) {
		f.level = nil
	}
	f.thread = get(jsonThread)
	if len(f.thread) == 0 {
		f.threadID = get(jsonTID)
	}
	f.task, f.pid, f.reqID = get(jsonTask), get(jsonPid), get(jsonReqID)
	if string(f.task) == "null" {
		f.task = nil
	}
	return true
}

// jsonText is a JSON value as text: a string unquoted, anything else as
// written.
func jsonText(v json.RawMessage) []byte {
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return []byte(s)
		}
		return nil
	}
	if string(v) == "null" {
		return nil
	}
	return v
}

type marker struct{ id, route string }

// markerID finds a request id in an application's message: rid=…,
// request_id=…, X-Request-ID: … .
var markerID = regexp.MustCompile(`(?i)\b(?:rid|request[_-]?id|req[_-]?id|x-request-id|trace[_-]?id)\s*[=:]\s*"?([A-Za-z0-9][A-Za-z0-9._:/-]{2,127})`)

// markerReq finds "GET /path" in a message.
var markerReq = regexp.MustCompile(`\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(/[^\s"'?#]*)`)

// markerEnd says a message closes its request.
var markerEnd = regexp.MustCompile(`(?i)\b(end|ended|finish|finished|done|completed|complete|response|returned|sent)\b|←|<-|\s[1-5][0-9][0-9]\s`)

// requestMarker reads an application's record that opens or closes a
// request on its thread or task: a method, a path and a request id. The
// statements logged in between belong to that request.
func (d *decoder) requestMarker(r *record) {
	m := markerReq.FindSubmatch(r.msg)
	if m == nil {
		return
	}
	id := markerID.FindSubmatch(r.msg)
	if id == nil {
		return
	}
	b := d.keyBuf[:0]
	b = append(append(b, r.pid...), 0)
	if named(r.thread) {
		b = append(b, r.thread...)
	}
	b = append(b, 0)
	if named(r.task) {
		b = append(b, r.task...)
	}
	b = append(b, 0)
	d.keyBuf = b
	key := string(b)
	cur, open := d.markers[key]
	if open && cur.id == string(id[1]) && markerEnd.Match(r.msg) {
		delete(d.markers, key)
		return
	}
	if d.markers == nil {
		d.markers = map[string]marker{}
	}
	if len(d.markers) >= maxUnits && !open {
		return
	}
	d.markers[key] = marker{id: d.in.get(id[1]), route: d.in.get(m[2])}
	d.marked++
}
