package flame

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"hotpath/tui/keys"
	"hotpath/tui/theme"
	"hotpath/views"
)

func node(name string, v int64, kids ...*views.CallNode) *views.CallNode {
	return &views.CallNode{Func: views.Func{Name: name}, Value: v, Children: kids}
}

func canvas(st *theme.Styles) Model {
	tree := node("root", 100,
		node("main", 80, node("a", 50, node("x", 50)), node("b", 30)),
		node("gc", 20))
	m := New(st, keys.Default())
	m.SetSize(40, 3)
	m.SetRows(views.FlameLayout(tree, 40, 0), 0, 0)
	return m
}

func press(m *Model, k string) {
	var msg tea.KeyMsg
	switch k {
	case "down", "up", "left", "right":
		msg = tea.KeyMsg{Type: map[string]tea.KeyType{"down": tea.KeyDown, "up": tea.KeyUp, "left": tea.KeyLeft, "right": tea.KeyRight}[k]}
	default:
		msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
	}
	m.Update(msg)
}

func name(m *Model) string { f, _ := m.Selected(); return f.Node.Func.Name }

func TestNavigation(t *testing.T) {
	m := canvas(theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true))
	for _, step := range []struct{ key, want string }{
		{"j", "main"}, {"j", "a"}, {"l", "b"}, {"j", "b"}, {"h", "a"}, {"j", "x"}, {"k", "a"}, {"k", "main"},
		{"l", "gc"}, {"j", "gc"}, {"k", "root"}, {"k", "root"}, {"down", "main"}, {"right", "gc"}, {"left", "main"},
	} {
		press(&m, step.key)
		if got := name(&m); got != step.want {
			t.Fatalf("after %s: %s, want %s", step.key, got, step.want)
		}
	}
	// the view scrolls to keep the cursor in its 3 rows
	press(&m, "j")
	press(&m, "j")
	press(&m, "j")
	if name(&m) != "x" || !strings.Contains(m.View(), "x") || strings.Contains(m.View(), "root") {
		t.Errorf("scrolled view:\n%s", m.View())
	}
}

func TestClickMatchesAndWidths(t *testing.T) {
	for _, st := range []*theme.Styles{
		theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true),
		theme.NewWith(theme.NewRenderer(termenv.TrueColor, true), false),
		theme.NewWith(theme.NewRenderer(termenv.ANSI, false), true),
	} {
		m := canvas(st)
		if !m.Click(35, 1) || name(&m) != "gc" {
			t.Errorf("click at (35,1): %s", name(&m))
		}
		m.SetMatch(func(s string) bool { return s == "a" || s == "x" })
		if got := m.Matches(); len(got) != 2 || got[0] != [2]int{2, 0} {
			t.Errorf("matches = %v", got)
		}
		for i, l := range strings.Split(m.View(), "\n") {
			if w := ansi.StringWidth(l); w != 40 {
				t.Errorf("line %d: %d cells: %q", i, w, l)
			}
		}
	}
	m := canvas(theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true))
	m.SetMatch(func(s string) bool { return s == "b" })
	m.Select(2, 0)
	v := m.View()
	if !strings.Contains(v, ">a") || !strings.Contains(v, "*b") || !strings.Contains(v, "│main") {
		t.Errorf("plain terminals mark frames, the cursor and matches with characters:\n%s", v)
	}
}
