// Package table is a scrolling, selectable table that draws only the rows
// in view (a profile can have 100k functions), sanitises every cell and
// keeps columns aligned whatever the text's width.
package table

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"hotpath/tui/keys"
	"hotpath/tui/theme"
	"hotpath/views/termsafe"
)

// Column is one column; Width 0 means "take the remaining width".
type Column struct {
	Title string
	Width int
	Right bool // right-align (numbers)
}

// Model is the table state.
type Model struct {
	Columns []Column
	rows    [][]string
	n       int                  // number of rows
	rowFunc func(i int) []string // lazy rows (SetRowFunc), or nil
	cursor  int
	offset  int
	width   int
	height  int // rows of data shown (header excluded)
	styles  *theme.Styles
	keys    *keys.KeyMap
}

// New returns an empty table.
func New(cols []Column, st *theme.Styles, km *keys.KeyMap) Model {
	return Model{Columns: cols, styles: st, keys: km}
}

// SetRows replaces the rows, keeping the cursor in range.
func (m *Model) SetRows(rows [][]string) {
	m.rows, m.n, m.rowFunc = rows, len(rows), nil
	m.clamp()
}

// SetRowFunc replaces the rows with n rows that row(i) formats when drawn:
// a table of 100k rows formats only the few in view.
func (m *Model) SetRowFunc(n int, row func(i int) []string) {
	m.rows, m.n, m.rowFunc = nil, n, row
	m.clamp()
}

// Len is the number of rows.
func (m *Model) Len() int { return m.n }

// Row returns row i's cells.
func (m *Model) Row(i int) []string {
	if m.rowFunc != nil {
		return m.rowFunc(i)
	}
	return m.rows[i]
}

// Rows returns the rows (formatting them all when they are lazy).
func (m *Model) Rows() [][]string {
	if m.rowFunc == nil {
		return m.rows
	}
	out := make([][]string, m.n)
	for i := range out {
		out[i] = m.rowFunc(i)
	}
	return out
}

// SetSize sets the table's outer size; one line goes to the header.
func (m *Model) SetSize(w, h int) {
	m.width = w
	m.height = max(h-1, 1)
	m.clamp()
}

// Cursor is the selected row index (0 when empty).
func (m *Model) Cursor() int { return m.cursor }

// SetCursor selects row i.
func (m *Model) SetCursor(i int) { m.cursor = i; m.clamp() }

func (m *Model) clamp() {
	if m.cursor >= m.n {
		m.cursor = m.n - 1
	}
	if m.cursor < 0 {
		m.cursor = 0
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.height > 0 && m.cursor >= m.offset+m.height {
		m.offset = m.cursor - m.height + 1
	}
	if maxOff := max(m.n-m.height, 0); m.offset > maxOff {
		m.offset = maxOff
	}
}

// Offset is the index of the first row in view.
func (m *Model) Offset() int { return m.offset }

// Height is how many data rows are in view.
func (m *Model) Height() int { return m.height }

// wheelStep is how many rows one wheel notch scrolls.
const wheelStep = 3

// Mouse handles a mouse event at line y of the table (0 is the header): a
// left click selects the row under it, the wheel scrolls. It reports
// whether it used msg.
func (m *Model) Mouse(msg tea.MouseMsg, y int) bool {
	switch {
	case msg.Button == tea.MouseButtonWheelUp:
		m.cursor -= wheelStep
	case msg.Button == tea.MouseButtonWheelDown:
		m.cursor += wheelStep
	case msg.Button == tea.MouseButtonLeft && msg.Action == tea.MouseActionPress:
		r := m.offset + y - 1
		if y < 1 || y > m.height || r >= m.n {
			return false
		}
		m.cursor = r
	default:
		return false
	}
	m.clamp()
	return true
}

// Update moves the cursor on navigation keys; it reports whether it used msg.
func (m *Model) Update(msg tea.Msg) bool {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return false
	}
	switch {
	case key.Matches(km, m.keys.Up):
		m.cursor--
	case key.Matches(km, m.keys.Down):
		m.cursor++
	case key.Matches(km, m.keys.PageUp):
		m.cursor -= m.height
	case key.Matches(km, m.keys.PageDown):
		m.cursor += m.height
	case key.Matches(km, m.keys.Home):
		m.cursor = 0
	case key.Matches(km, m.keys.End):
		m.cursor = m.n - 1
	default:
		return false
	}
	m.clamp()
	return true
}

// View draws the header and the visible rows.
func (m *Model) View() string {
	widths := m.widths()
	var b strings.Builder
	cells := make([]string, len(m.Columns))
	for i, c := range m.Columns {
		cells[i] = fit(c.Title, widths[i], c.Right)
	}
	// Without any terminal attributes (TERM=dumb) a marker column shows
	// the selection, which reverse video shows otherwise.
	plain := m.styles.Plain
	marker := func(sel bool) string {
		switch {
		case !plain:
			return ""
		case sel:
			return "> "
		}
		return "  "
	}
	b.WriteString(marker(false) + m.styles.Header.Render(strings.Join(cells, " ")))
	end := min(m.offset+m.height, m.n)
	for r := m.offset; r < end; r++ {
		b.WriteByte('\n')
		row := m.Row(r)
		for i, c := range m.Columns {
			v := ""
			if i < len(row) {
				v = termsafe.String(row[i])
			}
			cells[i] = fit(v, widths[i], c.Right)
		}
		line := strings.Join(cells, " ")
		if r == m.cursor {
			line = m.styles.Selected.Render(line)
		}
		b.WriteString(marker(r == m.cursor) + line)
	}
	for r := end - m.offset; r < m.height; r++ {
		b.WriteByte('\n')
	}
	return b.String()
}

func (m *Model) widths() []int {
	w := make([]int, len(m.Columns))
	fixed, flex := 0, 0
	for i, c := range m.Columns {
		w[i] = c.Width
		fixed += c.Width
		if c.Width == 0 {
			flex++
		}
	}
	fixed += len(m.Columns) - 1 // separators
	if m.styles.Plain {
		fixed += 2 // selection marker
	}
	if flex > 0 {
		rest := max(m.width-fixed, 4)
		for i := range w {
			if w[i] == 0 {
				w[i] = rest / flex
			}
		}
	}
	return w
}

// fit pads or truncates s to exactly w cells (wide characters counted).
func fit(s string, w int, right bool) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	pad := strings.Repeat(" ", max(w-sw, 0))
	if right {
		return pad + s
	}
	return s + pad
}
