package applog

import (
	"bytes"
	"strings"
	"time"
)

// elemKind is one part of a logging Formatter's prefix.
type elemKind uint8

const (
	eLit      elemKind = iota // literal text between fields
	eTime                     // %(asctime)s / %(created)f
	eLevel                    // %(levelname)s
	eName                     // %(name)s
	eThread                   // %(threadName)s
	eTask                     // %(taskName)s (3.12+, or a filter's)
	ePid                      // %(process)d
	eThreadID                 // %(thread)d
	eProcName                 // %(processName)s
	eReqID                    // a request id a filter or middleware added
	eFree                     // a field we do not read (module, funcName, lineno …)
)

var elemNames = [...]string{eTime: "%(asctime)s", eLevel: "%(levelname)s", eName: "%(name)s",
	eThread: "%(threadName)s", eTask: "%(taskName)s", ePid: "%(process)d", eThreadID: "%(thread)d",
	eProcName: "%(processName)s", eReqID: "%(request_id)s", eFree: "%(…)s"}

type elem struct {
	kind elemKind
	lit  []byte   // eLit: the text; a space stands for a run of one or more
	tk   timeKind // eTime
	// spaces says the field's values may hold spaces (thread names such
	// as "Thread-1 (worker)").
	spaces bool
}

// layout is the prefix of a Formatter, inferred from a log's first records:
// the elements up to %(message)s. A record starts on a line the whole
// prefix matches.
type layout struct {
	elems []elem
	// bare: there is no prefix (logging's last-resort handler prints the
	// message only); records start at messages we know.
	bare bool
}

func (ly *layout) hasName() bool {
	for _, e := range ly.elems {
		if e.kind == eName {
			return true
		}
	}
	return false
}

// String renders the layout as the Formatter string it stands for.
func (ly *layout) String() string {
	if ly.bare {
		return "%(message)s"
	}
	var b strings.Builder
	for _, e := range ly.elems {
		switch e.kind {
		case eLit:
			b.Write(e.lit)
		case eTime:
			if e.tk == tEpoch {
				b.WriteString("%(created)f")
			} else {
				b.WriteString("%(asctime)s")
			}
		default:
			b.WriteString(elemNames[e.kind])
		}
	}
	b.WriteString("%(message)s")
	return b.String()
}

// dateFormat names the time form of the layout, for the Sources note.
func (ly *layout) dateFormat() string {
	for _, e := range ly.elems {
		if e.kind == eTime && e.tk != tEpoch {
			return timeKindNames[e.tk]
		}
	}
	return ""
}

// fields is what a record's prefix said.
type fields struct {
	time                                     time.Time
	level, name, thread, task, pid, threadID []byte
	procName, reqID, msg                     []byte
	timeKind                                 timeKind
	matchSteps                               int
}

// maxField bounds a variable field's length: a prefix is short, and this
// bounds the work a line costs whatever its length.
const maxField = 256

// match parses the prefix at the start of l; f.msg is the rest.
func (ly *layout) match(l []byte, f *fields, year int) bool {
	*f = fields{}
	f.matchSteps = 64
	end, ok := ly.matchFrom(l, 0, 0, f, year)
	if !ok {
		return false
	}
	f.msg = l[end:]
	return true
}

func (ly *layout) matchFrom(l []byte, pos, i int, f *fields, year int) (int, bool) {
	for ; i < len(ly.elems); i++ {
		e := &ly.elems[i]
		switch e.kind {
		case eLit:
			n, ok := litAt(l[pos:], e.lit)
			if !ok {
				return 0, false
			}
			pos += n
		case eTime:
			t, _, n, ok := timeAt(l[pos:], e.tk, year)
			if !ok {
				return 0, false
			}
			f.time, f.timeKind = t, e.tk
			pos += n
		case eLevel:
			for pos < len(l) && l[pos] == ' ' { // %(levelname)8s pads on the left
				pos++
			}
			n := levelAt(l[pos:])
			if n == 0 {
				return 0, false
			}
			f.level = l[pos : pos+n]
			pos += n
		default:
			// A variable field runs to an occurrence of the literal after
			// it; try the first few, since the value itself may hold that
			// text ("Thread-1 (worker)" before " ").
			if i+1 >= len(ly.elems) || ly.elems[i+1].kind != eLit {
				return 0, false
			}
			next := ly.elems[i+1].lit
			rest := l[pos:]
			if len(rest) > maxField+len(next)+8 {
				rest = rest[:maxField+len(next)+8]
			}
			from := 0
			for try := 0; try < 6; try++ {
				j := litIndex(rest[from:], next)
				if j < 0 {
					return 0, false
				}
				v := rest[:from+j]
				if len(v) > maxField {
					return 0, false
				}
				if validField(e, v) {
					f.matchSteps--
					if f.matchSteps < 0 {
						return 0, false
					}
					setField(f, e.kind, v)
					if end, ok := ly.matchFrom(l, pos+from+j, i+1, f, year); ok {
						return end, true
					}
				} else if !e.spaces && bytes.IndexByte(v, ' ') >= 0 {
					return 0, false
				}
				from += j + 1
				if from >= len(rest) {
					return 0, false
				}
			}
			return 0, false
		}
	}
	return pos, true
}

func setField(f *fields, k elemKind, v []byte) {
	switch k {
	case eName:
		f.name = v
	case eThread:
		f.thread = v
	case eTask:
		f.task = v
	case ePid:
		f.pid = v
	case eThreadID:
		f.threadID = v
	case eProcName:
		f.procName = v
	case eReqID:
		f.reqID = v
	}
}

func validField(e *elem, v []byte) bool {
	switch e.kind {
	case eName:
		return len(v) > 0 && isLoggerName(v)
	case ePid, eThreadID:
		if len(v) == 0 || len(v) > 20 {
			return false
		}
		for _, c := range v {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	case eThread:
		return len(v) > 0 && (e.spaces || bytes.IndexByte(v, ' ') < 0)
	}
	return e.spaces || bytes.IndexByte(v, ' ') < 0
}

// isLoggerName: logging.getLogger names are dotted identifiers in
// practice ("sqlalchemy.engine.Engine", "uvicorn.error", "__main__").
func isLoggerName(v []byte) bool {
	if len(v) > 200 {
		return false
	}
	for _, c := range v {
		if !(isWordByte(c) || c == ':' || c == '/') {
			return false
		}
	}
	return true
}

// litAt matches literal lit at the start of b; a space in lit matches one
// or more spaces or tabs (padded fields such as %(levelname)-8s).
func litAt(b, lit []byte) (int, bool) {
	i := 0
	for k := 0; k < len(lit); k++ {
		c := lit[k]
		if c == ' ' {
			if i >= len(b) || b[i] != ' ' && b[i] != '\t' {
				return 0, false
			}
			for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
				i++
			}
			continue
		}
		if i >= len(b) || b[i] != c {
			return 0, false
		}
		i++
	}
	return i, true
}

// litIndex finds the first offset of b where lit matches.
func litIndex(b, lit []byte) int {
	if len(lit) == 0 {
		return -1
	}
	first := lit[0]
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == first || first == ' ' && c == '\t' {
			if _, ok := litAt(b[i:], lit); ok {
				return i
			}
		}
	}
	return -1
}

// levels are the level names logging, uvicorn (TRACE) and structlog
// (lower case) write.
var levels = []string{"DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL", "NOTSET", "TRACE",
	"debug", "info", "warning", "warn", "error", "critical", "fatal", "trace"}

// levelAt reports the length of a level word at the start of b, or 0.
func levelAt(b []byte) int {
	if len(b) < 4 {
		return 0
	}
	c := b[0] | 0x20
	if c != 'd' && c != 'i' && c != 'w' && c != 'e' && c != 'c' && c != 'f' && c != 'n' && c != 't' {
		return 0
	}
	for _, lv := range levels {
		if len(b) >= len(lv) && string(b[:len(lv)]) == lv && (len(b) == len(lv) || !isIdentByte(b[len(lv)])) {
			return len(lv)
		}
	}
	return 0
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// severity orders level words for the record's level.
func levelWord(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case b[0]|0x20 == 'd':
		return "DEBUG"
	case b[0]|0x20 == 'i':
		return "INFO"
	case b[0]|0x20 == 'w':
		return "WARNING"
	case b[0]|0x20 == 'e':
		return "ERROR"
	case b[0]|0x20 == 'c', b[0]|0x20 == 'f':
		return "CRITICAL"
	case b[0]|0x20 == 't':
		return "TRACE"
	}
	return ""
}
