package table

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"hotpath/tui/keys"
	"hotpath/tui/theme"
)

func newTable(n int, st *theme.Styles) Model {
	t := New([]Column{{Title: "n", Width: 4, Right: true}, {Title: "name"}}, st, keys.Default())
	t.SetSize(40, 6) // header + 5 rows
	t.SetRowFunc(n, func(i int) []string { return []string{fmt.Sprint(i), fmt.Sprintf("row %d", i)} })
	return t
}

func TestMouseClickAndWheel(t *testing.T) {
	tb := newTable(100, theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true))
	click := func(y int) bool {
		return tb.Mouse(tea.MouseMsg{X: 3, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}, y)
	}
	if !click(3) || tb.Cursor() != 2 {
		t.Errorf("click on line 3 selects row 2, got %d", tb.Cursor())
	}
	if click(0) || tb.Cursor() != 2 {
		t.Error("a click on the header selects nothing")
	}
	tb.Mouse(tea.MouseMsg{Button: tea.MouseButtonWheelDown}, 0)
	tb.Mouse(tea.MouseMsg{Button: tea.MouseButtonWheelDown}, 0)
	if tb.Cursor() != 8 || tb.Offset() != 4 {
		t.Errorf("wheel: cursor %d offset %d", tb.Cursor(), tb.Offset())
	}
	if !click(1) || tb.Cursor() != 4 {
		t.Errorf("click after scrolling selects the row under it: %d", tb.Cursor())
	}
	tb.Mouse(tea.MouseMsg{Button: tea.MouseButtonWheelUp}, 0)
	tb.Mouse(tea.MouseMsg{Button: tea.MouseButtonWheelUp}, 0)
	if tb.Cursor() != 0 {
		t.Errorf("wheel up stops at the top: %d", tb.Cursor())
	}
}

func TestLazyRowsDrawOnlyVisible(t *testing.T) {
	calls := 0
	tb := New([]Column{{Title: "name"}}, theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true), keys.Default())
	tb.SetSize(40, 6)
	tb.SetRowFunc(1_000_000, func(i int) []string { calls++; return []string{fmt.Sprint(i)} })
	tb.Update(tea.KeyMsg{Type: tea.KeyEnd})
	v := tb.View()
	if calls != 5 || !strings.Contains(v, "999999") {
		t.Errorf("%d rows formatted for a view of 5:\n%s", calls, v)
	}
}

func TestPlainMarkerAndWidths(t *testing.T) {
	tb := newTable(3, theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true))
	tb.SetRows([][]string{{"1", "宽字符宽字符宽字符宽字符宽字符宽字符宽字符"}, {"2", "a\x1b[31mred"}, {"3", "\xff\xfe"}})
	lines := strings.Split(tb.View(), "\n")
	if !strings.HasPrefix(lines[1], "> ") || !strings.HasPrefix(lines[2], "  ") {
		t.Errorf("without attributes a marker shows the selection:\n%s", strings.Join(lines, "\n"))
	}
	for i, l := range lines[:4] {
		if w := ansi.StringWidth(l); w != 40 {
			t.Errorf("line %d is %d cells: %q", i, w, l)
		}
	}
}
