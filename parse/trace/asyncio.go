package trace

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hotpath/parse"
)

// maxAsyncioLine bounds one log line; reprs are short, tracebacks are
// separate lines.
const maxAsyncioLine = 1 << 20

func sniffAsyncio(head []byte) bool {
	for _, l := range bytes.Split(head, []byte{'\n'}) {
		i := bytes.Index(l, []byte("Executing <"))
		if i >= 0 && !bytes.Contains(l[i:], []byte(" seconds")) {
			i = -1
		}
		for _, msg := range []string{"Unclosed client session", "Unclosed connector"} {
			if i < 0 {
				i = bytes.Index(l, []byte(msg))
			}
		}
		if i >= 0 && isLogPrefix(l[:i]) {
			return true
		}
	}
	return false
}

// isLogPrefix tells what a logging format puts before a message (nothing, a
// timestamp, a level, a logger name) from prose or code that merely quotes
// the message: a README, a test, a regexp.
func isLogPrefix(p []byte) bool {
	if bytes.ContainsAny(p, "`|\"'#=") {
		return false
	}
	if len(bytes.TrimSpace(p)) == 0 || reLeadTime.Match(p) {
		return true
	}
	for _, w := range []string{"WARNING", "ERROR", "DEBUG", "INFO", "asyncio"} {
		if bytes.Contains(p, []byte(w)) {
			return true
		}
	}
	return false
}

var (
	reSlow     = regexp.MustCompile(`Executing (<.*>) took (-?[0-9.]+(?:[eE][-+]?[0-9]+)?) seconds`)
	reTaskName = regexp.MustCompile(`name='([^']*)'`)
	reCoro     = regexp.MustCompile(`coro=<([^\s()<>]+)\([^)]*\)\s+(?:running|done, defined) at ([^\s<>]+):(\d+)>`)
	reCoroBare = regexp.MustCompile(`coro=<([^\s()<>]+)\(`)
	reHandle   = regexp.MustCompile(`^<(?:Timer)?Handle (?:when=\S+ )?([^\s()<>]+)\(.*?\)\s+at ([^\s<>]+):(\d+)`)
	reHandleCb = regexp.MustCompile(`^<(?:Timer)?Handle (?:when=\S+ )?([^\s()<>]+)\(`)
	reCreated  = regexp.MustCompile(`created at ([^\s<>]+):(\d+)`)
	reFile     = regexp.MustCompile(`^\s*File "([^"]+)", line (\d+), in (\S+)`)
	reLeadTime = regexp.MustCompile(`^\[?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)\]?`)
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

func leadingTime(line string) time.Time {
	m := reLeadTime.FindStringSubmatch(line)
	if m == nil {
		return time.Time{}
	}
	s := strings.Replace(m[1], ",", ".", 1)
	s = strings.Replace(s, "T", " ", 1)
	for _, layout := range []string{"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z0700", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// maxTraceback bounds the frames kept of one logged traceback.
const maxTraceback = 64

func decodeAsyncio(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	sc := parse.NewLineScanner(r, maxAsyncioLine)
	var pending *parse.Stall // an Unclosed… event collecting its detail lines
	flush := func() {
		if pending != nil {
			src.AddEvents(1)
			src.SeeTime(pending.Time)
			st := *pending
			sink.Stall(src, &st)
			pending = nil
		}
	}
	var last time.Time
	for {
		b, ok, err := sc.Next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if sc.Line()&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := string(b)
		if t := leadingTime(line); !t.IsZero() {
			last = t
		}
		if pending != nil {
			if m := reFile.FindStringSubmatch(line); m != nil {
				// Which frame is the program's is the detectors' call.
				if len(pending.Traceback) < maxTraceback {
					n, _ := strconv.Atoi(m[2])
					pending.Traceback = append(pending.Traceback, parse.TraceFrame{Function: m[3], File: m[1], Line: n})
				}
				continue
			}
			trimmed := strings.TrimSpace(line)
			if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") || strings.HasPrefix(trimmed, "client_session:") ||
				strings.HasPrefix(trimmed, "connector:") || strings.HasPrefix(trimmed, "connections:") ||
				strings.HasPrefix(trimmed, "source_traceback:") || strings.HasPrefix(trimmed, "Traceback") {
				if len(pending.Message) < 2000 {
					pending.Message += "\n" + trimmed
				}
				continue
			}
			flush()
		}
		switch {
		case strings.Contains(line, "Executing <"):
			st, ok := ParseSlowCallback(line)
			if !ok {
				src.SkipLine(sc.Line(), "asyncio 'Executing' line without a readable duration")
				continue
			}
			if sc.TooLong() {
				st.Message = st.Message[:min(len(st.Message), 2000)]
			}
			st.Time = leadingTime(line)
			if st.Time.IsZero() {
				st.Time = last
			}
			st.LogLine = sc.Line()
			src.AddEvents(1)
			src.SeeTime(st.Time)
			sink.Stall(src, &st)
		case strings.Contains(line, "Unclosed client session"):
			pending = &parse.Stall{Kind: parse.StallUnclosedClient, Time: leadingTime(line), Message: strings.TrimSpace(line), LogLine: sc.Line(), Task: "ClientSession"}
		case strings.Contains(line, "Unclosed connector"):
			pending = &parse.Stall{Kind: parse.StallUnclosedConn, Time: leadingTime(line), Message: strings.TrimSpace(line), LogLine: sc.Line(), Task: "TCPConnector"}
		}
		if pending != nil && pending.Time.IsZero() {
			pending.Time = last
		}
		if pending != nil && len(pending.Message) > 2000 {
			pending.Message = pending.Message[:2000]
		}
	}
	flush()
	return nil
}
