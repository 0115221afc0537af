package termsafe

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON escapes, in encoded JSON, the characters encoding/json leaves raw
// but a terminal or an editor acts on: DEL, the C1 controls (U+009B is CSI,
// U+009D OSC), bidi controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C) and
// the other invisible format characters, as \uXXXX (surrogate pairs above
// U+FFFF). Outside strings JSON is ASCII, so every such character is inside
// a string, and the document decodes to the same values. Invalid UTF-8
// (encoding/json never writes it) becomes \ufffd. b is returned unchanged
// when it holds nothing to escape.
func JSON(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+64)
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c < 0x7f {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			out = appendU(out, utf8.RuneError)
		case jsonEscapes(r):
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				out = appendU(appendU(out, r1), r2)
			} else {
				out = appendU(out, r)
			}
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// jsonEscapes reports whether r is written as \uXXXX.
func jsonEscapes(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r) ||
		unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

func appendU(b []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}
