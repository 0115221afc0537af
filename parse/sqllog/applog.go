package sqllog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"hotpath/parse"
)

// ---------------------------------------------------------------- SQLAlchemy

func sniffSQLAlchemy(head []byte) bool {
	n := 0
	sniffLines(head, 1000, func(l []byte) {
		i := bytes.Index(l, []byte(" sqlalchemy.engine"))
		if i < 0 {
			i = bytes.Index(l, []byte(" sqlalchemy.pool"))
		}
		// A logger name after a log record's prefix, not quoted in code or
		// prose that configures or describes the logger.
		if i >= 0 && !bytes.ContainsAny(l[:i], "\"'`(=#|") && looksLikeRecordPrefix(l[:i]) {
			n++
		}
	})
	return n > 0
}

// looksLikeRecordPrefix: a logging format's prefix has a timestamp or a
// level ("2026-11-27 23:33:01.372 INFO [MainThread Task-38]").
func looksLikeRecordPrefix(p []byte) bool {
	if len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
		return true
	}
	for _, w := range []string{"INFO", "DEBUG", "WARNING", "ERROR"} {
		if bytes.Contains(p, []byte(w)) {
			return true
		}
	}
	return false
}

// logStart reports whether l begins a new log record: a leading timestamp
// (Python's asctime, ISO 8601).
func logStart(l []byte, tp *timeParser) (time.Time, bool) {
	if len(l) < 19 || l[0] < '0' || l[0] > '9' || l[4] != '-' {
		return time.Time{}, false
	}
	t, _, ok := tp.pgTime(l)
	return t, ok
}

type saDecoder struct {
	em      *emitter
	src     *parse.Source
	in      interner
	tp      timeParser
	st      parse.Statement
	ev      parse.ConnEvent
	text    textBuf
	params  params
	pending bool
	conn    string          // connection checked out now (the session)
	seen    map[string]bool // connections checked out at least once
}

func (d *saDecoder) flush(withParams []byte, hasParams bool) {
	if !d.pending {
		return
	}
	d.pending = false
	st := &d.st
	txt := bytes.TrimRight(d.text.b, " \t\r\n")
	st.Text = bstr(txt)
	st.Truncated = d.text.truncated
	st.Params = nil
	if hasParams {
		d.params.reset()
		d.params.add(withParams)
		st.Params = d.params.strings()
	}
	st.Tags = nil
	if hasComment(txt) {
		st.Tags = ExtractTags(txt)
	}
	d.em.stmt(st)
}

// connID pulls "0x7fef3476fec0" out of "<connection object at 0x7fef…; dsn: …>".
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

func decodeSQLAlchemy(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	d := &saDecoder{em: newEmitter(ctx, src, sink), src: src, seen: map[string]bool{}}
	d.tp.src = src
	sc := parse.NewLineScanner(r, maxLine)
	for {
		l, ok, err := sc.Next()
		if err != nil {
			d.flush(nil, false)
			d.em.flush()
			return fmt.Errorf("line %d: %w", sc.Line()+1, err)
		}
		if !ok {
			break
		}
		if err := d.em.tick(); err != nil {
			d.em.flush()
			return err
		}
		line := sc.Line()
		at := bytes.Index(l, []byte(" sqlalchemy."))
		t, stamped := logStart(l, &d.tp)
		if at < 0 {
			if isBinary(l) {
				src.SkipLine(line, binaryReason)
				continue
			}
			if !stamped && d.pending {
				d.text.addByte('\n')
				d.text.add(l)
				if sc.TooLong() {
					d.text.truncated = true
				}
				continue
			}
			d.flush(nil, false)
			if len(bytes.TrimSpace(l)) > 0 {
				if stamped {
					src.SkipLine(line, "line from another logger")
				} else {
					src.SkipLine(line, garbageReason(l, "a SQLAlchemy log line"))
				}
			}
			continue
		}
		rest := l[at+1:]
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 {
			continue
		}
		logger, msg := rest[:sp], rest[sp+1:]
		if bytes.HasPrefix(logger, []byte("sqlalchemy.pool")) {
			d.flush(nil, false)
			d.pool(msg, t, line)
			continue
		}
		if !bytes.HasPrefix(logger, []byte("sqlalchemy.engine")) {
			d.flush(nil, false)
			continue // sqlalchemy.orm and friends
		}
		if len(msg) > 0 && msg[0] == '[' {
			if e := bytes.Index(msg, []byte("] ")); e > 0 {
				d.flush(msg[e+2:], true)
			} else {
				d.flush(nil, false)
			}
			continue
		}
		d.flush(nil, false)
		if bytes.HasPrefix(msg, []byte("Col ")) || bytes.HasPrefix(msg, []byte("Row ")) {
			continue // echo="debug" result rows
		}
		if bytes.HasPrefix(msg, []byte("BEGIN (implicit)")) {
			msg = msg[:5]
		}
		st := &d.st
		*st = parse.Statement{Start: t, Session: d.conn, Rows: -1, Line: line}
		// A format with %(threadName)s/%(taskName)s in brackets names the
		// unit of work better than the last checked-out connection: asyncio
		// tasks interleave on one connection pool.
		if task := bracketed(l[:at]); len(task) > 0 {
			st.Session = d.in.get(task)
		}
		d.text.reset()
		d.text.add(msg)
		if sc.TooLong() {
			d.text.truncated = true
		}
		d.pending = true
	}
	d.flush(nil, false)
	d.em.flush()
	return nil
}

func (d *saDecoder) pool(msg []byte, t time.Time, line int64) {
	id := d.in.get(connID(msg))
	ev := &d.ev
	*ev = parse.ConnEvent{Time: t, Session: id, Line: line}
	switch {
	case bytes.HasPrefix(msg, []byte("Created new connection")):
		ev.Kind = parse.ConnOpened
	case bytes.HasPrefix(msg, []byte("Closing connection")) || bytes.HasPrefix(msg, []byte("Hard-closing connection")):
		ev.Kind = parse.ConnClosed
		delete(d.seen, id)
		if d.conn == id {
			d.conn = ""
		}
	case bytes.HasSuffix(msg, []byte("checked out from pool")):
		d.conn = id
		if d.seen[id] {
			ev.Kind = parse.ConnPoolReused
		} else {
			if len(d.seen) < maxSessions {
				d.seen[id] = true
			}
			return
		}
	case bytes.Contains(msg, []byte("being returned to pool")):
		if d.conn == id {
			d.conn = ""
		}
		return
	default:
		return
	}
	d.em.conn(ev)
}

// ---------------------------------------------------------------- Django

func sniffDjango(head []byte) bool {
	n := 0
	sniffLines(head, 1000, func(l []byte) {
		if _, _, ok := djangoDuration(l); ok && bytes.Contains(head, []byte("; args=")) {
			n++
		}
	})
	return n > 0
}

// djangoDuration finds "(0.002) " — at the start of the message, after an
// optional "… django.db.backends " logging prefix — and returns the
// duration and the offset of the SQL.
func djangoDuration(l []byte) (time.Duration, int, bool) {
	i := 0
	if j := bytes.Index(l, []byte("django.db.backends ")); j >= 0 {
		i = j + len("django.db.backends ")
	} else if len(l) > 0 && l[0] != '(' {
		return 0, 0, false
	}
	if i >= len(l) || l[i] != '(' {
		return 0, 0, false
	}
	d, n, ok := parseDecimal(l[i+1:], time.Second)
	if !ok || i+1+n+1 >= len(l) || l[i+1+n] != ')' || l[i+2+n] != ' ' {
		return 0, 0, false
	}
	return d, i + n + 3, true
}

type recDecoder struct {
	em      *emitter
	src     *parse.Source
	in      interner
	tp      timeParser
	st      parse.Statement
	text    textBuf
	params  params
	pending bool
}

func (d *recDecoder) flushDjango() {
	if !d.pending {
		return
	}
	d.pending = false
	st := &d.st
	txt := d.text.b
	st.Params = nil
	if i := bytes.LastIndex(txt, []byte("; args=")); i >= 0 {
		args := txt[i+len("; args="):]
		if j := bytes.LastIndex(args, []byte("; alias=")); j >= 0 {
			args = args[:j]
		}
		txt = txt[:i]
		if !bytes.Equal(args, []byte("None")) {
			d.params.reset()
			d.params.add(args)
			st.Params = d.params.strings()
		}
	}
	txt = bytes.TrimSpace(txt)
	st.Text = bstr(txt)
	st.Truncated = d.text.truncated
	st.Tags = nil
	if hasComment(txt) {
		st.Tags = ExtractTags(txt)
	}
	d.em.stmt(st)
}

func decodeDjango(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	d := &recDecoder{em: newEmitter(ctx, src, sink), src: src}
	d.tp.src = src
	sc := parse.NewLineScanner(r, maxLine)
	for {
		l, ok, err := sc.Next()
		if err != nil {
			d.flushDjango()
			d.em.flush()
			return fmt.Errorf("line %d: %w", sc.Line()+1, err)
		}
		if !ok {
			break
		}
		if err := d.em.tick(); err != nil {
			d.em.flush()
			return err
		}
		line := sc.Line()
		t, stamped := logStart(l, &d.tp)
		dur, off, isSQL := djangoDuration(l)
		if !isSQL {
			if isBinary(l) {
				src.SkipLine(line, binaryReason)
				continue
			}
			if !stamped && d.pending && !bytes.Contains(l, []byte("django.")) {
				d.text.addByte('\n')
				d.text.add(l)
				continue
			}
			d.flushDjango()
			if len(bytes.TrimSpace(l)) > 0 && !bytes.Contains(l, []byte("django.db.backends.schema ")) {
				src.SkipLine(line, "line that is not a django.db.backends SQL line")
			}
			continue
		}
		d.flushDjango()
		st := &d.st
		*st = parse.Statement{Duration: dur, HasDuration: true, Rows: -1, Line: line}
		if stamped {
			st.Start = t.Add(-dur)
		}
		d.text.reset()
		d.text.add(l[off:])
		if sc.TooLong() {
			d.text.truncated = true
		}
		d.pending = true
	}
	d.flushDjango()
	d.em.flush()
	return nil
}

// bracketed returns the contents of the last [...] in b (thread and task
// names in a logging format), or nil.
func bracketed(b []byte) []byte {
	end := bytes.LastIndexByte(b, ']')
	if end < 0 {
		return nil
	}
	start := bytes.LastIndexByte(b[:end], '[')
	if start < 0 || end-start < 2 || end-start > 128 {
		return nil
	}
	return bytes.TrimSpace(b[start+1 : end])
}
