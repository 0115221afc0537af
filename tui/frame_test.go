package tui_test

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// checkFrame asserts a full-screen view: exactly h lines, none wider than
// w cells (wide characters counted), so nothing wraps or scrolls.
func checkFrame(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if sw := ansi.StringWidth(l); sw > w {
			t.Errorf("line %d is %d cells wide (> %d): %q", i, sw, w, ansi.Strip(l))
		}
	}
}

func width(s string) int { return ansi.StringWidth(s) }
