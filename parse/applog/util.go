package applog

import (
	"context"
	"encoding/binary"
	"time"

	"hotpath/parse"
	"hotpath/parse/sqllog"
)

// isBinary reports a line with NUL or control bytes no log line has (tab,
// CR and ESC are allowed).
func isBinary(l []byte) bool {
	for len(l) >= 8 {
		x := binary.LittleEndian.Uint64(l)
		if (x-0x2020202020202020)&^x&0x8080808080808080 != 0 {
			for _, c := range l[:8] {
				if c < 0x20 && c != '\t' && c != '\r' && c != 0x1b {
					return true
				}
			}
		}
		l = l[8:]
	}
	for _, c := range l {
		if c < 0x20 && c != '\t' && c != '\r' && c != 0x1b {
			return true
		}
	}
	return false
}

// interner returns stable strings for the small values records repeat
// (thread and task names, connection ids) without allocating on a hit.
type interner struct {
	m    map[string]string
	last string
}

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if in.last == string(b) {
		return in.last
	}
	s, ok := in.m[string(b)]
	if !ok {
		if in.m == nil || len(in.m) >= 1<<14 {
			in.m = make(map[string]string, 256)
		}
		s = string(b)
		in.m[s] = s
	}
	in.last = s
	return s
}

// emitter hands events to the sink and batches the counts and time range
// into the Source, so a record does not take the Source's lock.
type emitter struct {
	ctx        context.Context
	src        *parse.Source
	sink       parse.Sink
	events     int64
	first, end time.Time
	n          int
	// Statements cut at sqllog.MaxStatement, and the line of the first.
	truncated, firstCut int64
}

func (e *emitter) see(t time.Time) {
	if t.IsZero() {
		return
	}
	if e.first.IsZero() || t.Before(e.first) {
		e.first = t
	}
	if t.After(e.end) {
		e.end = t
	}
}

func (e *emitter) stmt(st *parse.Statement) {
	e.sink.Statement(e.src, st)
	e.events++
	if st.Truncated {
		if e.truncated == 0 {
			e.firstCut = st.Line
		}
		e.truncated++
	}
	if !st.Start.IsZero() {
		e.see(st.Start.Add(st.Duration))
	}
}

// conn emits a connection event; as in the SQL logs, only statements (and
// stalls, requests) count as the source's events.
func (e *emitter) conn(ev *parse.ConnEvent) {
	e.sink.Conn(e.src, ev)
	e.see(ev.Time)
}

func (e *emitter) stall(st *parse.Stall) {
	c := *st // sinks keep stalls
	e.sink.Stall(e.src, &c)
	e.events++
	e.see(st.Time)
}

func (e *emitter) span(sp *parse.Span) {
	c := *sp
	e.sink.Span(e.src, &c)
	e.events++
	e.see(sp.Start)
	e.see(sp.Start.Add(sp.Duration))
}

// tick is called once per line; every 4096 lines it publishes progress and
// checks for cancellation.
func (e *emitter) tick() error {
	e.n++
	if e.n&4095 != 0 {
		return nil
	}
	e.flush()
	return e.ctx.Err()
}

// warnTruncated says how many statements were cut, once, at the end.
func (e *emitter) warnTruncated() {
	if e.truncated > 0 {
		e.src.Warnf("%d statements longer than %d KiB cut to their first %d KiB (the first at line %d): their fingerprints and examples are of the part kept",
			e.truncated, sqllog.MaxStatement>>10, sqllog.MaxStatement>>10, e.firstCut)
	}
}

func (e *emitter) flush() {
	if e.events > 0 {
		e.src.AddEvents(e.events)
		e.events = 0
	}
	if !e.first.IsZero() {
		e.src.SeeTime(e.first)
		e.src.SeeTime(e.end)
		e.first, e.end = time.Time{}, time.Time{}
	}
}
