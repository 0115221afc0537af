package sqllog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"hotpath/parse"
)

// Rails logs: ActiveRecord's statement lines, the "↳ app/…:LINE:in `m'"
// call site that verbose_query_logs writes under each, and the request
// records ActionController writes ("Started GET …", "Processing by C#a",
// "Completed 200 OK in 12ms"). A line may carry Logger::Formatter's prefix
// ("D, [2026-11-27T22:59:11.801202 #13285] DEBUG -- : "), colours, and
// TaggedLogging's tags ("[127.0.0.1] [0b1c…-uuid] "); the request id tag
// (config.log_tags = [:request_id], or ActiveJob's job id) names the unit
// of work. Threaded servers interleave the lines of concurrent requests,
// so a statement waits for its call site among the lines of its own
// request, not merely the next line.

// railsDecoder has its own state type so that it can grow without touching
// the Python readers in applog.go.
type railsDecoder struct {
	em     *emitter
	src    *parse.Source
	sink   parse.Sink
	in     interner
	tp     timeParser
	st     parse.Statement
	text   textBuf
	params params

	// pending holds, per request id ("" when untagged), the last statement
	// read, until its call site line or the request's next line.
	pending map[string]*parse.Statement
	// cacheHit marks requests whose last record was a query-cache hit
	// (not a statement; its call site line is passed over).
	cacheHit map[string]bool
	reqs     map[string]*railsRequest
	spans    int
}

// maxRailsOpen bounds the statements waiting for a call site and the
// requests waiting for their Completed line.
const maxRailsOpen = 4096

// railsRequest is one request's record as its lines come.
type railsRequest struct {
	id           string
	method, path string
	client       string
	start        time.Time
	line         int64
	action       string // "OrdersController#index"
	format       string
}

// railsPrefix is what comes before the message on a line.
type railsPrefix struct {
	time    time.Time
	stamped bool
	pid     []byte
	tags    [][]byte
	msg     []byte
}

func sniffRails(head []byte) bool {
	sql, started, completed := 0, 0, 0
	var buf []byte
	sniffLines(head, 1000, func(l []byte) {
		buf = stripANSI(buf[:0], l)
		msg := splitRailsPrefix(buf, nil).msg
		switch {
		case railsSQL(msg):
			sql++
		case isStarted(msg):
			started++
		case bytes.HasPrefix(msg, []byte("Completed ")) && bytes.Contains(msg, []byte("ms")):
			completed++
		}
	})
	// Statement lines, or the request records of a log at info level
	// (production's default, where statements are not logged).
	return sql > 0 || started > 0 && completed > 0
}

func railsSQL(msg []byte) bool {
	_, _, _, _, ok := railsLine(msg)
	return ok
}

// isStarted: `Started GET "/orders" for 127.0.0.1 at 2026-11-27 …`.
func isStarted(msg []byte) bool {
	_, _, _, _, ok := parseStarted(msg)
	return ok
}

// stripANSI removes CSI escape sequences ("\x1b[1m\x1b[36m").
func stripANSI(dst, l []byte) []byte {
	if bytes.IndexByte(l, 0x1b) < 0 {
		return append(dst, l...)
	}
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
		dst = append(dst, l[i])
	}
	return dst
}

// splitRailsPrefix takes Logger::Formatter's prefix and the tags off a
// line. tp may be nil (sniffing: no times needed).
func splitRailsPrefix(l []byte, tp *timeParser) railsPrefix {
	var p railsPrefix
	// "D, [2026-11-27T22:59:11.801202 #13285] DEBUG -- : " (progname may
	// stand between "--" and ":").
	if len(l) > 4 && l[1] == ',' && l[2] == ' ' && l[3] == '[' {
		if end := bytes.IndexByte(l, ']'); end > 0 && end < 64 {
			inner := l[4:end]
			if h := bytes.LastIndex(inner, []byte(" #")); h >= 0 {
				p.pid = inner[h+2:]
				inner = inner[:h]
			}
			if tp != nil {
				if t, _, ok := tp.pgTime(inner); ok {
					p.time, p.stamped = t, true
				}
			}
			rest := l[end+1:]
			if d := bytes.Index(rest, []byte(" -- ")); d >= 0 && d < 16 {
				rest = rest[d+4:]
				if c := bytes.Index(rest, []byte(": ")); c >= 0 && c < 64 {
					rest = rest[c+2:]
				} else if bytes.HasPrefix(rest, []byte(":")) {
					rest = rest[1:]
				}
				l = rest
			}
		}
	}
	// Tags: "[a] [b] " at the start of the message.
	for len(l) > 1 && l[0] == '[' && len(p.tags) < 16 {
		end := bytes.IndexByte(l, ']')
		if end < 0 || end > 256 || end+1 < len(l) && l[end+1] != ' ' {
			break
		}
		if bytes.IndexByte(l[1:end], '[') >= 0 { // "[["id", 1]]": binds, not a tag
			break
		}
		p.tags = append(p.tags, l[1:end])
		l = l[end+1:]
		if len(l) > 0 {
			l = l[1:]
		}
	}
	p.msg = l
	return p
}

// requestIDTag picks the tag that names the unit of work: a UUID (Rails'
// generated request id, ActiveJob's job id), else an id-like token of at
// least 16 letters, digits, '-' or '_' with a digit in it (a client's
// X-Request-Id such as nginx's 32 hex digits). IP addresses, subdomains and
// names are not.
func requestIDTag(tags [][]byte) []byte {
	for _, t := range tags {
		if isUUID(t) {
			return t
		}
	}
	for _, t := range tags {
		if len(t) < 16 || len(t) > 200 {
			continue
		}
		digit, ok := false, true
		for _, c := range t {
			switch {
			case c >= '0' && c <= '9':
				digit = true
			case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_':
			default:
				ok = false
			}
		}
		if ok && digit {
			return t
		}
	}
	return nil
}

func isUUID(t []byte) bool {
	if len(t) != 36 {
		return false
	}
	for i, c := range t {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// railsLine reads "  User Load (0.4ms)  SELECT …  [["id", 1]]" into name,
// duration, SQL and binds.
func railsLine(l []byte) (name []byte, dur time.Duration, sql, binds []byte, ok bool) {
	i := bytes.Index(l, []byte("ms)  "))
	if i < 0 {
		return nil, 0, nil, nil, false
	}
	open := bytes.LastIndex(l[:i], []byte("("))
	if open < 0 {
		return nil, 0, nil, nil, false
	}
	d, n, good := parseDecimal(l[open+1:i], time.Millisecond)
	if !good || open+1+n != i {
		return nil, 0, nil, nil, false
	}
	name = bytes.TrimSpace(l[:open])
	if k := bytes.LastIndex(name, []byte(" : ")); k >= 0 { // Logger's "DEBUG -- : "
		name = bytes.TrimSpace(name[k+3:])
	} else if k := bytes.LastIndex(name, []byte("] ")); k >= 0 { // tagged logging
		name = bytes.TrimSpace(name[k+2:])
	}
	sql = l[i+len("ms)  "):]
	if k := bytes.LastIndex(sql, []byte("  [[")); k >= 0 && bytes.HasSuffix(sql, []byte("]")) {
		binds = sql[k+2:]
		sql = sql[:k]
	}
	return name, d, bytes.TrimSpace(sql), binds, len(sql) > 0
}

// railsBinds reads the values of ActiveRecord's binds, `[["id", 1],
// ["name", "Bob \"B\""], ["at", nil]]` (Ruby's inspect of name/value
// pairs), in order; a value that is not one the reader knows is kept as
// written.
func railsBinds(b []byte) []string {
	var out []string
	b = bytes.TrimSpace(b)
	if len(b) < 4 || b[0] != '[' {
		return []string{string(b)}
	}
	i := 1
	for i < len(b) && len(out) < 1024 {
		// The next pair: `[name, value]`.
		for i < len(b) && b[i] != '[' {
			i++
		}
		if i >= len(b) {
			break
		}
		i++
		vals := 0
		var last []byte
		for i < len(b) && b[i] != ']' {
			for i < len(b) && (b[i] == ' ' || b[i] == ',') {
				i++
			}
			if i >= len(b) || b[i] == ']' {
				break
			}
			start := i
			if b[i] == '"' {
				var v []byte
				i++
				for i < len(b) && b[i] != '"' {
					if b[i] == '\\' && i+1 < len(b) {
						i++
					}
					v = append(v, b[i])
					i++
				}
				i++
				last = v
			} else {
				for i < len(b) && b[i] != ',' && b[i] != ']' {
					i++
				}
				last = bytes.TrimSpace(b[start:i])
			}
			vals++
		}
		if vals > 0 {
			out = append(out, string(last))
		}
		i++
	}
	if len(out) == 0 {
		return []string{string(b)}
	}
	return out
}

// parseCallSite reads "↳ app/models/order.rb:12:in `block in index'" (Ruby
// before 3.4) or "↳ app/models/order.rb:12:in 'Order#total'" (3.4), or a
// bare "↳ app/models/order.rb:12".
func parseCallSite(msg []byte) (file []byte, line int, fn []byte, ok bool) {
	m := bytes.TrimLeft(msg, " \t")
	if !bytes.HasPrefix(m, []byte("↳ ")) {
		return nil, 0, nil, false
	}
	loc := bytes.TrimSpace(m[len("↳ "):])
	if i := bytes.Index(loc, []byte(":in ")); i >= 0 {
		fn = bytes.TrimSpace(loc[i+len(":in "):])
		if len(fn) > 0 && (fn[0] == '`' || fn[0] == '\'') {
			fn = fn[1:]
		}
		fn = bytes.TrimSuffix(fn, []byte("'"))
		loc = loc[:i]
	}
	c := bytes.LastIndexByte(loc, ':')
	if c <= 0 {
		return loc, 0, fn, len(loc) > 0
	}
	n, used := atoi(loc[c+1:])
	if used != len(loc)-c-1 || used == 0 {
		return loc, 0, fn, true
	}
	return loc[:c], int(n), fn, true
}

// parseStarted reads `Started GET "/orders?page=2" for 127.0.0.1 at
// 2026-11-27 23:07:09 +0000`.
func parseStarted(msg []byte) (method, path, client, at []byte, ok bool) {
	if !bytes.HasPrefix(msg, []byte("Started ")) {
		return nil, nil, nil, nil, false
	}
	rest := msg[len("Started "):]
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 || sp > 16 || sp+1 >= len(rest) || rest[sp+1] != '"' {
		return nil, nil, nil, nil, false
	}
	method = rest[:sp]
	for _, c := range method {
		if c < 'A' || c > 'Z' {
			return nil, nil, nil, nil, false
		}
	}
	rest = rest[sp+2:]
	q := bytes.Index(rest, []byte(`" for `))
	if q < 0 {
		return nil, nil, nil, nil, false
	}
	path = rest[:q]
	rest = rest[q+len(`" for `):]
	if a := bytes.Index(rest, []byte(" at ")); a >= 0 {
		client, at = rest[:a], rest[a+len(" at "):]
	} else {
		client = rest
	}
	return method, path, client, at, true
}

// parseCompleted reads "Completed 200 OK in 12ms (Views: 0.2ms |
// ActiveRecord: 3.1ms | Allocations: 1234)".
func parseCompleted(msg []byte) (status int, dur time.Duration, views, db []byte, ok bool) {
	if !bytes.HasPrefix(msg, []byte("Completed ")) {
		return 0, 0, nil, nil, false
	}
	rest := msg[len("Completed "):]
	n, used := atoi(rest)
	if used != 3 {
		return 0, 0, nil, nil, false
	}
	in := bytes.Index(rest, []byte(" in "))
	if in < 0 {
		return 0, 0, nil, nil, false
	}
	d, m, good := parseDecimal(rest[in+len(" in "):], time.Millisecond)
	if !good || !bytes.HasPrefix(rest[in+len(" in ")+m:], []byte("ms")) {
		return 0, 0, nil, nil, false
	}
	for _, part := range bytes.Split(bytes.Trim(rest[in+len(" in ")+m+2:], " ()"), []byte(" | ")) {
		if v, found := bytes.CutPrefix(part, []byte("Views: ")); found {
			views = bytes.TrimSuffix(v, []byte("ms"))
		}
		if v, found := bytes.CutPrefix(part, []byte("ActiveRecord: ")); found {
			db = bytes.TrimSuffix(v, []byte("ms"))
		}
	}
	return int(n), d, views, db, true
}

func decodeRails(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	d := &railsDecoder{em: newEmitter(ctx, src, sink), src: src, sink: sink,
		pending: map[string]*parse.Statement{}, cacheHit: map[string]bool{}, reqs: map[string]*railsRequest{}}
	d.tp.src = src
	sc := parse.NewLineScanner(r, maxLine)
	var buf []byte
	for {
		l, ok, err := sc.Next()
		if err != nil {
			d.finish()
			return fmt.Errorf("line %d: %w", sc.Line()+1, err)
		}
		if !ok {
			break
		}
		if err := d.em.tick(); err != nil {
			d.finish()
			return err
		}
		buf = stripANSI(buf[:0], l)
		d.line(buf, sc.Line(), sc.TooLong())
	}
	d.finish()
	return nil
}

func (d *railsDecoder) line(buf []byte, line int64, tooLong bool) {
	p := splitRailsPrefix(buf, &d.tp)
	id := d.in.get(requestIDTag(p.tags))
	msg := p.msg
	if file, ln, fn, ok := parseCallSite(msg); ok {
		d.callSite(id, file, ln, fn, line)
		return
	}
	// Any other record of the request ends its wait for a call site.
	d.flushPending(id)
	delete(d.cacheHit, id)
	if name, dur, sql, binds, ok := railsLine(msg); ok {
		if bytes.HasPrefix(name, []byte("CACHE ")) {
			d.src.SkipLine(line, "ActiveRecord query-cache hit (not sent to the database)")
			if len(d.cacheHit) < maxRailsOpen {
				d.cacheHit[id] = true
			}
			return
		}
		d.statement(p, id, dur, sql, binds, line, tooLong)
		return
	}
	trimmed := bytes.TrimSpace(msg)
	switch {
	case len(trimmed) == 0:
	case d.requestRecord(p, id, trimmed, line):
	case bytes.HasPrefix(buf, []byte("# Logfile created on")):
		d.src.SkipLine(line, "Logger's file header")
	case len(p.tags) > 0 || p.stamped:
		d.src.SkipLine(line, "Rails log line that is not a statement, call site or request record (parameters, rendering, errors …)")
	case isBinary(buf):
		d.src.SkipLine(line, binaryReason)
	default:
		d.src.SkipLine(line, "line that is not an ActiveRecord SQL line")
	}
}

func (d *railsDecoder) statement(p railsPrefix, id string, dur time.Duration, sql, binds []byte, line int64, tooLong bool) {
	st := &d.st
	*st = parse.Statement{Duration: dur, HasDuration: true, Rows: -1, Line: line, RequestID: id}
	if p.stamped {
		st.Start = p.time.Add(-dur) // ActiveRecord logs a statement when it ends
	}
	if len(p.pid) > 0 {
		st.Session = d.in.get(p.pid)
	}
	d.text.reset()
	d.text.add(sql)
	st.Text = strings.Clone(bstr(d.text.b))
	st.Truncated = d.text.truncated || tooLong
	if len(binds) > 0 {
		st.Params = railsBinds(binds)
	}
	if hasComment(d.text.b) {
		st.Tags = ExtractTags(d.text.b)
	}
	// Wait for the call site line that verbose_query_logs writes next.
	if len(d.pending) >= maxRailsOpen {
		d.flushAll()
	}
	cp := *st
	d.pending[id] = &cp
}

func (d *railsDecoder) callSite(id string, file []byte, ln int, fn []byte, line int64) {
	st := d.pending[id]
	if st == nil {
		if d.cacheHit[id] {
			delete(d.cacheHit, id)
			d.src.SkipLine(line, "call site of a query-cache hit")
		} else {
			d.src.SkipLine(line, "call site line (↳) with no statement before it")
		}
		return
	}
	delete(d.pending, id)
	st.CodeFile = d.in.get(file)
	st.CodeLine = ln
	st.CodeFunc = d.in.get(fn)
	d.em.stmt(st)
}

func (d *railsDecoder) flushPending(id string) {
	if st := d.pending[id]; st != nil {
		delete(d.pending, id)
		d.em.stmt(st)
	}
}

// flushAll emits every waiting statement, in line order.
func (d *railsDecoder) flushAll() {
	list := make([]*parse.Statement, 0, len(d.pending))
	for _, st := range d.pending {
		list = append(list, st)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	for _, st := range list {
		d.em.stmt(st)
	}
	clear(d.pending)
}

// requestRecord reads the Started / Processing / Completed lines; a
// Completed line emits the request as a server span.
func (d *railsDecoder) requestRecord(p railsPrefix, id string, msg []byte, line int64) bool {
	if method, path, client, at, ok := parseStarted(msg); ok {
		if len(d.reqs) >= maxRailsOpen {
			d.dropOpenRequests()
		}
		if old := d.reqs[id]; old != nil {
			d.src.SkipLine(old.line, "request without a Completed line")
		}
		rq := &railsRequest{id: id, method: string(method), path: string(path), client: string(client), line: line}
		if p.stamped {
			rq.start = p.time
		} else if t, _, ok := d.tp.pgTime(at); ok {
			rq.start = t
		}
		d.reqs[id] = rq
		return true
	}
	if rest, ok := bytes.CutPrefix(msg, []byte("Processing by ")); ok {
		rq := d.reqs[id]
		if rq == nil {
			// Its Started line came before the log did: the action and the
			// Completed line still make a request record.
			if len(d.reqs) >= maxRailsOpen {
				d.dropOpenRequests()
			}
			rq = &railsRequest{id: id, line: line}
			d.reqs[id] = rq
		}
		action, format, _ := bytes.Cut(rest, []byte(" as "))
		rq.action, rq.format = string(action), string(bytes.TrimSpace(format))
		return true
	}
	status, dur, views, db, ok := parseCompleted(msg)
	if !ok {
		return false
	}
	rq := d.reqs[id]
	delete(d.reqs, id)
	if rq == nil {
		// The request started before the log did (or its Started line was
		// cut): what the Completed line says is still its time.
		rq = &railsRequest{id: id, line: line}
	}
	if rq.start.IsZero() && p.stamped {
		rq.start = p.time.Add(-dur) // Completed is written when the request ends
	}
	d.emitRequest(rq, status, dur, views, db)
	return true
}

func (d *railsDecoder) emitRequest(rq *railsRequest, status int, dur time.Duration, views, db []byte) {
	path := rq.path
	if q := strings.IndexByte(path, '?'); q >= 0 {
		path = path[:q]
	}
	route := rq.action
	if route == "" {
		route = path
	}
	sp := &parse.Span{
		TraceID:    rq.id,
		SpanID:     "rails-" + strconv.FormatInt(rq.line, 10),
		Name:       strings.TrimSpace(rq.method + " " + route),
		Kind:       "server",
		Category:   parse.CatHTTPServer,
		Start:      rq.start,
		Duration:   dur,
		HTTPMethod: rq.method,
		HTTPURL:    rq.path,
		HTTPRoute:  route,
		HTTPStatus: status,
		Attrs:      map[string]string{parse.AttrRecord: parse.RecordAccessLog},
	}
	if status >= 500 {
		sp.Status = "error"
	}
	if rq.action != "" {
		sp.Attrs["rails.action"] = rq.action
	}
	if rq.format != "" {
		sp.Attrs["rails.format"] = rq.format
	}
	if rq.client != "" {
		sp.Attrs["client.address"] = rq.client
	}
	if len(views) > 0 {
		sp.Attrs["rails.views_ms"] = string(views)
	}
	if len(db) > 0 {
		sp.Attrs["rails.db_ms"] = string(db)
	}
	if rq.id != "" {
		sp.Attrs["http.request.id"] = rq.id
	}
	d.sink.Span(d.src, sp)
	d.em.events++
	d.em.see(sp.Start)
	d.em.see(sp.Start.Add(dur))
	d.spans++
}

func (d *railsDecoder) dropOpenRequests() {
	for id, rq := range d.reqs {
		d.src.SkipLine(rq.line, "request without a Completed line")
		delete(d.reqs, id)
	}
}

func (d *railsDecoder) finish() {
	d.flushAll()
	d.dropOpenRequests()
	d.em.finish()
}
