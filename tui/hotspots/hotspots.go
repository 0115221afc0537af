// Package hotspots is the Hotspots pane: a flat/cum table of functions for
// one sample type, sortable, with a pprof-style peek of callers and callees.
package hotspots

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
const Title = "Hotspots"

type sortKey int

const (
	byFlat sortKey = iota
	byCum
)

// Model is the Hotspots pane.
type Model struct {
	ctx    *common.Context
	v      *views.Views
	h      *views.Hotspots
	err    error
	rows   []views.Hotspot // in table order
	sort   sortKey
	table  table.Model
	width  int
	height int

	// peek mode: callers and callees of one function
	peeking bool
	peekFn  views.Func
	callers []views.Edge
	callees []views.Edge
	peekTbl table.Model
	peekMap []views.Func // peek table row → function (nil entries are headings)

	sampleType string // chosen with t; "" = the user's -sample_index or default
}

// New returns the pane.
func New(ctx *common.Context) *Model {
	cols := []table.Column{
		{Title: "flat", Width: 8, Right: true}, {Title: "flat%", Width: 6, Right: true},
		{Title: "cum", Width: 8, Right: true}, {Title: "cum%", Width: 6, Right: true},
		{Title: "function"},
	}
	return &Model{
		ctx:        ctx,
		table:      table.New(cols, ctx.Styles, ctx.Keys),
		peekTbl:    table.New(append([]table.Column(nil), cols[2:]...), ctx.Styles, ctx.Keys),
		sampleType: ctx.Options.Hotspots.SampleType,
	}
}

var (
	sortBinding  = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by flat/cum"))
	typeBinding  = key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "next sample type"))
	enterBinding = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "callers/callees"))
	backBinding  = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to table"))
)

func (m *Model) Title() string   { return Title }
func (m *Model) Init() tea.Cmd   { return nil }
func (m *Model) Capturing() bool { return false }
func (m *Model) KeyBindings() []key.Binding {
	return []key.Binding{enterBinding, backBinding, sortBinding, typeBinding}
}
func (m *Model) SetSize(w, h int)            { m.width, m.height = w, h; m.layout() }
func (m *Model) SetViews(v *views.Views)     { m.v = v; m.recompute() }
func (m *Model) Hotspots() *views.Hotspots   { return m.h }
func (m *Model) Peeking() (views.Func, bool) { return m.peekFn, m.peeking }
func (m *Model) SortedByCum() bool           { return m.sort == byCum }
func (m *Model) Selected() (views.Hotspot, bool) {
	if len(m.rows) == 0 {
		return views.Hotspot{}, false
	}
	return m.rows[m.table.Cursor()], true
}

func (m *Model) layout() {
	// one line of title, one of detail below the table
	m.table.SetSize(m.width, m.height-2)
	m.peekTbl.SetSize(m.width, m.height-2)
}

// recompute rebuilds the table for the chosen sample type, keeping the
// selected function selected.
func (m *Model) recompute() {
	if m.v == nil || len(m.v.Groups) == 0 {
		m.h, m.err = nil, m.v.HotspotsErrOrNil()
		m.fill()
		return
	}
	if m.sampleType == m.ctx.Options.Hotspots.SampleType && m.v.Hotspots != nil {
		m.h, m.err = m.v.Hotspots, nil
	} else {
		opt := m.ctx.Options.Hotspots
		opt.SampleType = m.sampleType
		m.h, m.err = views.ComputeHotspots(m.v.Groups, opt)
	}
	m.fill()
}

func (m *Model) fill() {
	prev, hadPrev := m.Selected()
	m.rows = nil
	if m.h != nil {
		m.rows = m.h.Rows
		if m.sort == byCum {
			m.rows = views.SortByCum(m.rows)
		}
	}
	unit := ""
	if m.h != nil {
		unit = m.h.SampleType.Unit
	}
	rows := make([][]string, len(m.rows))
	for i, r := range m.rows {
		rows[i] = []string{views.FormatValue(r.Flat, unit), views.FormatShare(r.FlatShare),
			views.FormatValue(r.Cum, unit), views.FormatShare(r.CumShare), r.Func.Name}
	}
	m.table.SetRows(rows)
	if hadPrev {
		for i, r := range m.rows {
			if r.Func == prev.Func {
				m.table.SetCursor(i)
				break
			}
		}
	}
}

// Update handles keys.
func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	if show, ok := msg.(common.ShowFunction); ok {
		m.show(show.Name)
		return m, nil
	}
	if show, ok := msg.(common.ShowSampleType); ok {
		m.peeking = false
		m.sampleType = show.Type
		m.recompute()
		return m, nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	if m.peeking {
		switch {
		case key.Matches(km, backBinding), key.Matches(km, m.ctx.Keys.Back):
			m.peeking = false
		case key.Matches(km, enterBinding):
			if i := m.peekTbl.Cursor(); i < len(m.peekMap) && m.peekMap[i].Name != "" {
				m.openPeek(m.peekMap[i])
			}
		default:
			m.peekTbl.Update(msg)
		}
		return m, nil
	}
	switch {
	case key.Matches(km, sortBinding):
		m.sort = 1 - m.sort
		m.fill()
	case key.Matches(km, typeBinding):
		m.nextSampleType()
	case key.Matches(km, enterBinding):
		if sel, ok := m.Selected(); ok {
			m.openPeek(sel.Func)
		}
	default:
		m.table.Update(msg)
	}
	return m, nil
}

// show selects the function named name and opens its callers and callees,
// switching to a sample type that has it if the current one does not.
func (m *Model) show(name string) {
	find := func() bool {
		for i, r := range m.rows {
			if r.Func.Name == name {
				m.table.SetCursor(i)
				m.openPeek(r.Func)
				return true
			}
		}
		return false
	}
	if find() || m.v == nil {
		return
	}
	for _, st := range views.SampleTypes(m.v.Groups) {
		m.sampleType = st.String()
		m.recompute()
		if find() {
			return
		}
	}
}

func (m *Model) nextSampleType() {
	if m.v == nil || m.h == nil {
		return
	}
	all := views.SampleTypes(m.v.Groups)
	for i, st := range all {
		if st == m.h.SampleType {
			next := all[(i+1)%len(all)]
			m.sampleType = next.String()
			m.recompute()
			return
		}
	}
}

// openPeek shows callers above and callees below fn.
func (m *Model) openPeek(fn views.Func) {
	if m.h == nil {
		return
	}
	m.peeking, m.peekFn = true, fn
	m.callers, m.callees = m.h.Peek(fn)
	unit := m.h.SampleType.Unit
	var rows [][]string
	m.peekMap = nil
	add := func(heading string) {
		rows = append(rows, []string{"", "", heading})
		m.peekMap = append(m.peekMap, views.Func{})
	}
	add("── callers ──")
	for _, e := range m.callers {
		rows = append(rows, []string{views.FormatValue(e.Value, unit), views.FormatShare(e.Share), "  " + e.Func.Name})
		m.peekMap = append(m.peekMap, peekTarget(e.Func))
	}
	var self views.Hotspot
	for _, r := range m.h.Rows {
		if r.Func == fn {
			self = r
		}
	}
	rows = append(rows, []string{views.FormatValue(self.Cum, unit), views.FormatShare(self.CumShare), "▶ " + fn.Name})
	m.peekMap = append(m.peekMap, views.Func{})
	selfRow := len(rows) - 1
	add("── callees ──")
	for _, e := range m.callees {
		rows = append(rows, []string{views.FormatValue(e.Value, unit), views.FormatShare(e.Share), "  " + e.Func.Name})
		m.peekMap = append(m.peekMap, peekTarget(e.Func))
	}
	m.peekTbl.SetRows(rows)
	m.peekTbl.SetCursor(selfRow)
}

// peekTarget is the function enter on a peek row opens; the synthetic
// (root)/(self) rows open nothing.
func peekTarget(f views.Func) views.Func {
	if f.Name == "(root)" || f.Name == "(self)" {
		return views.Func{}
	}
	return f
}

// View draws the pane.
func (m *Model) View() string {
	st := m.ctx.Styles
	if m.err != nil {
		return st.Error.Render(termsafe.String(m.err.Error()))
	}
	if m.h == nil {
		return st.Dim.Render("No profile loaded yet. hotpath reads pprof (cpu, heap, block, mutex, goroutine …), folded stacks and speedscope files.")
	}
	var b strings.Builder
	sortName := "flat"
	if m.sort == byCum {
		sortName = "cum"
	}
	if m.peeking {
		b.WriteString(st.Title.Render("Callers and callees of "+termsafe.String(m.peekFn.Name)) + "\n")
		b.WriteString(m.peekTbl.View() + "\n")
		b.WriteString(st.Dim.Render(common.Fit(fmt.Sprintf("%s · enter follows a caller/callee · esc back", m.h.SampleType), m.width)))
		return b.String()
	}
	head := fmt.Sprintf("%s · %d functions · %s total · sorted by %s", m.h.SampleType, len(m.rows),
		views.FormatValue(m.h.Total, m.h.SampleType.Unit), sortName)
	if m.h.Shown != m.h.Total {
		head += fmt.Sprintf(" · %s shown", views.FormatShare(float64(m.h.Shown)/float64(max(m.h.Total, 1))))
	}
	b.WriteString(st.Title.Render(common.Fit(head, m.width)) + "\n")
	b.WriteString(m.table.View() + "\n")
	detail := ""
	if sel, ok := m.Selected(); ok {
		detail = sel.Func.Name
		if sel.Func.File != "" {
			detail += "  " + sel.Func.File
		}
	}
	b.WriteString(st.Dim.Render(common.Fit(termsafe.String(detail), m.width)))
	return b.String()
}
