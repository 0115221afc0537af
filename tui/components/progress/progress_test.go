package progress

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"hotpath/tui/theme"
	"hotpath/views"
)

func TestProgressView(t *testing.T) {
	srcs := []views.SourceView{
		{Path: "prod/cpu.pprof.gz", Size: 4 << 20, RawBytes: 1 << 20, Events: 1234},
		{Path: "logs/postgresql-2026-11-27.log", Size: 200 << 20, RawBytes: 200 << 20, Events: 93960, Done: true},
		{Path: "-", RawBytes: 5 << 10, Events: 12},
		{Path: "traces/otlp.json", Size: 10, Err: errors.New("boom")},
	}
	for _, th := range []struct {
		name string
		st   *theme.Styles
	}{
		{"dark", theme.NewWith(theme.NewRenderer(termenv.TrueColor, true), false)},
		{"dumb", theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true)},
	} {
		t.Run(th.name, func(t *testing.T) {
			v := View(srcs, 2500*time.Millisecond, 80, 20, th.st)
			for _, want := range []string{"Loading 4 sources · 2.5s", " 25% 1.00MB/4.00MB", "100%", "✓ done", "✗ failed", "1234 ev"} {
				if !strings.Contains(v, want) {
					t.Errorf("missing %q in\n%s", want, v)
				}
			}
			golden.RequireEqual(t, []byte(v))
		})
	}
}

func TestProgressManySources(t *testing.T) {
	var srcs []views.SourceView
	for range 30 {
		srcs = append(srcs, views.SourceView{Path: "x.log", Size: 10})
	}
	v := View(srcs, time.Second, 80, 10, theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true))
	if n := strings.Count(v, "\n") + 1; n > 10 {
		t.Errorf("%d lines in a height of 10", n)
	}
	if !strings.Contains(v, "more (see Sources)") {
		t.Errorf("no overflow note:\n%s", v)
	}
}
