package applog

import (
	"bytes"
	"sort"
	"unsafe"

	"hotpath/parse"
	"hotpath/parse/sqllog"
)

// bstr views b as a string without copying; valid while b is unchanged
// (the sink's reuse contract: parse.Statement).
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// maxUnits bounds the per-unit state of the readers (pending statements,
// checked-out connections): units are threads and asyncio tasks, and a
// long log has an endless supply of Task-N.
const maxUnits = 1 << 12

// unit is a record's unit of work as its prefix names it.
type unit struct {
	key     string // pid, thread, task (and SQLAlchemy's logging_token)
	thread  string
	task    string
	reqID   string
	session string // task, else thread (pid first when logged); "" when neither
}

func named(b []byte) bool { return len(b) > 0 && !isNone(b) }

func (d *decoder) unitOf(r *record, token []byte) unit {
	var u unit
	if named(r.thread) {
		u.thread = d.in.get(r.thread)
	}
	if named(r.task) {
		u.task = d.in.get(r.task)
	}
	if named(r.reqID) {
		u.reqID = d.in.get(r.reqID)
	}
	b := d.keyBuf[:0]
	b = append(append(b, r.pid...), 0)
	b = append(append(b, u.thread...), 0)
	b = append(append(b, u.task...), 0)
	b = append(b, token...)
	d.keyBuf = b
	u.key = d.in.get(b)
	// Thread names repeat across worker processes (every gunicorn worker
	// has a MainThread): the pid is part of the unit where it is logged.
	s := d.sessBuf[:0]
	if len(r.pid) > 0 && (u.task != "" || u.thread != "") {
		s = append(append(s, r.pid...), ' ')
	}
	switch {
	case u.task != "":
		s = append(s, u.task...)
	case u.thread != "":
		s = append(s, u.thread...)
	default:
		s = s[:0]
	}
	d.sessBuf = s
	u.session = d.in.get(s)
	return u
}

// pendingStmt is an echoed statement waiting for its parameter line.
type pendingStmt struct {
	st        parse.Statement
	text      []byte
	tentative bool // told by its SQL only (no logger name): kept if parameters follow
	seq       int64
}

// maxQueue bounds the statements of one unit waiting for parameters. With
// a thread or task in the layout a unit has one at a time; without, the
// statements of concurrent threads interleave with their parameter lines
// and are paired in order.
const maxQueue = 8

// saReader reads SQLAlchemy's engine echo (statements, then their
// parameters on the next record of the same unit) and pool debug records
// (connections created, checked out, returned, closed).
type saReader struct {
	pending  map[string][]*pendingStmt // per unit, oldest first
	npending int
	free     []*pendingStmt
	conn     map[string]string // unit → connection it has checked out
	seen     map[string]bool   // connections checked out at least once
	ev       parse.ConnEvent
	params   [1]string
	seq      int64

	statements, paramLines, opened, closed, reused, dropped int64
}

func (s *saReader) init() {
	s.pending = map[string][]*pendingStmt{}
	s.conn = map[string]string{}
	s.seen = map[string]bool{}
}

// keyed: the unit names a thread or task, so its records come in order.
func (u *unit) keyed() bool { return u.thread != "" || u.task != "" }

func (s *saReader) engine(d *decoder, r *record, tentative bool) {
	msg := r.msg
	token, body, hasToken := loggingToken(msg)
	if !hasToken {
		body = msg
	}
	u := d.unitOf(r, token)
	q := s.pending[u.key]
	first := firstLine(body)
	if saParamsLine(first) || !tentative && len(q) > 0 && legacyParams(body) {
		s.paramLines++
		if len(q) == 0 {
			d.src.SkipLine(r.line, "SQLAlchemy parameter line without its statement")
			return
		}
		params := saParams(body)
		if !saParamsLine(first) {
			params = bytes.TrimSpace(body) // SQLAlchemy 1.3: the parameters alone
		}
		s.emit(d, q[0], params)
		s.shift(u.key)
		return
	}
	if u.keyed() {
		// The unit's earlier statement got no parameter line: none is coming.
		s.flushUnit(d, u.key)
	}
	if bytes.HasPrefix(body, []byte("Col ")) || bytes.HasPrefix(body, []byte("Row ")) {
		return // echo="debug" result rows
	}
	txt := bytes.TrimSpace(body)
	if bytes.HasPrefix(txt, []byte("BEGIN (implicit")) {
		txt = txt[:5]
	}
	if len(txt) == 0 {
		return
	}
	p := s.get()
	s.seq++
	p.seq = s.seq
	p.text = append(p.text[:0], txt...)
	p.st = parse.Statement{Start: r.time, Rows: -1, Line: r.line, Thread: u.thread, Task: u.task, RequestID: u.reqID,
		Truncated: r.truncated, Session: u.session}
	if hasToken && p.st.RequestID == "" {
		// logging_token tags one connection's statements: the unit the
		// application chose for them.
		p.st.RequestID = d.in.get(token)
	}
	if p.st.Session == "" {
		// No thread or task in the layout: the connection checked out
		// last is the unit, as SQLAlchemy's own echo tells it.
		p.st.Session = s.conn[u.key]
		if p.st.Session == "" && hasToken {
			p.st.Session = s.conn[d.unitOf(r, nil).key]
		}
	}
	if isTxnWord(txt) || bytes.Equal(txt, []byte("BEGIN")) {
		// Transaction control has no parameter line.
		p.tentative = false
		s.emit(d, p, nil)
		return
	}
	p.tentative = tentative
	if s.npending >= maxUnits {
		s.flushAll(d)
		q = nil
	}
	q = s.pending[u.key]
	if len(q) >= maxQueue {
		s.emit(d, q[0], nil)
		s.shift(u.key)
		q = s.pending[u.key]
	}
	s.pending[u.key] = append(q, p)
	s.npending++
}

// legacyParams: SQLAlchemy 1.3 logs the parameters' repr alone on the
// record after the statement: "{'id': 3}", "(3,)", "[{…}, {…}]".
func legacyParams(m []byte) bool {
	m = bytes.TrimSpace(m)
	if len(m) < 2 || sqlStart(m) {
		return false
	}
	open, end := m[0], m[len(m)-1]
	return open == '{' && end == '}' || open == '(' && end == ')' || open == '[' && end == ']'
}

func (s *saReader) shift(key string) {
	q := s.pending[key]
	if len(q) <= 1 {
		delete(s.pending, key)
	} else {
		s.pending[key] = append(q[:0], q[1:]...)
	}
	s.npending--
}

// flushUnit ends the unit's waiting statements: without parameters, or
// dropped when they were only SQL-looking text.
func (s *saReader) flushUnit(d *decoder, key string) {
	for _, p := range s.pending[key] {
		s.emit(d, p, nil)
		s.npending--
	}
	delete(s.pending, key)
}

// touch is a record of another kind in a layout without logger names: the
// unit's SQL-looking text got no parameter line right after it.
func (s *saReader) touch(d *decoder, r *record) {
	if len(s.pending) == 0 {
		return
	}
	u := d.unitOf(r, nil)
	if u.keyed() {
		s.flushUnit(d, u.key)
	}
}

func (s *saReader) get() *pendingStmt {
	if n := len(s.free); n > 0 {
		p := s.free[n-1]
		s.free = s.free[:n-1]
		return p
	}
	return &pendingStmt{}
}

// emit hands a statement to the sink, with params.
func (s *saReader) emit(d *decoder, p *pendingStmt, params []byte) {
	defer func() { s.free = append(s.free, p) }()
	if p.tentative && params == nil {
		// SQL-looking text without SQLAlchemy's parameter line, in a
		// layout that names no logger: not known to be a statement.
		s.dropped++
		d.stats.addOther("(unnamed)")
		return
	}
	st := &p.st
	st.Text = bstr(p.text)
	st.Params = nil
	if params != nil {
		s.params[0] = bstr(params)
		st.Params = s.params[:]
	}
	st.Tags = nil
	if bytes.Contains(p.text, []byte("/*")) {
		st.Tags = sqllog.ExtractTags(p.text)
	}
	s.statements++
	d.em.stmt(st)
}

// flushAll emits every waiting statement in the order they were logged.
func (s *saReader) flushAll(d *decoder) {
	var all []*pendingStmt
	for _, q := range s.pending {
		all = append(all, q...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	for _, p := range all {
		s.emit(d, p, nil)
	}
	clear(s.pending)
	s.npending = 0
}

// connID pulls "0x7fef3476fec0" out of "<connection object at 0x7fef…;
// dsn: …>" (psycopg2) or "<AdaptedConnection <asyncpg.connection.Connection
// object at 0x7f42…>>" (asyncpg).
func connID(m []byte) []byte {
	if i := bytes.Index(m, []byte(" at 0x")); i >= 0 {
		id := m[i+4:]
		j := 2
		for j < len(id) && (id[j] >= '0' && id[j] <= '9' || id[j] >= 'a' && id[j] <= 'f') {
			j++
		}
		return id[:j]
	}
	if i := bytes.IndexByte(m, '<'); i >= 0 {
		if j := bytes.IndexByte(m[i:], '>'); j > 0 {
			return m[i : i+j+1]
		}
	}
	return nil
}

func (s *saReader) pool(d *decoder, r *record) {
	msg := firstLine(r.msg)
	id := d.in.get(connID(msg))
	key := d.unitOf(r, nil).key
	ev := &s.ev
	*ev = parse.ConnEvent{Time: r.time, Session: id, Line: r.line}
	switch {
	case bytes.HasPrefix(msg, []byte("Created new connection")):
		ev.Kind = parse.ConnOpened
		s.opened++
	case bytes.HasPrefix(msg, []byte("Closing connection")) || bytes.HasPrefix(msg, []byte("Hard-closing connection")):
		ev.Kind = parse.ConnClosed
		s.closed++
		delete(s.seen, id)
		if s.conn[key] == id {
			delete(s.conn, key)
		}
	case bytes.HasSuffix(bytes.TrimRight(msg, " \r"), []byte("checked out from pool")):
		if len(s.conn) >= maxUnits {
			clear(s.conn)
		}
		s.conn[key] = id
		if !s.seen[id] {
			if len(s.seen) < 1<<16 {
				s.seen[id] = true
			}
			return
		}
		ev.Kind = parse.ConnPoolReused
		s.reused++
	case bytes.Contains(msg, []byte("being returned to pool")):
		if s.conn[key] == id {
			delete(s.conn, key)
		}
		return
	default:
		return
	}
	d.em.conn(ev)
}

// djangoReader reads django.db.backends' "(0.002) SQL; args=…[; alias=…]"
// records: timed statements, logged when they end.
type djangoReader struct {
	st         parse.Statement
	params     [1]string
	statements int64
	untimed    int64
}

func (j *djangoReader) read(d *decoder, r *record) {
	dur, off, ok := djangoDuration(r.msg)
	if !ok {
		j.untimed++
		d.stats.addOther(string(r.logger))
		return
	}
	txt := r.msg[off:]
	var args []byte
	if i := bytes.LastIndex(txt, []byte("; args=")); i >= 0 {
		args = txt[i+len("; args="):]
		if k := bytes.LastIndex(args, []byte("; alias=")); k >= 0 {
			args = args[:k]
		}
		txt = txt[:i]
		if bytes.Equal(bytes.TrimSpace(args), []byte("None")) {
			args = nil
		}
	}
	txt = bytes.TrimSpace(txt)
	if len(txt) == 0 {
		d.src.SkipLine(r.line, "django.db.backends record without SQL")
		return
	}
	u := d.unitOf(r, nil)
	st := &j.st
	*st = parse.Statement{Duration: dur, HasDuration: true, Rows: -1, Line: r.line, Thread: u.thread, Task: u.task,
		RequestID: u.reqID, Session: u.session, Text: bstr(txt), Truncated: r.truncated}
	if !r.time.IsZero() {
		st.Start = r.time.Add(-dur)
	}
	if args != nil {
		j.params[0] = bstr(bytes.TrimSpace(args))
		st.Params = j.params[:]
	}
	if bytes.Contains(txt, []byte("/*")) {
		st.Tags = sqllog.ExtractTags(txt)
	}
	j.statements++
	d.em.stmt(st)
}
