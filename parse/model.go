// Package parse decodes the files a slow service leaves behind — profiles, SQL
// logs, traces, event-loop logs — into one model. It sniffs formats by content,
// streams where the format allows, and never decides what is a problem: that
// is the job of package views.
package parse

import (
	"time"

	"github.com/google/pprof/profile"
)

// Sink receives what a source yields, as it is decoded. Statements and
// connection events are streamed (never collected here) so that a log of any
// size is read in bounded memory; profiles, spans and stalls are small enough
// to keep.
//
// A Sink is called from the goroutine that decodes one source; several
// sources may load at once, so implementations must be safe for concurrent use.
type Sink interface {
	Profile(src *Source, p *profile.Profile)
	Statement(src *Source, st *Statement)
	Conn(src *Source, ev *ConnEvent)
	Span(src *Source, sp *Span)
	Stall(src *Source, st *Stall)
	Goroutines(src *Source, gs []GoroutineStat)
}

// Statement is one executed SQL statement as a log recorded it.
//
// Streaming decoders reuse one Statement, and the memory behind Text and
// Params, for every statement they emit: a Sink that keeps any of it past
// the call must copy it (strings.Clone).
type Statement struct {
	// Start is when the statement began. Formats that log at the end
	// (PostgreSQL duration lines, the MySQL slow log) have it computed as
	// log time − duration.
	Start time.Time
	// Duration is execution time; HasDuration is false for formats that do
	// not record it (the MySQL general log, SQLAlchemy echo).
	Duration    time.Duration
	HasDuration bool
	// PrepareTime is time spent in parse/bind phases of the extended
	// protocol, kept apart from execution time as pgBadger does.
	PrepareTime time.Duration

	Session string // PG pid or %c, MySQL thread id, app thread/task name
	// Unit-of-work context an application log names (README.md's detection
	// model, rule 2): a request id (Rails' tagged [uuid], a request-id
	// field), the thread and the asyncio task of the record. Empty when the
	// log does not say.
	RequestID string
	Thread    string
	Task      string
	// Code location the service itself logged for the statement (Rails'
	// "↳ app/models/order.rb:12:in `block in index'" line): used as given.
	CodeFunc string
	CodeFile string
	CodeLine int
	User     string
	Database string
	App      string
	Client   string

	Text string // the statement as logged, comments included
	// Truncated says Text was cut at the decoder's size limit (the
	// statement itself was longer).
	Truncated bool
	Params    []string          // bind parameters in order ($1, $2 … or ?)
	Rows      int64             // rows sent/affected; -1 when unknown
	Tags      map[string]string // sqlcommenter/marginalia tags (route, traceparent …)
	Line      int64             // line of the source where the statement starts
}

// ConnKind says what happened to a database connection.
type ConnKind uint8

const (
	ConnReceived   ConnKind = iota + 1 // PG "connection received"
	ConnOpened                         // PG "connection authorized", MySQL Connect, pool "Created new connection"
	ConnClosed                         // PG "disconnection", MySQL Quit, pool close
	ConnPoolReused                     // a pooled connection was checked out again
)

func (k ConnKind) String() string {
	switch k {
	case ConnReceived:
		return "received"
	case ConnOpened:
		return "opened"
	case ConnClosed:
		return "closed"
	case ConnPoolReused:
		return "reused"
	}
	return "unknown"
}

// ConnEvent is one connection lifecycle event.
type ConnEvent struct {
	Time     time.Time
	Kind     ConnKind
	Session  string
	User     string
	Database string
	Client   string
	// SessionTime is the connection's lifetime, on close events that state it.
	SessionTime time.Duration
	Line        int64
}

// SpanCategory classifies a span by what it waited on.
type SpanCategory string

const (
	CatHTTPServer SpanCategory = "http-server"
	CatHTTPClient SpanCategory = "http-client"
	CatDB         SpanCategory = "db"
	CatConnect    SpanCategory = "connect"
	CatDNS        SpanCategory = "dns"
	CatTLS        SpanCategory = "tls"
	CatFileIO     SpanCategory = "file-io"
	CatLock       SpanCategory = "lock"
	CatInternal   SpanCategory = "internal"
)

// AttrRecord, in Span.Attrs, says a span was made from a record that is
// not a trace: RecordAccessLog for an HTTP access-log line. Such a span is a
// server span with Kind "server", Category CatHTTPServer, HTTPMethod,
// HTTPURL (the path as logged, query included), HTTPStatus, Start (log time
// − duration where the log writes at the end) and Duration; its TraceID is
// the logged request or trace id, else empty (each such span is then its own
// request). Access logs are the request-time record of services without
// tracing.
//
// AttrNoDuration, "true" on such a span, says its layout logs no duration:
// Duration is 0 because nothing was measured, not because the request was
// instant.
const (
	AttrRecord      = "hotpath.record"
	RecordAccessLog = "access-log"
	AttrNoDuration  = "hotpath.no_duration"
)

// Span is one timed operation of a trace, from any trace format.
type Span struct {
	TraceID  string
	SpanID   string
	ParentID string
	Name     string
	Kind     string // server, client, internal, producer, consumer
	Service  string
	Start    time.Time
	Duration time.Duration
	Thread   string // thread or goroutine id where known
	Status   string // "ok", "error" or ""
	Category SpanCategory

	// Normalised attributes, whichever semantic-convention generation
	// wrote them.
	DBStatement string
	DBSystem    string
	DBOperation string // db.operation.name / db.operation
	HTTPMethod  string
	HTTPURL     string
	HTTPRoute   string
	HTTPStatus  int
	ServerAddr  string
	CodeFunc    string
	CodeFile    string
	CodeLine    int
	ConnReused  *bool // http.conn.reused / net.conn.reused when present

	Attrs map[string]string // every attribute as text
}

// StallKind says what an event-loop log line reported.
type StallKind string

const (
	StallSlowCallback   StallKind = "slow_callback"   // asyncio "Executing … took N seconds"
	StallUnclosedClient StallKind = "unclosed_client" // aiohttp "Unclosed client session"
	StallUnclosedConn   StallKind = "unclosed_connector"
)

// Stall is an event-loop observation: the loop was blocked, or a client was
// leaked.
type Stall struct {
	Time      time.Time
	Kind      StallKind
	Duration  time.Duration
	Task      string // task or handle repr name
	Coroutine string // coroutine function name
	File      string
	Line      int
	Message   string
	LogLine   int64
	// Traceback is where a leaked object was created (asyncio debug mode's
	// source_traceback), outermost frame first, as Python prints it.
	Traceback []TraceFrame
}

// TraceFrame is one frame of a logged traceback.
type TraceFrame struct {
	Function string
	File     string
	Line     int
}

// GoroutineStat is one goroutine's time budget from a Go execution trace,
// split the way `go tool trace`'s goroutine analysis splits it.
type GoroutineStat struct {
	ID         uint64
	Name       string // start function
	Start      time.Time
	End        time.Time
	Exec       time.Duration // running on a P
	SchedWait  time.Duration // runnable, waiting for a P
	BlockNet   time.Duration
	BlockSync  time.Duration // mutexes, channels, select, sync.Cond, WaitGroup
	Syscall    time.Duration
	BlockGC    time.Duration
	BlockOther time.Duration
}
