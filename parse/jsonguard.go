package parse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Limits on what one JSON input may make a decoder hold, enforced by
// GuardJSON on the bytes before any JSON decoder sees them. Every trace
// format nests a dozen levels; strings of kilobytes are long ones.
const (
	// MaxJSONDepth is the deepest nesting of objects and arrays read.
	// Decoders that recurse (pdata's OTLP reader does, per level) are
	// never handed more.
	MaxJSONDepth = 1000
	// MaxJSONString is the longest string kept whole; longer ones are cut
	// to it (at a character boundary) and counted.
	MaxJSONString = 64 << 10
	// maxJSONToken bounds a number or a bare word (true, null …).
	maxJSONToken = 4 << 10
	// maxJSONSpace bounds a run of white space between tokens; the rest of
	// the run is dropped (one newline kept, for JSON-lines framing).
	maxJSONSpace = 4 << 10
)

// ErrJSONTooDeep is the error of an input that nests deeper than
// MaxJSONDepth.
var ErrJSONTooDeep = errors.New("JSON nests too deep")

// JSONMode says how GuardJSON treats its input.
type JSONMode int

const (
	// JSONDocument: one or more JSON values; nesting deeper than
	// MaxJSONDepth stops the input with an error.
	JSONDocument JSONMode = iota
	// JSONLines: one value per line; each line starts afresh (a raw
	// newline cannot be inside a JSON string) and depth is left to the
	// decoder, which skips a deep line with CheckJSONDepth and reads on.
	JSONLines
)

// GuardJSON wraps the bytes of a JSON input so that no decoder can be made
// to hold more than the limits allow: strings longer than MaxJSONString are
// cut (the JSON stays valid: cuts fall between characters and escapes, and
// the closing quote is kept), numbers and bare words longer than 4 KiB and,
// in JSONDocument mode, nesting deeper than MaxJSONDepth stop the input
// with an error naming the line and byte, and long runs of white space
// are squeezed. It never recurses and holds no more than a few counters,
// whatever the input. Memory stays proportional to the limits, not to
// the longest string: a 1 GB span name costs 64 KiB.
//
// report, deferred by the decoder, records in src how many strings were
// cut. Byte offsets in a decoder's errors are those of the guarded text,
// the input's own until the first cut.
func GuardJSON(r io.Reader, src *Source, mode JSONMode) (guarded io.Reader, report func()) {
	g := &jsonGuard{r: r, mode: mode, line: 1}
	return g, func() { g.report(src) }
}

type jsonGuard struct {
	r    io.Reader
	mode JSONMode
	err  error

	off  int64 // input bytes seen
	line int64 // 1-based line of the input

	depth int
	inStr bool
	// esc: 0 outside an escape, 1 after the backslash, 2..5 the hex
	// digits of \uXXXX still to come.
	esc       int
	hex       uint16 // the \u escape's value so far
	highSurr  bool   // the last unit of the string was a high surrogate escape
	strLen    int    // bytes of the current string's content kept
	strTotal  int64  // bytes of the current string's content in the input
	cutting   bool   // the current string is past the limit: drop its content
	tokLen    int    // bytes of the current number or bare word
	spaceLen  int    // bytes of the current run of white space
	keptBreak bool   // a newline of the current squeezed run was kept

	cut       int64 // strings cut
	firstCut  int64 // line of the first
	longest   int64 // bytes of the longest cut string
	squeezed  int64 // runs of white space squeezed
	firstSqz  int64 // line of the first
	dropSpace int64 // bytes of white space dropped
}

func (g *jsonGuard) Read(p []byte) (int, error) {
	for {
		if g.err != nil {
			return 0, g.err
		}
		n, err := g.r.Read(p)
		w := g.filter(p[:n])
		if g.err != nil {
			return w, g.err
		}
		if w > 0 || err != nil {
			return w, err
		}
		if n == 0 {
			// The reader made no progress: let the caller decide, as
			// io.Reader allows.
			return 0, nil
		}
		// Everything read was dropped: read on rather than return 0, nil
		// (bufio gives up after a hundred of those).
	}
}

// Byte classes outside strings.
const (
	clsTok   = iota // a number's or a bare word's
	clsSpace        // white space
	clsQuote
	clsOpen
	clsClose
	clsPunct // , and :
)

var outClass = func() (t [256]uint8) {
	for _, c := range " \t\r\n" {
		t[c] = clsSpace
	}
	t['"'] = clsQuote
	t['{'], t['['] = clsOpen, clsOpen
	t['}'], t[']'] = clsClose, clsClose
	t[','], t[':'] = clsPunct, clsPunct
	return t
}()

// filter rewrites b in place (it only ever drops bytes) and returns the
// length kept. It runs over every byte of every JSON input: runs of plain
// bytes are found with bytes.IndexByte, and bytes are moved only once one
// was dropped.
func (g *jsonGuard) filter(b []byte) int {
	i, w := 0, 0
	for i < len(b) {
		if !g.inStr {
			j := i + g.fast(b[i:])
			if w != i {
				copy(b[w:], b[i:j])
			}
			w += j - i
			i = j
			if i == len(b) {
				break
			}
		}
		i, w = g.slow(b, i, w)
		if g.err != nil {
			return w
		}
	}
	g.off += int64(len(b))
	return w
}

// fast keeps the bytes of b that need no change — structure, short
// strings, escapes, short tokens and runs of white space — returning
// where something needs a closer look (a string that reaches the end of
// b or the limit, a long token or run, the depth limit) for slow to go on
// from, with the state of the guard as at that byte.
func (g *jsonGuard) fast(b []byte) int {
	depth, tokLen, spaceLen, line := g.depth, g.tokLen, g.spaceLen, g.line
	lines := g.mode == JSONLines
	n := len(b)
	i := 0
loop:
	for i < n {
		c := b[i]
		switch outClass[c] {
		case clsQuote:
			j := i + 1
			for {
				j = plainRun(b, j, true)
				if j >= n {
					break loop // the string goes on past b
				}
				if b[j] == '\\' {
					j += 2 // the escaped character; \u's digits are plain
					continue
				}
				break
			}
			if j >= n || b[j] != '"' || j-i-1 > MaxJSONString {
				break loop // a newline in it, or too long
			}
			i = j + 1
			tokLen, spaceLen = 0, 0
			continue
		case clsSpace:
			if spaceLen >= maxJSONSpace {
				break loop
			}
			spaceLen++
			tokLen = 0
			if c == '\n' {
				line++
				if lines {
					depth = 0
				}
			}
			i++
			continue
		case clsTok:
			if tokLen >= maxJSONToken {
				break loop
			}
			tokLen++
			spaceLen = 0
			i++
			continue
		case clsOpen:
			if !lines && depth >= MaxJSONDepth {
				break loop
			}
			depth++
		case clsClose:
			if depth > 0 {
				depth--
			}
		}
		tokLen, spaceLen = 0, 0
		i++
	}
	g.depth, g.tokLen, g.spaceLen, g.line = depth, tokLen, spaceLen, line
	g.keptBreak = g.keptBreak && spaceLen > maxJSONSpace
	return i
}

// slow goes on from b[i:] byte by byte, dropping what the limits say,
// up to the end of the string it is in or starts, or over the one byte
// or run of white space outside strings that fast stopped at; w is the
// number of bytes kept so far (b[w:i] is free once something was
// dropped).
func (g *jsonGuard) slow(b []byte, i, w int) (int, int) {
	keep := func(i, j int) {
		if w != i {
			copy(b[w:], b[i:j])
		}
		w += j - i
	}
	keep1 := func(i int) {
		if w != i {
			b[w] = b[i]
		}
		w++
	}
	n := len(b)
	for i < n {
		if g.inStr {
			if g.esc > 0 {
				g.escByte(b[i])
				if !g.cutting {
					keep1(i)
					g.strLen++
				}
				g.strTotal++
				i++
				continue
			}
			// A run of plain bytes up to the closing quote, a backslash
			// or (in JSON lines) a newline.
			j := plainRun(b, i, g.mode == JSONLines)
			if j > i {
				g.highSurr = false
				g.strTotal += int64(j - i)
				if !g.cutting {
					k := j
					if room := MaxJSONString - g.strLen; j-i > room {
						// Cut at the first character boundary at or past
						// the limit.
						k = i + max(room, 0)
						for k < j && b[k]&0xC0 == 0x80 {
							k++
						}
						if k < j {
							g.cutting = true
						}
					}
					keep(i, k)
					g.strLen += k - i
				}
				i = j
				continue
			}
			switch c := b[i]; c {
			case '"':
				g.inStr = false
				if g.cutting {
					g.counted()
				}
				keep1(i)
				return i + 1, w
			case '\\':
				if !g.cutting && g.strLen >= MaxJSONString && !g.highSurr {
					g.cutting = true
				}
				g.esc = 1
				g.strTotal++
				if !g.cutting {
					keep1(i)
					g.strLen++
				}
			case '\n': // JSON lines: a newline ends the line, string or not
				g.line++
				g.lineBreak()
				keep1(i)
			}
			i++
			continue
		}
		c := b[i]
		switch outClass[c] {
		case clsTok:
			g.spaceLen, g.keptBreak = 0, false
			j := i + 1
			for j < n && outClass[b[j]] == clsTok {
				j++
			}
			g.tokLen += j - i
			if g.tokLen > maxJSONToken {
				g.err = fmt.Errorf("a JSON number or word longer than %d bytes at line %d, byte %d: not a number anyone measured (a corrupted file?)",
					maxJSONToken, g.line, g.off+int64(j)-int64(g.tokLen-maxJSONToken))
				return i, w
			}
			keep(i, j)
			return j, w
		case clsSpace:
			g.tokLen = 0
			j := i + 1
			for j < n && outClass[b[j]] == clsSpace {
				j++
			}
			if g.spaceLen+(j-i) <= maxJSONSpace {
				if nl := bytes.Count(b[i:j], []byte{'\n'}); nl > 0 {
					g.line += int64(nl)
					if g.mode == JSONLines {
						g.lineBreak()
					}
				}
				g.spaceLen += j - i
				keep(i, j)
				return j, w
			}
			// A long run: byte by byte (rare).
			for ; i < j; i++ {
				c := b[i]
				if c == '\n' {
					g.line++
					if g.mode == JSONLines {
						g.lineBreak()
					}
				}
				g.spaceLen++
				if g.spaceLen > maxJSONSpace {
					if g.spaceLen == maxJSONSpace+1 {
						g.squeezed++
						if g.squeezed == 1 {
							g.firstSqz = g.line
						}
					}
					if c != '\n' || g.keptBreak {
						g.dropSpace++
						continue
					}
					g.keptBreak = true
				}
				keep1(i)
			}
			return i, w
		case clsQuote:
			g.inStr, g.strLen, g.strTotal, g.cutting, g.highSurr = true, 0, 0, false, false
		case clsOpen:
			g.depth++
			if g.mode == JSONDocument && g.depth > MaxJSONDepth {
				g.err = fmt.Errorf("%w: more than %d levels of objects and arrays at line %d, byte %d; no trace or profile format nests this deep (a generated or corrupted file?)",
					ErrJSONTooDeep, MaxJSONDepth, g.line, g.off+int64(i))
				return i, w
			}
		case clsClose:
			if g.depth > 0 {
				g.depth--
			}
		}
		g.tokLen, g.spaceLen, g.keptBreak = 0, 0, false
		keep1(i)
		i++
		if !g.inStr {
			return i, w
		}
	}
	return i, w
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainRun is the index of the first '"', '\\' or (lines) '\n' in b at
// or after i, or len(b): eight bytes at a time, since most of a JSON
// input is the inside of its strings.
func plainRun(b []byte, i int, lines bool) int {
	nl := uint64(0)
	if lines {
		nl = highs
	}
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs, n := x^('"'*ones), x^('\\'*ones), x^('\n'*ones)
		// A byte of v is zero where the lowest set high bit of
		// (v-ones) &^ v lands; the lowest such bit is exact.
		t := ((q - ones) &^ q) | ((bs - ones) &^ bs) | ((n-ones)&^n)&nl
		if t &= highs; t != 0 {
			return i + bits.TrailingZeros64(t)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || lines && c == '\n' {
			return i
		}
	}
	return i
}

// counted records the end of a string that was cut.
func (g *jsonGuard) counted() {
	g.cut++
	if g.cut == 1 {
		g.firstCut = g.line
	}
	g.longest = max(g.longest, g.strTotal)
}

// escByte follows an escape sequence inside a string, to know where it
// ends and whether it was the first half of a surrogate pair (which is
// never cut from its second half).
func (g *jsonGuard) escByte(c byte) {
	if g.esc == 1 {
		if c == 'u' {
			g.esc, g.hex = 5, 0
			return
		}
		g.esc = 0
		g.highSurr = false
		return
	}
	var v byte
	switch {
	case c >= '0' && c <= '9':
		v = c - '0'
	case c >= 'a' && c <= 'f':
		v = c - 'a' + 10
	case c >= 'A' && c <= 'F':
		v = c - 'A' + 10
	}
	g.hex = g.hex<<4 | uint16(v)
	g.esc--
	if g.esc == 1 { // the fourth digit
		g.esc = 0
		g.highSurr = g.hex >= 0xD800 && g.hex <= 0xDBFF
	}
}

// lineBreak starts a JSON line afresh.
func (g *jsonGuard) lineBreak() {
	if g.inStr && g.cutting {
		g.line--
		g.counted()
		g.line++
	}
	g.inStr, g.esc, g.cutting, g.depth, g.tokLen = false, 0, false, 0, 0
}

func (g *jsonGuard) report(src *Source) {
	if g.cut > 0 {
		src.Warnf("%d strings longer than %d KiB cut to their first %d KiB (the first at line %d, the longest %d bytes)",
			g.cut, MaxJSONString>>10, MaxJSONString>>10, g.firstCut, g.longest)
	}
	if g.squeezed > 0 {
		src.Warnf("%d runs of white space longer than %d KiB squeezed (%d bytes dropped, the first at line %d)",
			g.squeezed, maxJSONSpace>>10, g.dropSpace, g.firstSqz)
	}
}

// CheckJSONDepth reports whether b (one JSON value, a line of a JSON-lines
// file) nests deeper than MaxJSONDepth, without recursing: the error names
// the byte offset within b. A line that passes may be handed to any
// decoder, recursive or not.
func CheckJSONDepth(b []byte) error {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
			if depth > MaxJSONDepth {
				return fmt.Errorf("%w: more than %d levels of objects and arrays at byte %d", ErrJSONTooDeep, MaxJSONDepth, i)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
