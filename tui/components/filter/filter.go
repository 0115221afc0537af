// Package filter is the search/filter line every pane shares: `/` opens it,
// typing narrows (or highlights) as you type, enter keeps the query and
// gives the keys back to the pane, esc clears it, n/N step through matches.
//
// A pane embeds a Model, calls Update first while Focused (Capturing), asks
// Match for each row or frame, and draws View on one line when Shown. It is
// deliberately small:
//
//	f := filter.New(ctx.Styles, ctx.Keys)
//	if f.Focused() { changed, cmd := f.Update(msg); … }
//	if key.Matches(msg, ctx.Keys.Filter) { return f.Focus() }
//	f.Match(name) · f.MatchFolded(name, lowered) · f.Query() · f.Shown() · f.Clear() · f.View(width, "3/12")
//	filter.Step(matches, cursor, +1)  // n / N
package filter

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"hotpath/tui/common"
	"hotpath/tui/keys"
	"hotpath/tui/theme"
	"hotpath/views/termsafe"
)

// Model is the filter line's state.
type Model struct {
	input  textinput.Model
	styles *theme.Styles
	keys   *keys.KeyMap
	query  string // applied query ("" = no filter)
	lower  bool   // match case-insensitively (query has no upper case)
}

// New returns a closed, empty filter.
func New(st *theme.Styles, km *keys.KeyMap) Model {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "search"
	in.CharLimit = 200
	in.PromptStyle = st.Title
	in.TextStyle = st.Renderer.NewStyle()
	in.PlaceholderStyle = st.Dim
	in.Cursor.Style = st.Renderer.NewStyle()
	in.Cursor.TextStyle = st.Renderer.NewStyle()
	in.Cursor.SetMode(cursor.CursorStatic) // no blinking: fewer bytes over SSH, stable tests
	return Model{input: in, styles: st, keys: km}
}

// Focus opens the filter for typing, starting from the current query.
func (m *Model) Focus() tea.Cmd {
	m.input.SetValue(m.query)
	m.input.CursorEnd()
	return m.input.Focus()
}

// Focused is true while the user types a query: the pane is capturing the
// keyboard.
func (m *Model) Focused() bool { return m.input.Focused() }

// Shown is true when the filter line is on screen (typing, or a query kept).
func (m *Model) Shown() bool { return m.Focused() || m.query != "" }

// Query is the query in force ("" when none).
func (m *Model) Query() string { return m.query }

// SetQuery sets the query (for links from other panes and tests).
func (m *Model) SetQuery(q string) {
	m.query = termsafe.String(q)
	m.lower = strings.IndexFunc(m.query, unicode.IsUpper) < 0
}

// Clear removes the query and closes the filter.
func (m *Model) Clear() {
	m.input.Blur()
	m.input.SetValue("")
	m.SetQuery("")
}

// Update handles a key while Focused: enter keeps the query, esc clears it,
// other keys edit it (live). It reports whether the query changed.
func (m *Model) Update(msg tea.Msg) (changed bool, cmd tea.Cmd) {
	if !m.Focused() {
		return false, nil
	}
	before := m.query
	if km, ok := msg.(tea.KeyMsg); ok {
		switch {
		case km.Type == tea.KeyEnter:
			m.input.Blur()
			return false, nil
		case km.Type == tea.KeyEsc:
			m.Clear()
			return before != "", nil
		case km.Type == tea.KeyBackspace && m.input.Value() == "":
			m.Clear()
			return before != "", nil
		}
	}
	m.input, cmd = m.input.Update(msg)
	if v := m.input.Value(); termsafe.String(v) != v {
		// typed or pasted escape sequences, bidi controls …: never drawn
		m.input.SetValue(termsafe.String(v))
		m.input.CursorEnd()
	}
	m.SetQuery(m.input.Value())
	return m.query != before, cmd
}

// Match reports whether s matches the query: a substring, case-insensitive
// unless the query has an upper-case letter (smart case, as in vim and
// lazygit). Everything matches an empty query.
func (m *Model) Match(s string) bool {
	if m.query == "" {
		return true
	}
	if m.lower {
		return containsFold(s, m.query)
	}
	return strings.Contains(s, m.query)
}

// MatchFolded is Match for a string whose lower-cased form the caller keeps
// (a pane filtering 100k names lower-cases them once, not per keystroke).
func (m *Model) MatchFolded(s, folded string) bool {
	switch {
	case m.query == "":
		return true
	case m.lower:
		return strings.Contains(folded, m.query)
	}
	return strings.Contains(s, m.query)
}

// containsFold is strings.Contains on lower-cased s, without allocating for
// ASCII.
func containsFold(s, sub string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), sub)
		}
	}
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// View draws the filter line in width cells; info (e.g. "3/12 matches") is
// shown after the query.
func (m *Model) View(width int, info string) string {
	var line string
	if m.Focused() {
		m.input.Width = max(width-len(info)-6, 8)
		line = m.input.View()
	} else {
		line = m.styles.Title.Render("/") + termsafe.String(m.query)
	}
	if info != "" {
		line += "  " + m.styles.Dim.Render(info)
	}
	if m.Focused() {
		line += m.styles.Dim.Render("  enter keep · esc clear")
	} else {
		line += m.styles.Dim.Render("  " + keys.First(m.keys.NextMatch) + "/" + keys.First(m.keys.PrevMatch) + " step · " + keys.Hint(m.keys.Back, "clear"))
	}
	return common.Fit(line, width)
}

// Step moves from cur to the next (dir > 0) or previous match in matches
// (sorted indexes), wrapping around; it returns cur when there is none.
func Step(matches []int, cur, dir int) int {
	if len(matches) == 0 {
		return cur
	}
	if dir > 0 {
		for _, i := range matches {
			if i > cur {
				return i
			}
		}
		return matches[0]
	}
	for j := len(matches) - 1; j >= 0; j-- {
		if matches[j] < cur {
			return matches[j]
		}
	}
	return matches[len(matches)-1]
}

// IsOpen reports whether msg is the key that opens the filter.
func IsOpen(msg tea.KeyMsg, km *keys.KeyMap) bool { return key.Matches(msg, km.Filter) }
