package tui_test

import (
	"context"
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"hotpath/parse"
	"hotpath/tui"
	"hotpath/tui/tuitest"
	"hotpath/views"
)

var _ = flag.Bool // golden's -update flag is registered by the golden package

// shellModel opens the TUI on the committed real profiles, without colour so
// that goldens are stable.
func shellModel(t *testing.T, paths ...string) *tui.Model {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := views.NewCollector(nil)
	inputs := parse.Expand(paths, strings.NewReader(""))
	return tui.New(tui.Config{
		Inputs: inputs, Collector: c, Renderer: r, Title: "test",
		Load: func(ctx context.Context, in *parse.Input) error {
			return parse.Load(ctx, in, parse.ProfileFormats(), c, parse.Options{})
		},
	})
}

// run waits for the one source to load, plays keys and quits.
func run(t *testing.T, m *tui.Model, w, h int, keys ...string) (*tui.Model, string) {
	return tuitest.Drive(t, m, w, h, append([]string{tuitest.Wait("1/1 sources")}, keys...)...)
}

func TestShellGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		keys []string
	}{
		{"hotspots_80x24", 80, 24, nil},
		{"hotspots_160x48", 160, 48, nil},
		{"peek_80x24", 80, 24, []string{"2", "down", "down", "enter"}},
		{"sources_80x24", 80, 24, []string{"5"}},
		{"hotspots_home_80x24", 80, 24, []string{"2"}},
		{"sources_160x48", 160, 48, []string{"shift+tab"}},
		{"help_80x24", 80, 24, []string{"?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, view := run(t, shellModel(t, "../testdata/profiles/app.folded"), tc.w, tc.h, tc.keys...)
			lines := strings.Split(view, "\n")
			if len(lines) != tc.h {
				t.Errorf("view has %d lines, want %d", len(lines), tc.h)
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w > tc.w {
					t.Errorf("line %d is %d cells wide, more than %d: %q", i, w, tc.w, l)
				}
			}
			golden.RequireEqual(t, []byte(view))
		})
	}
}

func TestShellBehaviour(t *testing.T) {
	m, view := run(t, shellModel(t, "../testdata/profiles/app.folded"), 80, 24)
	if m.ActivePane() != "Findings" {
		t.Errorf("home pane = %s", m.ActivePane())
	}
	h := m.Views().Hotspots
	if h == nil || h.Rows[0].Func.Name != "<listcomp>" {
		t.Fatalf("top function = %+v", h)
	}
	if !strings.Contains(view, "cpu_hotspot") || !strings.Contains(view, "<listcomp>") {
		t.Errorf("view lacks the top function or sample type:\n%s", view)
	}

	// A failed input shows in the status line; the other still loads.
	m, view = tuitest.Drive(t, shellModel(t, "../testdata/profiles/app.folded", "/no/such/file"), 80, 24, tuitest.Wait("1/2 sources · 10 events · 1 failed"))
	if !strings.Contains(view, "1 failed") {
		t.Errorf("status line does not report the failure:\n%s", view)
	}
	if m.Views().Hotspots == nil {
		t.Error("the good input did not load")
	}
}

func TestTooSmall(t *testing.T) {
	m := shellModel(t, "../testdata/profiles/app.folded")
	m.Update(tea.WindowSizeMsg{Width: 50, Height: 12})
	if v := m.View(); !strings.Contains(v, "too small") {
		t.Errorf("view at 50x12:\n%s", v)
	}
}

func TestMain(m *testing.M) {
	// Goldens must not depend on the developer's terminal.
	os.Setenv("NO_COLOR", "1")
	os.Exit(m.Run())
}
