package traces_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"hotpath/parse"
	ptrace "hotpath/parse/trace"
	"hotpath/tui"
	"hotpath/tui/tuitest"
	"hotpath/views"
)

func model(t *testing.T, paths ...string) *tui.Model {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := views.NewCollector(nil)
	formats := append(parse.ProfileFormats(), ptrace.Formats()...)
	return tui.New(tui.Config{
		Inputs: parse.Expand(paths, strings.NewReader("")), Collector: c, Renderer: r, Title: "test",
		Load: func(ctx context.Context, in *parse.Input) error {
			return parse.Load(ctx, in, formats, c, parse.Options{})
		},
	})
}

func drive(t *testing.T, m *tui.Model, w, h int, loaded string, keys ...string) (*tui.Model, string) {
	return driveUntil(t, m, w, h, loaded, "", keys...)
}

// driveUntil is drive that, after the keys, waits for want on screen.
func driveUntil(t *testing.T, m *tui.Model, w, h int, loaded, want string, keys ...string) (*tui.Model, string) {
	steps := append([]string{tuitest.Wait(loaded)}, keys...)
	if want != "" {
		steps = append(steps, tuitest.Wait(want))
	}
	return tuitest.Drive(t, m, w, h, steps...)
}

func TestTracesGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string
		w, h  int
		keys  []string
	}{
		{"requests_80x24", "otlp.jsonl", 80, 24, []string{"4"}},
		{"requests_by_statements_80x24", "otlp.jsonl", 80, 24, []string{"4", "s"}},
		{"filtered_80x24", "otlp.jsonl", 80, 24, []string{"4", "/", "h", "e", "a", "enter"}},
		{"waterfall_80x24", "otlp.jsonl", 80, 24, []string{"4", "enter"}},
		{"waterfall_attrs_80x24", "otlp.jsonl", 80, 24, []string{"4", "enter", "down", "enter"}},
		{"waterfall_folded_80x24", "otlp.jsonl", 80, 24, []string{"4", "enter", "down", "down", "down", "down", "down", "down", "down", "down", "left"}},
		{"waterfall_160x48", "otlp.jsonl", 160, 48, []string{"4", "enter"}},
		{"chrome_waterfall_80x24", "chrome.json", 80, 24, []string{"4", "s", "enter"}},
		{"goroutines_80x24", "blocking.trace", 80, 24, []string{"4", "o"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, view := drive(t, model(t, "../../testdata/trace/"+tc.input), tc.w, tc.h, "1/1 sources", tc.keys...)
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

func TestTracesBehaviour(t *testing.T) {
	m, view := drive(t, model(t, "../../testdata/trace/otlp.jsonl"), 80, 24, "1/1 sources", "4")
	if m.ActivePane() != "Traces" || !strings.Contains(view, "12 requests") || !strings.Contains(view, "/orders/{id}") {
		t.Fatalf("requests list:\n%s", view)
	}
	// The waterfall of the slowest request shows its statements and the
	// connection setup of its outbound call.
	_, view = drive(t, model(t, "../../testdata/trace/otlp.jsonl"), 80, 24, "1/1 sources", "4", "enter")
	for _, want := range []string{"7 statements", "db SELECT", "connect http.connect", "dns http.dns", "█"} {
		if !strings.Contains(view, want) {
			t.Errorf("waterfall lacks %q:\n%s", want, view)
		}
	}
	// Escape sequences from span text never reach the terminal.
	dir := t.TempDir()
	evil := `[{"traceId":"1","id":"2","name":"x\u001b]52;c;AAAA\u0007","kind":"SERVER","timestamp":1,"duration":5,"tags":{"http.route":"/\u001b[31mred"}}]`
	if err := os.WriteFile(dir+"/evil.json", []byte(evil), 0o644); err != nil {
		t.Fatal(err)
	}
	_, view = drive(t, model(t, dir+"/evil.json"), 80, 24, "1/1 sources", "4", "enter", "enter")
	if strings.ContainsRune(view, 0x1b) || strings.ContainsRune(view, 0x07) {
		t.Errorf("escape reached the view: %q", view)
	}
}

func TestMain(m *testing.M) {
	os.Setenv("NO_COLOR", "1")
	os.Exit(m.Run())
}

func TestBlockingProfileFromTraces(t *testing.T) {
	m, view := driveUntil(t, model(t, "../../testdata/trace/blocking.trace"), 80, 24, "1/1 sources", "sync/delay", "4", "b")
	if m.ActivePane() != "Hotspots" || !strings.Contains(view, "sync/delay") || !strings.Contains(view, "sync.(*Mutex).Lock") {
		t.Errorf("b did not open the sync blocking profile:\n%s", view)
	}
}
