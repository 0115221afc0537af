package findings

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hotpath/tui/keys"
	"hotpath/views/detect"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// The Findings pane's search, copy and mouse, as every pane has them.

func (m *Model) craftBindings() []key.Binding {
	k := m.ctx.Keys
	return []key.Binding{
		keys.As(k.Filter, "filter findings"), keys.As(k.NextMatch, "next match"), keys.As(k.PrevMatch, "previous match"),
		keys.As(k.Back, "clear filter"), keys.As(k.Copy, "copy finding (Markdown)"),
	}
}

// applyFilter narrows the list to the findings whose title, kind, location,
// fingerprint or severity matches, keeping the selected one selected.
func (m *Model) applyFilter() {
	prev, had := m.Selected()
	m.findings = m.all
	if m.filter.Query() != "" {
		m.findings = nil
		for _, f := range m.all {
			if m.matches(f.Title, string(f.Kind), f.Fingerprint, f.Severity.String()) || m.matchesLocation(f.Locations) {
				m.findings = append(m.findings, f)
			}
		}
	}
	rows := make([][]string, len(m.findings))
	for i, f := range m.findings {
		rows[i] = []string{fmt.Sprint(f.Rank), f.Severity.Label(), units.Duration(f.Avoidable), f.Title}
	}
	m.list.SetRows(rows)
	if had {
		for i, f := range m.findings {
			if f == prev {
				m.list.SetCursor(i)
			}
		}
	}
}

func (m *Model) matches(ss ...string) bool {
	for _, s := range ss {
		if s != "" && m.filter.Match(s) {
			return true
		}
	}
	return false
}

func (m *Model) matchesLocation(ls []detect.Location) bool {
	for _, l := range ls {
		if m.matches(l.Function, l.File, l.Route) {
			return true
		}
	}
	return false
}

func (m *Model) filterRows() int {
	if m.filter.Shown() {
		return 1
	}
	return 0
}

// filterLine is the filter line under the list ("" when closed).
func (m *Model) filterLine() string {
	if !m.filter.Shown() {
		return ""
	}
	w := m.width
	if m.sideBySide() {
		w = m.width * 45 / 100
	}
	return "\n" + m.filter.View(w, fmt.Sprintf("%d of %d", len(m.findings), len(m.all)))
}

// craftUpdate handles the filter, n/N, esc and the mouse; done is true when
// it used msg.
func (m *Model) craftUpdate(msg tea.Msg) (tea.Cmd, bool) {
	if m.filter.Focused() {
		changed, cmd := m.filter.Update(msg)
		if changed {
			m.applyFilter()
			m.scroll = 0
		}
		m.SetSize(m.width, m.height)
		return cmd, true
	}
	switch msg := msg.(type) {
	case tea.MouseMsg:
		before := m.list.Cursor()
		switch {
		case msg.Button == tea.MouseButtonWheelDown && !m.inList(msg):
			m.scroll += 3
		case msg.Button == tea.MouseButtonWheelUp && !m.inList(msg):
			m.scroll = max(m.scroll-3, 0)
		case m.inList(msg):
			m.list.Mouse(msg, msg.Y)
		}
		if m.list.Cursor() != before {
			m.scroll = 0
		}
		return nil, true
	case tea.KeyMsg:
		k := m.ctx.Keys
		switch {
		case key.Matches(msg, k.Filter):
			cmd := m.filter.Focus()
			m.SetSize(m.width, m.height)
			return cmd, true
		case key.Matches(msg, k.Back) && m.filter.Shown():
			m.filter.Clear()
			m.applyFilter()
			m.SetSize(m.width, m.height)
			return nil, true
		case key.Matches(msg, k.NextMatch), key.Matches(msg, k.PrevMatch):
			if n := len(m.findings); n > 0 {
				d := 1
				if key.Matches(msg, k.PrevMatch) {
					d = n - 1
				}
				m.list.SetCursor((m.list.Cursor() + d) % n)
				m.scroll = 0
			}
			return nil, true
		}
	}
	return nil, false
}

// inList reports whether a mouse event is over the list (not the evidence).
func (m *Model) inList(msg tea.MouseMsg) bool {
	if m.sideBySide() {
		return msg.X < m.width*45/100
	}
	return msg.Y < m.listHeight()
}

// Selection is the selected finding as Markdown, for y.
func (m *Model) Selection() (string, bool) {
	f, ok := m.Selected()
	if !ok {
		return "", false
	}
	var b strings.Builder
	// Markdown pasted into an issue or a chat: input text stays text
	// (termsafe's Markdown forms), code spans cannot be closed early.
	md, code := termsafe.Markdown, termsafe.MarkdownCode
	fmt.Fprintf(&b, "### %s %s\n\n", f.Severity.Label(), md(f.Title))
	fmt.Fprintf(&b, "- kind: %s · confidence %s (%s)\n", code(string(f.Kind)), md(f.Confidence), md(strings.Join(f.Sources(), ", ")))
	for _, l := range f.Locations {
		fmt.Fprintf(&b, "- where: %s\n", code(l.String()))
	}
	if f.Fingerprint != "" {
		fmt.Fprintf(&b, "- query: %s\n", code(f.Fingerprint))
	}
	fmt.Fprintf(&b, "- avoidable: %s = %s of %s %s\n", units.Duration(f.Avoidable),
		units.Share(f.Share), units.Duration(f.Observed), md(observedLabel(f)))
	if f.Formula != "" {
		fmt.Fprintf(&b, "- formula: %s\n", md(f.Formula))
	}
	fmt.Fprintf(&b, "\n**What to do:** %s\n", md(f.Recommendation))
	return b.String(), true
}
