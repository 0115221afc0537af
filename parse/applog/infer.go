package applog

import (
	"bytes"
	"sort"
)

// The layout of a log is inferred from its first records, the way the
// PostgreSQL log_line_prefix is (parse/sqllog/pgprefix.go), but without a
// list of known layouts: Formatters are as varied as the teams that write
// them. A record is found by a logger name we know (sqlalchemy.engine.…,
// asyncio, uvicorn.access …) or, where the layout has no %(name)s, by a
// message only one library writes. The text before it is split into
// fields and literals; lines of the same shape vote on what each field is
// (a time, a level, a thread name, a pid …); after the name, fields are
// taken into the prefix as long as the lines agree and the messages of
// the loggers we know start where they should.

// tok is a field (a word, or a timestamp) or the literal text between two.
type tok struct {
	lit bool
	b   []byte
	tk  timeKind
}

// tokenize splits s into fields and literals, stopping after maxFields
// fields; it returns the tokens and how much of s they cover.
func tokenize(s []byte, maxFields, year int) ([]tok, int) {
	var out []tok
	fields := 0
	i := 0
	for i < len(s) && fields < maxFields {
		if !isWordByte(s[i]) {
			j := i
			for j < len(s) {
				if !isWordByte(s[j]) {
					j++
					continue
				}
				// " - ": a dash between spaces is punctuation, not a value.
				if s[j-1] == ' ' {
					k := j
					for k < len(s) && s[k] == '-' {
						k++
					}
					if k > j && k < len(s) && s[k] == ' ' {
						j = k
						continue
					}
				}
				break
			}
			out = append(out, tok{lit: true, b: s[i:j]})
			i = j
			continue
		}
		if _, tk, n, ok := timeAt(s[i:], tNone, year); ok && (i+n == len(s) || !isWordByte(s[i+n]) || tk == tEpoch) {
			out = append(out, tok{b: s[i : i+n], tk: tk})
			i += n
			fields++
			continue
		}
		j := i
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		// Python 3.10+ names threads "Thread-3 (target)": one value.
		if hasNumSuffix(s[i:j], "Thread-") && j+2 < len(s) && s[j] == ' ' && s[j+1] == '(' {
			if k := bytes.IndexByte(s[j+2:], ')'); k > 0 && bytes.IndexAny(s[j+2:j+2+k], " []()") < 0 {
				j += 3 + k
			}
		}
		out = append(out, tok{b: s[i:j]})
		i = j
		fields++
	}
	return out, i
}

// normLit collapses runs of spaces and tabs: padding varies by value.
func normLit(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == ' ' || c == '\t' {
			if len(out) > 0 && out[len(out)-1] == ' ' {
				continue
			}
			c = ' '
		}
		out = append(out, c)
	}
	return out
}

func shapeKey(ts []tok) string {
	var b []byte
	for _, t := range ts {
		if t.lit {
			b = append(b, 'L')
			b = append(b, normLit(t.b)...)
		} else {
			b = append(b, 'F', byte('0'+t.tk))
		}
		b = append(b, 0)
	}
	return string(b)
}

// anchorLoggers are logger names (and their children) that mark a record
// where they stand after a prefix. Only specific names: "root" or a bare
// word would be found in prose.
var anchorLoggers = []string{"sqlalchemy", "django", "asyncio", "aiohttp", "uvicorn", "gunicorn", "py.warnings",
	"concurrent.futures", "urllib3", "werkzeug", "celery", "tornado", "httpx", "httpcore", "alembic", "hypercorn",
	"daphne", "waitress", "asyncpg", "psycopg", "botocore", "multipart", "watchfiles", "starlette", "fastapi"}

func isAnchor(w []byte) bool {
	for _, a := range anchorLoggers {
		if len(w) >= len(a) && string(w[:len(a)]) == a && (len(w) == len(a) || w[len(a)] == '.') {
			return true
		}
	}
	return false
}

// findAnchor returns the span of the first known logger name in l that
// stands on its own (not inside a quoted string or a path).
func findAnchor(l []byte) (int, int, bool) {
	lim := len(l)
	if lim > 400 {
		lim = 400 // a prefix is short
	}
	for i := 0; i < lim; {
		if !isWordByte(l[i]) {
			i++
			continue
		}
		j := i
		for j < len(l) && isWordByte(l[j]) {
			j++
		}
		w := bytes.TrimRight(l[i:j], ".-")
		if (i == 0 || l[i-1] != '/' && l[i-1] != '\\') && (i+len(w) >= len(l) || l[i+len(w)] != '/') && isAnchor(w) {
			return i, i + len(w), true
		}
		i = j
	}
	return 0, 0, false
}

// sample is one record start of the head, as inference sees it.
type sample struct {
	pre    []tok
	post   []byte // after the logger name
	logger []byte // nil when the record was found by its message
}

// cleanPrefix: text before a record's logger or message holds no quotes,
// backticks or code; prose and source files that mention a logger do.
func cleanPrefix(p []byte) bool {
	return bytes.IndexAny(p, "\"'`<>") < 0 && !bytes.Contains(p, []byte("getLogger")) && !bytes.Contains(p, []byte("//"))
}

// collectSamples finds record starts among the lines of head.
func collectSamples(lines [][]byte, year int) (named, unnamed []sample) {
	for _, l := range lines {
		if len(l) == 0 || l[0] == ' ' || l[0] == '\t' || isBinary(l) {
			continue
		}
		if a, b, ok := findAnchor(l); ok && cleanPrefix(l[:a]) {
			pre, n := tokenize(l[:a], 32, year)
			if n == a {
				named = append(named, sample{pre: pre, post: l[b:], logger: l[a:b]})
				continue
			}
		}
		if at, _, ok := signatureAt(l); ok && cleanPrefix(l[:at]) {
			pre, n := tokenize(l[:at], 32, year)
			if n == at {
				unnamed = append(unnamed, sample{pre: pre})
			}
		}
	}
	return named, unnamed
}

// classify names a field column from its values across records.
func classify(vals [][]byte, prev *elem) (elem, bool) {
	e := elem{kind: eFree}
	if len(vals) == 0 {
		return e, false
	}
	all := func(fn func([]byte) bool) bool {
		for _, v := range vals {
			if !fn(v) {
				return false
			}
		}
		return true
	}
	any := func(fn func([]byte) bool) bool {
		for _, v := range vals {
			if fn(v) {
				return true
			}
		}
		return false
	}
	switch {
	case all(func(v []byte) bool { return levelAt(v) == len(v) }):
		e.kind = eLevel
	case all(isDigits):
		long := all(func(v []byte) bool { return len(v) >= 9 })
		switch {
		case long:
			e.kind = eThreadID
		case prev != nil && prev.kind == eLit && bytes.HasSuffix(prev.lit, []byte(":")) && !bytes.HasSuffix(prev.lit, []byte(": ")):
			e.kind = eFree // file.py:LINENO
		default:
			e.kind = ePid
		}
	case any(isTaskName) && all(func(v []byte) bool { return isTaskName(v) || isNone(v) }):
		e.kind = eTask
	case any(isThreadName) && !any(isTaskName):
		e.kind = eThread
	case any(isProcName) && all(func(v []byte) bool { return isProcName(v) || isNone(v) }):
		e.kind = eProcName
	case any(isRequestID) && all(func(v []byte) bool { return isRequestID(v) || isNone(v) }):
		e.kind = eReqID
	case all(isNone) && prev != nil && prev.kind == eThread:
		e.kind = eTask
	case all(func(v []byte) bool { return bytes.Equal(v, vals[0]) }) && all(isDashes):
		return elem{kind: eLit, lit: append([]byte(nil), vals[0]...)}, true
	}
	return e, e.kind != eFree
}

func isDigits(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isDashes(v []byte) bool { return len(v) > 0 && len(bytes.Trim(v, "-")) == 0 }

func isNone(v []byte) bool {
	return len(v) == 0 || string(v) == "None" || string(v) == "-" || string(v) == "none" || string(v) == "null"
}

func hasNumSuffix(v []byte, prefix string) bool {
	if !bytes.HasPrefix(v, []byte(prefix)) || len(v) == len(prefix) {
		return false
	}
	for _, c := range v[len(prefix):] {
		if !(c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isTaskName(v []byte) bool { return hasNumSuffix(v, "Task-") }

// isThreadName: the names threading, concurrent.futures and the servers
// give their threads.
func isThreadName(v []byte) bool {
	switch string(v) {
	case "MainThread", "DummyThread":
		return true
	}
	for _, p := range []string{"Thread-", "Dummy-", "ThreadPoolExecutor-", "asyncio_", "waitress-", "AnyIO"} {
		if bytes.HasPrefix(v, []byte(p)) && len(v) > len(p) {
			return true
		}
	}
	return false
}

func isProcName(v []byte) bool {
	return string(v) == "MainProcess" || hasNumSuffix(v, "SpawnProcess-") || hasNumSuffix(v, "ForkProcess-") ||
		hasNumSuffix(v, "ForkServerProcess-") || hasNumSuffix(v, "Process-")
}

// isRequestID: a uuid, or 16+ hex digits (trace and request ids).
func isRequestID(v []byte) bool {
	hex := 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			hex++
		case c == '-':
		default:
			return false
		}
	}
	return hex >= 16 && hex <= 64
}

func isStrong(k elemKind) bool { return k != eFree && k != eLit }

// buildElems turns the tokens of one shape into layout elements, the
// field columns classified by their values in rows.
func buildElems(rows [][]tok, out []elem) []elem {
	if len(rows) == 0 {
		return out
	}
	for c, t := range rows[0] {
		var prev *elem
		if len(out) > 0 {
			prev = &out[len(out)-1]
		}
		if t.lit {
			out = appendLit(out, normLit(t.b))
			continue
		}
		if t.tk != tNone {
			out = append(out, elem{kind: eTime, tk: t.tk})
			continue
		}
		vals := make([][]byte, 0, len(rows))
		for _, r := range rows {
			vals = append(vals, r[c].b)
		}
		e, _ := classify(vals, prev)
		if e.kind == eLit {
			out = appendLit(out, e.lit)
			continue
		}
		out = append(out, e)
	}
	return out
}

func appendLit(out []elem, lit []byte) []elem {
	if n := len(out); n > 0 && out[n-1].kind == eLit {
		out[n-1].lit = normLit(append(append([]byte(nil), out[n-1].lit...), lit...))
		return out
	}
	return append(out, elem{kind: eLit, lit: append([]byte(nil), lit...)})
}

// dominant returns the rows of the most common shape.
func dominant(ss []sample, of func(sample) []tok) [][]tok {
	groups := map[string][][]tok{}
	var keys []string
	for _, s := range ss {
		ts := of(s)
		k := shapeKey(ts)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], ts)
	}
	// The most common shape; of equals, the simpler.
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := len(groups[keys[i]]), len(groups[keys[j]])
		return a > b || a == b && len(keys[i]) < len(keys[j])
	})
	if len(keys) == 0 {
		return nil
	}
	return groups[keys[0]]
}

// boundary trims the literal between the last prefix field and the
// message: up to its last space, colon or bar; what follows belongs to the
// message ("[generated in …]" after " ").
func boundary(lit []byte) []byte {
	for i := len(lit) - 1; i >= 0; i-- {
		switch lit[i] {
		case ' ', '\t', ':', '|':
			return lit[:i+1]
		}
	}
	return lit
}

// postCut is the prefix after the logger name of one record when the
// first k fields after it are prefix fields.
type postCut struct {
	key    string // the literals, normalised
	fields [][]byte
	msg    []byte
}

func cutPost(post []byte, k, year int) (postCut, bool) {
	ts, _ := tokenize(post, k+1, year)
	var pc postCut
	var kb []byte
	nf := 0
	off := 0
	for _, t := range ts {
		if t.lit {
			if nf == k {
				b := boundary(t.b)
				kb = append(kb, normLit(b)...)
				pc.key = string(kb)
				pc.msg = post[off+len(b):]
				return pc, true
			}
			kb = append(append(kb, normLit(t.b)...), 0)
		} else {
			if nf == k {
				return pc, false // a field right after a field
			}
			pc.fields = append(pc.fields, t.b)
			nf++
			kb = append(kb, 'F', byte('0'+t.tk), 0)
		}
		off += len(t.b)
	}
	if nf == k && k == 0 && len(post) == 0 {
		return pc, false
	}
	return pc, false
}

// inferNamed builds a layout from records found by their logger name.
func inferNamed(named []sample, year int) *layout {
	rows := dominant(named, func(s sample) []tok { return s.pre })
	if len(rows)*2 < len(named) && len(rows) < 3 {
		return nil
	}
	// Only the records of the dominant prefix shape vote on what follows
	// the name.
	key := shapeKey(rows[0])
	var voters []sample
	for _, s := range named {
		if shapeKey(s.pre) == key {
			voters = append(voters, s)
		}
	}
	elems := buildElems(rows, nil)
	elems = append(elems, elem{kind: eName})

	bestK, bestScore := -1, 0
	var best []postCut
	var bestKey string
	for k := 0; k <= 6; k++ {
		cuts := make([]postCut, 0, len(voters))
		count := map[string]int{}
		for _, s := range voters {
			pc, ok := cutPost(s.post, k, year)
			if !ok {
				pc.key = "\x00none"
			}
			cuts = append(cuts, pc)
			count[pc.key]++
		}
		top, n := "", 0
		for kk, c := range count {
			if c > n || c == n && kk < top {
				top, n = kk, c
			}
		}
		if top == "\x00none" || n*10 < len(voters)*9 {
			break
		}
		score := 0
		var agree []postCut
		for i, pc := range cuts {
			if pc.key == top {
				score += recognize(voters[i].logger, pc.msg)
				agree = append(agree, pc)
			}
		}
		strong := false
		if k > 0 {
			vals := make([][]byte, 0, len(agree))
			for _, pc := range agree {
				vals = append(vals, pc.fields[k-1])
			}
			e, ok := classify(vals, nil)
			strong = ok && isStrong(e.kind)
		}
		if bestK < 0 || score > bestScore || score == bestScore && strong {
			bestK, bestScore, best, bestKey = k, score, agree, top
		} else if !strong {
			break
		}
	}
	if bestK < 0 {
		return nil
	}
	_ = bestKey
	// Rebuild the post-name elements from the agreeing records.
	ts, _ := tokenize(firstPost(best, voters, bestK, year), bestK+1, year)
	for i, t := range ts {
		if t.lit {
			b := normLit(t.b)
			if i == len(ts)-1 {
				b = normLit(boundary(t.b))
			}
			elems = appendLit(elems, b)
			continue
		}
		col := 0
		for _, u := range ts[:i] {
			if !u.lit {
				col++
			}
		}
		if t.tk != tNone {
			elems = append(elems, elem{kind: eTime, tk: t.tk})
			continue
		}
		vals := make([][]byte, 0, len(best))
		for _, pc := range best {
			vals = append(vals, pc.fields[col])
		}
		prev := &elems[len(elems)-1]
		e, _ := classify(vals, prev)
		if e.kind == eLit {
			elems = appendLit(elems, e.lit)
		} else {
			elems = append(elems, e)
		}
	}
	if n := len(elems); n == 0 || elems[n-1].kind != eLit {
		return nil // a message glued to a field: not a layout we can frame
	}
	ly := &layout{elems: elems}
	markSpaces(ly)
	if !ly.framable() {
		return nil
	}
	return ly
}

// firstPost returns the post-name text of the first agreeing record, cut
// at its message.
func firstPost(best []postCut, voters []sample, k, year int) []byte {
	for _, s := range voters {
		pc, ok := cutPost(s.post, k, year)
		if ok && pc.key == best[0].key {
			return s.post[:len(s.post)-len(pc.msg)]
		}
	}
	return nil
}

// inferUnnamed builds a layout from records found by their message, for
// Formatters without %(name)s (Django's documented "verbose" formatter,
// gunicorn's default).
func inferUnnamed(unnamed []sample) *layout {
	rows := dominant(unnamed, func(s sample) []tok { return s.pre })
	if len(rows) == 0 {
		return nil
	}
	if len(rows[0]) == 0 {
		return &layout{bare: true}
	}
	elems := buildElems(rows, nil)
	if n := len(elems); n == 0 || elems[n-1].kind != eLit {
		return nil
	}
	ly := &layout{elems: elems}
	markSpaces(ly)
	if !ly.framable() {
		return nil
	}
	return ly
}

// framable: a prefix needs a time, a level or a pid to tell a record's
// first line from the lines that continue it.
func (ly *layout) framable() bool {
	for _, e := range ly.elems {
		switch e.kind {
		case eTime, eLevel, ePid:
			return true
		}
	}
	return false
}

// markSpaces lets thread names hold spaces where a closing literal ends
// them ("[Thread-1 (worker)/Task-3]"): Python names threads
// "Thread-N (target)" since 3.10.
func markSpaces(ly *layout) {
	for i := range ly.elems {
		if ly.elems[i].kind == eThread || ly.elems[i].kind == eProcName {
			ly.elems[i].spaces = true
		}
	}
}
