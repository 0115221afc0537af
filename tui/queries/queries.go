// Package queries is the Queries pane: the SQL query digest as a sortable,
// filterable table of fingerprints; enter opens one fingerprint with its
// statistics, latency histogram, example statements with their parameters,
// sessions and tags.
package queries

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hotpath/tui/common"
	"hotpath/tui/components/table"
	"hotpath/views"
	"hotpath/views/querydigest"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// Title is the pane's name in the pane bar.
const Title = "Queries"

type sortKey int

const (
	byTotal sortKey = iota
	byCount
	byMean
	byP95
	byMax
	nSortKeys
)

var sortNames = [...]string{"total", "count", "mean", "p95", "max"}

// Model is the Queries pane.
type Model struct {
	ctx    *common.Context
	d      *querydigest.Digest
	rows   []querydigest.Query // filtered, in table order
	sort   sortKey
	table  table.Model
	width  int
	height int

	filter    string
	filtering bool

	detail bool
	sel    querydigest.Query
	lines  []string // detail text, one terminal line each
	scroll int
}

// New returns the pane.
func New(ctx *common.Context) *Model {
	cols := []table.Column{
		{Title: "total", Width: 8, Right: true}, {Title: "share", Width: 6, Right: true},
		{Title: "count", Width: 7, Right: true}, {Title: "mean", Width: 8, Right: true},
		{Title: "p95", Width: 8, Right: true}, {Title: "max", Width: 8, Right: true},
		{Title: "fingerprint"},
	}
	return &Model{ctx: ctx, table: table.New(cols, ctx.Styles, ctx.Keys)}
}

var (
	sortBinding   = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "cycle sort (total…max)"))
	filterBinding = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter fingerprints"))
	enterBinding  = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open fingerprint"))
	connBinding   = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "connections and sessions"))
	backBinding   = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back / clear filter"))
)

func (m *Model) Title() string   { return Title }
func (m *Model) Init() tea.Cmd   { return nil }
func (m *Model) Capturing() bool { return m.filtering }
func (m *Model) KeyBindings() []key.Binding {
	return []key.Binding{enterBinding, backBinding, sortBinding, filterBinding, connBinding}
}

// SetSize lays the pane out: a title line, the table, a detail line.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.table.SetSize(w, max(h-2, 2))
	if m.detail && m.sel.ID == "connections" {
		m.openConnections()
	} else if m.detail {
		m.openDetail(m.sel)
	}
}

// SetViews takes a fresh digest, keeping the selection and the open detail.
func (m *Model) SetViews(v *views.Views) {
	if v == nil {
		return
	}
	m.d = v.Queries
	m.fill()
	if m.detail && m.d != nil {
		if m.sel.ID == "connections" {
			m.openConnections()
		} else if q, ok := m.d.Find(m.sel.ID); ok {
			m.openDetail(q)
		}
	}
}

// Selected is the query under the cursor.
func (m *Model) Selected() (querydigest.Query, bool) {
	if len(m.rows) == 0 {
		return querydigest.Query{}, false
	}
	return m.rows[m.table.Cursor()], true
}

// Rows are the queries in table order (after filter and sort).
func (m *Model) Rows() []querydigest.Query { return m.rows }

// Detail reports the fingerprint open in the detail view.
func (m *Model) Detail() (querydigest.Query, bool) { return m.sel, m.detail }

func (m *Model) less(a, b *querydigest.Query) bool {
	switch m.sort {
	case byCount:
		if a.Count != b.Count {
			return a.Count > b.Count
		}
	case byMean:
		if a.Mean != b.Mean {
			return a.Mean > b.Mean
		}
	case byP95:
		if a.P95 != b.P95 {
			return a.P95 > b.P95
		}
	case byMax:
		if a.Max != b.Max {
			return a.Max > b.Max
		}
	}
	if a.Total != b.Total {
		return a.Total > b.Total
	}
	if a.Count != b.Count {
		return a.Count > b.Count
	}
	return a.ID < b.ID
}

// fill rebuilds the rows from the digest, the filter and the sort order.
func (m *Model) fill() {
	prev, hadPrev := m.Selected()
	m.rows = m.rows[:0]
	if m.d != nil {
		f := strings.ToLower(m.filter)
		for _, q := range m.d.Queries {
			if f == "" || strings.Contains(q.Fingerprint, f) || strings.HasPrefix(q.ID, f) {
				m.rows = append(m.rows, q)
			}
		}
		sort.SliceStable(m.rows, func(i, j int) bool { return m.less(&m.rows[i], &m.rows[j]) })
	}
	rows := make([][]string, len(m.rows))
	for i, q := range m.rows {
		rows[i] = []string{timed(q, q.Total), m.share(q), fmt.Sprint(q.Count), timed(q, q.Mean),
			timed(q, q.P95), timed(q, q.Max), oneLine(q.Fingerprint)}
	}
	m.table.SetRows(rows)
	if hadPrev {
		for i, q := range m.rows {
			if q.ID == prev.ID {
				m.table.SetCursor(i)
				break
			}
		}
	}
}

func (m *Model) share(q querydigest.Query) string {
	if m.d == nil || m.d.TotalTime <= 0 || q.Timed == 0 {
		return "-"
	}
	return units.Share(float64(q.Total) / float64(m.d.TotalTime))
}

func timed(q querydigest.Query, d time.Duration) string {
	if q.Timed == 0 {
		return "-"
	}
	return units.Duration(d)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Update handles keys and Open requests.
func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	// Anchors in other panes: common.Navigate{Pane: Title, Msg: common.ShowQuery{…}}.
	if o, ok := msg.(common.ShowQuery); ok {
		m.filter, m.filtering = "", false
		m.fill()
		for i, q := range m.rows {
			if o.ID != "" && q.ID == o.ID || o.ID == "" && q.Fingerprint == o.Fingerprint {
				m.table.SetCursor(i)
				m.openDetail(q)
				break
			}
		}
		return m, nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	if m.filtering {
		switch km.Type {
		case tea.KeyCtrlC: // the pane has the keyboard, but ctrl+c still quits
			m.filtering = false
			return m, tea.Quit
		case tea.KeyEnter:
			m.filtering = false
		case tea.KeyEsc:
			m.filtering, m.filter = false, ""
			m.fill()
		case tea.KeyBackspace:
			if r := []rune(m.filter); len(r) > 0 {
				m.filter = string(r[:len(r)-1])
				m.fill()
			}
		case tea.KeyRunes, tea.KeySpace:
			m.filter += string(km.Runes)
			if km.Type == tea.KeySpace {
				m.filter += " "
			}
			m.fill()
		}
		return m, nil
	}
	if m.craftKey(km) {
		return m, nil
	}
	if m.detail {
		switch {
		case key.Matches(km, backBinding), key.Matches(km, m.ctx.Keys.Back):
			m.detail = false
		case key.Matches(km, m.ctx.Keys.Up):
			m.scroll--
		case key.Matches(km, m.ctx.Keys.Down):
			m.scroll++
		case key.Matches(km, m.ctx.Keys.PageUp):
			m.scroll -= m.height - 2
		case key.Matches(km, m.ctx.Keys.PageDown):
			m.scroll += m.height - 2
		case key.Matches(km, m.ctx.Keys.Home):
			m.scroll = 0
		case key.Matches(km, m.ctx.Keys.End):
			m.scroll = len(m.lines)
		}
		m.clampScroll()
		return m, nil
	}
	switch {
	case key.Matches(km, filterBinding):
		m.filtering = true
	case key.Matches(km, backBinding) && m.filter != "":
		m.filter = ""
		m.fill()
	case key.Matches(km, sortBinding):
		m.sort = (m.sort + 1) % nSortKeys
		m.fill()
	case key.Matches(km, enterBinding):
		if q, ok := m.Selected(); ok {
			m.openDetail(q)
		}
	case key.Matches(km, connBinding):
		m.openConnections()
	default:
		m.table.Update(msg)
	}
	return m, nil
}

// openConnections shows the connection and session statistics in the
// detail view.
func (m *Model) openConnections() {
	if m.d == nil {
		return
	}
	m.detail, m.sel, m.scroll = true, querydigest.Query{ID: "connections"}, 0
	st := m.ctx.Styles
	w := max(m.width, 20)
	c := m.d.Connections
	var l []string
	add := func(s string) { l = append(l, common.Fit(s, w)) }
	l = append(l, st.Header.Render(common.Fit("connections and sessions", w)))
	add(fmt.Sprintf("received %d · opened %d · closed %d · pool checkouts reused %d", c.Received, c.Opened, c.Closed, c.Reused))
	if c.SessionsTimed > 0 {
		add(fmt.Sprintf("session length: mean %s · p50 %s · p95 %s · max %s (%d sessions)", units.Duration(c.MeanSession),
			units.Duration(c.P50Session), units.Duration(c.P95Session), units.Duration(c.MaxSession), c.SessionsTimed))
	}
	if c.Sessions > 0 {
		add(fmt.Sprintf("statements per session: mean %.1f · p50 %d · p95 %d · max %d (%d sessions)", c.StatementsPerSession,
			c.P50Statements, c.P95Statements, c.MaxStatements, c.Sessions))
	}
	if c.SessionsTimed > 0 {
		l = append(l, "")
		l = append(l, st.Header.Render(common.Fit("session length", w)))
		l = append(l, m.bars(c.SessionHistogram, w)...)
	}
	if c.Untracked > 0 {
		add(fmt.Sprintf("%d statements of sessions past the tracking limit", c.Untracked))
	}
	m.lines = l
	m.clampScroll()
}

// bars draws a histogram, one bar per bucket.
func (m *Model) bars(h []querydigest.Bucket, w int) []string {
	var peak int64
	for _, b := range h {
		peak = max(peak, b.Count)
	}
	barW := max(w-24, 10)
	var out []string
	for _, b := range h {
		label := "> 10 s"
		if b.UpperMs < 1e12 {
			label = "≤ " + units.Duration(time.Duration(b.UpperMs*1e6))
		}
		n := 0
		if peak > 0 {
			n = int(float64(barW) * float64(b.Count) / float64(peak))
		}
		if b.Count > 0 && n == 0 {
			n = 1
		}
		out = append(out, fmt.Sprintf("%9s %8d ", label, b.Count)+m.ctx.Styles.Bar.Render(strings.Repeat("█", n)))
	}
	return out
}

func (m *Model) clampScroll() {
	m.scroll = min(m.scroll, max(len(m.lines)-(m.height-2), 0))
	m.scroll = max(m.scroll, 0)
}

// openDetail lays out one fingerprint's detail as lines.
func (m *Model) openDetail(q querydigest.Query) {
	if !m.detail || m.sel.ID != q.ID {
		m.scroll = 0
	}
	m.detail, m.sel = true, q
	st := m.ctx.Styles
	w := max(m.width, 20)
	var l []string
	add := func(s string) { l = append(l, common.Fit(s, w)) }
	head := func(s string) { l = append(l, st.Header.Render(common.Fit(s, w))) }
	wrap := func(s, indent string) {
		for _, line := range strings.Split(termsafe.Block(s), "\n") {
			for _, part := range wrapLine(line, w-len(indent)) {
				l = append(l, indent+part)
			}
		}
	}
	head("fingerprint " + q.ID)
	wrap(q.Fingerprint, "  ")
	l = append(l, "")
	if q.Timed > 0 {
		add(fmt.Sprintf("count %d · total %s (%s) · mean %s · p50 %s · p95 %s · p99 %s · max %s",
			q.Count, units.Duration(q.Total), m.share(q), units.Duration(q.Mean), units.Duration(q.P50),
			units.Duration(q.P95), units.Duration(q.P99), units.Duration(q.Max)))
	} else {
		add(fmt.Sprintf("count %d · no durations in this log (the MySQL general log and SQLAlchemy echo do not time statements)", q.Count))
	}
	info := fmt.Sprintf("distinct parameter sets %d · sessions %d", q.DistinctParams, q.Sessions)
	if q.RowsKnown {
		info += fmt.Sprintf(" · rows %d", q.Rows)
	}
	if q.Prepare > 0 {
		info += " · parse/bind " + units.Duration(q.Prepare)
	}
	add(info)
	if !q.First.IsZero() {
		add(fmt.Sprintf("seen %s → %s · from %s", q.First.Format("2006-01-02 15:04:05.000"), q.Last.Format("15:04:05.000"), strings.Join(q.Formats, ", ")))
	}
	if q.Truncated > 0 {
		l = append(l, st.Warning.Render(common.Fit(fmt.Sprintf("%d statements were longer than the kept 64 KiB", q.Truncated), w)))
	}
	if q.Timed > 0 {
		l = append(l, "")
		head("latency")
		l = append(l, m.bars(q.Histogram, w)...)
	}
	example := func(title string, ex querydigest.Example) {
		if ex.Text == "" {
			return
		}
		l = append(l, "")
		h := title
		if ex.Duration > 0 {
			h += " · " + units.Duration(ex.Duration)
		}
		if ex.Session != "" {
			h += " · session " + termsafe.String(ex.Session)
		}
		if !ex.Start.IsZero() {
			h += " · " + ex.Start.Format("15:04:05.000")
		}
		if ex.Source != "" {
			h += fmt.Sprintf(" · %s:%d", termsafe.String(ex.Source), ex.Line)
		}
		head(h)
		wrap(ex.Text, "  ")
		if ex.Truncated {
			add("  … (cut)")
		}
		for i, p := range ex.Params {
			wrap(fmt.Sprintf("$%d = %s", i+1, p), "  ")
		}
	}
	example("slowest", q.Slowest)
	if q.Typical.Text != "" && (q.Typical.Text != q.Slowest.Text || q.Typical.Duration != q.Slowest.Duration) {
		example("typical", q.Typical)
	}
	if len(q.Tags) > 0 {
		l = append(l, "")
		head("tags (sqlcommenter / marginalia)")
		for _, t := range q.Tags {
			add(fmt.Sprintf("  %s = %s  (%d)", termsafe.String(t.Key), termsafe.String(t.Value), t.Count))
		}
	}
	m.lines = l
	m.clampScroll()
}

// wrapLine cuts s into pieces of at most w runes.
func wrapLine(s string, w int) []string {
	if w < 8 {
		w = 8
	}
	r := []rune(s)
	if len(r) <= w {
		return []string{s}
	}
	var out []string
	for len(r) > w {
		cut := w
		for i := w; i > w/2; i-- {
			if r[i] == ' ' || r[i] == ',' {
				cut = i + 1
				break
			}
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
	}
	return append(out, string(r))
}

// View draws the pane.
func (m *Model) View() string {
	st := m.ctx.Styles
	if m.d == nil {
		return st.Dim.Render(common.Fit("No SQL log loaded yet.", m.width)) + "\n" +
			st.Dim.Render(common.Fit("hotpath reads PostgreSQL stderr/csvlog/jsonlog, MySQL/MariaDB slow and general logs,", m.width)) + "\n" +
			st.Dim.Render(common.Fit("SQLAlchemy echo, Django and Rails debug logs.", m.width))
	}
	if m.detail {
		h := max(m.height-1, 1)
		end := min(m.scroll+h, len(m.lines))
		var b strings.Builder
		for _, line := range m.lines[m.scroll:end] {
			b.WriteString(line + "\n")
		}
		for i := end - m.scroll; i < h; i++ {
			b.WriteByte('\n')
		}
		b.WriteString(st.Dim.Render(common.Fit(fmt.Sprintf("lines %d–%d of %d · ↑/↓ scroll · esc back", m.scroll+1, end, len(m.lines)), m.width)))
		return b.String()
	}
	var b strings.Builder
	c := m.d.Connections
	head := fmt.Sprintf("%d statements · %d fingerprints · %s · sorted by %s", m.d.Statements, m.d.Fingerprints,
		units.Duration(m.d.TotalTime), sortNames[m.sort])
	if c.Opened > 0 || c.Closed > 0 {
		head += fmt.Sprintf(" · %d connections", c.Opened)
		if c.SessionsTimed > 0 {
			head += fmt.Sprintf(", %s/session", units.Duration(c.MeanSession))
		}
	}
	b.WriteString(st.Title.Render(common.Fit(head, m.width)) + "\n")
	b.WriteString(m.table.View() + "\n")
	switch {
	case m.filtering:
		b.WriteString(common.Fit("/"+termsafe.String(m.filter)+"█", m.width))
	case m.filter != "":
		b.WriteString(st.Dim.Render(common.Fit(fmt.Sprintf("filter %q · %d of %d · esc clears", termsafe.String(m.filter), len(m.rows), len(m.d.Queries)), m.width)))
	default:
		detail := ""
		if q, ok := m.Selected(); ok {
			detail = fmt.Sprintf("%s · %d param sets · %d sessions · enter examples · c connections", q.ID, q.DistinctParams, q.Sessions)
		}
		b.WriteString(st.Dim.Render(common.Fit(detail, m.width)))
	}
	return b.String()
}
