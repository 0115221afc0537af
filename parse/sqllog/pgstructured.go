package sqllog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"hotpath/parse"
)

// maxRecord bounds one csvlog record (which may span lines).
const maxRecord = 1 << 20

func sniffPGCSV(head []byte) bool {
	ok, seen := 0, 0
	var tp timeParser
	sniffLines(head, 50, func(l []byte) {
		// The server writes the timestamp bare; a CSV re-export of the
		// log (COPY … CSV FORCE QUOTE *, spreadsheet tools) quotes it.
		q := 0
		if len(l) > 0 && l[0] == '"' {
			q = 1
		}
		if len(l) < 24+2*q || l[q] < '0' || l[q] > '9' {
			return
		}
		seen++
		if _, n, good := tp.pgTime(l[q:]); good && n+2*q < len(l) && (q == 0 || l[q+n] == '"') && l[n+2*q] == ',' &&
			bytes.Count(l, []byte{','}) >= 12 {
			ok++
		}
	})
	return ok > 0 && ok*2 >= seen
}

func sniffPGJSON(head []byte) bool {
	ok := 0
	sniffLines(head, 20, func(l []byte) {
		if bytes.HasPrefix(l, []byte(`{"timestamp":"`)) && bytes.Contains(l, []byte(`"error_severity":"`)) ||
			isCNPG(l) {
			ok++
		}
	})
	return ok > 0
}

// isCNPG reports a CloudNativePG log line: the operator's instance manager
// wraps each csvlog record, under the csvlog's column names, in a JSON
// object of its own ({"level":…,"logger":"postgres","record":{…}}).
func isCNPG(l []byte) bool {
	return bytes.HasPrefix(l, []byte(`{"level":"`)) && bytes.Contains(l, []byte(`"logger":"postgres"`)) &&
		bytes.Contains(l, []byte(`"record":{"log_time":"`))
}

// csvReader reads RFC 4180 records (PostgreSQL's csvlog dialect) from a
// LineScanner, with bounded memory.
type csvReader struct {
	sc     *parse.LineScanner
	buf    []byte
	ends   []int
	fields [][]byte
	start  int64
	cut    bool
}

// next returns the fields of the next record, valid until the next call.
func (c *csvReader) next() ([][]byte, bool, error) {
	c.buf, c.ends, c.cut = c.buf[:0], c.ends[:0], false
	inQuote := false
	first := true
	for {
		l, ok, err := c.sc.Next()
		if err != nil || !ok {
			if !first {
				c.finishField()
				return c.split(), true, nil
			}
			return nil, false, err
		}
		if first {
			c.start = c.sc.Line()
		} else {
			c.put('\n')
		}
		first = false
		if c.sc.TooLong() {
			c.cut = true
		}
		for i := 0; i < len(l); i++ {
			ch := l[i]
			switch {
			case inQuote && ch == '"':
				if i+1 < len(l) && l[i+1] == '"' {
					c.put('"')
					i++
				} else {
					inQuote = false
				}
			case inQuote:
				c.put(ch)
			case ch == '"':
				inQuote = true
			case ch == ',':
				c.finishField()
			default:
				c.put(ch)
			}
		}
		if !inQuote || c.sc.TooLong() {
			// A line cut at the limit lost its end, closing quote
			// included: end the record there rather than read the
			// records after it into its field.
			c.finishField()
			return c.split(), true, nil
		}
	}
}

func (c *csvReader) put(ch byte) {
	if len(c.buf) < maxRecord {
		c.buf = append(c.buf, ch)
	} else {
		c.cut = true
	}
}

func (c *csvReader) finishField() { c.ends = append(c.ends, len(c.buf)) }

func (c *csvReader) split() [][]byte {
	c.fields = c.fields[:0]
	s := 0
	for _, e := range c.ends {
		c.fields = append(c.fields, c.buf[s:e])
		s = e
	}
	return c.fields
}

// csvlog columns (PostgreSQL 13–17 share the first 23).
const (
	csvTime = iota
	csvUser
	csvDB
	csvPid
	csvFrom
	csvSession
	csvLineNum
	csvTag
	csvSessStart
	csvVxid
	csvTxid
	csvSeverity
	csvState
	csvMessage
	csvDetail
	csvHint
	csvIQuery
	csvIQueryPos
	csvContext
	csvQuery
	csvQueryPos
	csvLocation
	csvApp
	csvMinFields = csvApp + 1
)

func decodePGCSV(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	d := newPGDecoder(ctx, src, sink)
	// A physical line may hold a whole record with a statement longer
	// than MaxStatement (the text is cut later, and counted): read lines
	// up to the record's limit, not the statement's.
	cr := &csvReader{sc: parse.NewLineScanner(r, maxRecord)}
	var f pgFields
	var msg []byte
	for {
		rec, ok, err := cr.next()
		if err != nil {
			d.finish()
			return fmt.Errorf("line %d: %w", cr.sc.Line()+1, err)
		}
		if !ok {
			break
		}
		if err := d.em.tick(); err != nil {
			d.finish()
			return err
		}
		if len(rec) < csvMinFields {
			d.flush()
			src.SkipLine(cr.start, garbageReason(bytes.Join(rec, []byte{','}), "a csvlog record"))
			continue
		}
		t, _, tok := d.tp.pgTime(rec[csvTime])
		if !tok {
			d.flush()
			src.SkipLine(cr.start, "csvlog record with an unreadable log_time")
			continue
		}
		f = pgFields{time: t, user: rec[csvUser], db: rec[csvDB], pid: rec[csvPid],
			session: rec[csvSession], app: rec[csvApp], client: hostOf(rec[csvFrom])}
		msg = pgSynth(msg[:0], rec[csvSeverity], rec[csvMessage])
		d.message(msg, &f, cr.start)
		if cr.cut && d.kind == pgStmt {
			d.text.truncated = true
		}
		if len(rec[csvDetail]) > 0 && d.kind == pgStmt {
			msg = pgSynth(msg[:0], []byte("DETAIL"), rec[csvDetail])
			d.message(msg, &f, cr.start)
		}
	}
	d.finish()
	return d.found()
}

// pgSynth builds "SEVERITY:  message" as the stderr decoder expects it.
func pgSynth(dst, sev, msg []byte) []byte {
	dst = append(dst, sev...)
	dst = append(dst, ':', ' ', ' ')
	return append(dst, msg...)
}

// hostOf cuts the port from "host:port" (connection_from) — IPv6 hosts
// keep their colons.
func hostOf(b []byte) []byte {
	if i := bytes.LastIndexByte(b, ':'); i > 0 && bytes.Count(b, []byte{':'}) == 1 {
		return b[:i]
	}
	return b
}

type pgJSONRecord struct {
	Timestamp string `json:"timestamp"`
	User      string `json:"user"`
	DBName    string `json:"dbname"`
	Pid       int64  `json:"pid"`
	Host      string `json:"remote_host"`
	Session   string `json:"session_id"`
	Severity  string `json:"error_severity"`
	Message   string `json:"message"`
	Detail    string `json:"detail"`
	App       string `json:"application_name"`
	// Record is CloudNativePG's wrapped csvlog record.
	Record *cnpgRecord `json:"record"`
}

type cnpgRecord struct {
	LogTime  string `json:"log_time"`
	User     string `json:"user_name"`
	DBName   string `json:"database_name"`
	Pid      string `json:"process_id"`
	From     string `json:"connection_from"`
	Session  string `json:"session_id"`
	Severity string `json:"error_severity"`
	Message  string `json:"message"`
	Detail   string `json:"detail"`
	App      string `json:"application_name"`
}

func decodePGJSON(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	d := newPGDecoder(ctx, src, sink)
	sc := parse.NewLineScanner(r, maxRecord)
	var f pgFields
	var msg, pid []byte
	var rec pgJSONRecord
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
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if sc.TooLong() {
			d.flush()
			src.SkipLine(line, fmt.Sprintf("jsonlog record longer than %d bytes", maxRecord))
			continue
		}
		rec = pgJSONRecord{}
		err = json.Unmarshal(l, &rec)
		if err == nil && rec.Record != nil && rec.Severity == "" {
			c := rec.Record
			rec.Timestamp, rec.User, rec.DBName, rec.Host = c.LogTime, c.User, c.DBName, string(hostOf([]byte(c.From)))
			rec.Session, rec.Severity, rec.Message, rec.Detail, rec.App = c.Session, c.Severity, c.Message, c.Detail, c.App
			rec.Pid, _ = strconv.ParseInt(c.Pid, 10, 64)
		}
		if err != nil || rec.Severity == "" {
			d.flush()
			if err == nil && bytes.HasPrefix(l, []byte(`{"level":"`)) {
				src.SkipLine(line, "CloudNativePG message of the instance manager, not a PostgreSQL record")
				continue
			}
			src.SkipLine(line, garbageReason(l, "a jsonlog record"))
			continue
		}
		t, _, _ := d.tp.pgTime([]byte(rec.Timestamp))
		pid = fmt.Appendf(pid[:0], "%d", rec.Pid)
		f = pgFields{time: t, user: []byte(rec.User), db: []byte(rec.DBName), pid: pid,
			session: []byte(rec.Session), app: []byte(rec.App), client: []byte(rec.Host)}
		msg = pgSynth(msg[:0], []byte(rec.Severity), []byte(rec.Message))
		d.message(msg, &f, line)
		if rec.Detail != "" && d.kind == pgStmt {
			msg = pgSynth(msg[:0], []byte("DETAIL"), []byte(rec.Detail))
			d.message(msg, &f, line)
		}
	}
	d.finish()
	return d.found()
}
