// Package hotspots is the Hotspots pane: a flat/cum table of functions for
// one sample type, sortable and filterable, with a pprof-style peek of
// callers and callees, an icicle (flame) view with zoom, and a speedscope
// style sandwich of one function's callers and callees.
package hotspots

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hotpath/tui/common"
	"hotpath/tui/components/filter"
	"hotpath/tui/components/flame"
	"hotpath/tui/components/table"
	"hotpath/tui/keys"
	"hotpath/views"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// Title is the pane's name in the pane bar.
const Title = "Hotspots"

type sortKey int

const (
	byFlat sortKey = iota
	byCum
)

// Mode is what the pane shows.
type Mode int

// The pane's modes.
const (
	ModeTable Mode = iota
	ModePeek
	ModeFlame
	ModeSandwich
)

// Model is the Hotspots pane.
type Model struct {
	ctx    *common.Context
	v      *views.Views
	h      *views.Hotspots
	err    error
	all    []views.Hotspot // every row, in sort order
	folded []string        // lower-cased names of all, for the filter
	shown  []int32         // indexes into all of the rows passing the filter
	spare  []int32         // the other buffer of shown, reused
	query  string          // the query shown is filtered by
	sort   sortKey
	table  table.Model
	filter filter.Model
	width  int
	height int
	mode   Mode

	// peek mode: callers and callees of one function
	peekFn  views.Func
	callers []views.Edge
	callees []views.Edge
	peekTbl table.Model
	peekMap []views.Func // peek table row → function (zero entries are headings)

	// flame and sandwich modes
	canvas   flame.Model
	tree     *views.CallNode // call tree of treeFor, built on first use
	treeFor  *views.Hotspots
	building *views.Hotspots // call tree being built in the background
	want     views.Func      // frame to select once the tree is there
	zooms    []zoom          // breadcrumbs, outermost first
	sandwich []views.Func    // sandwich stack: the function in view is last
	sandBack Mode            // where esc leaves the sandwich for
	sandRoot int             // row of the sandwich's own function
	sandCum  *views.CallNode // callees root of the sandwich in view

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
		filter:     filter.New(ctx.Styles, ctx.Keys),
		canvas:     flame.New(ctx.Styles, ctx.Keys),
		sampleType: ctx.Options.Hotspots.SampleType,
	}
}

func (m *Model) Title() string   { return Title }
func (m *Model) Init() tea.Cmd   { return nil }
func (m *Model) Capturing() bool { return m.filter.Focused() }

// KeyBindings are the pane's bindings, for help; their keys are the user's.
func (m *Model) KeyBindings() []key.Binding {
	k := m.ctx.Keys
	return []key.Binding{
		keys.As(k.Enter, "peek callers/callees; zoom in"),
		keys.As(k.Back, "back; zoom out; clear filter"),
		keys.As(k.Flame, "flame (icicle) view"),
		keys.As(k.Sandwich, "sandwich view"),
		keys.As(k.Left, "flame: frame to the left"),
		keys.As(k.Right, "flame: frame to the right"),
		keys.As(k.Up, "flame: caller (parent)"),
		keys.As(k.Down, "flame: callee (child)"),
		keys.As(k.Sort, "sort by flat/cum"),
		keys.As(k.SampleType, "next sample type"),
		keys.As(k.Filter, "filter; flame: highlight"),
		keys.As(k.NextMatch, "next match"),
		keys.As(k.PrevMatch, "previous match"),
		keys.As(k.Copy, "copy function name"),
	}
}

func (m *Model) SetSize(w, h int)            { m.width, m.height = w, h; m.layout() }
func (m *Model) SetViews(v *views.Views)     { m.v = v; m.recompute() }
func (m *Model) Hotspots() *views.Hotspots   { return m.h }
func (m *Model) Mode() Mode                  { return m.mode }
func (m *Model) Peeking() (views.Func, bool) { return m.peekFn, m.mode == ModePeek }
func (m *Model) SortedByCum() bool           { return m.sort == byCum }
func (m *Model) Filter() *filter.Model       { return &m.filter }

// Selected is the selected table row.
func (m *Model) Selected() (views.Hotspot, bool) {
	if len(m.shown) == 0 {
		return views.Hotspot{}, false
	}
	return m.all[m.shown[m.table.Cursor()]], true
}

// Selection is the selected thing as text, for copying: the function under
// the cursor in any mode.
func (m *Model) Selection() (string, bool) {
	switch m.mode {
	case ModePeek:
		if i := m.peekTbl.Cursor(); i < len(m.peekMap) && m.peekMap[i].Name != "" {
			return m.peekMap[i].Name, true
		}
		return m.peekFn.Name, m.peekFn.Name != ""
	case ModeFlame, ModeSandwich:
		if f, ok := m.canvas.Selected(); ok && (m.mode == ModeSandwich || f.Node != m.tree) {
			return f.Node.Func.Name, true
		}
		return "", false
	}
	sel, ok := m.Selected()
	return sel.Func.Name, ok
}

// bodyHeight is the height of the table or canvas: the pane less its title,
// its status line and the filter line when shown.
func (m *Model) bodyHeight() int {
	h := m.height - 2
	if m.filter.Shown() {
		h--
	}
	return max(h, 1)
}

func (m *Model) layout() {
	m.table.SetSize(m.width, m.bodyHeight())
	m.peekTbl.SetSize(m.width, m.bodyHeight())
	w := m.canvas.Rows()
	m.canvas.SetSize(m.width, m.bodyHeight())
	if w != nil && (m.mode == ModeFlame || m.mode == ModeSandwich) {
		m.relayout() // frame widths depend on the width
	}
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
	switch m.mode {
	case ModeFlame:
		if len(m.h.Rows) <= syncTreeLimit {
			m.ensureTree()
		} else {
			m.canvas.SetRows(nil, 0, 0) // Update starts the build (common.Refresh)
		}
	case ModeSandwich:
		m.layoutSandwich()
	}
	if m.mode == ModePeek && m.h != nil {
		m.openPeek(m.peekFn)
	}
}

func (m *Model) fill() {
	prev, hadPrev := m.Selected()
	m.all, m.folded = nil, nil
	if m.h != nil {
		m.all = m.h.Rows
		if m.sort == byCum {
			m.all = views.SortByCum(m.all)
		}
	}
	m.applyFilter()
	if hadPrev {
		m.selectFunc(prev.Func)
	}
}

// applyFilter narrows the table to the rows whose function matches. A
// query that extends the previous one (the user typing on) searches only
// the rows that matched before.
func (m *Model) applyFilter() {
	q := m.filter.Query()
	if len(m.folded) != len(m.all) {
		m.folded = make([]string, len(m.all))
		for i, r := range m.all {
			m.folded[i] = strings.ToLower(r.Func.Name)
		}
		m.shown, m.spare, m.query = nil, nil, ""
	}
	from := m.shown
	if m.shown == nil || m.query == "" || !strings.HasPrefix(q, m.query) || m.query != strings.ToLower(m.query) && q == strings.ToLower(q) {
		from = nil
	}
	// two buffers take turns: no 100k-entry allocation per keystroke
	out := m.spare[:0]
	switch {
	case q == "":
		for i := range m.all {
			out = append(out, int32(i))
		}
	case from != nil:
		for _, i := range from {
			if m.filter.MatchFolded(m.all[i].Func.Name, m.folded[i]) {
				out = append(out, i)
			}
		}
	default:
		for i := range m.all {
			if m.filter.MatchFolded(m.all[i].Func.Name, m.folded[i]) {
				out = append(out, int32(i))
			}
		}
	}
	m.shown, m.spare, m.query = out, m.shown, q
	unit := ""
	if m.h != nil {
		unit = m.h.SampleType.Unit
	}
	all := m.all
	m.table.SetRowFunc(len(out), func(i int) []string {
		r := all[out[i]]
		return []string{units.Value(r.Flat, unit), units.Share(r.FlatShare),
			units.Value(r.Cum, unit), units.Share(r.CumShare), r.Func.Name}
	})
}

func (m *Model) selectFunc(f views.Func) bool {
	for i, j := range m.shown {
		if m.all[j].Func == f {
			m.table.SetCursor(i)
			return true
		}
	}
	return false
}

// Update handles keys and mouse events (y relative to the pane).
func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	if show, ok := msg.(common.ShowFunction); ok {
		m.show(show.Name)
		return m, nil
	}
	if show, ok := msg.(common.ShowSampleType); ok {
		m.mode, m.sandwich, m.zooms = ModeTable, nil, nil
		m.sampleType = show.Type
		m.recompute()
		return m, nil
	}
	switch msg := msg.(type) {
	case treeMsg:
		if msg.h == m.h {
			m.setTree(msg.h, msg.tree)
		} else if m.building == msg.h {
			m.building = nil
		}
		if m.mode == ModeFlame {
			return m, m.ensureTree()
		}
		return m, nil
	case common.Refresh:
		if m.mode == ModeFlame {
			return m, m.ensureTree()
		}
		return m, nil
	}
	if m.filter.Focused() {
		changed, cmd := m.filter.Update(msg)
		if changed {
			m.filterChanged()
		}
		if !m.filter.Shown() {
			m.layout()
		}
		return m, cmd
	}
	switch msg := msg.(type) {
	case tea.MouseMsg:
		m.mouse(msg)
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// show selects the function named name and opens its callers and callees,
// switching to a sample type that has it if the current one does not. A
// filter that would hide it is cleared.
func (m *Model) show(name string) {
	if m.filter.Shown() {
		m.filter.Clear()
		m.applyFilter()
		m.layout()
	}
	m.mode, m.sandwich, m.zooms = ModeTable, nil, nil
	find := func() bool {
		for i, j := range m.shown {
			if m.all[j].Func.Name == name {
				m.table.SetCursor(i)
				m.openPeek(m.all[j].Func)
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

func (m *Model) filterChanged() {
	switch m.mode {
	case ModeFlame, ModeSandwich:
		m.canvas.SetMatch(m.matcher())
	default:
		prev, ok := m.Selected()
		m.applyFilter()
		if ok {
			m.selectFunc(prev.Func)
		}
	}
}

func (m *Model) matcher() func(string) bool {
	if m.filter.Query() == "" {
		return nil
	}
	return m.filter.Match
}

func (m *Model) key(km tea.KeyMsg) tea.Cmd {
	k := m.ctx.Keys
	if key.Matches(km, k.Filter) {
		cmd := m.filter.Focus()
		m.layout()
		return cmd
	}
	switch m.mode {
	case ModePeek:
		return m.peekKey(km)
	case ModeFlame, ModeSandwich:
		return m.flameKey(km)
	}
	switch {
	case key.Matches(km, k.Back) && m.filter.Shown():
		m.clearFilter()
	case key.Matches(km, k.NextMatch), key.Matches(km, k.PrevMatch):
		if n := len(m.shown); n > 0 {
			d := 1
			if key.Matches(km, k.PrevMatch) {
				d = n - 1
			}
			m.table.SetCursor((m.table.Cursor() + d) % n)
		}
	case key.Matches(km, k.Sort):
		m.sort = 1 - m.sort
		m.fill()
	case key.Matches(km, k.SampleType):
		return m.nextSampleType()
	case key.Matches(km, k.Enter):
		if sel, ok := m.Selected(); ok {
			m.openPeek(sel.Func)
		}
	case key.Matches(km, k.Flame):
		return m.openFlame()
	case key.Matches(km, k.Sandwich):
		if sel, ok := m.Selected(); ok {
			m.openSandwich(sel.Func, ModeTable)
		}
	default:
		m.table.Update(km)
	}
	return nil
}

func (m *Model) clearFilter() {
	m.filter.Clear()
	m.filterChanged()
	m.layout()
}

func (m *Model) peekKey(km tea.KeyMsg) tea.Cmd {
	k := m.ctx.Keys
	switch {
	case key.Matches(km, k.Back):
		m.mode = ModeTable
	case key.Matches(km, k.Enter):
		if i := m.peekTbl.Cursor(); i < len(m.peekMap) && m.peekMap[i].Name != "" {
			m.openPeek(m.peekMap[i])
		}
	case key.Matches(km, k.Sandwich):
		m.openSandwich(m.peekFn, ModePeek)
	case key.Matches(km, k.Flame):
		return m.openFlame()
	case key.Matches(km, k.SampleType):
		return m.nextSampleType()
	default:
		m.peekTbl.Update(km)
	}
	return nil
}

func (m *Model) mouse(msg tea.MouseMsg) {
	y := msg.Y - 1 // below the title line
	switch m.mode {
	case ModeTable:
		m.table.Mouse(msg, y)
	case ModePeek:
		m.peekTbl.Mouse(msg, y)
	default:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			m.canvas.Scroll(-3)
		case tea.MouseButtonWheelDown:
			m.canvas.Scroll(3)
		case tea.MouseButtonLeft:
			if msg.Action == tea.MouseActionPress {
				m.canvas.Click(msg.X, y)
			}
		}
	}
}

func (m *Model) nextSampleType() tea.Cmd {
	if m.v == nil || m.h == nil {
		return nil
	}
	all := views.SampleTypes(m.v.Groups)
	for i, st := range all {
		if st == m.h.SampleType {
			next := all[(i+1)%len(all)]
			m.sampleType = next.String()
			m.recompute()
			if m.mode == ModeFlame {
				return m.ensureTree()
			}
			return nil
		}
	}
	return nil
}

// openPeek shows callers above and callees below fn.
func (m *Model) openPeek(fn views.Func) {
	if m.h == nil {
		return
	}
	m.mode, m.peekFn = ModePeek, fn
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
		rows = append(rows, []string{units.Value(e.Value, unit), units.Share(e.Share), "  " + e.Func.Name})
		m.peekMap = append(m.peekMap, peekTarget(e.Func))
	}
	var self views.Hotspot
	for _, r := range m.h.Rows {
		if r.Func == fn {
			self = r
		}
	}
	rows = append(rows, []string{units.Value(self.Cum, unit), units.Share(self.CumShare), "▶ " + fn.Name})
	m.peekMap = append(m.peekMap, views.Func{})
	selfRow := len(rows) - 1
	add("── callees ──")
	for _, e := range m.callees {
		rows = append(rows, []string{units.Value(e.Value, unit), units.Share(e.Share), "  " + e.Func.Name})
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
		return st.Error.Render(common.Fit(termsafe.String(m.err.Error()), m.width))
	}
	if m.h == nil {
		return st.Dim.Render(common.Fit("No profile loaded yet. hotpath reads pprof (cpu, heap, block, mutex, goroutine …), folded stacks and speedscope files.", m.width))
	}
	var title, body, status string
	switch m.mode {
	case ModePeek:
		title = "Callers and callees of " + termsafe.String(m.peekFn.Name)
		body = m.peekTbl.View()
		k := m.ctx.Keys
		status = fmt.Sprintf("%s · %s · %s · %s", m.h.SampleType, keys.Hint(k.Enter, "follows a caller/callee"),
			keys.Hint(k.Sandwich, "sandwich"), keys.Hint(k.Back, "back"))
	case ModeFlame, ModeSandwich:
		title, status = m.flameTitle(), m.flameStatus()
		body = m.canvas.View()
		if m.mode == ModeFlame && !m.treeReady() {
			body = st.Dim.Render(common.Fit(fmt.Sprintf("Building the call tree of %d functions…  (%s leaves)",
				len(m.h.Rows), keys.First(m.ctx.Keys.Flame)), m.width))
		}
	default:
		sortName := "flat"
		if m.sort == byCum {
			sortName = "cum"
		}
		title = fmt.Sprintf("%s · %d functions · %s total · sorted by %s", m.h.SampleType, len(m.all),
			units.Value(m.h.Total, m.h.SampleType.Unit), sortName)
		if m.h.Shown != m.h.Total {
			title += fmt.Sprintf(" · %s shown", units.Share(float64(m.h.Shown)/float64(max(m.h.Total, 1))))
		}
		body = m.table.View()
		if sel, ok := m.Selected(); ok {
			status = termsafe.String(sel.Func.Name)
			if sel.Func.File != "" {
				status += "  " + termsafe.String(sel.Func.File)
			}
		} else if m.filter.Query() != "" {
			status = "no function matches the filter"
		}
	}
	var b strings.Builder
	b.WriteString(st.Title.Render(common.Fit(title, m.width)) + "\n")
	b.WriteString(body + "\n")
	if m.filter.Shown() {
		b.WriteString(m.filter.View(m.width, m.matchInfo()) + "\n")
	}
	b.WriteString(st.Dim.Render(common.Fit(status, m.width)))
	return b.String()
}

// matchInfo is the filter line's count: rows kept, or frames matched.
func (m *Model) matchInfo() string {
	if m.filter.Query() == "" {
		return ""
	}
	switch m.mode {
	case ModeFlame, ModeSandwich:
		ms := m.canvas.Matches()
		r, i := m.canvas.Cursor()
		for j, p := range ms {
			if p == [2]int{r, i} {
				return fmt.Sprintf("%d/%d frames", j+1, len(ms))
			}
		}
		return fmt.Sprintf("%d frames", len(ms))
	}
	return fmt.Sprintf("%d of %d functions", len(m.shown), len(m.all))
}
