package theme

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

func TestSeverityNeverByColourAlone(t *testing.T) {
	for _, st := range []*Styles{
		NewWith(NewRenderer(termenv.TrueColor, true), false),
		NewWith(NewRenderer(termenv.Ascii, false), true),
	} {
		seen := map[string]bool{}
		for _, lvl := range []string{"critical", "high", "medium", "low", "info"} {
			plain := ansi.Strip(st.SeverityLabel(lvl))
			if !strings.Contains(plain, lvl) {
				t.Errorf("%s: label %q lacks the word", lvl, plain)
			}
			sym := strings.Fields(plain)[0]
			if seen[sym] {
				t.Errorf("symbol %q used twice", sym)
			}
			seen[sym] = true
			if w := ansi.StringWidth(plain); w != SeverityWidth {
				t.Errorf("%s: width %d, want %d", lvl, w, SeverityWidth)
			}
		}
	}
}

func TestProfiles(t *testing.T) {
	if st := NewWith(NewRenderer(termenv.Ascii, true), false); !st.Plain || !st.Colorless {
		t.Error("Ascii: plain and colourless")
	}
	st := NewWith(NewRenderer(termenv.ANSI256, true), true)
	if st.Plain || !st.Colorless {
		t.Error("NO_COLOR keeps attributes")
	}
	if out := st.Selected.Render("x"); strings.Contains(out, "38;") || strings.Contains(out, "48;") || !strings.Contains(out, "\x1b[7m") {
		t.Errorf("NO_COLOR selection is reverse video without colour: %q", out)
	}
	t.Setenv("NO_COLOR", "1")
	t.Setenv("TERM", "xterm-256color")
	if p := Profile(termenv.NewOutput(nil, termenv.WithProfile(termenv.TrueColor), termenv.WithTTY(true))); p != termenv.ANSI {
		t.Errorf("NO_COLOR on a terminal: profile %v, want ANSI (attributes, no colour)", p)
	}
	t.Setenv("TERM", "dumb")
	if p := Profile(termenv.NewOutput(nil)); p != termenv.Ascii {
		t.Errorf("TERM=dumb: profile %v", p)
	}
	if err := Background(NewRenderer(termenv.Ascii, true), "sepia"); err == nil {
		t.Error("unknown theme accepted")
	}
}

func TestSelectLine(t *testing.T) {
	plain := NewWith(NewRenderer(termenv.Ascii, true), true)
	if got := plain.SelectLine("▾ GET /x"); got != "> GET /x" {
		t.Errorf("plain: %q", got)
	}
	if got := plain.SelectLine("宽 x"); got != ">  x" || ansi.StringWidth(got) != ansi.StringWidth("宽 x") {
		t.Errorf("wide first cell: %q", got)
	}
	if got := NewWith(NewRenderer(termenv.ANSI, true), true).SelectLine("x"); !strings.Contains(got, "\x1b[7m") {
		t.Errorf("attributes: %q", got)
	}
}
