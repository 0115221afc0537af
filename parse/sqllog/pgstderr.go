package sqllog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"hotpath/parse"
)

func sniffPGStderr(head []byte) bool {
	prefixed, marked, pg := 0, 0, 0
	sniffLines(head, 400, func(l []byte) {
		if len(l) == 0 || l[0] == '\t' {
			return
		}
		prefixed++
		at, n := findSeverity(l)
		if at < 0 {
			return
		}
		marked++
		m := l[at+n:]
		if l[at+n-2] != ' ' {
			// One space after the tag (a shipper collapsed the two
			// PostgreSQL writes): only PostgreSQL's own messages vouch.
			if hasPrefix(m, "duration: ") && len(m) > 10 && m[10] >= '0' && m[10] <= '9' ||
				hasPrefix(m, "statement: ") || hasPrefix(m, "connection authorized: ") ||
				hasPrefix(m, "connection received: ") || hasPrefix(m, "disconnection: session time: ") {
				pg++
			}
			return
		}
		if hasPrefix(m, "duration: ") || hasPrefix(m, "statement: ") ||
			hasPrefix(m, "connection ") || hasPrefix(m, "disconnection: ") ||
			hasPrefix(m, "database system") || hasPrefix(m, "execute ") ||
			hasPrefix(m, "checkpoint") || hasPrefix(m, "starting PostgreSQL") ||
			hasPrefix(m, "automatic vacuum of table ") || hasPrefix(m, "automatic analyze of table ") {
			pg++
		}
	})
	return pg > 0 && marked*2 >= prefixed
}

// pgKind is what the pending (not yet emitted) entry is.
type pgKind uint8

const (
	pgNone   pgKind = iota
	pgStmt          // a statement to emit
	pgIgnore        // a message whose continuation lines are swallowed
)

// pgDecoder holds the state shared by the stderr, csv and json decoders:
// the statement being assembled and per-session extended-protocol state.
type pgDecoder struct {
	em      *emitter
	src     *parse.Source
	in      interner // sessions
	inUser  interner
	inDB    interner
	inApp   interner
	inHost  interner
	tp      timeParser
	st      parse.Statement
	ev      parse.ConnEvent
	kind    pgKind
	text    textBuf
	detail  textBuf
	hasDet  bool
	params  params
	logTime time.Time
	line    int64

	// prepare accumulates parse/bind time per session until its execute.
	prepare map[string]time.Duration
	// awaiting holds statements logged by log_statement (no duration yet)
	// until the session's lone "duration:" line arrives.
	awaiting map[string]*pgAwait

	// who holds each session, from "connection authorized", for prefixes
	// without %u/%d (PostgreSQL's default '%m [%p] ').
	who map[string]pgWho

	lockWaits, tempFiles, errors int64
	tempBytes                    int64
	maxLockWait                  time.Duration
}

type pgWho struct{ user, db, app string }

type pgAwait struct {
	st        parse.Statement
	text      []byte
	truncated bool
	params    []string
}

func newPGDecoder(ctx context.Context, src *parse.Source, sink parse.Sink) *pgDecoder {
	d := &pgDecoder{em: newEmitter(ctx, src, sink), src: src}
	d.in.noMap = true
	d.tp.src = src
	return d
}

// flush emits the pending statement, if any.
func (d *pgDecoder) flush() {
	if d.kind == pgStmt {
		st := &d.st
		st.Text = bstr(trimStmt(d.text.b))
		st.Truncated = d.text.truncated
		st.Params = nil
		if d.hasDet {
			d.parseParams(d.detail.b)
			st.Params = d.params.strings()
		}
		st.Tags = nil
		if hasComment(d.text.b) {
			st.Tags = ExtractTags(d.text.b)
		}
		if !st.HasDuration && st.Session != "" && d.awaitDuration(st) {
			// kept until its duration arrives
		} else {
			d.em.stmt(st)
		}
	}
	d.kind = pgNone
	d.hasDet = false
}

// awaitDuration parks a statement without duration (log_statement) until a
// lone "duration:" line of the same session completes it. Reports false if
// it cannot be parked.
func (d *pgDecoder) awaitDuration(st *parse.Statement) bool {
	if d.awaiting == nil {
		d.awaiting = map[string]*pgAwait{}
	}
	if prev := d.awaiting[st.Session]; prev != nil {
		d.emitAwait(prev)
		delete(d.awaiting, st.Session)
	}
	if len(d.awaiting) >= maxSessions {
		return false
	}
	a := &pgAwait{st: *st, text: append([]byte(nil), st.Text...), truncated: st.Truncated}
	if len(st.Params) > 0 {
		a.params = make([]string, len(st.Params))
		for i, p := range st.Params {
			a.params[i] = strings.Clone(p)
		}
	}
	d.awaiting[st.Session] = a
	return true
}

func (d *pgDecoder) emitAwait(a *pgAwait) {
	a.st.Text = bstr(a.text)
	a.st.Params = a.params
	d.em.stmt(&a.st)
}

// finish emits everything still pending at the end of input.
func (d *pgDecoder) finish() {
	d.flush()
	for _, a := range d.awaiting {
		d.emitAwait(a)
	}
	d.awaiting = nil
	if d.lockWaits > 0 {
		d.src.Warnf("%d lock waits logged (log_lock_waits), the longest %v", d.lockWaits, d.maxLockWait)
	}
	if d.tempFiles > 0 {
		d.src.Warnf("%d temporary files written (log_temp_files), %d bytes in all", d.tempFiles, d.tempBytes)
	}
	if d.errors > 0 {
		d.src.Warnf("%d statements failed with an ERROR (not counted as executions)", d.errors)
	}
	d.em.finish()
}

// found is the decoders' verdict on a log read to its end: one without a
// statement or a connection line says which settings make PostgreSQL
// write them (pgBadger's vacuum-only and error-only logs are such).
func (d *pgDecoder) found() error {
	if d.src.Events() > 0 || d.src.ConnEvents() > 0 || d.src.SkippedTotal() > 0 {
		return nil // Load reports an empty result, with the skip reasons
	}
	return errors.New("the log holds no statements and no connection lines; PostgreSQL writes them with " +
		"log_min_duration_statement = 0 (or log_statement = 'all') and log_connections / log_disconnections = on")
}

func trimStmt(b []byte) []byte {
	b = bytes.TrimRight(b, " \t\r\n")
	return b
}

// continuation appends a tab-led continuation line to the pending entry.
func (d *pgDecoder) continuation(l []byte, line int64) {
	switch {
	case d.kind == pgStmt && d.hasDet:
		d.detail.addByte('\n')
		d.detail.add(l)
	case d.kind == pgStmt:
		d.text.addByte('\n')
		d.text.add(l)
	case d.kind == pgIgnore:
	default:
		d.src.SkipLine(line, "continuation line without its statement (log rotated mid-statement?)")
	}
}

// message handles one message (severity tag onwards) with its prefix fields.
func (d *pgDecoder) message(m []byte, f *pgFields, line int64) {
	sev := severityAt(m)
	if sev == 0 {
		d.flush()
		d.kind = pgIgnore
		return
	}
	tag := m[:sev]
	body := m[sev:]
	session := f.session
	if session == nil {
		session = f.pid
	}
	if tag[0] == 'D' && hasPrefix(tag, "DETAIL") {
		if d.kind == pgStmt && hasPrefix(body, "parameters: ") &&
			(len(session) == 0 || d.st.Session == bstr(session)) {
			d.detail.reset()
			d.detail.add(body[len("parameters: "):])
			d.hasDet = true
			return
		}
		if d.kind == pgStmt {
			return // other details of a statement (e.g. a prepare's source)
		}
		d.kind = pgIgnore
		return
	}
	d.flush()
	d.logTime = f.time
	d.line = line
	if tag[0] != 'L' {
		if tag[0] == 'E' && hasPrefix(tag, "ERROR") {
			d.errors++
		}
		d.kind = pgIgnore
		return
	}
	switch {
	case hasPrefix(body, "duration: "):
		d.duration(body[len("duration: "):], f, session, line)
	case hasPrefix(body, "statement: "):
		d.begin(f, session, line, 0, false)
		d.text.add(body[len("statement: "):])
	case hasPrefix(body, "execute "):
		if _, txt, ok := cutName(body[len("execute "):]); ok {
			d.begin(f, session, line, 0, false)
			d.text.add(txt)
		} else {
			d.kind = pgIgnore
		}
	case hasPrefix(body, "connection ") || hasPrefix(body, "disconnection: "):
		d.conn(body, f, session, line)
	case hasPrefix(body, "process ") && bytes.Contains(body, []byte(" still waiting for ")):
		d.lockWaits++
		if i := bytes.LastIndex(body, []byte(" after ")); i > 0 {
			if dur, _, ok := parseDecimal(body[i+7:], time.Millisecond); ok && dur > d.maxLockWait {
				d.maxLockWait = dur
			}
		}
		d.kind = pgIgnore
	case hasPrefix(body, "temporary file: "):
		d.tempFiles++
		if i := bytes.LastIndex(body, []byte("size ")); i > 0 {
			n, _ := atoi(body[i+5:])
			d.tempBytes += n
		}
		d.kind = pgIgnore
	default:
		d.kind = pgIgnore
	}
}

// cutName splits "S_1: select …" (or "<unnamed>: …", "S_1/C_2: …") into
// name and text.
func cutName(b []byte) (name, text []byte, ok bool) {
	i := bytes.Index(b, []byte(": "))
	if i < 0 {
		if bytes.HasSuffix(b, []byte(":")) {
			return b[:len(b)-1], nil, true
		}
		return nil, nil, false
	}
	return b[:i], b[i+2:], true
}

func (d *pgDecoder) begin(f *pgFields, session []byte, line int64, dur time.Duration, hasDur bool) {
	d.kind = pgStmt
	d.text.reset()
	d.hasDet = false
	st := &d.st
	st.Duration, st.HasDuration, st.PrepareTime = dur, hasDur, 0
	st.Start = f.time
	if hasDur && !f.time.IsZero() {
		st.Start = f.time.Add(-dur)
	}
	st.Session = d.in.get(session)
	st.User = d.inUser.get(f.user)
	st.Database = d.inDB.get(f.db)
	st.App = d.inApp.get(f.app)
	st.Client = d.inHost.get(f.client)
	if f.user == nil && len(d.who) > 0 {
		if w, ok := d.who[st.Session]; ok {
			st.User, st.Database = w.user, w.db
			if st.App == "" {
				st.App = w.app
			}
		}
	}
	st.Rows = -1
	st.Line = line
}

func (d *pgDecoder) duration(b []byte, f *pgFields, session []byte, line int64) {
	dur, n, ok := parseDecimal(b, time.Millisecond)
	if !ok || !bytes.HasPrefix(b[n:], []byte(" ms")) {
		d.src.SkipLine(line, "unreadable duration")
		d.kind = pgIgnore
		return
	}
	rest := b[n+3:]
	if len(rest) == 0 {
		// Lone duration: completes a statement logged by log_statement.
		if a := d.awaiting[bstr(session)]; a != nil {
			a.st.Duration, a.st.HasDuration = dur, true
			if !f.time.IsZero() {
				a.st.Start = f.time.Add(-dur)
			}
			d.emitAwait(a)
			delete(d.awaiting, bstr(session))
		}
		d.kind = pgIgnore
		return
	}
	rest = bytes.TrimLeft(rest, " ")
	var verb []byte
	if i := bytes.IndexByte(rest, ' '); i > 0 {
		verb = rest[:i]
	}
	switch bstr(verb) {
	case "statement:":
		d.begin(f, session, line, dur, true)
		d.text.add(rest[len("statement: "):])
	case "execute":
		_, txt, ok := cutName(rest[len("execute "):])
		if !ok {
			d.src.SkipLine(line, "unreadable execute message")
			d.kind = pgIgnore
			return
		}
		d.begin(f, session, line, dur, true)
		if p, ok := d.prepare[d.st.Session]; ok {
			d.st.PrepareTime = p
			delete(d.prepare, d.st.Session)
		}
		d.text.add(txt)
	case "parse", "bind":
		if d.prepare == nil {
			d.prepare = map[string]time.Duration{}
		}
		s := d.in.get(session)
		if _, ok := d.prepare[s]; ok || len(d.prepare) < maxSessions {
			d.prepare[s] = parse.SatAdd(d.prepare[s], dur)
		}
		d.kind = pgIgnore
	default:
		d.kind = pgIgnore // fastpath function calls and the like
	}
}

func (d *pgDecoder) conn(body []byte, f *pgFields, session []byte, line int64) {
	ev := &d.ev
	*ev = parse.ConnEvent{Time: f.time, Session: d.in.get(session), Line: line,
		User: d.inUser.get(f.user), Database: d.inDB.get(f.db), Client: d.inHost.get(f.client)}
	switch {
	case hasPrefix(body, "connection received: "):
		ev.Kind = parse.ConnReceived
		if h := kvField(body, "host="); h != nil {
			ev.Client = d.inHost.get(h)
		}
	case hasPrefix(body, "connection authorized: "):
		ev.Kind = parse.ConnOpened
		if u := kvField(body, "user="); u != nil {
			ev.User = d.inUser.get(u)
		}
		if db := kvField(body, "database="); db != nil {
			ev.Database = d.inDB.get(db)
		}
		if f.user == nil && ev.Session != "" {
			if d.who == nil {
				d.who = map[string]pgWho{}
			}
			if len(d.who) < maxSessions {
				d.who[ev.Session] = pgWho{ev.User, ev.Database, d.inApp.get(kvField(body, "application_name="))}
			}
		}
	case hasPrefix(body, "disconnection: "):
		ev.Kind = parse.ConnClosed
		if i := bytes.Index(body, []byte("session time: ")); i >= 0 {
			ev.SessionTime = pgInterval(body[i+len("session time: "):])
		}
		if u := kvField(body, "user="); u != nil {
			ev.User = d.inUser.get(u)
		}
		if db := kvField(body, "database="); db != nil {
			ev.Database = d.inDB.get(db)
		}
		if h := kvField(body, "host="); h != nil {
			ev.Client = d.inHost.get(h)
		}
		if a := d.awaiting[ev.Session]; a != nil {
			d.emitAwait(a)
			delete(d.awaiting, ev.Session)
		}
		delete(d.prepare, ev.Session)
		delete(d.who, ev.Session)
	default:
		d.kind = pgIgnore
		return
	}
	d.em.conn(ev)
	d.kind = pgIgnore
}

// kvField finds "key=value" in b (value up to the next space).
func kvField(b []byte, key string) []byte {
	i := bytes.Index(b, []byte(key))
	for i > 0 && b[i-1] != ' ' {
		j := bytes.Index(b[i+1:], []byte(key))
		if j < 0 {
			return nil
		}
		i += 1 + j
	}
	if i < 0 {
		return nil
	}
	v := b[i+len(key):]
	if j := bytes.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	return v
}

// pgInterval parses "H:MM:SS.mmm".
func pgInterval(b []byte) time.Duration {
	h, n := atoi(b)
	if n == 0 || n >= len(b) || b[n] != ':' {
		return 0
	}
	b = b[n+1:]
	m, n := atoi(b)
	if n == 0 || n >= len(b) || b[n] != ':' {
		return 0
	}
	s, _, _ := parseDecimal(b[n+1:], time.Second)
	// 18 digits of hours do not fit a Duration: held at the limit.
	return parse.SatAdd(parse.SatAdd(parse.SatMul(time.Duration(h), time.Hour), parse.SatMul(time.Duration(m), time.Minute)), s)
}

// parseParams reads "$1 = 'a', $2 = NULL, $3 = 'it”s'".
func (d *pgDecoder) parseParams(b []byte) {
	d.params.reset()
	var val []byte
	for len(b) > 0 {
		b = bytes.TrimLeft(b, " ,\n")
		if len(b) == 0 || b[0] != '$' {
			return
		}
		eq := bytes.Index(b, []byte(" = "))
		if eq < 0 {
			return
		}
		b = b[eq+3:]
		if hasPrefix(b, "NULL") {
			d.params.add([]byte("NULL"))
			b = b[4:]
			continue
		}
		if len(b) == 0 || b[0] != '\'' {
			return
		}
		val = val[:0]
		i := 1
		for i < len(b) {
			if b[i] == '\'' {
				if i+1 < len(b) && b[i+1] == '\'' {
					val = append(val, '\'')
					i += 2
					continue
				}
				break
			}
			val = append(val, b[i])
			i++
		}
		d.params.add(val)
		if i >= len(b) {
			return
		}
		b = b[i+1:]
		if hasPrefix(b, "...") { // log_parameter_max_length cut
			b = b[3:]
		}
	}
}

func decodePGStderr(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	d := newPGDecoder(ctx, src, sink)
	sc := parse.NewLineScanner(r, maxLine)
	var prefix *pgPrefix
	var head []byte
	if br, ok := r.(interface{ Peek(int) ([]byte, error) }); ok {
		head, _ = br.Peek(parse.SniffSize)
	}
	syslog := isSyslog(head)
	if syslog {
		src.Warnf("syslog layout: syslog headers removed, [N-M] parts joined")
		head = stripSyslogHead(head)
	}
	if opt.LogLinePrefix != "" {
		prefix = compilePrefix(opt.LogLinePrefix, &d.tp)
	} else if head != nil {
		prefix = inferPrefix(head, &d.tp)
	}
	if prefix == nil {
		prefix = &pgPrefix{heur: true, tp: &d.tp, spec: "(inferred: free-form)"}
	}
	if opt.LogLinePrefix == "" && prefix.heur {
		// A known prefix that matched every line is not worth a warning
		// (the real pgbench log of testdata/sql/cuts has none); a guess is.
		src.Warnf("log_line_prefix not recognised: fields read heuristically (pass --log-line-prefix for exact parsing)")
	}
	mismatch := fmt.Sprintf("line that does not match log_line_prefix %s", prefix)
	var f pgFields
	var sl syslogLine
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
		line := sc.Line()
		if len(l) == 0 {
			continue
		}
		if syslog {
			if !parseSyslog(l, &sl) {
				d.flush()
				d.kind = pgNone
				src.SkipLine(line, garbageReason(l, "a syslog line"))
				continue
			}
			l = sl.rest
			if sl.part > 1 {
				if hasPrefix(l, "#011") {
					d.continuation(l[4:], line)
				} else if d.kind == pgStmt && d.hasDet {
					d.detail.add(l)
				} else if d.kind == pgStmt {
					d.text.add(l) // syslog_split_messages: a piece of one long line
				}
				continue
			}
			if len(l) == 0 {
				continue
			}
		}
		if l[0] == '\t' {
			if isBinary(l) {
				src.SkipLine(line, binaryReason)
				continue
			}
			d.continuation(l[1:], line)
			if sc.TooLong() {
				d.text.truncated = true
			}
			continue
		}
		m, ok := prefix.match(l, &f)
		if !ok {
			d.flush()
			d.kind = pgNone
			if at, _ := findSeverity(l); at >= 0 {
				src.SkipLine(line, mismatch)
			} else {
				src.SkipLine(line, garbageReason(l, "a PostgreSQL log line"))
			}
			continue
		}
		if syslog && f.pid == nil && f.session == nil {
			f.pid = sl.pid
		}
		d.message(m, &f, line)
		if sc.TooLong() && d.kind == pgStmt {
			d.text.truncated = true
		}
	}
	d.finish()
	return d.found()
}
