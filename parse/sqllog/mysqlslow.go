package sqllog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"hotpath/parse"
)

func sniffMySQLSlow(head []byte) bool {
	hdr := 0
	sniffLines(head, 2000, func(l []byte) {
		if hasPrefix(l, "# Query_time: ") || hasPrefix(l, "# User@Host: ") {
			hdr++
		}
	})
	return hdr > 0
}

// isServerHeader reports the three lines mysqld/mariadbd writes when it
// (re)opens a log: "…, Version: … started with:", "Tcp port: …", and the
// column header "Time  Id Command  Argument".
func isServerHeader(l []byte) bool {
	if len(l) < 4 || l[0] != 'T' && l[len(l)-1] != ':' && l[len(l)-1] != ' ' {
		return false // the common case, decided without a scan
	}
	switch {
	case hasPrefix(l, "Tcp port: "):
		return true
	case hasPrefix(l, "Time") && bytes.Contains(l, []byte("Id Command")):
		return true
	case bytes.Contains(l, []byte(", Version: ")) && bytes.HasSuffix(bytes.TrimRight(l, " "), []byte("started with:")):
		return true
	}
	return false
}

type slowDecoder struct {
	em   *emitter
	src  *parse.Source
	in   interner // threads
	inU  interner // users
	inH  interner // hosts
	inDB interner
	tp   timeParser
	st   parse.Statement
	text textBuf

	hasHeader bool // a "# User@Host" or "# Query_time" was seen for this entry
	hasQTime  bool
	badQTime  bool // the Query_time could not be read: the entry is skipped
	inText    bool
	cut       bool
	semi      bool      // the last text line ended with ';': a header line starts the next entry
	use       []byte    // "use db" of this entry: the statement when no other text follows
	entryTime time.Time // "# Time:" (write time), carried to later entries
	setTS     int64
	line      int64 // first line of the entry's statement (or header)
	lineNo    int64 // line being read
	thread    []byte
	user      []byte
	host      []byte
	schema    []byte
	qtime     time.Duration
	rowsSent  int64
	rowsAff   int64
}

func (d *slowDecoder) resetEntry() {
	d.hasHeader, d.hasQTime, d.badQTime, d.inText, d.cut, d.semi = false, false, false, false, false, false
	d.use = d.use[:0]
	d.setTS, d.qtime, d.rowsSent, d.rowsAff = 0, 0, 0, 0
	d.thread, d.user, d.host = d.thread[:0], d.user[:0], d.host[:0]
	d.text.reset()
}

// end finishes the current entry: emits it if it is complete.
func (d *slowDecoder) end(atEOF bool) {
	if !d.hasHeader && !d.inText {
		return
	}
	if !d.inText && len(d.use) > 0 {
		// The server writes "use db;" before a statement when the default
		// database changed; an entry that has nothing after it ran USE
		// itself (pt-query-digest counts it too).
		d.text.add(d.use)
		d.text.addByte(';')
		d.inText = true
	}
	switch {
	case d.badQTime:
		d.src.SkipLine(d.line, "slow-log entry with an unreadable # Query_time value (garbled by the server?)")
	case !d.inText:
		d.src.SkipLine(d.line, "slow-log entry without statement text (cut short?)")
	case !d.hasQTime:
		d.src.SkipLine(d.line, "slow-log entry without a # Query_time line (cut short?)")
	default:
		txt := bytes.TrimRight(d.text.b, " \t\r\n")
		truncated := d.text.truncated || d.cut
		if bytes.HasSuffix(txt, []byte{';'}) {
			txt = txt[:len(txt)-1]
		} else if atEOF {
			truncated = true
			d.src.Warnf("the last slow-log entry (line %d) is cut short", d.line)
		}
		st := &d.st
		st.Text = bstr(txt)
		st.Truncated = truncated
		st.Duration, st.HasDuration = d.qtime, true
		switch {
		case d.setTS > 0:
			st.Start = time.Unix(d.setTS, 0).UTC()
		case !d.entryTime.IsZero():
			st.Start = d.entryTime.Add(-d.qtime)
		default:
			st.Start = time.Time{}
		}
		st.Session = d.in.get(d.thread)
		st.User = d.inU.get(d.user)
		st.Client = d.inH.get(d.host)
		st.Database = d.inDB.get(d.schema)
		st.Rows = d.rowsSent + d.rowsAff
		st.Line = d.line
		st.Params = nil
		st.Tags = nil
		if hasComment(txt) {
			st.Tags = ExtractTags(txt)
		}
		d.em.stmt(st)
	}
	d.resetEntry()
}

// hdrFields walks "# Key: value  Key: value" pairs.
func hdrFields(l []byte, fn func(k, v []byte)) {
	l = l[2:]
	for len(l) > 0 {
		c := bytes.IndexByte(l, ':')
		if c <= 0 {
			return
		}
		k := bytes.TrimLeft(l[:c], " ")
		l = bytes.TrimLeft(l[c+1:], " ")
		e := bytes.IndexByte(l, ' ')
		if e < 0 {
			e = len(l)
		}
		fn(k, l[:e])
		l = l[e:]
	}
}

func (d *slowDecoder) header(l []byte) bool {
	if len(l) < 3 || l[1] != ' ' {
		return len(l) == 1 || len(l) > 1 && (l[1] == ' ' || l[1] == '\t') && !d.inText
	}
	if d.inText && d.semi && startsEntry(l) {
		// The server ends every entry with "statement;\n" and begins the
		// next with header lines, but not always with "# Time:" or
		// "# User@Host:" (entries may start at "# Query_time:"): as
		// pt-query-digest does, ";" then a header line is a boundary.
		d.end(false)
	}
	// Dispatch on the key's first letters: one prefix test per line
	// instead of a chain of them.
	switch l[2] {
	case 'T':
		if len(l) > 3 && l[3] == 'i' {
			break // # Time:
		}
		if len(l) > 3 && l[3] == 'h' && !d.inText {
			break // # Thread_id:
		}
		return !d.inText
	case 'U', 'Q', 'R':
	case 'a':
		if !d.inText && hasPrefix(l, "# administrator command: ") {
			d.adminCommand(l)
			return true
		}
		return !d.inText
	default:
		return !d.inText // query plan, explain and other annotations
	}
	switch {
	case hasPrefix(l, "# Time: "):
		d.end(false)
		d.entryTime = d.slowTime(bytes.TrimSpace(l[len("# Time: "):]))
		if i := bytes.Index(l, []byte(" # User@Host: ")); i > 0 {
			d.userHost(l[i+len(" # User@Host: "):]) // both on one line (MySQL 5.0)
		}
		return true
	case hasPrefix(l, "# User@Host: "):
		d.end(false)
		d.userHost(l[len("# User@Host: "):])
		return true
	case hasPrefix(l, "# User: "):
		d.end(false) // "# User: u[u] @ [host]", as some builds write it
		d.userHost(l[len("# User: "):])
		return true
	case d.inText:
		return false
	case hasPrefix(l, "# Thread_id: "):
		d.hasHeader = true
		// MariaDB: "# Thread_id: 3  Schema: sbtest  QC_hit: No"
		b := l[len("# Thread_id: "):]
		if _, n := atoi(b); n > 0 && hasPrefix(b[n:], "  Schema: ") {
			d.thread = append(d.thread[:0], b[:n]...)
			sc := b[n+len("  Schema: "):]
			if e := bytes.IndexByte(sc, ' '); e >= 0 {
				sc = sc[:e]
			}
			d.schema = append(d.schema[:0], sc...)
			return true
		}
		hdrFields(l, func(k, v []byte) {
			switch bstr(k) {
			case "Thread_id":
				d.thread = append(d.thread[:0], v...)
			case "Schema":
				if !hasPrefix(v, "QC_hit") {
					d.schema = append(d.schema[:0], v...)
				}
			}
		})
		return true
	case hasPrefix(l, "# Query_time: "):
		if d.hasQTime {
			d.end(false) // a second timing line: the entry before had no text
		}
		d.hasHeader, d.hasQTime = true, true
		if d.queryTimeFast(l) {
			return true
		}
		hdrFields(l, func(k, v []byte) {
			switch bstr(k) {
			case "Query_time":
				var ok bool
				if d.qtime, ok = slowSeconds(v); !ok {
					d.badQTime = true
				}
			case "Rows_sent":
				d.rowsSent, _ = atoi(v)
			case "Rows_affected":
				d.rowsAff, _ = atoi(v)
			case "Thread_id":
				d.thread = append(d.thread[:0], v...)
			}
		})
		return true
	case hasPrefix(l, "# Rows_affected: "):
		if n, used := atoi(l[len("# Rows_affected: "):]); used > 0 {
			d.rowsAff = n
			return true
		}
		hdrFields(l, func(k, v []byte) {
			if bstr(k) == "Rows_affected" {
				d.rowsAff, _ = atoi(v)
			}
		})
		return true
	case l[0] == '#' && (len(l) == 1 || l[1] == ' ' || l[1] == '\t'):
		return true // query plan, explain and other annotations
	}
	return false
}

// slowSeconds reads a "# Query_time:" value: decimal seconds, nothing else
// ("18446744073708.796870.000036" — a wrapped-around timer some servers
// wrote — is not a time).
func slowSeconds(v []byte) (time.Duration, bool) {
	d, n, ok := parseDecimal(v, time.Second)
	if !ok || n != len(v) || d < 0 {
		return 0, false
	}
	return d, true
}

// startsEntry reports whether a '#' line is one the server writes at the
// start of an entry: "# Key: value" with a capitalised key (Time, User@Host,
// Thread_id, Query_time …) or "# administrator command:", as
// pt-query-digest recognises them.
func startsEntry(l []byte) bool {
	if hasPrefix(l, "# administrator command: ") {
		return true
	}
	i := 1
	for i < len(l) && l[i] == ' ' {
		i++
	}
	if i == 1 || i >= len(l) || l[i] < 'A' || l[i] > 'Z' {
		return false
	}
	for i++; i < len(l) && (l[i] >= 'a' && l[i] <= 'z' || l[i] >= 'A' && l[i] <= 'Z' || l[i] == '_' || l[i] == '@'); i++ {
	}
	return i+1 < len(l) && l[i] == ':' && l[i+1] == ' '
}

// userHost reads "user[user] @ host [ip]" (and MySQL 5.6+'s "  Id: 8").
func (d *slowDecoder) userHost(u []byte) {
	d.hasHeader = true
	if i := bytes.IndexByte(u, '['); i >= 0 {
		d.user = append(d.user[:0], bytes.TrimSpace(u[:i])...)
	}
	if i := bytes.Index(u, []byte(" @ ")); i >= 0 {
		h := u[i+3:]
		ip := []byte(nil)
		if j := bytes.IndexByte(h, '['); j >= 0 {
			ip = h[j+1:]
			if k := bytes.IndexByte(ip, ']'); k >= 0 {
				ip = ip[:k]
			}
			h = bytes.TrimSpace(h[:j])
		}
		if len(h) == 0 {
			h = ip
		}
		d.host = append(d.host[:0], h...)
	}
	if i := bytes.Index(u, []byte("Id:")); i >= 0 {
		id := bytes.TrimSpace(u[i+3:])
		d.thread = append(d.thread[:0], id...)
	}
}

// adminCommand reads "# administrator command: Quit;", the entry of a
// protocol command (Quit, Ping, Prepare, Init DB …) rather than of SQL text;
// it is counted as the statement "administrator command: Quit", as
// pt-query-digest counts it.
func (d *slowDecoder) adminCommand(l []byte) {
	if !d.hasHeader {
		d.src.SkipLine(d.lineNo, "administrator command without its entry header (log rotated mid-entry?)")
		return
	}
	d.inText, d.semi = true, true
	d.line = d.lineNo
	d.text.add(bytes.TrimRight(l[len("# "):], " \t\r"))
}

// queryTimeFast reads the common "# Query_time: 0.000387  Lock_time: 0.000000
// Rows_sent: 0  Rows_examined: 0" line without the generic field walk.
func (d *slowDecoder) queryTimeFast(l []byte) bool {
	b := l[len("# Query_time: "):]
	qt, n, ok := parseDecimal(b, time.Second)
	if !ok || n >= len(b) || b[n] != ' ' {
		return false
	}
	b = b[n:]
	i := bytes.Index(b, []byte("Rows_sent: "))
	if i < 0 {
		return false
	}
	b = b[i+len("Rows_sent: "):]
	rs, n := atoi(b)
	if n == 0 {
		return false
	}
	b = b[n:]
	d.qtime, d.rowsSent = qt, rs
	// MySQL 8 with log_slow_extra and Percona put more on this line.
	if len(b) > 20 && bytes.Contains(b, []byte("Rows_affected: ")) || bytes.Contains(b, []byte("Thread_id: ")) {
		return false
	}
	return true
}

// slowTime reads "# Time:" values: "261127 22:13:12", "261127  8:05:01",
// "2026-11-27T22:13:12.123456Z" or with an offset.
func (d *slowDecoder) slowTime(b []byte) time.Time {
	if len(b) >= 19 && b[4] == '-' {
		t, _, ok := d.tp.pgTime(b)
		if !ok {
			return time.Time{}
		}
		if tz := b[19:]; len(tz) > 0 {
			for len(tz) > 0 && (tz[0] == '.' || tz[0] >= '0' && tz[0] <= '9') {
				tz = tz[1:]
			}
			if len(tz) > 0 && tz[0] != 'Z' {
				t = t.Add(-time.Duration(d.tp.zone(tz)) * time.Second)
			}
		}
		return t
	}
	if len(b) < 13 || b[6] != ' ' {
		return time.Time{}
	}
	y, ok1 := digits2(b)
	mo, ok2 := digits2(b[2:])
	dd, ok3 := digits2(b[4:])
	rest := bytes.TrimLeft(b[7:], " ")
	h, n := atoi(rest)
	if !(ok1 && ok2 && ok3) || n == 0 || len(rest) < n+6 {
		return time.Time{}
	}
	mi, ok4 := digits2(rest[n+1:])
	s, ok5 := digits2(rest[n+4:])
	if !ok4 || !ok5 {
		return time.Time{}
	}
	return time.Date(2000+y, time.Month(mo), dd, int(h), mi, s, 0, time.UTC)
}

// isSlowSet reports the "SET …;" line the server writes before a statement
// (timestamp, insert_id, last_insert_id; upper-case SET, as sql/log.cc
// writes it).
func isSlowSet(l []byte) bool {
	return hasPrefix(l, "SET timestamp=") || hasPrefix(l, "SET insert_id=") || hasPrefix(l, "SET last_insert_id=")
}

func decodeMySQLSlow(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	d := &slowDecoder{em: newEmitter(ctx, src, sink), src: src}
	d.tp.src = src
	sc := parse.NewLineScanner(r, maxLine)
	for {
		l, ok, err := sc.Next()
		if err != nil {
			d.end(true)
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
		d.lineNo = line
		if len(l) > 0 && l[0] == '#' {
			if d.header(l) {
				if !d.inText {
					d.line = line
				}
				continue
			}
		} else if !d.inText && len(l) > 0 {
			if isSlowSet(l) {
				// "SET timestamp=…;", "SET insert_id=…,timestamp=…;":
				// what the server wrote about the statement, not SQL it ran.
				if i := bytes.Index(l, []byte("timestamp=")); i >= 0 {
					d.setTS, _ = atoi(l[i+len("timestamp="):])
				}
				continue
			}
			if hasPrefix(l, "use ") && bytes.HasSuffix(l, []byte{';'}) && d.hasHeader {
				db := bytes.Trim(l[4:len(l)-1], " `")
				d.schema = append(d.schema[:0], db...)
				d.use = append(d.use[:0], l[:len(l)-1]...)
				continue
			}
			if isServerHeader(l) {
				d.end(false)
				continue
			}
		} else if len(l) > 0 && l[0] != ' ' && isServerHeader(l) {
			d.end(false)
			continue
		}
		// A statement may hold control bytes (a binary string literal, which
		// the server writes raw); NUL bytes, or control bytes outside an
		// entry, are garbage.
		if bytes.IndexByte(l, 0) >= 0 || !d.hasHeader && !d.inText && isBinary(l) {
			src.SkipLine(line, binaryReason)
			continue
		}
		if !d.inText {
			if !d.hasHeader {
				if len(bytes.TrimSpace(l)) > 0 {
					src.SkipLine(line, garbageReason(l, "part of a slow-log entry: statement text without its header (log rotated mid-entry?)"))
				}
				continue
			}
			d.inText = true
			d.line = line
		} else {
			d.text.addByte('\n')
		}
		d.text.add(l)
		d.semi = bytes.HasSuffix(bytes.TrimRight(l, " \t\r"), []byte{';'})
		if sc.TooLong() {
			d.cut = true
		}
	}
	d.end(true)
	d.em.finish()
	return nil
}
