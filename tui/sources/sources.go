// Package sources is the Sources pane: what was read from each input, how
// far loading has got, and what was skipped or failed, with reasons.
package sources

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hotpath/tui/common"
	"hotpath/tui/components/table"
	"hotpath/views"
	"hotpath/views/termsafe"
)

// Title is the pane's name in the pane bar.
const Title = "Sources"

// Model is the Sources pane.
type Model struct {
	ctx    *common.Context
	srcs   []views.SourceView
	table  table.Model
	width  int
	height int
}

// New returns the pane.
func New(ctx *common.Context) *Model {
	cols := []table.Column{
		{Title: "source"}, {Title: "format", Width: 15}, {Title: "events", Width: 9, Right: true},
		{Title: "size", Width: 8, Right: true}, {Title: "status", Width: 10},
	}
	return &Model{ctx: ctx, table: table.New(cols, ctx.Styles, ctx.Keys)}
}

func (m *Model) Title() string              { return Title }
func (m *Model) Init() tea.Cmd              { return nil }
func (m *Model) Capturing() bool            { return false }
func (m *Model) KeyBindings() []key.Binding { return nil }

// detailLines is how many lines below the table describe the selected source.
const detailLines = 7

func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.table.SetSize(w, max(h-detailLines-1, 2))
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
	m.srcs = srcs
	rows := make([][]string, len(srcs))
	for i, s := range srcs {
		rows[i] = []string{s.Path, orDash(s.Format), fmt.Sprint(s.Events), views.FormatBytes(max(s.Size, s.RawBytes)), status(s)}
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

// Update handles keys.
func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	m.table.Update(msg)
	return m, nil
}

// View draws the pane.
func (m *Model) View() string {
	st := m.ctx.Styles
	var b strings.Builder
	loaded, failed := 0, 0
	for _, s := range m.srcs {
		if s.Err != nil {
			failed++
		} else if s.Done {
			loaded++
		}
	}
	b.WriteString(st.Title.Render(common.Fit(fmt.Sprintf("%d sources · %d loaded · %d failed", len(m.srcs), loaded, failed), m.width)) + "\n")
	b.WriteString(m.table.View() + "\n")
	b.WriteString(m.detail())
	return b.String()
}

func (m *Model) detail() string {
	st := m.ctx.Styles
	lines := make([]string, 0, detailLines)
	if len(m.srcs) > 0 {
		s := m.srcs[m.table.Cursor()]
		lines = append(lines, st.Header.Render(common.Fit(termsafe.String(s.Path), m.width)))
		info := fmt.Sprintf("%s read, %s decoded", views.FormatBytes(s.RawBytes), views.FormatBytes(s.Bytes))
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
	}
	if len(lines) > detailLines {
		lines = lines[:detailLines]
	}
	for len(lines) < detailLines {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
