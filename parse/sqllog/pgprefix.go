package sqllog

import (
	"bytes"
	"fmt"
	"time"
)

// pgFields is what a log_line_prefix yields for one line.
type pgFields struct {
	time    time.Time
	pid     []byte
	session []byte // %c
	user    []byte
	db      []byte
	app     []byte
	client  []byte // %h or %r
}

type pgElem struct {
	lit []byte // literal text, or nil for an escape
	esc byte
}

// pgPrefix matches lines against one log_line_prefix.
type pgPrefix struct {
	spec  string
	elems []pgElem
	heur  bool // no usable spec: find fields heuristically
	tp    *timeParser
}

// compilePrefix turns a log_line_prefix into elements. Unknown escapes are
// matched as free text.
func compilePrefix(spec string, tp *timeParser) *pgPrefix {
	p := &pgPrefix{spec: spec, tp: tp}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			p.elems = append(p.elems, pgElem{lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		if c != '%' || i+1 >= len(spec) {
			lit = append(lit, c)
			continue
		}
		i++
		// Padding like %-10u or %10u: skip the width.
		for i < len(spec) && (spec[i] == '-' || spec[i] >= '0' && spec[i] <= '9') {
			i++
		}
		if i >= len(spec) {
			break
		}
		if spec[i] == '%' {
			lit = append(lit, '%')
			continue
		}
		flush()
		p.elems = append(p.elems, pgElem{esc: spec[i]})
	}
	flush()
	return p
}

// severities are the message levels PostgreSQL writes after the prefix,
// each followed by two spaces (one where a log shipper collapsed runs of
// spaces).
var severities = [][]byte{
	[]byte("LOG:"), []byte("ERROR:"), []byte("STATEMENT:"), []byte("DETAIL:"),
	[]byte("HINT:"), []byte("CONTEXT:"), []byte("WARNING:"), []byte("FATAL:"),
	[]byte("NOTICE:"), []byte("INFO:"), []byte("PANIC:"), []byte("LOCATION:"),
	[]byte("QUERY:"), []byte("DEBUG1:"), []byte("DEBUG2:"), []byte("DEBUG3:"),
	[]byte("DEBUG4:"), []byte("DEBUG5:"),
}

// severityAt reports the length of the severity tag at the start of b
// (including its spaces), or 0.
func severityAt(b []byte) int {
	if len(b) < 5 || b[0] < 'A' || b[0] > 'Z' {
		return 0
	}
	if len(b) >= 6 && b[0] == 'L' && b[1] == 'O' && b[2] == 'G' && b[3] == ':' && b[4] == ' ' && b[5] == ' ' {
		return 6
	}
	for _, s := range severities {
		if n := len(s); len(b) > n && b[n] == ' ' && bytes.HasPrefix(b, s) {
			if len(b) > n+1 && b[n+1] == ' ' {
				return n + 2
			}
			return n + 1
		}
	}
	return 0
}

// findSeverity finds the first severity tag in l that follows a space, ']'
// or ':' (or starts the line).
func findSeverity(l []byte) (at, n int) {
	for i := 0; i < len(l); {
		j := bytes.Index(l[i:], []byte(": "))
		if j < 0 {
			return -1, 0
		}
		j += i
		// walk back over the capital letters and digits of the tag
		k := j
		for k > 0 && (l[k-1] >= 'A' && l[k-1] <= 'Z' || l[k-1] >= '0' && l[k-1] <= '9') {
			k--
		}
		if k < j {
			if n := severityAt(l[k:]); n > 0 && (k == 0 || l[k-1] == ' ' || l[k-1] == ']' || l[k-1] == ':' || l[k-1] == '>') {
				return k, n
			}
		}
		i = j + 2
	}
	return -1, 0
}

// match parses the prefix at the start of l into f and returns the rest of
// the line (starting at the severity tag).
func (p *pgPrefix) match(l []byte, f *pgFields) ([]byte, bool) {
	*f = pgFields{}
	if p.heur {
		return p.matchHeuristic(l, f)
	}
	pos := 0
	for i, e := range p.elems {
		if e.lit != nil {
			rest := l[pos:]
			if len(rest) < len(e.lit) {
				return nil, false
			}
			for k, c := range e.lit {
				if rest[k] != c {
					return nil, false
				}
			}
			pos += len(e.lit)
			continue
		}
		rest := l[pos:]
		switch e.esc {
		case 'm', 't', 's':
			t, n, ok := p.tp.pgTime(rest)
			if !ok {
				return nil, false
			}
			if e.esc != 's' {
				f.time = t
			}
			pos += n
			continue
		case 'n':
			t, n, ok := epoch(rest)
			if !ok {
				return nil, false
			}
			f.time = t
			pos += n
			continue
		case 'p', 'l', 'x':
			_, n := atoi(rest)
			if n == 0 {
				return nil, false
			}
			if e.esc == 'p' {
				f.pid = rest[:n]
			}
			pos += n
			continue
		case 'q':
			if severityAt(rest) > 0 {
				return rest, true
			}
			continue
		}
		// Free text: up to the next literal, or the severity tag.
		var n int
		if i+1 < len(p.elems) && p.elems[i+1].lit != nil {
			next := p.elems[i+1].lit
			if len(next) == 1 {
				n = bytes.IndexByte(rest, next[0])
			} else {
				n = bytes.Index(rest, next)
			}
		} else {
			n, _ = findSeverity(rest)
			for n > 0 && rest[n-1] == ' ' {
				n--
			}
		}
		if n < 0 {
			return nil, false
		}
		v := rest[:n]
		switch e.esc {
		case 'c':
			f.session = v
		case 'u':
			f.user = v
		case 'd':
			f.db = v
		case 'a':
			f.app = v
		case 'h':
			f.client = v
		case 'r':
			if k := bytes.IndexByte(v, '('); k > 0 {
				v = v[:k]
			}
			f.client = v
		}
		pos += n
	}
	if severityAt(l[pos:]) == 0 {
		// Tolerate trailing spaces the prefix did not spell out.
		r := bytes.TrimLeft(l[pos:], " ")
		if severityAt(r) == 0 {
			return nil, false
		}
		return r, true
	}
	return l[pos:], true
}

// matchHeuristic handles a prefix no known pattern matched: the severity
// tag ends it; a leading timestamp, the first "[digits]", "user=", "db=",
// "app=", "client=" and "user@db" give the fields.
func (p *pgPrefix) matchHeuristic(l []byte, f *pgFields) ([]byte, bool) {
	at, _ := findSeverity(l)
	if at < 0 {
		return nil, false
	}
	pre := l[:at]
	if t, _, ok := p.tp.pgTime(pre); ok {
		f.time = t
	} else if t, _, ok := epoch(pre); ok {
		f.time = t
	}
	if i := bytes.IndexByte(pre, '['); i >= 0 {
		if _, n := atoi(pre[i+1:]); n > 0 {
			f.pid = pre[i+1 : i+1+n]
		}
	}
	kv := func(key string) []byte {
		i := bytes.Index(pre, []byte(key))
		if i < 0 || i > 0 && pre[i-1] != ' ' && pre[i-1] != ',' && pre[i-1] != '[' {
			return nil
		}
		v := pre[i+len(key):]
		if j := bytes.IndexAny(v, " ,]"); j >= 0 {
			v = v[:j]
		}
		return v
	}
	f.user, f.db, f.app = kv("user="), kv("db="), kv("app=")
	if f.client = kv("client="); f.client == nil {
		f.client = kv("host=")
	}
	if f.user == nil {
		if i := bytes.IndexByte(pre, '@'); i > 0 {
			s := bytes.LastIndexAny(pre[:i], " :[") + 1
			e := bytes.IndexAny(pre[i+1:], " :]")
			if e < 0 {
				e = len(pre) - i - 1
			}
			f.user, f.db = pre[s:i], pre[i+1:i+1+e]
		}
	}
	return l[at:], true
}

// commonPrefixes are tried, in order, when no prefix is given: PostgreSQL's
// default, Debian's, pgBadger's recommendations, RDS, Azure and friends.
var commonPrefixes = []string{
	"%m [%p] %q%u@%d ",
	"%m [%p] ",
	"%t [%p]: user=%u,db=%d,app=%a,client=%h ",
	"%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
	"%t [%p]: [%l-1] ",
	"%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
	"%t:%r:%u@%d:[%p]:",
	"%m:%r:%u@%d:[%p]:",
	"%t [%p]: [%l-1] db=%d,user=%u ",
	"%m [%p] %q[user=%u,db=%d,app=%a] ",
	"%m [%p] %u@%d ",
	"%t [%p] %u@%d ",
	"%t [%p] ",
	"%m %u@%d ",
	"%t %u@%d ",
	"%m ",
	"%t ",
	"< %m >",
	"%m [%p-%l] %q%u@%d ",
	"%t [%p-%l] %q%u@%d ",
	"%m [%c] ",
	"%m %c %l ",
	"%t %c %l ",
	"%m %p %l ",
	"%m [%p] %l ",
	"%n [%c:%l] %q%u@%d/%a ",
	"%m [%c:%l] %q%u@%d/%a ",
	"%m [%p-%l] %q[%a] %u@%d ",
}

// inferPrefix picks the log_line_prefix that matches the most prefixed
// lines of head; if none matches nearly all of them it falls back to the
// heuristic matcher.
func inferPrefix(head []byte, tp *timeParser) *pgPrefix {
	var lines [][]byte
	sniffLines(head, 400, func(l []byte) {
		if len(l) > 0 && l[0] != '\t' {
			if at, _ := findSeverity(l); at >= 0 {
				lines = append(lines, l)
			}
		}
	})
	if len(lines) > 200 {
		lines = lines[:200]
	}
	var best *pgPrefix
	bestScore := -1
	var f pgFields
	for _, spec := range commonPrefixes {
		p := compilePrefix(spec, tp)
		score := 0
		for _, l := range lines {
			if _, ok := p.match(l, &f); ok {
				score += 2
				if f.user != nil || f.db != nil || f.pid != nil || f.session != nil {
					score++ // prefer prefixes that capture more
				}
				if !f.time.IsZero() {
					score++
				}
			}
		}
		// A prefix must match (nearly) every line to be believed.
		matched := 0
		for _, l := range lines {
			if _, ok := p.match(l, &f); ok {
				matched++
			}
		}
		if len(lines) > 0 && matched*100 >= len(lines)*98 && score > bestScore {
			best, bestScore = p, score
		}
	}
	if best == nil {
		best = &pgPrefix{heur: true, tp: tp, spec: "(inferred: free-form)"}
	}
	return best
}

func (p *pgPrefix) String() string {
	if p.heur {
		return p.spec
	}
	return fmt.Sprintf("%q", p.spec)
}
