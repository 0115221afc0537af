package termsafe

import "testing"

func TestTUICraftInvisibleAndSpaces(t *testing.T) {
	for in, want := range map[string]string{
		"a\u00a0b":                              "a b",   // no-break space → space
		"a\u2028b\u2029c":                       "a b c", // line/paragraph separators
		"zw\u200d\u200cj":                       "zwj",   // joiners: width differs between terminals
		"soft\u00adhyphen":                      "softhyphen",
		"pua\ue000x":                            "puax",
		"e\u0301":                               "e\u0301", // combining marks stay
		"\x1b]8;;http://x\x1b\\t\x1b]8;;\x1b\\": "t",
		"\xff":                                  "\ufffd",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}
