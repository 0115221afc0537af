// Package termsafe is the one place where bytes that came from inputs are
// made safe for where they go: a logged SQL string, a file name or a span
// attribute must never move the cursor, set the clipboard, open a link,
// reorder text, inject HTML into a Markdown report or hide a control
// character in a JSON report. There is one function per destination:
//
//	terminal cell or line (TUI panes, status line, help)  String, Block
//	a whole TUI frame (last pass before the renderer)     Frame
//	stderr and plain-text stdout                          Line, NewWriter
//	the clipboard (the OSC 52 payload)                    Clipboard
//	Markdown                                              Markdown, MarkdownCode, MarkdownCodeCell, MarkdownFence
//	JSON                                                  JSON
package termsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// String removes escape sequences, C0/C1 control characters (except as
// noted), bidirectional overrides, other invisible format characters and
// invalid UTF-8 (each bad byte becomes U+FFFD) from s; other spaces become
// a plain space. Tabs become a
// space; newlines become "⏎" so that one value stays on one line.
func String(s string) string { return clean(s, 0) }

// Block is String but keeps newlines, for multi-line text such as a SQL
// statement shown in a detail view.
func Block(s string) string { return clean(s, keepNewlines) }

// Line is s as one line of plain-text output: an error or warning on
// stderr, a value in the text report. A newline in a file name cannot start
// a forged line of its own.
func Line(s string) string { return clean(s, 0) }

// Clipboard is what may reach the clipboard through OSC 52: the terminal
// decodes the payload, so an escape sequence inside it would be pasted (and
// run) wherever the user pastes. Newlines and tabs are kept.
func Clipboard(s string) string { return clean(s, keepNewlines|keepTabs) }

// Frame is the last pass over a whole TUI frame before the renderer writes
// it: the styles' SGR sequences (ESC [ digits ; : m) and newlines stay, every
// other escape sequence and control character goes. Panes sanitise each value
// they draw; Frame makes sure one they forgot cannot act on the terminal.
// A clean frame comes back unchanged.
func Frame(s string) string { return clean(s, keepNewlines|keepSGR) }

type mode uint8

const (
	keepNewlines mode = 1 << iota
	keepTabs
	keepSGR
)

func clean(s string, m mode) string {
	if isPlain(s) {
		return s
	}
	if m&keepSGR != 0 && isFrameClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune('\uFFFD')
		case r == 0x1b: // ESC: drop the whole sequence
			n := escapeLen(s[i:])
			if m&keepSGR != 0 && isSGR(s[i:i+n]) {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		case r == '\n':
			if m&keepNewlines != 0 {
				b.WriteByte('\n')
			} else {
				b.WriteString("⏎")
			}
		case r == '\t':
			if m&keepTabs != 0 {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
		case !Safe(r):
			if unicode.IsSpace(r) && r >= 0xa0 && !isBidiControl(r) {
				// no-break, ideographic, line and paragraph separators: one
				// plain space, whose width every terminal agrees on
				b.WriteByte(' ')
			}
			// C0 and C1 controls (0x9b CSI, 0x9d OSC …), DEL, bidi
			// controls; format characters (zero-width joiners and spaces,
			// soft hyphens, BOM), private use, surrogates, unassigned:
			// their width differs between terminals, so alignment would
			// break
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// Safe reports whether r may be written as it is to any destination: a
// graphic character (letters, marks, numbers, punctuation, symbols) or the
// plain space. Everything else is a control, a format character or a
// character terminals disagree on.
func Safe(r rune) bool {
	if r < 0x80 {
		return r >= 0x20 && r < 0x7f
	}
	if r < 0xa0 || isBidiControl(r) {
		return false
	}
	return unicode.IsGraphic(r) && !unicode.IsSpace(r) // U+FFFD is graphic
}

// isPlain is the fast path: printable ASCII needs no work.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isFrameClean is Frame's fast path: only SGR sequences, newlines and safe
// characters.
func isFrameClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n' || (c >= 0x20 && c < 0x7f):
			i++
		case c == 0x1b:
			n := escapeLen(s[i:])
			if !isSGR(s[i : i+n]) {
				return false
			}
			i += n
		case c < 0x80:
			return false
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && size <= 1) || !(commonGraphic(r) || Safe(r)) {
				return false
			}
			i += size
		}
	}
	return true
}

// commonGraphic is a quick yes for what TUI frames are full of: box
// drawing, block elements, geometric shapes, arrows and punctuation such as
// "…", "·", "—" (all graphic), before the Unicode tables are asked.
func commonGraphic(r rune) bool {
	return (r >= 0x2500 && r <= 0x25ff) || (r >= 0x2190 && r <= 0x21ff) || (r >= 0x2010 && r <= 0x2027) || r == 0xb7
}

// isSGR reports whether seq (one whole escape sequence) is Select Graphic
// Rendition, ESC [ params m: colours and attributes, nothing else.
func isSGR(seq string) bool {
	if len(seq) < 3 || seq[1] != '[' || seq[len(seq)-1] != 'm' {
		return false
	}
	for i := 2; i < len(seq)-1; i++ {
		if c := seq[i]; (c < '0' || c > '9') && c != ';' && c != ':' {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// escapeLen is the length of the escape sequence at the start of s (which
// begins with ESC): CSI up to its final byte, OSC/DCS/APC/PM/SOS up to BEL or
// ST, otherwise ESC and one byte.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	if s[1] >= 0x80 {
		return 1 // ESC alone; what follows is a character of its own
	}
	switch s[1] {
	case '[': // CSI: parameters and intermediates, then a final byte 0x40–0x7e
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']', 'P', '_', '^', 'X': // string sequences end with BEL or ESC \
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	return 2
}
