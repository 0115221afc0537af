package queries

import (
	"fmt"
	"strings"

	"hotpath/views/termsafe"
	"hotpath/views/units"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Selection is what y copies: the selected fingerprint, and in the detail
// view the fingerprint with its slowest example statement, as Markdown.
func (m *Model) Selection() (string, bool) {
	if m.detail {
		q := m.sel
		var b strings.Builder
		fmt.Fprintf(&b, "Query %s — %d executions", termsafe.MarkdownCode(q.ID), q.Count)
		if q.Timed > 0 {
			fmt.Fprintf(&b, ", total %s, p95 %s", units.Duration(q.Total), units.Duration(q.P95))
		}
		// a fence longer than any run of backticks in the statement
		b.WriteString("\n\n" + termsafe.MarkdownFence("sql", q.Fingerprint))
		if ex := q.Slowest.Text; ex != "" {
			b.WriteString("\nSlowest example:\n\n" + termsafe.MarkdownFence("sql", ex))
		}
		return b.String(), true
	}
	q, ok := m.Selected()
	return q.Fingerprint, ok
}

// craftKey steps through the rows the filter kept with n/N (wrapping), as
// every pane does; it reports whether it used km.
func (m *Model) craftKey(km tea.KeyMsg) bool {
	k := m.ctx.Keys
	if m.detail || m.filter == "" || !key.Matches(km, k.NextMatch, k.PrevMatch) {
		return false
	}
	if n := len(m.rows); n > 0 {
		d := 1
		if key.Matches(km, k.PrevMatch) {
			d = n - 1
		}
		m.table.SetCursor((m.table.Cursor() + d) % n)
	}
	return true
}

// Mouse selects the clicked row and scrolls with the wheel (the detail view
// scrolls too).
func (m *Model) Mouse(msg tea.MouseMsg) tea.Cmd {
	if m.detail {
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			m.scroll -= 3
		case tea.MouseButtonWheelDown:
			m.scroll += 3
		}
		m.clampScroll()
		return nil
	}
	m.table.Mouse(msg, msg.Y-1) // below the title line
	return nil
}
