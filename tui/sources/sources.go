// Package sources is the Sources pane: what was read from each input, how
// far loading has got, and what was skipped or failed, with reasons.
package sources

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hotpath/tui/common"
	"hotpath/tui/components/filter"
	"hotpath/tui/components/table"
	"hotpath/tui/keys"
	"hotpath/views"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// Title is the pane's name in the pane bar.
const Title = "Sources"

// Model is the Sources pane.
type Model struct {
	ctx    *common.Context
	all    []views.SourceView
	srcs   []views.SourceView // passing the filter
	table  table.Model
	filter filter.Model
	width  int
	height int
}

// New returns the pane.
func New(ctx *common.Context) *Model {
	cols := []table.Column{
		{Title: "source"}, {Title: "format", Width: 15}, {Title: "events", Width: 9, Right: true},
		{Title: "size", Width: 8, Right: true}, {Title: "status", Width: 10},
	}
	return &Model{ctx: ctx, table: table.New(cols, ctx.Styles, ctx.Keys), filter: filter.New(ctx.Styles, ctx.Keys)}
}

func (m *Model) Title() string   { return Title }
func (m *Model) Init() tea.Cmd   { return nil }
func (m *Model) Capturing() bool { return m.filter.Focused() }

// KeyBindings are the pane's bindings, for help.
func (m *Model) KeyBindings() []key.Binding {
	k := m.ctx.Keys
	return []key.Binding{
		keys.As(k.Filter, "filter by path, format or warning"),
		keys.As(k.NextMatch, "next match"),
		keys.As(k.PrevMatch, "previous match"),
		keys.As(k.Back, "clear filter"),
		keys.As(k.Copy, "copy the source as Markdown"),
	}
}

// Filter is the pane's filter line.
func (m *Model) Filter() *filter.Model { return &m.filter }

// detailLines is how many lines below the table describe the selected source.
const detailLines = 7

func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.layout()
}

func (m *Model) layout() {
	h := m.height - detailLines - 1
	if m.filter.Shown() {
		h--
	}
	m.table.SetSize(m.width, max(h, 2))
}

// Selection is the selected source as a Markdown line, for copying.
func (m *Model) Selection() (string, bool) {
	if len(m.srcs) == 0 {
		return "", false
	}
	s := m.srcs[m.table.Cursor()]
	return fmt.Sprintf("`%s` — %s, %d events, %s, %s", s.Path, orDash(s.Format), s.Events,
		units.Bytes(max(s.Size, s.RawBytes)), status(s)), true
}

// SetViews refreshes the list (also called on progress ticks while loading).
func (m *Model) SetViews(v *views.Views) {
	if v == nil {
		return
	}
	m.SetSources(v.Sources)
}

// SetSources refreshes the list from source snapshots.
func (m *Model) SetSources(srcs []views.SourceView) {
	m.all = srcs
	m.apply()
}

// apply narrows the list to the sources matching the filter.
func (m *Model) apply() {
	srcs := m.all
	if m.filter.Query() != "" {
		srcs = nil
		for _, s := range m.all {
			if m.matches(s) {
				srcs = append(srcs, s)
			}
		}
	}
	m.srcs = srcs
	rows := make([][]string, len(srcs))
	for i, s := range srcs {
		rows[i] = []string{s.Path, orDash(s.Format), fmt.Sprint(s.Events), units.Bytes(max(s.Size, s.RawBytes)), status(s)}
	}
	m.table.SetRows(rows)
}

func status(s views.SourceView) string {
	switch {
	case s.Err != nil:
		return "✗ error"
	case !s.Done:
		if s.Size > 0 {
			return fmt.Sprintf("⋯ %d%%", s.RawBytes*100/s.Size)
		}
		return "⋯ loading"
	case s.SameAs != "":
		return "= same"
	case s.SkippedAll > 0:
		return fmt.Sprintf("✓ %d skip", s.SkippedAll)
	}
	return "✓ ok"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (m *Model) matches(s views.SourceView) bool {
	if m.filter.Match(s.Path) || m.filter.Match(s.Format) {
		return true
	}
	for _, w := range s.Warnings {
		if m.filter.Match(w) {
			return true
		}
	}
	return s.Err != nil && m.filter.Match(s.Err.Error())
}

// Update handles keys and mouse events (y relative to the pane).
func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	if m.filter.Focused() {
		changed, cmd := m.filter.Update(msg)
		if changed {
			m.apply()
		}
		m.layout()
		return m, cmd
	}
	switch msg := msg.(type) {
	case tea.MouseMsg:
		m.table.Mouse(msg, msg.Y-1)
	case tea.KeyMsg:
		k := m.ctx.Keys
		switch {
		case key.Matches(msg, k.Filter):
			cmd := m.filter.Focus()
			m.layout()
			return m, cmd
		case key.Matches(msg, k.Back) && m.filter.Shown():
			m.filter.Clear()
			m.apply()
			m.layout()
		case key.Matches(msg, k.NextMatch), key.Matches(msg, k.PrevMatch):
			if n := len(m.srcs); n > 0 {
				d := 1
				if key.Matches(msg, k.PrevMatch) {
					d = n - 1
				}
				m.table.SetCursor((m.table.Cursor() + d) % n)
			}
		default:
			m.table.Update(msg)
		}
	}
	return m, nil
}

// View draws the pane.
func (m *Model) View() string {
	st := m.ctx.Styles
	var b strings.Builder
	loaded, failed := 0, 0
	for _, s := range m.all {
		if s.Err != nil {
			failed++
		} else if s.Done {
			loaded++
		}
	}
	b.WriteString(st.Title.Render(common.Fit(fmt.Sprintf("%d sources · %d loaded · %d failed", len(m.all), loaded, failed), m.width)) + "\n")
	b.WriteString(m.table.View() + "\n")
	if m.filter.Shown() {
		b.WriteString(m.filter.View(m.width, fmt.Sprintf("%d of %d sources", len(m.srcs), len(m.all))) + "\n")
	}
	b.WriteString(m.detail())
	return b.String()
}

func (m *Model) detail() string {
	st := m.ctx.Styles
	lines := make([]string, 0, detailLines)
	if len(m.srcs) > 0 {
		s := m.srcs[m.table.Cursor()]
		lines = append(lines, st.Header.Render(common.Fit(termsafe.String(s.Path), m.width)))
		info := fmt.Sprintf("%s read, %s decoded", units.Bytes(s.RawBytes), units.Bytes(s.Bytes))
		if s.Compression != "" {
			info += " (" + s.Compression + ")"
		}
		if !s.First.IsZero() {
			info += fmt.Sprintf(" · %s → %s", s.First.Format("2006-01-02 15:04:05"), s.Last.Format("15:04:05"))
		}
		lines = append(lines, common.Fit(info, m.width))
		if s.Err != nil {
			lines = append(lines, st.Error.Render(common.Fit("error: "+termsafe.String(s.Err.Error()), m.width)))
		}
		for _, sk := range s.Skipped {
			lines = append(lines, st.Warning.Render(common.Fit(fmt.Sprintf("skipped %d: %s (first at %d)", sk.Count, termsafe.String(sk.Reason), sk.FirstLine), m.width)))
		}
		for _, w := range s.Warnings {
			lines = append(lines, st.Warning.Render(common.Fit("warning: "+termsafe.String(w), m.width)))
		}
		for _, n := range s.Notes {
			lines = append(lines, common.Fit(termsafe.String(n), m.width))
		}
	}
	if len(lines) > detailLines {
		lines = lines[:detailLines]
	}
	for len(lines) < detailLines {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
