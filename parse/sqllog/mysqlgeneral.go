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
	ok, hdr, lines, timedFirst := 0, false, 0, false
	sniffLinesCut(head, 400, false, func(l []byte) {
		if len(bytes.TrimSpace(l)) == 0 {
			return
		}
		lines++
		if isServerHeader(l) {
			hdr = true
			return
		}
		if g.parse(l, &tp) {
			ok++
			// A first line with a timestamp, a thread id and a command
			// is the general log's own shape, however few entries follow.
			timedFirst = timedFirst || lines == 1 && g.hasTime
		}
	})
	return ok > 0 && (hdr || ok >= 3 || timedFirst)
}

// generalLine is one general-log entry's first line, in any of the layouts
// servers wrote over the years:
//
//	MariaDB, MySQL 5.5/5.6  "[YYMMDD H:MM:SS]\t<spaces>id Command\targument"
//	MySQL 5.0/5.1           "[YYMMDD HH:MM:SS]\t<spaces>id Command<spaces>argument"
//	MySQL 5.7+, 8           "2026-11-27T22:13:12.123456Z<spaces or tab>id Command\targument"
//
// A line without a timestamp starts with blanks (tabs, or spaces where the
// tabs were expanded); the time is that of the last line that had one.
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

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// generalTime reads the timestamp a general-log line starts with and returns
// the bytes it took: "051007 21:55:24", "100211  0:55:24", "051007   21:55:24"
// (MySQL 5.0/5.1, MariaDB) or ISO 8601 with a fraction and a zone (5.7+).
func generalTime(l []byte, tp *timeParser) (time.Time, int, bool) {
	if len(l) >= 19 && l[4] == '-' && l[10] == 'T' {
		n := 19
		for n < len(l) && !isBlank(l[n]) {
			n++
		}
		sd := slowDecoder{tp: *tp}
		t := sd.slowTime(l[:n])
		return t, n, !t.IsZero()
	}
	if len(l) < 13 || l[6] != ' ' {
		return time.Time{}, 0, false
	}
	for _, c := range l[:6] {
		if c < '0' || c > '9' {
			return time.Time{}, 0, false
		}
	}
	n := 6
	for n < len(l) && l[n] == ' ' {
		n++
	}
	_, h := atoi(l[n:])
	if h == 0 || h > 2 || n+h+6 > len(l) || l[n+h] != ':' || l[n+h+3] != ':' {
		return time.Time{}, 0, false
	}
	n += h + 6
	sd := slowDecoder{}
	t := sd.slowTime(l[:n])
	return t, n, !t.IsZero()
}

func (g *generalLine) parse(l []byte, tp *timeParser) bool {
	g.hasTime = false
	rest := l
	if len(l) == 0 {
		return false
	}
	if !isBlank(l[0]) {
		t, n, ok := generalTime(l, tp)
		if !ok || n >= len(l) || !isBlank(l[n]) {
			return false
		}
		g.time, g.hasTime = t, true
		rest = l[n:]
	}
	rest = bytes.TrimLeft(rest, "\t ")
	_, n := atoi(rest)
	if n == 0 || n >= len(rest) || rest[n] != ' ' {
		return false
	}
	g.id = rest[:n]
	rest = rest[n+1:]
	// The command: one word, or two ("Init DB", "Close stmt").
	w := 0
	for w < len(rest) && (rest[w] >= 'A' && rest[w] <= 'Z' || rest[w] >= 'a' && rest[w] <= 'z' || rest[w] == '_') {
		w++
	}
	if w == 0 {
		return false
	}
	cmd := rest[:w]
	if w+1 < len(rest) && rest[w] == ' ' {
		w2 := w + 1
		for w2 < len(rest) && rest[w2] >= 'A' && rest[w2] <= 'Z' || w2 < len(rest) && rest[w2] >= 'a' && rest[w2] <= 'z' {
			w2++
		}
		if w2 > w+1 && generalCommands[bstr(rest[:w2])] && (w2 == len(rest) || isBlank(rest[w2])) {
			cmd, w = rest[:w2], w2
		}
	}
	if !generalCommands[bstr(cmd)] || w < len(rest) && !isBlank(rest[w]) {
		return false
	}
	g.cmd = cmd
	rest = rest[w:]
	switch {
	case len(rest) == 0:
		g.arg = nil
	case rest[0] == '\t':
		g.arg = rest[1:] // the tab layouts: the argument is verbatim
	default:
		g.arg = bytes.TrimLeft(rest, " ") // 5.0/5.1: the command padded with spaces
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
			// "user@host on db using Socket" (MariaDB) / "user@host on db
			// using TCP/IP" / "user@host as proxy on db" (MySQL 5.5+).
			a := g.arg
			if hasPrefix(a, "Access denied for user ") {
				// A refused login: an attempt, never a session.
				ev.Kind = parse.ConnReceived
				a = a[len("Access denied for user "):]
				if i := bytes.Index(a, []byte("'@'")); i > 1 && a[0] == '\'' {
					ev.User = d.in.get(a[1:i])
					if j := bytes.IndexByte(a[i+3:], '\''); j >= 0 {
						ev.Client = d.in.get(a[i+3 : i+3+j])
					}
				}
				d.em.conn(ev)
				break
			}
			if i := bytes.IndexByte(a, '@'); i > 0 {
				ev.User = d.in.get(a[:i])
				a = a[i+1:]
				if j := bytes.Index(a, []byte(" on ")); j >= 0 {
					host := a[:j]
					if k := bytes.IndexByte(host, ' '); k >= 0 {
						host = host[:k] // "localhost as anonymous"
					}
					ev.Client = d.in.get(host)
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
	d.em.finish()
	return nil
}
