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
	inText    bool
	cut       bool
	entryTime time.Time // "# Time:" (write time), carried to later entries
	setTS     int64
	line      int64
	thread    []byte
	user      []byte
	host      []byte
	schema    []byte
	qtime     time.Duration
	rowsSent  int64
	rowsAff   int64
}

func (d *slowDecoder) resetEntry() {
	d.hasHeader, d.hasQTime, d.inText, d.cut = false, false, false, false
	d.setTS, d.qtime, d.rowsSent, d.rowsAff = 0, 0, 0, 0
	d.thread, d.user, d.host = d.thread[:0], d.user[:0], d.host[:0]
	d.text.reset()
}

// end finishes the current entry: emits it if it is complete.
func (d *slowDecoder) end(atEOF bool) {
	if !d.hasHeader && !d.inText {
		return
	}
	switch {
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
	default:
		return !d.inText // query plan, explain and other annotations
	}
	switch {
	case hasPrefix(l, "# Time: "):
		d.end(false)
		d.entryTime = d.slowTime(bytes.TrimSpace(l[len("# Time: "):]))
		return true
	case hasPrefix(l, "# User@Host: "):
		d.end(false)
		d.hasHeader = true
		u := l[len("# User@Host: "):]
		if i := bytes.IndexByte(u, '['); i >= 0 {
			d.user = append(d.user[:0], u[:i]...)
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
		d.hasHeader, d.hasQTime = true, true
		if d.queryTimeFast(l) {
			return true
		}
		hdrFields(l, func(k, v []byte) {
			switch bstr(k) {
			case "Query_time":
				d.qtime, _, _ = parseDecimal(v, time.Second)
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

// queryTimeFast reads the common "# Query_time: 0.000387  Lock_time: 0.000000
// Rows_sent: 0  Rows_examined: 0" line without the generic field walk.
func (d *slowDecoder) queryTimeFast(l []byte) bool {
	b := l[len("# Query_time: "):]
	qt, n, ok := parseDecimal(b, time.Second)
	if !ok {
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
		if len(l) > 0 && l[0] == '#' {
			if d.header(l) {
				if !d.inText {
					d.line = line
				}
				continue
			}
		} else if !d.inText && len(l) > 0 {
			if hasPrefix(l, "SET timestamp=") {
				d.setTS, _ = atoi(l[len("SET timestamp="):])
				continue
			}
			if hasPrefix(l, "use ") && bytes.HasSuffix(l, []byte{';'}) && d.hasHeader {
				db := bytes.Trim(l[4:len(l)-1], " `")
				d.schema = append(d.schema[:0], db...)
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
		if isBinary(l) {
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
		if sc.TooLong() {
			d.cut = true
		}
	}
	d.end(true)
	d.em.flush()
	return nil
}
