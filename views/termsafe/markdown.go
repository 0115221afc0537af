package termsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Markdown is s as inline Markdown text outside code: String's rules, then
// what Markdown would read as markup escaped — HTML (a <script> or <img
// onerror> from an input stays text) as entities; links and images ([, ]),
// emphasis and strike-through (*, _, ~), code spans (`), table cells (|) and
// the backslash itself with a backslash. An underscore between two letters
// or digits cannot delimit emphasis (CommonMark) and stays as it is, so
// snake_case names stay readable. Safe inside a table cell too. The text
// reads as written once rendered.
func Markdown(s string) string {
	s = String(s)
	if !strings.ContainsAny(s, "&<>\\`*_[]~|") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	prev := rune(0)
	for i, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '_':
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			if !isAlnum(prev) || !isAlnum(next) {
				b.WriteByte('\\')
			}
			b.WriteByte('_')
		case '\\', '`', '*', '[', ']', '~', '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// MarkdownCode is s as an inline code span, outside a table: the fence is
// one backtick longer than the longest run of backticks in s (CommonMark),
// so the span cannot be closed early. Code spans show their content as it
// is, so HTML in it is text; controls are removed as String does.
func MarkdownCode(s string) string { return codeSpan(String(s)) }

// MarkdownCodeCell is MarkdownCode inside a table cell: pipes are escaped
// too, since a table splits its cells before it reads code spans (GFM).
func MarkdownCodeCell(s string) string {
	return strings.ReplaceAll(codeSpan(String(s)), "|", `\|`)
}

func codeSpan(s string) string {
	if s == "" {
		return "` `"
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	// A space on each side when s starts or ends with a backtick, or with a
	// space on both sides: CommonMark strips one space from each end.
	if s[0] == '`' || s[len(s)-1] == '`' || (s[0] == ' ' && s[len(s)-1] == ' ' && strings.Trim(s, " ") != "") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// MarkdownFence is s as a fenced code block with info string lang: the fence
// is longer than any run of backticks in s, so a ``` in a logged statement
// cannot end the block and let the rest be read as Markdown. Newlines stay;
// other controls are removed as Block does.
func MarkdownFence(lang, s string) string {
	s = Block(s)
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + String(strings.NewReplacer("`", "", "~", "").Replace(lang)) + "\n" + s + "\n" + fence + "\n"
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
