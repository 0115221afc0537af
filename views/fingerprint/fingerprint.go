// Package fingerprint normalises SQL statements from every source into one
// shape per query, in the spirit of pt-query-digest and pgBadger: comments
// stripped, literals and placeholders ($1, ?, :name, %(name)s) turned into
// "?", IN lists and multi-row VALUES collapsed, whitespace made canonical,
// words lower-cased. It also hashes the literal values it removed, so that
// the same shape with different values (an N+1 loop) can be told from the
// same shape with the same values (a cacheable duplicate).
//
// The scanner is hand-written and allocation-free once its buffer has grown:
// it runs on every statement of multi-gigabyte logs.
package fingerprint

import (
	"encoding/binary"
	"encoding/hex"
	"unicode/utf8"
	"unsafe"
)

// Result is one statement's fingerprint.
type Result struct {
	// Fingerprint is the normalised text. It is only valid until the next
	// call on the same Fingerprinter.
	Fingerprint []byte
	// ID is a stable hash of Fingerprint (FNV-1a, 64 bits); IDString renders it.
	ID uint64
	// Values hashes the literal values the fingerprint replaced, in order
	// (placeholders count as a marker: their values come from the bind
	// parameters, which the caller mixes in with MixString).
	Values uint64
	// Literals is how many literals and placeholders were replaced.
	Literals int
}

// Fingerprinter normalises statements. The zero value is ready to use; it
// is not safe for concurrent use (keep one per goroutine).
type Fingerprinter struct {
	// FoldIdentDigits also replaces digits inside identifiers
	// (sbtest1 → sbtest?), as pt-query-digest does. Off by default: to
	// hotpath two tables are two queries.
	FoldIdentDigits bool

	out    []byte
	stack  []level
	prev   tokKind
	prevW  int // start of the last word token in out
	vStart int // last VALUES row group: out[vStart:vEnd]
	vEnd   int
	vals   uint64
	nlits  int
}

type level struct {
	pos      int // index of '(' in out
	onlyLits bool
	nlits    int
	in       bool // opened right after "in"
	values   bool // opened right after "values" or a previous VALUES row
}

type tokKind uint8

const (
	tNone tokKind = iota
	tWord
	tLit
	tOp
	tOpen
	tClose
	tComma
	tDot
	tSemi
	tCast
)

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// IDString renders an ID as 16 hex digits.
func IDString(id uint64) string {
	var b [8]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(id >> (56 - 8*i))
	}
	return hex.EncodeToString(b[:])
}

// Hash is the hash used for IDs: MurmurHash64A with a fixed seed, eight
// bytes at a time (stable across runs and machines).
func Hash(b []byte) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := uint64(0x8445d61a4e774912) ^ uint64(len(b))*m
	for len(b) >= 8 {
		k := binary.LittleEndian.Uint64(b)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		b = b[8:]
	}
	if len(b) > 0 {
		var t uint64
		for i := len(b) - 1; i >= 0; i-- {
			t = t<<8 | uint64(b[i])
		}
		h ^= t
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// HashString is Hash for a string.
func HashString(s string) uint64 {
	return Hash(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// MixString mixes s into a values hash h (for bind parameters).
func MixString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	h ^= 0xff
	h *= fnvPrime
	return h
}

// String fingerprints sql and returns a copy of the normalised text.
func String(sql string) string {
	var f Fingerprinter
	return string(f.Fingerprint(sql).Fingerprint)
}

// Fingerprint normalises sql.
func (f *Fingerprinter) Fingerprint(sql string) Result {
	return f.Bytes(unsafe.Slice(unsafe.StringData(sql), len(sql)))
}

// Bytes normalises sql (not retained).
func (f *Fingerprinter) Bytes(s []byte) Result {
	f.out = f.out[:0]
	f.stack = f.stack[:0]
	f.prev = tNone
	f.prevW = -1
	f.vStart, f.vEnd = -1, -1
	f.vals = fnvOffset
	f.nlits = 0
	n := len(s)
	for i := 0; i < n; {
		c := s[i]
		switch class[c] {
		case cSpace:
			i++
		case cIdent:
			j := i + 1
			for j < n && identChar[s[j]] {
				j++
			}
			// String prefixes: E'…', N'…', X'…', B'…', U&'…'.
			if j == i+1 && j < n && s[j] == '\'' && (c|0x20 == 'e' || c|0x20 == 'n' || c|0x20 == 'x' || c|0x20 == 'b') {
				i = f.quoted(s, j, c|0x20 == 'e')
				continue
			}
			f.word(s[i:j])
			i = j
		case cDigit:
			i = f.number(s, i, i)
		case cQuote:
			i = f.quoted(s, i, false)
		case cDQuote:
			j := i + 1
			for j < n && s[j] != '"' {
				j++
			}
			if j < n {
				j++
			}
			f.emit(tWord, s[i:j])
			i = j
		case cBacktick:
			j := i + 1
			for j < n && s[j] != '`' {
				j++
			}
			f.identWord(s[i+1 : j])
			if j < n {
				j++
			}
			i = j
		case cOpen:
			f.open()
			i++
		case cClose:
			f.close()
			i++
		case cComma:
			f.emit(tComma, s[i:i+1])
			i++
		case cSemi:
			f.emit(tSemi, s[i:i+1])
			i++
		case cDot:
			if i+1 < n && class[s[i+1]] == cDigit && f.prev != tWord {
				i = f.number(s, i, i)
				continue
			}
			f.emit(tDot, s[i:i+1])
			i++
		case cParam: // ?
			f.placeholder()
			i++
		case cDollar:
			j := i + 1
			for j < n && class[s[j]] == cDigit {
				j++
			}
			if j > i+1 { // $1
				f.placeholder()
				i = j
				continue
			}
			i = f.dollarQuoted(s, i)
		case cColon:
			if i+1 < n && s[i+1] == ':' {
				f.emit(tCast, s[i:i+2])
				i += 2
				continue
			}
			if i+1 < n && class[s[i+1]] == cIdent && f.prev != tWord && f.prev != tLit && f.prev != tClose {
				j := i + 2
				for j < n && (class[s[j]] == cIdent || class[s[j]] == cDigit) {
					j++
				}
				f.placeholder() // :name
				i = j
				continue
			}
			f.emit(tOp, s[i:i+1])
			i++
		default: // operators and anything else
			if c == '-' && i+1 < n && s[i+1] == '-' {
				i = skipLine(s, i)
				continue
			}
			if c == '#' && (i+1 >= n || s[i+1] == ' ' || s[i+1] == '\n') {
				i = skipLine(s, i)
				continue
			}
			if c == '/' && i+1 < n && s[i+1] == '*' {
				i = skipComment(s, i)
				continue
			}
			if c == '%' && i+1 < n && (s[i+1] == 's' || s[i+1] == '(') {
				if s[i+1] == 's' {
					f.placeholder()
					i += 2
					continue
				}
				j := i + 2
				for j < n && s[j] != ')' && j-i < 128 {
					j++
				}
				if j+1 < n && s[j] == ')' && s[j+1] == 's' {
					f.placeholder() // %(name)s
					i = j + 2
					continue
				}
			}
			if (c == '-' || c == '+') && i+1 < n && (class[s[i+1]] == cDigit || s[i+1] == '.') && f.signContext() {
				i = f.number(s, i+1, i)
				continue
			}
			if class[c] == cOp {
				j := i + 1
				for j < n && class[s[j]] == cOp && !(s[j] == '-' && j+1 < n && s[j+1] == '-') && !(s[j] == '/' && j+1 < n && s[j+1] == '*') {
					j++
				}
				f.emit(tOp, s[i:j])
				i = j
				continue
			}
			f.emit(tOp, s[i:i+1])
			i++
		}
	}
	// A statement cut short (a log's size limit) may end inside a further
	// VALUES row: drop the partial row, so that the cut statement has the
	// shape of the whole one.
	for k := len(f.stack) - 1; k >= 0; k-- {
		if lv := f.stack[k]; lv.values {
			if f.vEnd >= 0 && lv.pos == f.vEnd+2 {
				f.out = f.out[:f.vEnd]
			}
			break
		}
	}
	// Trailing semicolons go.
	for len(f.out) > 0 && (f.out[len(f.out)-1] == ';' || f.out[len(f.out)-1] == ' ') {
		f.out = f.out[:len(f.out)-1]
	}
	if len(f.out) == 0 {
		f.commentOnly(s)
	}
	return Result{Fingerprint: f.out, ID: Hash(f.out), Values: f.vals, Literals: f.nlits}
}

// commentOnly names a statement that is nothing but comments (a driver's
// "-- ping") by its text, whitespace collapsed and cut at 256 bytes, so
// that it does not show as an empty fingerprint.
func (f *Fingerprinter) commentOnly(s []byte) {
	space := false
	for _, c := range s {
		if len(f.out) >= 256 {
			break
		}
		if class[c] == cSpace {
			space = len(f.out) > 0
			continue
		}
		if space {
			f.out = append(f.out, ' ')
			space = false
		}
		f.out = append(f.out, lower[c])
	}
	for k := 0; k < 3 && len(f.out) > 0; k++ { // never end inside a UTF-8 sequence
		if r, size := utf8.DecodeLastRune(f.out); r != utf8.RuneError || size != 1 {
			break
		}
		f.out = f.out[:len(f.out)-1]
	}
}

func skipLine(s []byte, i int) int {
	for i < len(s) && s[i] != '\n' {
		i++
	}
	return i
}

func skipComment(s []byte, i int) int {
	depth := 0
	for i < len(s) {
		if s[i] == '/' && i+1 < len(s) && s[i+1] == '*' {
			depth++
			i += 2
			continue
		}
		if s[i] == '*' && i+1 < len(s) && s[i+1] == '/' {
			depth--
			i += 2
			if depth == 0 {
				return i
			}
			continue
		}
		i++
	}
	return i
}

// signContext reports whether a '-' or '+' here is a sign (after an
// operator, '(' , ',', a keyword, or at the start) rather than an operator.
func (f *Fingerprinter) signContext() bool {
	switch f.prev {
	case tNone, tOp, tOpen, tComma, tSemi:
		return true
	case tWord:
		return isKeyword(f.out[f.prevW:])
	}
	return false
}

// number consumes a numeric literal starting at i (start includes a sign).
func (f *Fingerprinter) number(s []byte, i, start int) int {
	j := numberEnd(s, i)
	f.literal(s[start:j])
	return j
}

// numberEnd is where the number starting at i ends (shared with ShapeOf,
// which must see numbers exactly as the normaliser does).
func numberEnd(s []byte, i int) int {
	n := len(s)
	j := i
	if j+1 < n && s[j] == '0' && (s[j+1]|0x20 == 'x') {
		j += 2
		for j < n && (class[s[j]] == cDigit || s[j]|0x20 >= 'a' && s[j]|0x20 <= 'f') {
			j++
		}
	} else {
		for j < n && (class[s[j]] == cDigit || s[j] == '.') {
			j++
		}
		if j+1 < n && s[j]|0x20 == 'e' && (class[s[j+1]] == cDigit || (s[j+1] == '-' || s[j+1] == '+') && j+2 < n && class[s[j+2]] == cDigit) {
			j += 2
			for j < n && class[s[j]] == cDigit {
				j++
			}
		}
	}
	// A number glued to letters (1st, 2x) is an odd identifier; keep it whole.
	for j < n && identChar[s[j]] {
		j++
	}
	return j
}

// quoted consumes a '…' string starting at the quote at i.
func (f *Fingerprinter) quoted(s []byte, i int, backslash bool) int {
	n := len(s)
	j := i + 1
	h := f.vals
	for j < n {
		c := s[j]
		if c == '\\' && j+1 < n {
			_ = backslash // MySQL escapes; PostgreSQL E'' strings
			h = (h ^ uint64(s[j+1])) * fnvPrime
			j += 2
			continue
		}
		if c == '\'' {
			if j+1 < n && s[j+1] == '\'' {
				h = (h ^ '\'') * fnvPrime
				j += 2
				continue
			}
			j++
			break
		}
		h = (h ^ uint64(c)) * fnvPrime
		j++
	}
	f.vals = (h ^ 0xff) * fnvPrime
	f.lit()
	return j
}

// dollarQuoted consumes $tag$…$tag$ (or a lone '$').
func (f *Fingerprinter) dollarQuoted(s []byte, i int) int {
	n := len(s)
	j := i + 1
	for j < n && (class[s[j]] == cIdent || class[s[j]] == cDigit) {
		j++
	}
	if j >= n || s[j] != '$' {
		f.emit(tOp, s[i:i+1])
		return i + 1
	}
	tag := s[i : j+1]
	body := j + 1
	for k := body; k+len(tag) <= n; k++ {
		if s[k] == '$' && string(s[k:k+len(tag)]) == string(tag) {
			f.literal(s[body:k])
			return k + len(tag)
		}
	}
	f.literal(s[body:])
	return n
}

func (f *Fingerprinter) literal(v []byte) {
	h := f.vals
	for _, c := range v {
		h = (h ^ uint64(c)) * fnvPrime
	}
	f.vals = (h ^ 0xff) * fnvPrime
	f.lit()
}

func (f *Fingerprinter) placeholder() {
	f.vals = (f.vals ^ 0xfe) * fnvPrime
	f.lit()
}

func (f *Fingerprinter) lit() {
	f.nlits++
	if d := len(f.stack); d > 0 {
		f.stack[d-1].nlits++
	}
	f.space(tLit)
	f.out = append(f.out, '?')
	f.prev = tLit
}

// word emits an identifier or keyword, lower-cased; true/false are literals.
func (f *Fingerprinter) word(w []byte) {
	if len(w) == 4 && w[0]|0x20 == 't' && w[1]|0x20 == 'r' && w[2]|0x20 == 'u' && w[3]|0x20 == 'e' ||
		len(w) == 5 && w[0]|0x20 == 'f' && w[1]|0x20 == 'a' && w[2]|0x20 == 'l' && w[3]|0x20 == 's' && w[4]|0x20 == 'e' {
		f.literal(w)
		return
	}
	f.identWord(w)
}

func (f *Fingerprinter) identWord(w []byte) {
	f.notLit()
	f.space(tWord)
	f.prevW = len(f.out)
	if !f.FoldIdentDigits {
		n := len(f.out)
		f.out = append(f.out, w...)
		for i := n; i < len(f.out); i++ {
			f.out[i] = lower[f.out[i]]
		}
		f.prev = tWord
		return
	}
	digits := false
	for _, c := range w {
		if c >= '0' && c <= '9' {
			if !digits {
				f.out = append(f.out, '?')
			}
			digits = true
			continue
		}
		digits = false
		f.out = append(f.out, lower[c])
	}
	f.prev = tWord
}

// identChar is true for bytes that continue an identifier.
var identChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = class[c] == cIdent || class[c] == cDigit || c == '$'
	}
	return t
}()

var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// emit writes a non-literal token.
func (f *Fingerprinter) emit(k tokKind, t []byte) {
	if k != tComma {
		f.notLit()
	}
	f.space(k)
	if k == tWord {
		f.prevW = len(f.out)
	}
	f.out = append(f.out, t...)
	f.prev = k
}

// notLit marks the innermost parenthesis as holding something other than
// literals.
func (f *Fingerprinter) notLit() {
	if d := len(f.stack); d > 0 {
		f.stack[d-1].onlyLits = false
	}
}

// space writes the canonical separator before a token of kind k.
func (f *Fingerprinter) space(k tokKind) {
	if len(f.out) == 0 {
		return
	}
	switch f.prev {
	case tOpen, tDot, tCast, tNone:
		return
	}
	switch k {
	case tClose, tComma, tDot, tSemi, tCast:
		return
	case tOpen:
		switch f.prev {
		case tWord:
			if !isKeyword(f.out[f.prevW:]) {
				return // function call or table(columns)
			}
		case tClose, tLit:
			return
		}
	}
	f.out = append(f.out, ' ')
}

func (f *Fingerprinter) open() {
	in, values := false, false
	if f.prev == tWord {
		w := f.out[f.prevW:]
		in = string(w) == "in"
		values = string(w) == "values" || string(w) == "value"
	} else if f.prev == tComma && f.vEnd >= 0 && len(f.out) == f.vEnd+1 {
		values = true // the next row of a multi-row VALUES
	}
	if d := len(f.stack); d > 0 {
		// A nested group keeps its parent "literal only" only if it
		// collapses itself; close decides.
		_ = d
	}
	f.space(tOpen)
	f.stack = append(f.stack, level{pos: len(f.out), onlyLits: true, in: in, values: values})
	f.out = append(f.out, '(')
	f.prev = tOpen
}

func (f *Fingerprinter) close() {
	d := len(f.stack)
	if d == 0 {
		f.emit(tClose, []byte{')'})
		return
	}
	lv := f.stack[d-1]
	f.stack = f.stack[:d-1]
	f.out = append(f.out, ')')
	f.prev = tClose
	collapsed := false
	if lv.onlyLits && lv.nlits > 0 && (lv.in || lv.values || d > 1 && f.stack[d-2].in) {
		f.out = append(f.out[:lv.pos], "(...)"...)
		collapsed = true
	}
	if lv.values {
		start := lv.pos
		if f.vEnd >= 0 && start == f.vEnd+2 && string(f.out[start:]) == string(f.out[f.vStart:f.vEnd]) {
			f.out = f.out[:f.vEnd] // same row shape again: drop it
		} else {
			f.vStart, f.vEnd = start, len(f.out)
		}
	}
	if d > 1 {
		p := &f.stack[d-2]
		if collapsed || lv.onlyLits && lv.nlits > 0 {
			p.nlits++
		} else {
			p.onlyLits = false
		}
	}
}

// isKeyword reports SQL words after which '(' is not a call, and after
// which '-' is a sign.
func isKeyword(w []byte) bool {
	switch string(w) {
	case "in", "values", "value", "and", "or", "not", "exists", "from", "join", "as", "on",
		"where", "using", "any", "all", "some", "select", "then", "else", "when", "set",
		"by", "is", "like", "between", "case", "return", "returning", "limit", "offset",
		"having", "union", "intersect", "except", "with", "into", "lateral", "distinct":
		return true
	}
	return false
}

const (
	cOther = iota
	cSpace
	cIdent
	cDigit
	cQuote
	cDQuote
	cBacktick
	cOp
	cOpen
	cClose
	cComma
	cDot
	cSemi
	cParam
	cDollar
	cColon
)

var class = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			t[c] = cSpace
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80:
			t[c] = cIdent
		case c >= '0' && c <= '9':
			t[c] = cDigit
		}
	}
	t['\''] = cQuote
	t['"'] = cDQuote
	t['`'] = cBacktick
	for _, c := range []byte("+-*/<>=~!@#%^&|") {
		t[c] = cOp
	}
	t['('] = cOpen
	t[')'] = cClose
	t[','] = cComma
	t['.'] = cDot
	t[';'] = cSemi
	t['?'] = cParam
	t['$'] = cDollar
	t[':'] = cColon
	return t
}()

// Shape is a cheap pre-pass for callers that fingerprint many statements:
// it hashes the statement with its plain literals — numbers not inside
// identifiers (with a sign before them), '…' strings, ? and $n — left out,
// and hashes those literals' values separately. Two statements with the
// same key have the same fingerprint, so a caller can cache Key → ID and
// skip the full normaliser. The cache is only sound for keys whose
// Literals equals the full Result's Literals (Shape saw every literal the
// normaliser replaces); for the others the caller must run Fingerprint.
type Shape struct {
	Key      uint64
	Values   uint64
	Literals int
}

// ShapeOf computes the pre-pass of sql.
func ShapeOf(sql string) Shape {
	s := unsafe.Slice(unsafe.StringData(sql), len(sql))
	n := len(s)
	key := uint64(fnvOffset)
	vals := uint64(fnvOffset)
	lits := 0
	seg := 0 // start of the current run of shape bytes
	// flush hashes the shape bytes before a literal and the literal's kind
	// (a string and a number in one place fingerprint differently: a sign
	// folds into a number only).
	flush := func(end int, kind uint64) {
		if end > seg {
			key = (key ^ Hash(s[seg:end])) * fnvPrime
		}
		key = (key ^ kind) * fnvPrime
	}
	for i := 0; i < n; {
		c := s[i]
		switch {
		// Before identifiers: '$' may start one ("a$b"), but "$1" is a
		// parameter the normaliser replaces.
		case c == '$' && i+1 < n && class[s[i+1]] == cDigit:
			start := i
			i++
			for i < n && class[s[i]] == cDigit {
				i++
			}
			flush(start, 0x9c)
			vals = (vals ^ 0xfe) * fnvPrime
			lits++
			seg = i
		case identChar[c] && class[c] != cDigit:
			for i < n && identChar[s[i]] {
				i++
			}
		case class[c] == cDigit:
			start := i
			if start > 0 && (s[start-1] == '-' || s[start-1] == '+') {
				vals = (vals ^ uint64(s[start-1])) * fnvPrime
			}
			i = numberEnd(s, i)
			flush(start, 0x9e)
			for _, d := range s[start:i] {
				vals = (vals ^ uint64(d)) * fnvPrime
			}
			vals = (vals ^ 0xff) * fnvPrime
			lits++
			seg = i
		case c == '\'':
			start := i
			i++
			for i < n {
				if s[i] == '\\' && i+1 < n {
					vals = (vals ^ uint64(s[i+1])) * fnvPrime
					i += 2
					continue
				}
				if s[i] == '\'' {
					if i+1 < n && s[i+1] == '\'' {
						vals = (vals ^ '\'') * fnvPrime
						i += 2
						continue
					}
					i++
					break
				}
				vals = (vals ^ uint64(s[i])) * fnvPrime
				i++
			}
			vals = (vals ^ 0xff) * fnvPrime
			flush(start, 0x9d)
			lits++
			seg = i
		case c == '?':
			flush(i, 0x9c)
			vals = (vals ^ 0xfe) * fnvPrime
			lits++
			i++
			seg = i
		case c == '"' || c == '`':
			// quoted identifiers may hold digits and quotes: skip whole
			i++
			for i < n && s[i] != c {
				i++
			}
			if i < n {
				i++
			}
		default:
			i++
		}
	}
	if n > seg {
		key = (key ^ Hash(s[seg:n])) * fnvPrime
	}
	return Shape{Key: key ^ uint64(lits), Values: vals, Literals: lits}
}
