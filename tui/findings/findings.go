// Package findings is the Findings pane, hotpath's home: the ranked problems
// with severity and avoidable time, and beside them the selected finding's
// evidence — what, where, how much, how sure, and what to do.
package findings

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"hotpath/tui/common"
	"hotpath/tui/components/filter"
	"hotpath/tui/components/table"
	"hotpath/views"
	"hotpath/views/detect"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// Title is the pane's name in the pane bar.
const Title = "Findings"

// Model is the Findings pane.
type Model struct {
	ctx      *common.Context
	all      []*detect.Finding // ranked
	findings []*detect.Finding // passing the filter (craft.go)
	filter   filter.Model
	list     table.Model
	width    int
	height   int
	scroll   int // first line of the evidence shown
	profiled map[string]bool
}

var (
	openBinding  = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open its function, else query, else request"))
	queryBinding = key.NewBinding(key.WithKeys("Q"), key.WithHelp("Q", "open its query in Queries"))
	traceBinding = key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "open an example request in Traces"))
	scrollDown   = key.NewBinding(key.WithKeys("J", "ctrl+j"), key.WithHelp("J", "scroll evidence down"))
	scrollUp     = key.NewBinding(key.WithKeys("K", "ctrl+k"), key.WithHelp("K", "scroll evidence up"))
)

// New returns the pane.
func New(ctx *common.Context) *Model {
	cols := []table.Column{
		{Title: "#", Width: 3, Right: true}, {Title: "severity", Width: 10},
		{Title: "avoidable", Width: 9, Right: true}, {Title: "finding"},
	}
	return &Model{ctx: ctx, list: table.New(cols, ctx.Styles, ctx.Keys), filter: filter.New(ctx.Styles, ctx.Keys)}
}

func (m *Model) Title() string   { return Title }
func (m *Model) Init() tea.Cmd   { return nil }
func (m *Model) Capturing() bool { return m.filter.Focused() }
func (m *Model) KeyBindings() []key.Binding {
	return append([]key.Binding{openBinding, scrollDown, scrollUp}, m.craftBindings()...)
}

// sideBySide is true when the evidence fits beside the list.
func (m *Model) sideBySide() bool { return m.width >= 140 }

func (m *Model) listHeight() int {
	if m.sideBySide() {
		return m.height
	}
	return min(max(len(m.findings)+1, 3), max(m.height/3, 3))
}

func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	lw := w
	if m.sideBySide() {
		lw = w * 45 / 100
	}
	m.list.SetSize(lw, m.listHeight()-m.filterRows())
}

// SetViews takes the ranked findings.
func (m *Model) SetViews(v *views.Views) {
	if v == nil {
		return
	}
	m.all = v.Findings
	// Functions a profile knows: only those can open in Hotspots.
	m.profiled = map[string]bool{}
	for _, g := range v.Groups {
		for _, fn := range g.Profile.Function {
			m.profiled[fn.Name] = true
		}
	}
	m.applyFilter()
	m.SetSize(m.width, m.height)
}

// Selected is the finding under the cursor.
func (m *Model) Selected() (*detect.Finding, bool) {
	if len(m.findings) == 0 {
		return nil, false
	}
	return m.findings[m.list.Cursor()], true
}

// Update handles keys.
func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	if cmd, done := m.craftUpdate(msg); done {
		return m, cmd
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(km, openBinding):
		if f, ok := m.Selected(); ok {
			if cmd := m.link(f, "function"); cmd != nil {
				return m, cmd
			}
			if cmd := m.link(f, "query"); cmd != nil {
				return m, cmd
			}
			return m, m.linkOrSay(f, "trace", "no function, query or request to open for this finding")
		}
	case key.Matches(km, queryBinding):
		if f, ok := m.Selected(); ok {
			return m, m.linkOrSay(f, "query", "this finding names no query")
		}
	case key.Matches(km, traceBinding):
		if f, ok := m.Selected(); ok {
			return m, m.linkOrSay(f, "trace", "this finding has no example request (load spans)")
		}
	case key.Matches(km, scrollDown):
		m.scroll++
	case key.Matches(km, scrollUp):
		m.scroll = max(m.scroll-1, 0)
	default:
		before := m.list.Cursor()
		m.list.Update(msg)
		if m.list.Cursor() != before {
			m.scroll = 0
		}
	}
	return m, nil
}

// link is the command that opens one of f's anchors in its pane: the
// function in Hotspots, the fingerprint in Queries, an example trace in
// Traces; nil when f has no such anchor.
func (m *Model) link(f *detect.Finding, what string) tea.Cmd {
	var msg common.Navigate
	switch what {
	case "function":
		for _, l := range f.Locations {
			if l.Function != "" && m.profiled[l.Function] {
				msg = common.Navigate{Pane: "Hotspots", Msg: common.ShowFunction{Name: l.Function}}
				break
			}
		}
	case "query":
		if f.QueryID != "" || f.Fingerprint != "" {
			msg = common.Navigate{Pane: "Queries", Msg: common.ShowQuery{ID: f.QueryID, Fingerprint: f.Fingerprint}}
		}
	case "trace":
		ids := f.TraceIDs
		for _, e := range f.Evidence {
			if e.TraceID != "" {
				ids = append(ids, e.TraceID)
			}
		}
		if len(ids) > 0 {
			msg = common.Navigate{Pane: "Traces", Msg: common.ShowTrace{TraceID: ids[0]}}
		}
	}
	if msg.Pane == "" {
		return nil
	}
	return func() tea.Msg { return msg }
}

// linkOrSay is link, or a notice saying why nothing opens.
func (m *Model) linkOrSay(f *detect.Finding, what, why string) tea.Cmd {
	if cmd := m.link(f, what); cmd != nil {
		return cmd
	}
	return func() tea.Msg { return common.Notice{Text: why, IsErr: true} }
}

// View draws the list and the evidence.
func (m *Model) View() string {
	st := m.ctx.Styles
	if len(m.all) == 0 {
		return st.Dim.Render(common.Fit("No findings yet. Load profiles, SQL logs or traces; hotpath ranks what it finds here.", m.width))
	}
	list := m.list.View() + m.filterLine()
	if m.sideBySide() {
		dw := m.width - m.width*45/100 - 1
		detail := m.detail(dw, m.height)
		return lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(m.width*45/100).Render(list), " ", detail)
	}
	dh := m.height - m.listHeight() - 2
	return list + "\n" + st.Dim.Render(strings.Repeat("─", m.width)) + "\n" + m.detail(m.width, dh)
}

// detail renders the selected finding's evidence in w×h cells.
func (m *Model) detail(w, h int) string {
	st := m.ctx.Styles
	f, ok := m.Selected()
	if !ok || h <= 0 {
		return ""
	}
	var lines []string
	add := func(style lipgloss.Style, s string) {
		for _, l := range strings.Split(wrap(termsafe.String(s), w), "\n") {
			lines = append(lines, style.Render(l))
		}
	}
	plain := lipgloss.NewStyle()
	add(st.Title, fmt.Sprintf("%s  %s", f.Severity.Label(), f.Title))
	add(plain, fmt.Sprintf("kind %s · confidence %s (%s)", f.Kind, f.Confidence, strings.Join(f.Sources(), ", ")))
	for _, l := range f.Locations {
		add(plain, "where: "+l.String())
	}
	if f.Fingerprint != "" {
		add(plain, "query: "+f.Fingerprint)
	}
	add(st.Header, fmt.Sprintf("avoidable %s = %s of %s %s", units.Duration(f.Avoidable), units.Share(f.Share), units.Duration(f.Observed), observedLabel(f)))
	if rs := detect.RouteShares(f); rs != "" {
		add(plain, "on "+rs)
	}
	add(st.Dim, f.Formula)
	for _, e := range f.Evidence {
		add(st.Header, "evidence ("+e.Source+")")
		add(plain, "  "+e.What)
		for _, ex := range e.Examples {
			add(st.Dim, "  e.g. "+ex)
		}
		for _, fr := range e.Stack {
			add(st.Dim, fmt.Sprintf("    %s  %s", fr.Function, fr.File))
		}
	}
	add(st.Header, "what to do")
	add(plain, f.Recommendation)
	if m.scroll > len(lines)-1 {
		m.scroll = max(len(lines)-1, 0)
	}
	lines = lines[m.scroll:]
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// wrap breaks s into lines of at most w cells, at spaces where it can.
func wrap(s string, w int) string {
	if w <= 0 {
		return s
	}
	return lipgloss.NewStyle().Width(w).Render(s)
}

// observedLabel says what the share's denominator measures.
func observedLabel(f *detect.Finding) string {
	if f.Basis == "" {
		return "observed"
	}
	return f.Basis + " observed"
}
