package applog

import (
	"bytes"
	"strconv"
	"time"

	"hotpath/parse"
)

// AccessRecord is the record of an access logger (aiohttp.access,
// uvicorn.access, gunicorn.access) found in an application log.
type AccessRecord struct {
	// Logger is the logger's name; "" when the layout has no %(name)s and
	// the record was told by its message.
	Logger string
	// Message is the record's message: the access line as the server's
	// own access format wrote it. Valid only during the call.
	Message []byte
	// Time is the record's time (when the line was written; zero when the
	// layout has none).
	Time time.Time
	// Thread, Task and RequestID come from the record's prefix.
	Thread, Task, RequestID string
	Line                    int64
}

// AccessReader reads an access record's message into a server span,
// following the parse.AttrRecord convention (parse/model.go): HTTPMethod,
// HTTPURL, HTTPStatus, Start and Duration where the line has them. It
// reports false for a message it cannot read.
//
// This is the seam to package parse/accesslog, which reads the access
// formats of nginx, Apache, gunicorn and friends: at merge, Formats wires
// that package's reader in place of DefaultAccess, which knows only the
// default message layouts of uvicorn and aiohttp.
type AccessReader func(rec *AccessRecord, sp *parse.Span) bool

// DefaultAccess reads the default access messages of uvicorn
// (`127.0.0.1:51234 - "GET /items/5 HTTP/1.1" 200`) and aiohttp
// (`127.0.0.1 [27/Nov/2026:23:33:01 +0000] "GET /x HTTP/1.1" 200 199 "-" "agent"`).
// Neither logs a duration by default: the span has none. Other access
// formats (gunicorn's combined layout, custom aiohttp formats) are left to
// parse/accesslog.
func DefaultAccess(rec *AccessRecord, sp *parse.Span) bool {
	if rec.Logger != "" && rec.Logger != "uvicorn.access" && rec.Logger != "aiohttp.access" {
		return false
	}
	m := firstLine(rec.Message)
	method, target, status, ok := defaultAccess(m)
	if !ok {
		return false
	}
	sp.HTTPMethod = string(method)
	sp.HTTPURL = string(target)
	sp.HTTPStatus = status
	sp.Start = rec.Time
	return true
}

// defaultAccessShape: the message is one of the two default layouts.
func defaultAccessShape(m []byte) bool {
	_, _, _, ok := defaultAccess(firstLine(m))
	return ok
}

func defaultAccess(m []byte) (method, target []byte, status int, ok bool) {
	sp := bytes.IndexByte(m, ' ')
	if sp <= 0 || !isClientAddr(m[:sp]) {
		return nil, nil, 0, false
	}
	rest := m[sp+1:]
	switch {
	case bytes.HasPrefix(rest, []byte(`- "`)): // uvicorn
		rest = rest[2:]
	case len(rest) > 0 && rest[0] == '[': // aiohttp %t
		e := bytes.Index(rest, []byte(`] "`))
		if e < 0 || e > 40 {
			return nil, nil, 0, false
		}
		if _, tk, _, ok := timeAt(rest[1:e], tDMonY, 0); !ok || tk != tDMonY {
			return nil, nil, 0, false
		}
		rest = rest[e+2:]
	default:
		return nil, nil, 0, false
	}
	// "METHOD TARGET HTTP/x.y" STATUS
	q := bytes.IndexByte(rest[1:], '"')
	if q < 0 {
		return nil, nil, 0, false
	}
	reqLine := rest[1 : 1+q]
	after := rest[2+q:]
	f := bytes.Fields(reqLine)
	if len(f) != 3 || !bytes.HasPrefix(f[2], []byte("HTTP/")) || !isMethod(f[0]) {
		return nil, nil, 0, false
	}
	if len(after) < 4 || after[0] != ' ' {
		return nil, nil, 0, false
	}
	st, err := strconv.Atoi(string(after[1:4]))
	if err != nil || st < 100 || st > 599 || len(after) > 4 && after[4] != ' ' {
		return nil, nil, 0, false
	}
	return f[0], f[1], st, true
}

func isMethod(b []byte) bool {
	if len(b) < 3 || len(b) > 10 {
		return false
	}
	for _, c := range b {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// isClientAddr: "127.0.0.1", "127.0.0.1:51234", "[::1]:51234", "::1".
func isClientAddr(b []byte) bool {
	if len(b) < 2 || len(b) > 64 {
		return false
	}
	digits := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || c == ':' || c == '[' || c == ']' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return digits > 0 || bytes.Contains(b, []byte("::"))
}

// readAccess turns an access record into a server span through the
// configured reader.
func (d *decoder) readAccess(r *record) {
	d.stats.accessRecords[accessIndex(r.logger)]++
	if d.access == nil {
		return
	}
	ar := &d.accRec
	*ar = AccessRecord{Logger: d.in.get(r.logger), Message: r.msg, Time: r.time,
		Thread: d.in.get(r.thread), Task: d.in.get(r.task), RequestID: d.in.get(r.reqID), Line: r.line}
	sp := &d.span
	*sp = parse.Span{}
	if !d.access(ar, sp) {
		return
	}
	sp.Kind = "server"
	sp.Category = parse.CatHTTPServer
	if sp.TraceID == "" {
		sp.TraceID = ar.RequestID
	}
	if sp.Thread == "" {
		sp.Thread = ar.Thread
	}
	if sp.Service == "" {
		sp.Service = ar.Logger
	}
	if sp.Name == "" {
		path := sp.HTTPURL
		if i := bytes.IndexByte([]byte(path), '?'); i >= 0 {
			path = path[:i]
		}
		sp.Name = sp.HTTPMethod + " " + path
	}
	if sp.Attrs == nil {
		sp.Attrs = map[string]string{}
	}
	sp.Attrs[parse.AttrRecord] = parse.RecordAccessLog
	if ar.Task != "" {
		sp.Attrs["asyncio.task.name"] = ar.Task
	}
	d.stats.requests[accessIndex(r.logger)]++
	d.em.span(sp)
}

var accessLoggers = [...]string{"aiohttp.access", "uvicorn.access", "gunicorn.access", "access (told by message)"}

func accessIndex(logger []byte) int {
	for i, n := range accessLoggers[:3] {
		if string(logger) == n {
			return i
		}
	}
	return 3
}
