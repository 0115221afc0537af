// Package flame draws laid-out flame frames (views.FlameLayout computes
// where they go) as rows of cell blocks, with a cursor that moves between
// frames: left/right to the neighbouring frame of the row, up/down to the
// frame above/below. It draws only the rows in view and knows nothing of
// values: the pane says what a frame means.
package flame

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"hotpath/tui/keys"
	"hotpath/tui/theme"
	"hotpath/views"
	"hotpath/views/termsafe"
)

// Model is a flame canvas.
type Model struct {
	rows     [][]views.FlameFrame
	row, idx int // cursor
	top      int // first row in view
	width    int
	height   int
	styles   *theme.Styles
	keys     *keys.KeyMap
	match    func(name string) bool
	// cache of drawn rows, dropped when anything they show changes
	cache []string
}

// New returns an empty canvas.
func New(st *theme.Styles, km *keys.KeyMap) Model { return Model{styles: st, keys: km} }

// SetSize sets the canvas size in cells.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, max(h, 1)
	m.scroll()
	m.cache = nil
}

// SetRows replaces the frames (laid out for the canvas width) and puts the
// cursor on frame idx of row.
func (m *Model) SetRows(rows [][]views.FlameFrame, row, idx int) {
	m.rows = rows
	m.cache = nil
	m.Select(row, idx)
}

// Rows are the frames drawn, top to bottom.
func (m *Model) Rows() [][]views.FlameFrame { return m.rows }

// SetMatch sets which frames are highlighted as search matches (nil: none).
func (m *Model) SetMatch(f func(name string) bool) { m.match = f; m.cache = nil }

// Select puts the cursor on frame idx of row, clamped.
func (m *Model) Select(row, idx int) {
	if len(m.rows) == 0 {
		m.row, m.idx = 0, 0
		return
	}
	row = min(max(row, 0), len(m.rows)-1)
	idx = min(max(idx, 0), len(m.rows[row])-1)
	m.invalidate(m.row)
	m.row, m.idx = row, idx
	m.invalidate(m.row)
	m.scroll()
}

func (m *Model) invalidate(row int) {
	if row >= 0 && row < len(m.cache) {
		m.cache[row] = ""
	}
}

// Cursor is the selected row and index in it.
func (m *Model) Cursor() (row, idx int) { return m.row, m.idx }

// Selected is the frame under the cursor.
func (m *Model) Selected() (views.FlameFrame, bool) {
	if m.row >= len(m.rows) || m.idx >= len(m.rows[m.row]) {
		return views.FlameFrame{}, false
	}
	return m.rows[m.row][m.idx], true
}

func (m *Model) scroll() {
	if m.row < m.top {
		m.top = m.row
	}
	if m.row >= m.top+m.height {
		m.top = m.row - m.height + 1
	}
	if maxTop := max(len(m.rows)-m.height, 0); m.top > maxTop {
		m.top = maxTop
	}
	m.top = max(m.top, 0)
}

// Update moves the cursor on navigation keys; it reports whether it used msg.
func (m *Model) Update(msg tea.KeyMsg) bool {
	f, ok := m.Selected()
	if !ok {
		return false
	}
	switch {
	case key.Matches(msg, m.keys.Left):
		m.Select(m.row, m.idx-1)
	case key.Matches(msg, m.keys.Right):
		m.Select(m.row, m.idx+1)
	case key.Matches(msg, m.keys.Up):
		m.vertical(m.row-1, f)
	case key.Matches(msg, m.keys.Down):
		m.vertical(m.row+1, f)
	case key.Matches(msg, m.keys.Home):
		m.Select(0, 0)
	case key.Matches(msg, m.keys.PageUp):
		m.vertical(m.row-m.height, f)
	case key.Matches(msg, m.keys.PageDown):
		m.vertical(m.row+m.height, f)
	default:
		return false
	}
	return true
}

// vertical moves to the frame of row r that overlaps frame f — its parent
// going up an icicle, its first (largest) callee going down — staying put
// when none does.
func (m *Model) vertical(r int, f views.FlameFrame) {
	r = min(max(r, 0), len(m.rows)-1)
	if r == m.row {
		return
	}
	i := views.FlameFrameAt(m.rows[r], f.X)
	if i < 0 {
		return
	}
	g := m.rows[r][i]
	if g.X >= f.X+f.W || g.X+g.W <= f.X {
		return
	}
	m.Select(r, i)
}

// Click selects the frame at cell x of line y of the canvas; it reports
// whether there was one.
func (m *Model) Click(x, y int) bool {
	r := m.top + y
	if y < 0 || y >= m.height || r >= len(m.rows) {
		return false
	}
	i := views.FlameFrameAt(m.rows[r], x)
	if i < 0 || m.rows[r][i].X > x || m.rows[r][i].X+m.rows[r][i].W <= x {
		return false
	}
	m.Select(r, i)
	return true
}

// Scroll moves the view by n rows (mouse wheel), dragging the cursor along
// when it would leave the view.
func (m *Model) Scroll(n int) {
	if len(m.rows) == 0 {
		return
	}
	f, _ := m.Selected()
	m.top = min(max(m.top+n, 0), max(len(m.rows)-m.height, 0))
	if m.row < m.top {
		m.vertical(m.top, f)
	} else if m.row >= m.top+m.height {
		m.vertical(m.top+m.height-1, f)
	}
	m.cache = nil
}

// Matches lists the (row, index) of every frame matching the search, in
// reading order, for n/N.
func (m *Model) Matches() [][2]int {
	if m.match == nil {
		return nil
	}
	var out [][2]int
	for r, row := range m.rows {
		for i, f := range row {
			if m.match(f.Node.Func.Name) {
				out = append(out, [2]int{r, i})
			}
		}
	}
	return out
}

// View draws the rows in view, each exactly width cells, padded with empty
// lines to the canvas height.
func (m *Model) View() string {
	if len(m.cache) != len(m.rows) {
		m.cache = make([]string, len(m.rows))
	}
	lines := make([]string, 0, m.height)
	for r := m.top; r < len(m.rows) && len(lines) < m.height; r++ {
		if m.cache[r] == "" {
			m.cache[r] = m.drawRow(r)
		}
		lines = append(lines, m.cache[r])
	}
	for len(lines) < m.height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) drawRow(r int) string {
	var b strings.Builder
	x := 0
	for i, f := range m.rows[r] {
		if f.X > x {
			b.WriteString(strings.Repeat(" ", f.X-x))
		}
		selected := r == m.row && i == m.idx
		matched := m.match != nil && m.match(f.Node.Func.Name)
		b.WriteString(m.drawFrame(f, selected, matched))
		x = f.X + f.W
	}
	if x < m.width {
		b.WriteString(strings.Repeat(" ", m.width-x))
	}
	return b.String()
}

// drawFrame draws one frame in exactly f.W cells. With colours a frame is a
// coloured block with its name and a one-cell gap to its right neighbour; on
// a dumb terminal ("plain") it is "│name" (">name" selected, "*name" a
// match) so that frames, the cursor and matches stay visible.
func (m *Model) drawFrame(f views.FlameFrame, selected, matched bool) string {
	st := m.styles
	name := termsafe.String(f.Node.Func.Name)
	w := f.W
	if st.Plain {
		lead := "│"
		switch {
		case selected:
			lead = ">"
		case matched:
			lead = "*"
		}
		if w < 4 {
			return lead + strings.Repeat(" ", w-1)
		}
		return lead + fitCells(name, w-1)
	}
	gap := ""
	if w >= 3 {
		gap, w = " ", w-1
	}
	label := strings.Repeat(" ", w)
	if w >= 3 { // a label of one letter and an ellipsis says nothing
		label = fitCells(name, w)
	}
	style := st.Flame(f.Node.Func.Name)
	switch {
	case selected:
		style = st.FlameSelected
	case matched:
		style = st.Match
	}
	if st.Colorless && !selected && !matched && w >= 2 {
		// attributes only: a bar starts each frame so they stay apart
		if w >= 4 {
			label = "▏" + fitCells(name, w-1)
		} else {
			label = "▏" + strings.Repeat(" ", w-1)
		}
	}
	return style.Render(label) + gap
}

// fitCells pads or cuts s (already sanitised) to exactly w cells.
func fitCells(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		if w == 1 {
			s = ansi.Truncate(s, 1, "")
		} else {
			s = ansi.Truncate(s, w, "…")
		}
	}
	if pad := w - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}
