// Package termsafe makes text that came from inputs safe to draw in a
// terminal: a logged SQL string or a span attribute must never move the
// cursor, set the clipboard, open a link or reorder text.
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
func String(s string) string { return clean(s, false) }

// Block is String but keeps newlines, for multi-line text such as a SQL
// statement shown in a detail view.
func Block(s string) string { return clean(s, true) }

func clean(s string, keepNewlines bool) string {
	if isPlain(s) {
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
			i += escapeLen(s[i:])
			continue
		case r == '\n':
			if keepNewlines {
				b.WriteByte('\n')
			} else {
				b.WriteString("⏎")
			}
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// C0 and C1 controls, including 0x9b (CSI) and 0x9d (OSC).
		case isBidiControl(r):
		case unicode.IsSpace(r):
			// no-break, ideographic, line and paragraph separators: one
			// plain space, whose width every terminal agrees on
			b.WriteByte(' ')
		case !unicode.IsGraphic(r):
			// format characters (zero-width joiners and spaces, soft
			// hyphens, BOM), private use, surrogates, unassigned: their
			// width differs between terminals, so alignment would break
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
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
