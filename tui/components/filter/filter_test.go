package filter

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"hotpath/tui/keys"
	"hotpath/tui/theme"
)

func newFilter() Model {
	return New(theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true), keys.Default())
}

func typeText(f *Model, s string) {
	for _, r := range s {
		f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func TestFilterTypingEnterEsc(t *testing.T) {
	f := newFilter()
	if f.Shown() || !f.Match("anything") {
		t.Fatal("a new filter is closed and matches everything")
	}
	f.Focus()
	typeText(&f, "sql")
	if !f.Focused() || f.Query() != "sql" {
		t.Fatalf("typing: focused=%v query=%q", f.Focused(), f.Query())
	}
	if !f.Match("database/SQL.Query") || f.Match("net/http") {
		t.Error("lower-case query matches case-insensitively")
	}
	f.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if f.Focused() || !f.Shown() || f.Query() != "sql" {
		t.Error("enter keeps the query and gives the keys back")
	}
	if v := f.View(80, "3/9"); v == "" {
		t.Error("a kept query is visible")
	}
	f.Focus()
	typeText(&f, "X")
	if f.Match("sqlx") || !f.Match("sqlX") {
		t.Error("an upper-case letter makes the match case-sensitive")
	}
	f.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if f.Shown() || f.Query() != "" {
		t.Error("esc clears and closes")
	}
}

func TestFilterSanitisesQuery(t *testing.T) {
	f := newFilter()
	f.SetQuery("a\x1b[2Jb\u202e")
	if f.Query() != "ab" {
		t.Errorf("query = %q", f.Query())
	}
}

func TestStep(t *testing.T) {
	ms := []int{2, 5, 9}
	for _, c := range []struct{ cur, dir, want int }{
		{0, 1, 2}, {2, 1, 5}, {9, 1, 2}, {5, -1, 2}, {2, -1, 9}, {6, -1, 5},
	} {
		if got := Step(ms, c.cur, c.dir); got != c.want {
			t.Errorf("Step(%d, %d) = %d, want %d", c.cur, c.dir, got, c.want)
		}
	}
	if Step(nil, 4, 1) != 4 {
		t.Error("no matches: stay")
	}
}

func TestFilterSanitisesTyping(t *testing.T) {
	f := newFilter()
	f.Focus()
	f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a\u202eb\x1b]52;c;x\x07c")})
	if q := f.Query(); q != "ab]52;c;xc" {
		t.Errorf("query = %q", q)
	}
	if v := f.View(80, ""); strings.ContainsAny(v, "\u202e\x07") {
		t.Errorf("view = %q", v)
	}
}
