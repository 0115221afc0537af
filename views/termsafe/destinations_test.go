package termsafe

import (
	"bytes"
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// planted are the hostile strings every destination is checked with.
var planted = []string{
	"clear \x1b[2J\x1b[H screen",
	"clip \x1b]52;c;cm0gLXJmIH4=\x07 board",
	"clip2 \x1b]52;c;cm0gLXJmIH4=\x1b\\ st",
	"bell \x07 nul \x00 cr \r bs \x08 del \x7f",
	"c1 \u009b31m csi \u009d0;x\u009c st \u0085 nel",
	"bidi \u202eexe.txt\u202c \u2066iso\u2069 \u200e\u200f \u061c",
	"<script>alert(1)</script> <img src=x onerror=alert(1)>",
	"[click](javascript:alert(1)) ![i](http://tracker.example/p.png) <http://auto.example>",
	"back`tick ``double`` | pipe | *em* _u_ ~~s~~ \\ &amp; &lt;",
	"bad utf8 \xff\xfe\xc3( end",
	"SELECT *\nFROM t\tWHERE a = '\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\'",
	"zw\u200bj\u200dsh\u00adbom\ufeffpua\ue000",
}

// unsafeRune reports whether r must never reach a terminal raw.
func unsafeRune(r rune) bool {
	return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r)
}

func checkNoControls(t *testing.T, what, in, out string, allow string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s(%q): invalid UTF-8 %q", what, in, out)
	}
	for _, r := range out {
		if unsafeRune(r) && !strings.ContainsRune(allow, r) {
			t.Errorf("%s(%q) = %q holds %U", what, in, out, r)
			return
		}
	}
}

func TestDestinationsRemoveControls(t *testing.T) {
	for _, in := range planted {
		checkNoControls(t, "String", in, String(in), "")
		checkNoControls(t, "Line", in, Line(in), "")
		checkNoControls(t, "Block", in, Block(in), "\n")
		checkNoControls(t, "Clipboard", in, Clipboard(in), "\n\t")
		checkNoControls(t, "Frame", in, strings.ReplaceAll(Frame(in), "\x1b[", "["), "\n")
		for _, f := range []func(string) string{Markdown, MarkdownCode, MarkdownCodeCell} {
			checkNoControls(t, "Markdown*", in, f(in), "")
		}
		checkNoControls(t, "MarkdownFence", in, MarkdownFence("sql", in), "\n")
		var w bytes.Buffer
		if _, err := NewWriter(&w).Write([]byte(in)); err != nil {
			t.Fatal(err)
		}
		checkNoControls(t, "NewWriter", in, w.String(), "\n\t")
		if strings.Contains(String(in), "\u00a0") {
			t.Errorf("no-break space kept")
		}
	}
}

func TestFrameKeepsStylesOnly(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"\x1b[1;38;5;203mred\x1b[0m\nnext", "\x1b[1;38;5;203mred\x1b[0m\nnext"},
		{"\x1b[4:3mcurly\x1b[m", "\x1b[4:3mcurly\x1b[m"},
		{"a\x1b[2Jb\x1b[Hc", "abc"},                      // clear, home: not styles
		{"a\x1b[?1049lb", "ab"},                          // private mode
		{"\x1b]52;c;cm0g\x07x\x1b]0;t\x1b\\y", "xy"},     // OSC clipboard, title
		{"x\u009b2Jy\u202ez\tw\r", "x2Jyz w"},            // C1 CSI, bidi, tab, CR
		{"│ box ─ ▇ 日本 e\u0301", "│ box ─ ▇ 日本 e\u0301"}, // drawing and text untouched
	} {
		if got := Frame(tc.in); got != tc.want {
			t.Errorf("Frame(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriterKeepsLayout(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	in := "  -flag\tusage\nhotpath: a\x1b[2Jb\n"
	n, err := w.Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v; want %d, nil (the caller's count)", n, err, len(in))
	}
	if got, want := b.String(), "  -flag\tusage\nhotpath: ab\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if NewWriter(w) != w {
		t.Errorf("a writer wrapped twice sanitises twice")
	}
}

func TestLineIsOneLine(t *testing.T) {
	in := "a.log\nhotpath: forged line"
	if got := Line(in); strings.Contains(got, "\n") {
		t.Errorf("Line(%q) = %q keeps the newline", in, got)
	}
}

// The JSON escaper is checked with encoding/json as the decoder: the same
// values come back, and the bytes hold no raw C1, DEL or bidi control.
func TestJSONEscapesWhatEncodingJSONLeaves(t *testing.T) {
	doc := map[string]any{"planted": planted, "n": 1, "sep": "\u2028\u2029", "tag": "\U000e0001", "ok": "日本語 e\u0301 ✓"}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("\u009b")) || !bytes.Contains(raw, []byte("\u202e")) {
		t.Fatalf("encoding/json now escapes C1/bidi itself; the test no longer shows the need: %q", raw)
	}
	out := JSON(raw)
	for _, r := range string(out) {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r) || r == 0x200b || r == 0xfeff || r == 0xe0001 {
			t.Fatalf("JSON output holds %U: %q", r, out)
		}
	}
	if !bytes.Contains(out, []byte(`\u009b`)) || !bytes.Contains(out, []byte(`\u202e`)) || !bytes.Contains(out, []byte(`\udb40\udc01`)) {
		t.Errorf("expected \\u escapes in %s", out)
	}
	var a, b any
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("escaped JSON no longer decodes: %v\n%s", err, out)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("values differ after escaping:\n%s\n%s", ja, jb)
	}
	if !strings.Contains(string(out), "日本語 e\u0301 ✓") {
		t.Errorf("printable text escaped: %s", out)
	}
	plain := []byte(`{"a":"b"}`)
	if got := JSON(plain); &got[0] != &plain[0] {
		t.Errorf("ASCII JSON copied")
	}
}

// md renders Markdown as a permissive renderer would (raw HTML passed
// through, GFM tables): what a reader of the report could be shown.
func md(t testing.TB, src string) string {
	t.Helper()
	var b bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := gm.Convert([]byte(src), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	paraRE = regexp.MustCompile(`^<p>x (.*) x</p>\n$`)
	codeRE = regexp.MustCompile(`^<p>x <code>(.*)</code> x</p>\n$`)
	cellRE = regexp.MustCompile(`<td><code>(.*)</code></td>`)
	preRE  = regexp.MustCompile(`(?s)^<pre><code class="language-sql">(.*)</code></pre>\n$`)
)

// checkMarkdown renders each Markdown form of s and checks that the reader
// sees exactly s's terminal-safe text, as text: no element of the input's
// making.
func checkMarkdown(t *testing.T, s string) {
	t.Helper()
	want := String(s)
	if want == "" {
		return // an empty code span is a space
	}
	if m := paraRE.FindStringSubmatch(md(t, "x "+Markdown(s)+" x")); m == nil || strings.Contains(m[1], "<") || html.UnescapeString(m[1]) != want {
		t.Errorf("Markdown(%q) renders as %q, want the text %q", s, md(t, "x "+Markdown(s)+" x"), want)
	}
	if m := codeRE.FindStringSubmatch(md(t, "x "+MarkdownCode(s)+" x")); m == nil || strings.Contains(m[1], "<") || html.UnescapeString(m[1]) != want {
		t.Errorf("MarkdownCode(%q) = %q renders as %q, want the code %q", s, MarkdownCode(s), md(t, "x "+MarkdownCode(s)+" x"), want)
	}
	table := "| a | b |\n| --- | --- |\n| " + MarkdownCodeCell(s) + " | z |\n"
	if m := cellRE.FindStringSubmatch(md(t, table)); m == nil || strings.Contains(m[1], "<") || html.UnescapeString(m[1]) != want {
		t.Errorf("MarkdownCodeCell(%q) = %q renders as %q, want the code %q", s, MarkdownCodeCell(s), md(t, table), want)
	}
	block := Block(s)
	if m := preRE.FindStringSubmatch(md(t, MarkdownFence("sql", s))); m == nil || strings.Contains(m[1], "<") || html.UnescapeString(m[1]) != block+"\n" {
		t.Errorf("MarkdownFence(%q) renders as %q, want %q", s, md(t, MarkdownFence("sql", s)), block)
	}
}

func TestMarkdownRendersAsText(t *testing.T) {
	for _, s := range append(planted, "`", "``", " a ", "`a`", "a|b", `a\|b`, "```sql\nDROP\n```", "&#x3C;script>", "*", "1. x", "# h") {
		checkMarkdown(t, s)
	}
}

func FuzzMarkdown(f *testing.F) {
	for _, s := range planted {
		f.Add(s)
	}
	f.Add("` `` ``` \\` |")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		checkMarkdown(t, s)
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range planted {
		f.Add(s)
	}
	f.Add("\U000e0001\u2028\u00ad")
	f.Fuzz(func(t *testing.T, s string) {
		raw, _ := json.Marshal(map[string]string{s: s})
		out := JSON(raw)
		var a, b map[string]string
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("JSON(%q) = %q does not decode: %v", raw, out, err)
		}
		for k, v := range a {
			if b[k] != v {
				t.Fatalf("value of %q changed: %q → %q", k, v, b[k])
			}
		}
		for _, r := range string(out) {
			if r < 0x20 || jsonEscapes(r) {
				t.Fatalf("JSON(%q) = %q holds %U", raw, out, r)
			}
		}
	})
}

func FuzzDestinations(f *testing.F) {
	for _, s := range planted {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNoControls(t, "Line", s, Line(s), "")
		checkNoControls(t, "Clipboard", s, Clipboard(s), "\n\t")
		fr := Frame(s)
		checkNoControls(t, "Frame", s, regexp.MustCompile("\x1b\\[[0-9;:]*m").ReplaceAllString(fr, ""), "\n")
		if Frame(fr) != fr {
			t.Fatalf("Frame not idempotent on %q", s)
		}
		var w bytes.Buffer
		for _, part := range []string{s[:len(s)/2], s[len(s)/2:]} { // a message split across writes
			if _, err := NewWriter(&w).Write([]byte(part)); err != nil {
				t.Fatal(err)
			}
		}
		checkNoControls(t, "NewWriter", s, w.String(), "\n\t")
		if strings.Contains(w.String(), "\x1b") {
			t.Fatalf("ESC through the writer: %q", w.String())
		}
	})
}

// BenchmarkFrame is the cost Frame adds to every TUI frame: a clean 140×40
// frame of styled cells (the fast path).
func BenchmarkFrame(b *testing.B) {
	var s strings.Builder
	for range 40 {
		for range 14 {
			s.WriteString("\x1b[38;2;200;120;80mmain.(*srv)\x1b[0m │ ")
		}
		s.WriteString("日本 ▇▇\n")
	}
	frame := s.String()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if Frame(frame) != frame {
			b.Fatal("clean frame changed")
		}
	}
}
