package sqllog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"hotpath/parse"
)

func sniffMySQLGeneral(head []byte) bool {
	var g generalLine
	var tp timeParser
	ok, hdr := 0, false
	sniffLinesCut(head, 400, false, func(l []byte) {
		if isServerHeader(l) {
			hdr = true
			return
		}
		if g.parse(l, &tp) {
			ok++
		}
	})
	return ok > 0 && (hdr || ok >= 3)
}

// generalLine is one general-log entry's first line:
// "[time]\t<spaces>id Command\targument".
type generalLine struct {
	time    time.Time
	hasTime bool
	id      []byte
	cmd     []byte
	arg     []byte
}

var generalCommands = map[string]bool{
	"Connect": true, "Quit": true, "Query": true, "Prepare": true, "Execute": true,
	"Close stmt": true, "Reset stmt": true, "Init DB": true, "Field List": true,
	"Statistics": true, "Ping": true, "Shutdown": true, "Kill": true, "Debug": true,
	"Change user": true, "Binlog Dump": true, "Long Data": true, "Fetch": true,
	"Set option": true, "Daemon": true, "Refresh": true, "Processlist": true,
	"Create DB": true, "Drop DB": true, "Sleep": true, "Time": true, "Delayed insert": true,
	"Table Dump": true, "Register Slave": true, "Error": true, "Bulk_execute": true,
	"Slave_worker": true, "Slave_IO": true, "Slave_SQL": true, "Com_multi": true,
}

func (g *generalLine) parse(l []byte, tp *timeParser) bool {
	g.hasTime = false
	i := bytes.IndexByte(l, '\t')
	if i < 0 {
		return false
	}
	if i > 0 {
		ts := l[:i]
		switch {
		case len(ts) >= 19 && ts[4] == '-': // MySQL 5.7+: 2026-11-27T22:13:12.123456Z (or +01:00)
			sd := slowDecoder{tp: *tp}
			t := sd.slowTime(ts)
			if t.IsZero() {
				return false
			}
			g.time, g.hasTime = t, true
		case len(ts) >= 13 && ts[6] == ' ': // 261127 22:13:12 or 261127  8:05:01
			sd := slowDecoder{}
			t := sd.slowTime(ts)
			if t.IsZero() {
				return false
			}
			g.time, g.hasTime = t, true
		default:
			return false
		}
	}
	rest := bytes.TrimLeft(l[i+1:], "\t ")
	id, n := atoi(rest)
	_ = id
	if n == 0 || n >= len(rest) || rest[n] != ' ' {
		return false
	}
	g.id = rest[:n]
	rest = rest[n+1:]
	j := bytes.IndexByte(rest, '\t')
	if j < 0 {
		j = len(rest)
	}
	g.cmd = rest[:j]
	if !generalCommands[bstr(g.cmd)] {
		return false
	}
	if j < len(rest) {
		g.arg = rest[j+1:]
	} else {
		g.arg = nil
	}
	return true
}

type generalDecoder struct {
	em      *emitter
	src     *parse.Source
	in      interner
	tp      timeParser
	st      parse.Statement
	ev      parse.ConnEvent
	text    textBuf
	pending bool
	swallow bool
	now     time.Time
	dbs     map[string]string // thread → current database
}

func (d *generalDecoder) flush() {
	if !d.pending {
		return
	}
	d.pending = false
	st := &d.st
	txt := bytes.TrimRight(d.text.b, " \t\r\n;")
	st.Text = bstr(txt)
	st.Truncated = d.text.truncated
	st.Tags = nil
	if hasComment(txt) {
		st.Tags = ExtractTags(txt)
	}
	d.em.stmt(st)
}

func decodeMySQLGeneral(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	d := &generalDecoder{em: newEmitter(ctx, src, sink), src: src, dbs: map[string]string{}}
	d.tp.src = src
	sc := parse.NewLineScanner(r, maxLine)
	var g generalLine
	for {
		l, ok, err := sc.Next()
		if err != nil {
			d.flush()
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
		if !g.parse(l, &d.tp) {
			if isServerHeader(l) {
				d.flush()
				continue
			}
			if isBinary(l) {
				src.SkipLine(line, binaryReason)
				continue
			}
			if d.pending && len(bytes.TrimSpace(l)) > 0 || d.pending && len(l) == 0 {
				d.text.addByte('\n')
				d.text.add(l)
				if sc.TooLong() {
					d.text.truncated = true
				}
				continue
			}
			if len(bytes.TrimSpace(l)) == 0 {
				if len(l) > 0 {
					src.SkipLine(line, "general-log entry cut short")
				}
				continue
			}
			if d.swallow {
				continue // continuation of a Prepare or other command
			}
			src.SkipLine(line, garbageReason(l, "a general-log entry (log rotated mid-entry?)"))
			continue
		}
		d.flush()
		d.swallow = true
		if g.hasTime {
			d.now = g.time
		}
		session := d.in.get(g.id)
		switch bstr(g.cmd) {
		case "Query", "Execute":
			st := &d.st
			*st = parse.Statement{Start: d.now, Session: session, Rows: -1, Line: line, Database: d.dbs[session]}
			d.text.reset()
			d.text.add(g.arg)
			if sc.TooLong() {
				d.text.truncated = true
			}
			d.pending, d.swallow = true, false
		case "Connect":
			ev := &d.ev
			*ev = parse.ConnEvent{Time: d.now, Kind: parse.ConnOpened, Session: session, Line: line}
			// "user@host on db using Socket" (MariaDB) / "user@host on db using TCP/IP"
			a := g.arg
			if i := bytes.IndexByte(a, '@'); i > 0 {
				ev.User = d.in.get(a[:i])
				a = a[i+1:]
				if j := bytes.Index(a, []byte(" on ")); j >= 0 {
					ev.Client = d.in.get(a[:j])
					db := a[j+4:]
					if k := bytes.Index(db, []byte(" using")); k >= 0 {
						db = db[:k]
					}
					ev.Database = d.in.get(bytes.TrimSpace(db))
				}
			}
			if len(d.dbs) < maxSessions {
				d.dbs[session] = ev.Database
			}
			d.em.conn(ev)
		case "Quit":
			ev := &d.ev
			*ev = parse.ConnEvent{Time: d.now, Kind: parse.ConnClosed, Session: session, Line: line}
			delete(d.dbs, session)
			d.em.conn(ev)
		case "Init DB":
			if len(d.dbs) < maxSessions {
				d.dbs[session] = d.in.get(bytes.TrimSpace(g.arg))
			}
		}
	}
	d.flush()
	d.em.flush()
	return nil
}
