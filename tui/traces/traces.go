// Package traces is the Traces pane: requests (one per outermost server
// span, or root) sortable by duration or statement count and filterable by
// route; enter opens a request's waterfall — an indented span tree with
// bars on a time axis, collapsible subtrees and the selected span's
// attributes. The goroutine summary of Go execution traces is one key away.
package traces

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"hotpath/parse"
	"hotpath/tui/common"
	"hotpath/tui/components/table"
	"hotpath/views"
	"hotpath/views/termsafe"
	vt "hotpath/views/traces"
	"hotpath/views/units"
)

// Title is the pane's name in the pane bar.
const Title = "Traces"

type mode int

const (
	modeList mode = iota
	modeWaterfall
	modeGoroutines
)

var sortNames = map[vt.SortBy]string{vt.ByDuration: "duration", vt.ByStatements: "statements", vt.ByStart: "start"}

// Model is the Traces pane.
type Model struct {
	ctx    *common.Context
	width  int
	height int
	mode   mode

	all       []*vt.Request
	reqs      []*vt.Request // filtered and sorted
	sortBy    vt.SortBy
	filter    string
	filtering bool
	list      table.Model

	goroutines []parse.GoroutineStat
	gtable     table.Model

	// waterfall
	req       *vt.Request
	collapsed map[*vt.Node]bool
	rows      []vt.Row
	cursor    int
	offset    int
	detail    bool

	sortKey, collapseKey, expandKey, goroutineKey, blockKey key.Binding
}

// New returns the pane.
func New(ctx *common.Context) *Model {
	cols := []table.Column{
		{Title: "route"}, {Title: "duration", Width: 9, Right: true}, {Title: "stmts", Width: 5, Right: true},
		{Title: "db", Width: 8, Right: true}, {Title: "calls", Width: 5, Right: true}, {Title: "conns", Width: 5, Right: true},
		{Title: "spans", Width: 5, Right: true},
	}
	gcols := []table.Column{
		{Title: "goroutine"}, {Title: "run", Width: 8, Right: true}, {Title: "runnable", Width: 8, Right: true},
		{Title: "sync", Width: 8, Right: true}, {Title: "net", Width: 8, Right: true}, {Title: "syscall", Width: 8, Right: true},
	}
	return &Model{
		ctx: ctx, sortBy: vt.ByDuration,
		list:         table.New(cols, ctx.Styles, ctx.Keys),
		gtable:       table.New(gcols, ctx.Styles, ctx.Keys),
		sortKey:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort: duration/statements/start")),
		collapseKey:  key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "collapse subtree")),
		expandKey:    key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "expand subtree")),
		goroutineKey: key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "goroutines (Go traces)")),
		blockKey:     key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "blocking profile in Hotspots (Go traces)")),
		collapsed:    map[*vt.Node]bool{},
	}
}

func (m *Model) Title() string   { return Title }
func (m *Model) Init() tea.Cmd   { return nil }
func (m *Model) Capturing() bool { return m.filtering }

// KeyBindings are the pane's own keys, for help.
func (m *Model) KeyBindings() []key.Binding {
	k := m.ctx.Keys
	return []key.Binding{k.Enter, k.Back, m.sortKey, k.Filter, m.collapseKey, m.expandKey, m.goroutineKey, m.blockKey}
}

// SetSize sets the pane's size.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.list.SetSize(w, max(h-2, 2))
	m.gtable.SetSize(w, max(h-2, 2))
	m.clampWaterfall()
}

// SetViews takes the freshly built views.
func (m *Model) SetViews(v *views.Views) {
	if v == nil {
		return
	}
	m.all = vt.AllRequests(v.Traces)
	m.goroutines = v.Goroutines
	m.refreshList()
	rows := make([][]string, len(m.goroutines))
	gs := append([]parse.GoroutineStat(nil), m.goroutines...)
	sort.SliceStable(gs, func(i, j int) bool { return blocked(gs[i]) > blocked(gs[j]) })
	for i, g := range gs {
		name := g.Name
		if name == "" {
			name = "?"
		}
		rows[i] = []string{fmt.Sprintf("%d %s", g.ID, name), dur(g.Exec), dur(g.SchedWait), dur(g.BlockSync), dur(g.BlockNet), dur(g.Syscall)}
	}
	m.gtable.SetRows(rows)
}

func blocked(g parse.GoroutineStat) time.Duration {
	return g.BlockSync + g.BlockNet + g.Syscall + g.SchedWait
}

func (m *Model) refreshList() {
	m.reqs = vt.FilterRoute(append([]*vt.Request(nil), m.all...), m.filter)
	vt.SortRequests(m.reqs, m.sortBy)
	rows := make([][]string, len(m.reqs))
	for i, r := range m.reqs {
		route := r.Route
		if r.Service != "" {
			route = r.Service + " " + route
		}
		if r.Status == "error" || r.HTTPStatus >= 500 {
			route = "! " + route
		}
		rows[i] = []string{route, dur(r.Duration), fmt.Sprint(r.DBCount), dur(r.DBTime), fmt.Sprint(r.Outbound), fmt.Sprint(r.ConnSetups), fmt.Sprint(r.Spans)}
	}
	m.list.SetRows(rows)
}

func dur(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return units.Duration(d)
}

// Update handles keys.
func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	if show, ok := msg.(common.ShowTrace); ok {
		// An anchor from another pane: open that trace's request.
		m.filter, m.filtering = "", false
		m.refreshList()
		for i, r := range m.reqs {
			if r.Trace != nil && r.Trace.ID == show.TraceID {
				m.list.SetCursor(i)
				m.open(r)
				break
			}
		}
		return m, nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	k := m.ctx.Keys
	if !m.filtering && m.mode != modeWaterfall && len(m.goroutines) > 0 && key.Matches(km, m.blockKey) {
		// The sync profile first; t in Hotspots cycles to net, syscall, sched.
		return m, func() tea.Msg {
			return common.Navigate{Pane: "Hotspots", Msg: common.ShowSampleType{Type: "sync/delay"}}
		}
	}
	if m.filtering {
		switch km.Type {
		case tea.KeyEnter:
			m.filtering = false
		case tea.KeyEsc:
			m.filtering = false
			m.filter = ""
		case tea.KeyBackspace:
			if r := []rune(m.filter); len(r) > 0 {
				m.filter = string(r[:len(r)-1])
			}
		case tea.KeyRunes:
			m.filter += string(km.Runes)
		case tea.KeySpace:
			m.filter += " "
		}
		m.refreshList()
		return m, nil
	}
	if m.craftKey(km) {
		return m, nil
	}
	switch m.mode {
	case modeList:
		switch {
		case key.Matches(km, k.Enter):
			if len(m.reqs) > 0 {
				m.open(m.reqs[m.list.Cursor()])
			}
		case key.Matches(km, m.sortKey):
			m.sortBy = map[vt.SortBy]vt.SortBy{vt.ByDuration: vt.ByStatements, vt.ByStatements: vt.ByStart, vt.ByStart: vt.ByDuration}[m.sortBy]
			m.refreshList()
		case key.Matches(km, k.Filter):
			m.filtering = true
		case key.Matches(km, m.goroutineKey):
			m.mode = modeGoroutines
		case key.Matches(km, k.Back):
			if m.filter != "" {
				m.filter = ""
				m.refreshList()
			}
		default:
			m.list.Update(km)
		}
	case modeGoroutines:
		if key.Matches(km, k.Back) || key.Matches(km, m.goroutineKey) {
			m.mode = modeList
		} else {
			m.gtable.Update(km)
		}
	case modeWaterfall:
		m.updateWaterfall(km)
	}
	return m, nil
}

func (m *Model) open(r *vt.Request) {
	m.req = r
	m.mode = modeWaterfall
	m.collapsed = map[*vt.Node]bool{}
	m.cursor, m.offset, m.detail = 0, 0, false
	m.rows = vt.Waterfall(r.Node, m.collapsed)
	m.clampWaterfall()
}

func (m *Model) updateWaterfall(km tea.KeyMsg) {
	k := m.ctx.Keys
	switch {
	case key.Matches(km, k.Back):
		if m.detail {
			m.detail = false
		} else {
			m.mode = modeList
		}
		return
	case key.Matches(km, k.Enter):
		m.detail = !m.detail
	case key.Matches(km, k.Up):
		m.cursor--
	case key.Matches(km, k.Down):
		m.cursor++
	case key.Matches(km, k.PageUp):
		m.cursor -= m.treeHeight()
	case key.Matches(km, k.PageDown):
		m.cursor += m.treeHeight()
	case key.Matches(km, k.Home):
		m.cursor = 0
	case key.Matches(km, k.End):
		m.cursor = len(m.rows) - 1
	case key.Matches(km, m.collapseKey), key.Matches(km, m.expandKey):
		if len(m.rows) > 0 {
			n := m.rows[m.cursor].Node
			collapse := key.Matches(km, m.collapseKey)
			if collapse && (len(n.Children) == 0 || m.collapsed[n]) && n.Parent != nil && n != m.req.Node {
				// On a leaf or a folded node, ← goes to and folds the parent.
				n = n.Parent
			}
			m.collapsed[n] = collapse
			m.rows = vt.Waterfall(m.req.Node, m.collapsed)
			for i, r := range m.rows {
				if r.Node == n {
					m.cursor = i
				}
			}
		}
	}
	m.clampWaterfall()
}

// detailLines is how many lines the attribute panel takes.
const detailLines = 8

func (m *Model) treeHeight() int {
	h := m.height - 3 // title, axis, bottom hint
	if m.detail {
		h -= detailLines
	}
	return max(h, 1)
}

func (m *Model) clampWaterfall() {
	m.cursor = min(max(m.cursor, 0), max(len(m.rows)-1, 0))
	h := m.treeHeight()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = max(min(m.offset, len(m.rows)-h), 0)
}

// View draws the pane.
func (m *Model) View() string {
	switch m.mode {
	case modeWaterfall:
		return m.waterfallView()
	case modeGoroutines:
		st := m.ctx.Styles
		head := fmt.Sprintf("%d goroutines from Go traces · most blocked first · b blocking profiles · esc back", len(m.goroutines))
		return st.Title.Render(common.Fit(head, m.width)) + "\n" + m.gtable.View()
	}
	return m.listView()
}

func (m *Model) listView() string {
	st := m.ctx.Styles
	var b strings.Builder
	if len(m.all) == 0 {
		b.WriteString(st.Title.Render(common.Fit("No spans loaded", m.width)) + "\n")
		b.WriteString(st.Dim.Render(common.Fit("Load OTLP/Zipkin/Jaeger JSON, Chrome trace events or a Go execution trace.", m.width)))
		if len(m.goroutines) > 0 {
			b.WriteString("\n" + st.Dim.Render(common.Fit(fmt.Sprintf("%d goroutines from Go traces: o lists them, b opens the blocking profiles", len(m.goroutines)), m.width)))
		}
		return b.String()
	}
	head := fmt.Sprintf("%d requests · sort: %s (s)", len(m.reqs), sortNames[m.sortBy])
	if len(m.goroutines) > 0 {
		head += fmt.Sprintf(" · %d goroutines (o) · blocking (b)", len(m.goroutines))
	}
	b.WriteString(st.Title.Render(common.Fit(head, m.width)) + "\n")
	b.WriteString(m.list.View() + "\n")
	switch {
	case m.filtering:
		b.WriteString(common.Fit("route filter: "+termsafe.String(m.filter)+"▏ (enter to keep, esc to clear)", m.width))
	case m.filter != "":
		b.WriteString(st.Dim.Render(common.Fit("route filter: "+termsafe.String(m.filter)+" · / to change · esc to clear · enter: waterfall", m.width)))
	default:
		b.WriteString(st.Dim.Render(common.Fit("enter: waterfall · / filter by route · s sort", m.width)))
	}
	return b.String()
}

// Waterfall layout: name column, duration column, bar area.
func (m *Model) columns() (nameW, durW, barW int) {
	durW = 8
	nameW = max(min(m.width*2/5, 48), 16)
	barW = max(m.width-nameW-durW-2, 10)
	return
}

func (m *Model) waterfallView() string {
	st := m.ctx.Styles
	r := m.req
	var b strings.Builder
	head := fmt.Sprintf("%s · %s · %d statements (%s) · %d calls · %d conns · esc back",
		termsafe.String(r.Route), dur(r.Duration), r.DBCount, dur(r.DBTime), r.Outbound, r.ConnSetups)
	b.WriteString(st.Title.Render(common.Fit(head, m.width)) + "\n")
	nameW, durW, barW := m.columns()
	total := r.Duration
	for _, row := range m.rows {
		total = max(total, row.Offset+row.Duration)
	}
	axis := axisLine(total, barW)
	b.WriteString(st.Dim.Render(pad("span", nameW)+" "+padLeft("dur", durW)+" "+axis) + "\n")
	h := m.treeHeight()
	end := min(m.offset+h, len(m.rows))
	for i := m.offset; i < end; i++ {
		row := m.rows[i]
		sp := row.Node.Span
		marker := "  "
		if len(row.Node.Children) > 0 {
			marker = "▾ "
			if row.Collapsed {
				marker = "▸ "
			}
		}
		indent := strings.Repeat(" ", min(row.Depth, nameW/3))
		name := indent + marker + termsafe.String(label(sp))
		line := pad(name, nameW) + " " + padLeft(dur(row.Duration), durW) + " " + bar(row.Offset, row.Duration, total, barW)
		if i == m.cursor {
			line = st.SelectLine(line)
		} else if sp.Category == parse.CatDB {
			line = st.Bar.Render(line)
		}
		b.WriteString(line + "\n")
	}
	for i := end - m.offset; i < h; i++ {
		b.WriteString("\n")
	}
	if m.detail && len(m.rows) > 0 {
		b.WriteString(m.detailView(m.rows[m.cursor].Node.Span))
	}
	b.WriteString(st.Dim.Render(common.Fit(fmt.Sprintf("span %d/%d · enter attributes · ←/→ fold · esc back", m.cursor+1, len(m.rows)), m.width)))
	return b.String()
}

// label names a span in the tree: category tag for the interesting ones,
// the statement for DB spans.
func label(sp *parse.Span) string {
	switch sp.Category {
	case parse.CatDB:
		if sp.DBStatement != "" {
			return "db " + oneLine(sp.DBStatement)
		}
	case parse.CatHTTPClient:
		if sp.HTTPURL != "" {
			return "→ " + sp.HTTPMethod + " " + sp.HTTPURL
		}
	case parse.CatConnect, parse.CatDNS, parse.CatTLS:
		return string(sp.Category) + " " + sp.Name
	}
	return sp.Name
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (m *Model) detailView(sp *parse.Span) string {
	st := m.ctx.Styles
	lines := []string{st.Header.Render(common.Fit(fmt.Sprintf("%s · %s · %s · %s", termsafe.String(sp.Name), sp.Category, sp.Kind, termsafe.String(sp.Service)), m.width))}
	var facts []string
	add := func(k, v string) {
		if v != "" && v != "0" {
			facts = append(facts, k+"="+v)
		}
	}
	add("status", sp.Status)
	add("thread", sp.Thread)
	add("db.system", sp.DBSystem)
	add("route", sp.HTTPRoute)
	add("http.status", fmt.Sprint(sp.HTTPStatus))
	add("server", sp.ServerAddr)
	if sp.CodeFunc != "" || sp.CodeFile != "" {
		add("code", strings.TrimSpace(fmt.Sprintf("%s %s:%d", sp.CodeFunc, sp.CodeFile, sp.CodeLine)))
	}
	if sp.ConnReused != nil {
		add("conn.reused", fmt.Sprint(*sp.ConnReused))
	}
	lines = append(lines, common.Fit(termsafe.String(strings.Join(facts, " · ")), m.width))
	if sp.DBStatement != "" {
		lines = append(lines, common.Fit("statement: "+termsafe.String(oneLine(sp.DBStatement)), m.width))
	}
	keys := make([]string, 0, len(sp.Attrs))
	for k := range sp.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lines = append(lines, st.Dim.Render(common.Fit("  "+termsafe.String(k)+" = "+termsafe.String(oneLine(sp.Attrs[k])), m.width)))
	}
	if len(lines) > detailLines {
		lines = lines[:detailLines]
	}
	for len(lines) < detailLines {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n") + "\n"
}

// axisLine labels the time axis: 0 at the left, the total at the right,
// the midpoint between.
func axisLine(total time.Duration, w int) string {
	left, mid, right := "0", dur(total/2), dur(total)
	line := []rune(strings.Repeat("─", w))
	put := func(s string, at int) {
		rs := []rune(s)
		at = max(min(at, w-len(rs)), 0)
		for i, r := range rs {
			if at+i < w {
				line[at+i] = r
			}
		}
	}
	put(left, 0)
	if w >= 24 {
		put(mid, w/2-len(mid)/2)
	}
	put(right, w-len(right))
	return string(line)
}

// bar draws [offset, offset+d] of total on w cells, at least one cell.
func bar(offset, d, total time.Duration, w int) string {
	if total <= 0 {
		total = 1
	}
	start := int(float64(offset) / float64(total) * float64(w))
	n := int(float64(d)/float64(total)*float64(w) + 0.5)
	start = min(max(start, 0), w-1)
	n = min(max(n, 1), w-start)
	return strings.Repeat(" ", start) + strings.Repeat("█", n) + strings.Repeat(" ", w-start-n)
}

func pad(s string, w int) string {
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", max(w-ansi.StringWidth(s), 0))
}

func padLeft(s string, w int) string {
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return strings.Repeat(" ", max(w-ansi.StringWidth(s), 0)) + s
}
