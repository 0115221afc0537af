package applog

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hotpath/parse"
)

var (
	reSlow     = regexp.MustCompile(`Executing (<.*>) took (-?[0-9.]+(?:[eE][-+]?[0-9]+)?) seconds`)
	reTaskName = regexp.MustCompile(`name='([^']*)'`)
	reCoro     = regexp.MustCompile(`coro=<([^\s()<>]+)\([^)]*\)\s+(?:running|done, defined) at ([^\s<>]+):(\d+)>`)
	reCoroBare = regexp.MustCompile(`coro=<([^\s()<>]+)\(`)
	reHandle   = regexp.MustCompile(`^<(?:Timer)?Handle (?:when=\S+ )?([^\s()<>]+)\(.*?\)\s+at ([^\s<>]+):(\d+)`)
	reHandleCb = regexp.MustCompile(`^<(?:Timer)?Handle (?:when=\S+ )?([^\s()<>]+)\(`)
	reCreated  = regexp.MustCompile(`created at ([^\s<>]+):(\d+)`)
	reFile     = regexp.MustCompile(`^\s*File "([^"]+)", line (\d+), in (\S+)`)
)

// ParseSlowCallback reads the repr of an asyncio "Executing <…> took N
// seconds" warning.
func ParseSlowCallback(line string) (st parse.Stall, ok bool) {
	m := reSlow.FindStringSubmatch(line)
	if m == nil {
		return st, false
	}
	secs, err := strconv.ParseFloat(m[2], 64)
	if err != nil || secs < 0 || secs > 1e9 {
		return st, false
	}
	repr := m[1]
	st = parse.Stall{Kind: parse.StallSlowCallback, Duration: time.Duration(secs * float64(time.Second)), Message: line}
	switch {
	case strings.HasPrefix(repr, "<Task"):
		st.Task = "Task"
		if n := reTaskName.FindStringSubmatch(repr); n != nil {
			st.Task = n[1]
		}
		if c := reCoro.FindStringSubmatch(repr); c != nil {
			st.Coroutine, st.File = c[1], c[2]
			st.Line, _ = strconv.Atoi(c[3])
		} else if c := reCoroBare.FindStringSubmatch(repr); c != nil {
			st.Coroutine = c[1]
		}
	case strings.Contains(repr, "Handle "):
		st.Task = "Handle"
		if strings.HasPrefix(repr, "<TimerHandle") {
			st.Task = "TimerHandle"
		}
		if c := reHandle.FindStringSubmatch(repr); c != nil {
			st.Coroutine, st.File = c[1], c[2]
			st.Line, _ = strconv.Atoi(c[3])
		} else if c := reHandleCb.FindStringSubmatch(repr); c != nil {
			st.Coroutine = c[1]
		}
		// A handle that steps a task names the task's coroutine.
		if c := reCoro.FindStringSubmatch(repr); c != nil {
			st.Coroutine, st.File = c[1], c[2]
			st.Line, _ = strconv.Atoi(c[3])
		}
		if st.File == "" {
			if c := reCreated.FindStringSubmatch(repr); c != nil {
				st.File = c[1]
				st.Line, _ = strconv.Atoi(c[2])
			}
		}
	default:
		st.Task = repr
		if len(st.Task) > 200 {
			st.Task = st.Task[:200]
		}
	}
	return st, true
}

// maxTraceback bounds the frames kept of one logged traceback.
const maxTraceback = 64

// maxStallMessage bounds the text kept of one event-loop record.
const maxStallMessage = 2000

// heldWarning is a ResourceWarning about an unclosed session or connector,
// held back for a while: aiohttp warns and then, in the same __del__,
// reports the same object to the loop's exception handler, which asyncio
// logs. One leak is one stall.
type heldWarning struct {
	st   parse.Stall
	addr string
	seq  int64
}

// aioReader reads asyncio's slow-callback warnings and the unclosed
// aiohttp sessions and connectors the loop's exception handler reports.
type aioReader struct {
	held   []heldWarning
	recent [32]string // addresses asyncio reported lately
	next   int

	slow, unclosed, warned, duplicates, other int64
}

func (a *aioReader) asyncio(d *decoder, r *record) {
	first := bytes.TrimRight(firstLine(r.msg), " \r")
	switch {
	case isSlowCallback(first):
		st, ok := ParseSlowCallback(string(first))
		if !ok {
			d.src.SkipLine(r.line, "asyncio 'Executing' record without a readable duration")
			return
		}
		if len(st.Message) > maxStallMessage {
			st.Message = st.Message[:maxStallMessage]
		}
		st.Time, st.LogLine = r.time, r.line
		a.slow++
		d.em.stall(&st)
	case isUnclosed(first):
		st := parse.Stall{Kind: parse.StallUnclosedClient, Task: "ClientSession", Time: r.time, LogLine: r.line}
		if bytes.Equal(first, []byte("Unclosed connector")) {
			st.Kind, st.Task = parse.StallUnclosedConn, "TCPConnector"
		}
		var msg strings.Builder
		msg.Write(first)
		var addr []byte
		for _, l := range bytes.Split(r.msg, []byte{'\n'})[1:] {
			if m := reFile.FindSubmatch(l); m != nil {
				// Which frame is the program's is the detectors' call.
				if len(st.Traceback) < maxTraceback {
					n, _ := strconv.Atoi(string(m[2]))
					st.Traceback = append(st.Traceback, parse.TraceFrame{Function: string(m[3]), File: string(m[1]), Line: n})
				}
				continue
			}
			t := bytes.TrimSpace(l)
			if addr == nil && (bytes.HasPrefix(t, []byte("client_session:")) || bytes.HasPrefix(t, []byte("connector:"))) {
				addr = objectAddr(t)
			}
			if len(t) > 0 && msg.Len() < maxStallMessage {
				msg.WriteByte('\n')
				msg.Write(t)
			}
		}
		st.Message = msg.String()
		if len(st.Message) > maxStallMessage {
			st.Message = st.Message[:maxStallMessage]
		}
		if addr != nil {
			a.forget(d, string(addr))
			a.recent[a.next%len(a.recent)] = string(addr)
			a.next++
		}
		a.unclosed++
		d.em.stall(&st)
	default:
		a.other++
	}
}

// warning reads py.warnings' "…: ResourceWarning: Unclosed client session
// <aiohttp.client.ClientSession object at 0x…>".
func (a *aioReader) warning(d *decoder, r *record) {
	first := firstLine(r.msg)
	i := bytes.Index(first, []byte("ResourceWarning: Unclosed "))
	if i < 0 {
		d.stats.addOther(string(r.logger))
		return
	}
	what := first[i+len("ResourceWarning: "):]
	st := parse.Stall{Kind: parse.StallUnclosedClient, Task: "ClientSession", Time: r.time, LogLine: r.line,
		Message: string(bytes.TrimSpace(first[:min(len(first), maxStallMessage)]))}
	switch {
	case bytes.HasPrefix(what, []byte("Unclosed client session")):
	case bytes.HasPrefix(what, []byte("Unclosed connector")):
		st.Kind, st.Task = parse.StallUnclosedConn, "TCPConnector"
	default:
		d.stats.addOther(string(r.logger))
		return
	}
	addr := string(objectAddr(what))
	if addr != "" {
		for _, x := range a.recent {
			if x == addr {
				a.duplicates++
				return
			}
		}
	}
	a.warned++
	if len(a.held) >= 64 {
		a.release(d, a.held[0])
		a.held = a.held[1:]
	}
	a.held = append(a.held, heldWarning{st: st, addr: addr, seq: d.seq})
}

// forget drops held warnings about an object asyncio has just reported.
func (a *aioReader) forget(d *decoder, addr string) {
	out := a.held[:0]
	for _, h := range a.held {
		if h.addr == addr {
			a.duplicates++
			a.warned--
			continue
		}
		out = append(out, h)
	}
	a.held = out
}

func (a *aioReader) release(d *decoder, h heldWarning) {
	a.unclosed++
	a.warned--
	d.em.stall(&h.st)
}

// expire emits the warnings asyncio did not report within 64 records: a
// log where asyncio's own records are filtered out keeps them.
func (a *aioReader) expire(d *decoder, all bool) {
	for len(a.held) > 0 && (all || d.seq-a.held[0].seq > 64) {
		a.release(d, a.held[0])
		a.held = a.held[1:]
	}
}

// objectAddr finds "0x7f42d8846e90" in "<… object at 0x7f42d8846e90>".
func objectAddr(b []byte) []byte {
	i := bytes.Index(b, []byte(" at 0x"))
	if i < 0 {
		return nil
	}
	id := b[i+4:]
	j := 2
	for j < len(id) && (id[j] >= '0' && id[j] <= '9' || id[j] >= 'a' && id[j] <= 'f') {
		j++
	}
	return id[:j]
}
