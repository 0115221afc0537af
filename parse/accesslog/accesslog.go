// Package accesslog reads HTTP access logs as request records: one server
// span per request (parse.AttrRecord's convention), with method, path,
// status, duration when the layout logs one, time, and the request id when
// it is logged.
//
// The layout is inferred from the first lines, as the PostgreSQL prefix is:
//
//   - common-log style lines — nginx and Apache "common" and "combined",
//     gunicorn's default, aiohttp's default, gorilla/handlers'
//     CombinedLoggingHandler and LoggingHandler, uvicorn's
//     `127.0.0.1:5 - "GET /x HTTP/1.1" 200 OK` — with whatever prefix (a
//     logging format, syslog, a container runtime) and whatever fields
//     around them, the duration included: nginx $request_time and
//     $upstream_response_time (decimal seconds, bare, quoted or as
//     rt=/urt= fields), Apache %D (µs), %{ms}T, %T/%D, gunicorn %(D)s,
//     %(L)s, %(T)s, aiohttp %Tf and %D; a request id in a field of ids
//     (nginx $request_id, X-Request-ID, mod_unique_id);
//   - chi's middleware.Logger: `"GET http://host/x HTTP/1.1" from
//     127.0.0.1:5 - 200 12B in 18.95µs`, with middleware.RequestID's
//     "[id]" before it;
//   - JSON lines (nginx escape=json, Caddy, Traefik, zap, log/slog,
//     logrus, echo) and logfmt lines (log/slog's TextHandler, logrus'
//     text) with method, path/uri, status and duration/latency/
//     request_time keys.
//
// Which field holds the duration, and in which unit when the numbers have
// none, is decided over the first lines: a key that names a duration, a
// value with units, Apache's %T/%D, decimal seconds, else integers —
// microseconds (%D) unless some are 0 or their median is under 50
// (milliseconds, %{ms}T). Options.AccessLogDurationUnit overrides the
// guess. Sources says which layout was found.
//
// The logged time is the request's start for aiohttp's "host [time]" and
// for common-log layouts with integer durations (Apache's %t with %D,
// %{ms}T, %T/%D) — and so, wrongly by the request's duration, for
// gunicorn's %(D)s, which looks the same; otherwise it is the end (nginx,
// gunicorn %(L)s, chi, JSON loggers) and Start is time − duration.
package accesslog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"hotpath/parse"
)

// Record is one request as an access log line records it.
type Record struct {
	// Time is the time the line logs (zero when the layout has none, as
	// uvicorn's). TimeIsStart says it is when the request began (Apache's
	// %t, aiohttp's %t, gorilla/handlers); else it is when the response
	// was logged, at the end.
	Time        time.Time
	TimeIsStart bool
	Method      string
	// Target is the path as logged, query included (an absolute URL for
	// chi, which logs the scheme and host).
	Target string
	Proto  string // HTTP/1.1, when logged
	Status int
	// Duration is the request's duration; HasDuration is false when the
	// layout logs none.
	Duration    time.Duration
	HasDuration bool
	// RequestID is the logged request or trace id (the trace id of a W3C
	// traceparent), else empty.
	RequestID string
	// Route is the route template when the log names it (a "route" key),
	// else empty: views templates paths into routes.
	Route  string
	Client string // the client address, when logged
	Bytes  int64  // response bytes; -1 when not logged

	keys        []string // structured records: the keys that were read
	durUnitless bool     // structured: the duration number had no unit
	durNumber   float64
}

// Start is when the request began: the logged time, less the duration
// when the log writes at the end.
func (r *Record) Start() time.Time {
	if r.Time.IsZero() || r.TimeIsStart || !r.HasDuration {
		return r.Time
	}
	return r.Time.Add(-r.Duration)
}

// Span is the record as a server span, by the convention documented at
// parse.AttrRecord.
func (r *Record) Span() *parse.Span {
	path := r.Target
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	sp := &parse.Span{
		TraceID:    r.RequestID,
		Name:       r.Method + " " + path,
		Kind:       "server",
		Category:   parse.CatHTTPServer,
		Start:      r.Start(),
		Duration:   r.Duration,
		HTTPMethod: r.Method,
		HTTPURL:    r.Target,
		HTTPRoute:  r.Route,
		HTTPStatus: r.Status,
		Attrs:      map[string]string{parse.AttrRecord: parse.RecordAccessLog},
	}
	if r.Status >= 500 {
		sp.Status = "error"
	}
	if !r.HasDuration {
		sp.Attrs[parse.AttrNoDuration] = "true"
	}
	return sp
}

// ParseLine reads one access-log line (or one logging record's message,
// such as an aiohttp.access, uvicorn.access or gunicorn.access record) on
// its own, inferring the layout from that line alone. ok is false when the
// line is not a request record (a server message, a request without a
// request line, anything else). Reading many lines of one log, a Parser
// decides units and fields over several lines and is the better choice.
func ParseLine(line []byte) (Record, bool) {
	lay, ok := Infer([][]byte{line}, 0)
	if !ok {
		return Record{}, false
	}
	var a analysis
	rec, class := lay.parse(&a, line)
	return rec, class == lineRecord
}

// ReadMessage reads one access record's message as a logging record
// carries it — the message of an aiohttp.access, uvicorn.access or
// gunicorn.access record in a Python application log — into sp, by the
// parse.AttrRecord convention (Kind, Category and AttrRecord included).
// logged is the record's own time, when it was written at the end of the
// request: it stands in for a message that has none (uvicorn's). It
// reports false when the message is not a request record. It reads each
// message on its own (ParseLine), so it is safe for concurrent use.
//
// This is the reader the application-log formats take as their
// applog.AccessReader:
//
//	applog.FormatsWith(func(r *applog.AccessRecord, sp *parse.Span) bool {
//		return accesslog.ReadMessage(r.Message, r.Time, sp) || applog.DefaultAccess(r, sp)
//	})
func ReadMessage(msg []byte, logged time.Time, sp *parse.Span) bool {
	if i := bytes.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	rec, ok := ParseLine(msg)
	if !ok {
		return false
	}
	if rec.Time.IsZero() {
		rec.Time, rec.TimeIsStart = logged, false
	}
	*sp = *rec.Span()
	return true
}

// parserWindow is how many records a Parser sees before it fixes its layout.
const parserWindow = 32

// Parser reads the lines (or messages) of one access log, inferring the
// layout from its first records and keeping it once parserWindow records
// have been seen. The zero value is ready; Unit, when set before the first
// call, is the unit of unitless durations. Not safe for concurrent use.
type Parser struct {
	Unit   time.Duration
	window [][]byte
	lay    *Layout
	fixed  bool
	a      analysis
}

// Parse reads one line; ok is false when it is not a request record.
func (p *Parser) Parse(line []byte) (Record, bool) {
	if !p.fixed {
		p.a.toks = p.a.toks[:0]
		analyze(&p.a, line)
		if p.a.class == lineRecord || p.a.class == lineNoRequest {
			p.window = append(p.window, append([]byte(nil), line...))
			if lay, ok := Infer(p.window, p.Unit); ok {
				p.lay = lay
			}
			if len(p.window) >= parserWindow {
				p.fixed, p.window = true, nil
			}
		}
	}
	if p.lay == nil {
		return Record{}, false
	}
	rec, class := p.lay.parse(&p.a, line)
	return rec, class == lineRecord
}

// Layout describes the layout the parser uses ("" before the first record).
func (p *Parser) Layout() string {
	if p.lay == nil {
		return ""
	}
	return p.lay.String()
}

// Formats is the access-log format, for the loaders' format lists. Put it
// after the application-log formats: a Python logging file that mixes
// access records with other loggers' belongs to the reader of mixed logs.
func Formats() []parse.Format {
	return []parse.Format{{Name: "access-log", Family: "access", Sniff: Sniff, Decode: Decode, GivesBack: true}}
}

// maxLine bounds one access-log line (a JSON record with all headers).
const maxLine = 256 << 10

// sniffLines is how many complete lines of the head the sniffer reads.
const sniffLines = 200

// Sniff accepts a head whose complete lines are access records by their
// structure: at least one, and at most one line in ten that is neither a
// record nor a server's own message (uvicorn's, gunicorn's, tracebacks).
// A log that mixes access records with other kinds (a Python application
// log) is left to the reader of mixed logs.
func Sniff(head []byte) bool {
	if len(head) == parse.SniffSize {
		if i := lastNL(head); i >= 0 {
			head = head[:i]
		}
	}
	var a analysis
	rec, foreign, n := 0, 0, 0
	for len(head) > 0 && n < sniffLines {
		l := head
		if i := indexNL(head); i >= 0 {
			l, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		n++
		analyze(&a, l)
		switch a.class {
		case lineRecord, lineNoRequest:
			if a.class == lineRecord {
				rec++
			}
		case lineForeign:
			foreign++
		}
	}
	return rec > 0 && foreign*10 <= rec+foreign
}

func indexNL(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

func lastNL(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}

// Decode reads an access log: the first lines (parse.GiveBackLines
// records, or parse.GiveBackWindow bytes) decide the layout and whether the
// input is an access log at all — when most of them are not records it is
// given back (parse.ErrNotThisFormat) before anything is emitted — then
// every line is read with that layout, each record becoming a server span.
func Decode(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	sc := parse.NewLineScanner(r, maxLine)
	verdict := parse.LineVerdict{Format: "access-log", Want: "access-log records"}
	type held struct {
		line []byte
		n    int64
	}
	var window []held
	var lay *Layout
	var a analysis
	var emitted, noDur int64
	emit := func(l []byte, n int64) {
		rec, class := lay.parse(&a, l)
		switch class {
		case lineRecord:
			sp := rec.Span()
			src.SeeTime(sp.Start)
			src.SeeTime(sp.Start.Add(sp.Duration))
			src.AddEvents(1)
			sink.Span(src, sp)
			emitted++
			if !rec.HasDuration {
				noDur++
			}
		case lineNoRequest:
			src.SkipLine(n, "request without a request line (a probe, or a client that sent no HTTP)")
		case lineNeutral:
			if len(bytes.TrimSpace(l)) > 0 {
				src.SkipLine(n, "server message or non-request record, not an access record")
			}
		default:
			src.SkipLine(n, "not an access-log record in this file's layout")
		}
	}
	decide := func() {
		lines := make([][]byte, len(window))
		for i, h := range window {
			lines[i] = h.line
		}
		unit := opt.AccessLogDurationUnit
		lay, _ = Infer(lines, unit)
		if lay == nil {
			lay = &Layout{desc: "none"}
		}
		src.SetNote("access-layout", fmt.Sprintf("layout: %s %s", lay.fam, lay.desc))
		for _, h := range window {
			emit(h.line, h.n)
		}
		window = nil
	}
	for {
		l, ok, err := sc.Next()
		if err != nil {
			return fmt.Errorf("line %d: %w", sc.Line()+1, err)
		}
		if !ok {
			break
		}
		if sc.Line()%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if sc.TooLong() {
			src.SkipLine(sc.Line(), fmt.Sprintf("line longer than %d bytes", maxLine))
			if err := verdict.Bad(sc.Line(), sc.Offset(), l); err != nil {
				return err
			}
			continue
		}
		if lay != nil {
			emit(l, sc.Line())
			continue
		}
		analyze(&a, l)
		var verr error
		switch a.class {
		case lineRecord, lineNoRequest:
			verr = verdict.Good(sc.Offset())
		case lineNeutral:
			// Not kept: the window holds records and foreign lines only.
			if len(bytes.TrimSpace(l)) > 0 {
				src.SkipLine(sc.Line(), "server message or non-request record, not an access record")
			}
			verr = verdict.Neutral(sc.Offset())
		default:
			verr = verdict.Bad(sc.Line(), sc.Offset(), l)
		}
		if verr != nil {
			return verr
		}
		if a.class != lineNeutral {
			window = append(window, held{append([]byte(nil), l...), sc.Line()})
		}
		if verdict.Decided() {
			decide()
		}
	}
	if lay == nil {
		if err := verdict.End(); err != nil {
			return err
		}
		decide()
	}
	if emitted > 0 && noDur == emitted {
		src.SetNote("access-no-duration", "the layout logs no request durations: requests are counted, their time is unknown")
	}
	return nil
}
