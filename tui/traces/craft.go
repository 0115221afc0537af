package traces

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hotpath/parse"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// Selection is what y copies: the selected request (route, duration, trace
// id), the selected span with its attributes as Markdown in the waterfall,
// or the selected goroutine's function.
func (m *Model) Selection() (string, bool) {
	switch m.mode {
	case modeWaterfall:
		if m.cursor >= len(m.rows) {
			return "", false
		}
		return spanMarkdown(m.rows[m.cursor].Node.Span), true
	case modeGoroutines:
		if len(m.goroutines) == 0 {
			return "", false
		}
		if row := m.gtable.Row(m.gtable.Cursor()); len(row) > 0 {
			return row[0], true
		}
		return "", false
	}
	if len(m.reqs) == 0 {
		return "", false
	}
	r := m.reqs[m.list.Cursor()]
	s := fmt.Sprintf("%s %s", termsafe.MarkdownCode(r.Route), units.Duration(r.Duration))
	if r.Trace != nil && r.Trace.ID != "" {
		s += " · trace " + termsafe.Markdown(r.Trace.ID)
	}
	return s, true
}

func spanMarkdown(sp *parse.Span) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** %s", termsafe.Markdown(sp.Name), units.Duration(sp.Duration))
	if sp.Service != "" {
		fmt.Fprintf(&b, " · %s", termsafe.Markdown(sp.Service))
	}
	b.WriteString("\n")
	for _, kv := range [][2]string{
		{"trace", sp.TraceID}, {"span", sp.SpanID}, {"db.system", sp.DBSystem}, {"http.method", sp.HTTPMethod},
		{"http.url", sp.HTTPURL}, {"http.route", sp.HTTPRoute}, {"code.function", sp.CodeFunc}, {"code.file", sp.CodeFile},
	} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "- %s: %s\n", kv[0], termsafe.MarkdownCode(kv[1]))
		}
	}
	if sp.DBStatement != "" {
		b.WriteString("\n" + termsafe.MarkdownFence("sql", sp.DBStatement))
	}
	return b.String()
}

// craftKey steps through the requests the route filter kept with n/N
// (wrapping), as every pane does; it reports whether it used km.
func (m *Model) craftKey(km tea.KeyMsg) bool {
	k := m.ctx.Keys
	if m.mode != modeList || m.filter == "" || !key.Matches(km, k.NextMatch, k.PrevMatch) {
		return false
	}
	if n := len(m.reqs); n > 0 {
		d := 1
		if key.Matches(km, k.PrevMatch) {
			d = n - 1
		}
		m.list.SetCursor((m.list.Cursor() + d) % n)
	}
	return true
}

// Mouse selects the clicked row (requests, spans, goroutines) and scrolls
// with the wheel.
func (m *Model) Mouse(msg tea.MouseMsg) tea.Cmd {
	switch m.mode {
	case modeGoroutines:
		m.gtable.Mouse(msg, msg.Y-1)
	case modeWaterfall:
		switch {
		case msg.Button == tea.MouseButtonWheelUp:
			m.cursor -= 3
		case msg.Button == tea.MouseButtonWheelDown:
			m.cursor += 3
		case msg.Button == tea.MouseButtonLeft && msg.Action == tea.MouseActionPress:
			if y := msg.Y - 2; y >= 0 && y < m.treeHeight() && m.offset+y < len(m.rows) { // below title and axis
				m.cursor = m.offset + y
			}
		}
		m.clampWaterfall()
	default:
		m.list.Mouse(msg, msg.Y-1)
	}
	return nil
}
