// Package keys holds every key binding of the TUI in one place, so that the
// help overlay is built from the same bindings the panes act on.
package keys

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the set of bindings shared by every pane.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
	Left, Right                           key.Binding
	NextPane, PrevPane                    key.Binding
	Pane                                  [5]key.Binding
	Enter, Back                           key.Binding
	Filter, Sort, SampleType              key.Binding
	Help, Quit                            key.Binding
}

// Default returns the default bindings: arrows and vim keys, tab/shift-tab
// and 1–5 for panes.
func Default() *KeyMap {
	k := &KeyMap{
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:     key.NewBinding(key.WithKeys("pgup", "ctrl+b", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "ctrl+d", " "), key.WithHelp("pgdn", "page down")),
		Home:       key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first")),
		End:        key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last")),
		Left:       key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "left")),
		Right:      key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "right")),
		NextPane:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		PrevPane:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Enter:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:       key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		SampleType: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "sample type")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
	for i := range k.Pane {
		n := string(rune('1' + i))
		k.Pane[i] = key.NewBinding(key.WithKeys(n), key.WithHelp("1…5", "go to pane"))
	}
	return k
}

// Navigation lists the movement bindings, for help.
func (k *KeyMap) Navigation() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
}

// Global lists the bindings that work in every pane, for help.
func (k *KeyMap) Global() []key.Binding {
	return []key.Binding{k.NextPane, k.PrevPane, k.Pane[0], k.Help, k.Quit}
}
