package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT \x1b[2J1", "SELECT 1"},
		{"a\x1b]52;c;ZXZpbA==\x07b", "ab"},
		{"a\x1b]52;c;ZXZpbA==\x1b\\b", "ab"},
		{"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"user\u202eexe.txt", "userexe.txt"},
		{"x\u2066y\u2069", "xy"},
		{"tab\there\nnext", "tab here⏎next"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"c1 \u009b31m csi", "c1 31m csi"},
		{"bell\x07 nul\x00", "bell nul"},
		{"日本語 ok", "日本語 ok"},
		{"trailing esc \x1b", "trailing esc "},
	} {
		got := String(tc.in)
		if got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.ContainsAny(got, "\x1b\x07\x00\u009b\u009d") || !utf8.ValidString(got) {
			t.Errorf("String(%q) still unsafe: %q", tc.in, got)
		}
	}
	if got := Block("a\nb\x1b[1Ac"); got != "a\nbc" {
		t.Errorf("Block kept/dropped wrong: %q", got)
	}
}

func FuzzString(f *testing.F) {
	f.Add("SELECT \x1b[2J 1 \u202e")
	f.Add("\x1b]52;c;AAAA\x07")
	f.Fuzz(func(t *testing.T, s string) {
		got := String(s)
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r) {
				t.Fatalf("String(%q) = %q contains %U", s, got, r)
			}
		}
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
	})
}
