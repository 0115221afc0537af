package applog

import (
	"bytes"
	"time"
)

// family is what hotpath reads from a record: the kind of reader it goes to.
type family uint8

const (
	famOther    family = iota
	famSAEngine        // sqlalchemy.engine.Engine[.name]: statements
	famSAPool          // sqlalchemy.pool.*: connection events
	famDjango          // django.db.backends: timed statements
	famAsyncio         // asyncio: slow callbacks, unclosed sessions/connectors
	famWarnings        // py.warnings: ResourceWarning: Unclosed … (asyncio's twin)
	famAccess          // aiohttp.access, uvicorn.access, gunicorn.access
)

// familyOf dispatches a record by its logger name.
func familyOf(name []byte) family {
	switch {
	case hasWordPrefix(name, "sqlalchemy.engine"):
		return famSAEngine
	case hasWordPrefix(name, "sqlalchemy.pool"):
		return famSAPool
	case string(name) == "django.db.backends":
		return famDjango
	case string(name) == "asyncio":
		return famAsyncio
	case string(name) == "py.warnings":
		return famWarnings
	case string(name) == "aiohttp.access" || string(name) == "uvicorn.access" || string(name) == "gunicorn.access":
		return famAccess
	}
	return famOther
}

func hasWordPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p && (len(b) == len(p) || b[len(p)] == '.')
}

// familyOfMessage dispatches a record of a layout without %(name)s by what
// only one library writes. SQL that SQLAlchemy echoes is told by the
// parameter line that follows it (see saReader.tentative).
func familyOfMessage(msg []byte) family {
	switch {
	case djangoSQL(msg):
		return famDjango
	case isSlowCallback(msg) || isUnclosed(msg):
		return famAsyncio
	case bytes.Contains(firstLine(msg), []byte("ResourceWarning: Unclosed ")):
		return famWarnings
	case isPoolMessage(msg, true):
		return famSAPool
	}
	body := msg
	if _, rest, ok := loggingToken(msg); ok {
		body = rest
	}
	switch {
	case saParamsLine(body) || bytes.HasPrefix(body, []byte("BEGIN (implicit")) || isTxnWord(body) || sqlStart(body):
		return famSAEngine
	case requestLineStatus(firstLine(msg)):
		return famAccess
	}
	return famOther
}

// requestLineStatus: a quoted HTTP request line and a status, the core of
// every access format; which format it is the access reader knows.
func requestLineStatus(m []byte) bool {
	for _, meth := range []string{`"GET `, `"POST `, `"PUT `, `"DELETE `, `"PATCH `, `"HEAD `, `"OPTIONS `} {
		i := bytes.Index(m, []byte(meth))
		if i < 0 {
			continue
		}
		j := bytes.Index(m[i:], []byte(` HTTP/`))
		if j < 0 {
			return false
		}
		k := bytes.IndexByte(m[i+j:], '"')
		if k < 0 {
			return false
		}
		rest := m[i+j+k+1:]
		return len(rest) >= 4 && rest[0] == ' ' && rest[1] >= '1' && rest[1] <= '5' && isDigits(rest[2:4])
	}
	return false
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// recognize votes on whether msg is where a record of logger starts its
// message: +1 it is what that logger writes, -1 it cannot be, 0 unknown.
func recognize(logger, msg []byte) int {
	if levelAt(msg) > 0 {
		return -1 // a level after the name is a prefix field
	}
	if len(msg) > 0 && (msg[0] == ':' || msg[0] == ']' || msg[0] == '|' || msg[0] == ')') {
		return -1
	}
	switch familyOf(logger) {
	case famSAEngine:
		body := msg
		if _, rest, ok := loggingToken(msg); ok {
			body = rest
		}
		if saParamsLine(body) || sqlStart(body) || len(bytes.TrimSpace(body)) == 0 || bytes.HasPrefix(body, []byte("Col ")) || bytes.HasPrefix(body, []byte("Row ")) {
			return 1
		}
		if len(body) > 1 && body[0] == '[' && body[1] >= '0' && body[1] <= '9' {
			return -1
		}
	case famSAPool:
		if isPoolMessage(msg, false) {
			return 1
		}
	case famDjango:
		if _, _, ok := djangoDuration(msg); ok {
			return 1
		}
		return -1
	case famAsyncio:
		if isSlowCallback(msg) || isUnclosed(msg) || bytes.HasPrefix(msg, []byte("Using selector")) || bytes.HasPrefix(msg, []byte("<")) {
			return 1
		}
	case famWarnings:
		if bytes.HasPrefix(msg, []byte("/")) || bytes.Contains(firstLine(msg), []byte("Warning: ")) {
			return 1
		}
	case famAccess:
		if defaultAccessShape(msg) || len(msg) > 0 && (msg[0] >= '0' && msg[0] <= '9' || msg[0] == '[') {
			return 1
		}
	}
	return 0
}

// signatureAt finds, in a line of a layout without %(name)s, the start of
// a message only one library writes.
func signatureAt(l []byte) (int, family, bool) {
	best, fam := -1, famOther
	consider := func(at int, f family) {
		if at >= 0 && (at == 0 || !isWordByte(l[at-1])) && (best < 0 || at < best) {
			best, fam = at, f
		}
	}
	if i := bytes.Index(l, []byte("Executing <")); i >= 0 && isSlowCallback(l[i:]) {
		consider(i, famAsyncio)
	}
	for _, s := range []string{"Unclosed client session", "Unclosed connector"} {
		if i := bytes.Index(l, []byte(s)); i >= 0 && (i+len(s) == len(l) || l[i+len(s)] == ' ' || l[i+len(s)] == '\r') {
			// asyncio's record, not the ResourceWarning that names a file first.
			if !bytes.Contains(l[:i], []byte("Warning: ")) {
				consider(i, famAsyncio)
			}
		}
	}
	for _, s := range []string{"Created new connection <", "Closing connection <", "BEGIN (implicit)", "[generated in ", "[cached since "} {
		if i := bytes.Index(l, []byte(s)); i >= 0 {
			f := famSAEngine
			if s[0] == 'C' {
				f = famSAPool
			}
			consider(i, f)
		}
	}
	if i := bytes.Index(l, []byte("Connection <")); i >= 0 && bytes.Contains(l[i:], []byte("> checked out from pool")) {
		consider(i, famSAPool)
	}
	for i := 0; i < len(l) && i < 400; i++ {
		if l[i] == '(' && (i == 0 || l[i-1] == ' ') {
			if _, n, ok := djangoDuration(l[i:]); ok && (bytes.Contains(l[i+n:], []byte("; args=")) || len(bytes.TrimSpace(l[i+n:])) == 0) {
				consider(i, famDjango)
				break
			}
		}
	}
	if best < 0 {
		return 0, famOther, false
	}
	return best, fam, true
}

func isSlowCallback(m []byte) bool {
	m = firstLine(m)
	i := bytes.Index(m, []byte("Executing <"))
	if i < 0 {
		return false
	}
	j := bytes.LastIndex(m, []byte(" took "))
	return j > i && bytes.HasSuffix(bytes.TrimRight(m, " \r"), []byte(" seconds"))
}

func isUnclosed(m []byte) bool {
	m = bytes.TrimRight(firstLine(m), " \r")
	return bytes.Equal(m, []byte("Unclosed client session")) || bytes.Equal(m, []byte("Unclosed connector"))
}

// loggingToken splits SQLAlchemy's execution option logging_token ("[req-42]
// SELECT …", "[req-42] [generated in …] {…}") off an engine message.
func loggingToken(m []byte) (tok, rest []byte, ok bool) {
	if len(m) < 4 || m[0] != '[' {
		return nil, m, false
	}
	e := bytes.Index(m, []byte("] "))
	if e < 2 || e > 128 || bytes.IndexByte(m[1:e], '[') >= 0 || saStats(m[1:e]) {
		return nil, m, false
	}
	rest = m[e+2:]
	if saParamsLine(rest) || sqlStart(rest) || bytes.HasPrefix(rest, []byte("BEGIN (implicit")) {
		return m[1:e], rest, true
	}
	return nil, m, false
}

// saStats: the cache statistics SQLAlchemy 1.4/2.0 put in brackets before
// a statement's parameters (engine/default.py _get_cache_stats).
func saStats(s []byte) bool {
	for _, p := range []string{"generated in ", "cached since ", "raw sql", "no key ", "caching disabled", "dialect ", "unknown", "insertmanyvalues"} {
		if bytes.HasPrefix(s, []byte(p)) {
			return true
		}
	}
	return false
}

// saParamsLine: "[generated in 0.00013s] {'id': 3}".
func saParamsLine(m []byte) bool {
	if len(m) < 3 || m[0] != '[' {
		return false
	}
	e := bytes.IndexByte(m, ']')
	return e > 0 && saStats(m[1:e])
}

// saParams returns the parameter text of a params line.
func saParams(m []byte) []byte {
	e := bytes.Index(m, []byte("] "))
	if e < 0 {
		return nil
	}
	return bytes.TrimSpace(m[e+2:])
}

// sqlKeywords start the statements SQLAlchemy echoes.
var sqlKeywords = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "CREATE", "DROP", "ALTER", "SHOW", "SET",
	"PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN", "TRUNCATE", "EXPLAIN", "VALUES", "CALL", "EXEC",
	"DECLARE", "FETCH", "CLOSE", "LOCK", "GRANT", "REVOKE", "COPY", "MERGE", "VACUUM", "ANALYZE", "REPLACE", "UPSERT",
	"COMMENT", "DESCRIBE", "USE", "LISTEN", "NOTIFY", "PREPARE", "EXECUTE", "DEALLOCATE", "REFRESH", "REINDEX"}

// sqlStart: the message begins with an SQL keyword, in either case.
func sqlStart(m []byte) bool {
	m = bytes.TrimLeft(m, " \t(")
	n := 0
	for n < len(m) && n < 12 && (m[n]|0x20 >= 'a' && m[n]|0x20 <= 'z') {
		n++
	}
	if n < 3 || n < len(m) && isIdentByte(m[n]) {
		return false
	}
	w := m[:n]
	for _, k := range sqlKeywords {
		if len(k) == n && bytes.EqualFold(w, []byte(k)) {
			return true
		}
	}
	return false
}

func isTxnWord(m []byte) bool {
	m = bytes.TrimSpace(m)
	return bytes.Equal(m, []byte("COMMIT")) || bytes.Equal(m, []byte("ROLLBACK"))
}

// isPoolMessage: what sqlalchemy.pool logs (pool/base.py, pool/impl.py).
// strict demands the connection repr, for layouts without a logger name.
func isPoolMessage(m []byte, strict bool) bool {
	m = firstLine(m)
	if strict {
		return bytes.HasPrefix(m, []byte("Created new connection <")) ||
			bytes.HasPrefix(m, []byte("Closing connection <")) || bytes.HasPrefix(m, []byte("Hard-closing connection <")) ||
			bytes.HasPrefix(m, []byte("Connection <")) && (bytes.Contains(m, []byte("> checked out from pool")) ||
				bytes.Contains(m, []byte("> being returned to pool")) || bytes.Contains(m, []byte("> rollback-on-return")) ||
				bytes.Contains(m, []byte("> commit-on-return")) || bytes.Contains(m, []byte("> reset, transaction already reset")))
	}
	for _, p := range []string{"Created new connection", "Connection ", "Closing connection", "Hard-closing connection",
		"Invalidate connection", "Soft invalidate", "Pool ", "Error on connect", "Exception during reset", "Exception closing"} {
		if bytes.HasPrefix(m, []byte(p)) {
			return true
		}
	}
	return false
}

// djangoDuration reads "(0.002) " at the start of a django.db.backends
// message: the duration and the offset of the SQL.
func djangoDuration(m []byte) (time.Duration, int, bool) {
	if len(m) < 4 || m[0] != '(' {
		return 0, 0, false
	}
	d, n, ok := decimal(m[1:], time.Second)
	if !ok || 1+n >= len(m) || m[1+n] != ')' {
		return 0, 0, false
	}
	if 2+n < len(m) && m[2+n] != ' ' {
		return 0, 0, false
	}
	return d, min(3+n, len(m)), true
}

func djangoSQL(m []byte) bool {
	_, n, ok := djangoDuration(m)
	return ok && bytes.Contains(m[n:], []byte("; args="))
}

// decimal parses "12.345" in units of unit, without floating point.
func decimal(b []byte, unit time.Duration) (time.Duration, int, bool) {
	var ip int64
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' && n < 15 {
		ip = ip*10 + int64(b[n]-'0')
		n++
	}
	if n == 0 || ip > int64(1<<62)/int64(unit) {
		return 0, 0, false
	}
	d := time.Duration(ip) * unit
	if n < len(b) && b[n] == '.' {
		n++
		scale := unit / 10
		for n < len(b) && b[n] >= '0' && b[n] <= '9' {
			d += time.Duration(b[n]-'0') * scale
			scale /= 10
			n++
		}
	}
	return d, n, true
}
