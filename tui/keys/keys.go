// Package keys holds every key binding of the TUI in one place, so that the
// help overlay is built from the same bindings the panes act on, and users
// can rebind any action from a JSON file (see Load).
package keys

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// KeyMap is the set of bindings shared by every pane. A pane acts on these
// (never on a binding of its own), so one rebinding applies everywhere.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
	Left, Right                           key.Binding
	NextPane, PrevPane                    key.Binding
	Pane                                  [5]key.Binding
	Enter, Back                           key.Binding
	Filter, NextMatch, PrevMatch          key.Binding
	Sort, SampleType                      key.Binding
	Flame, Sandwich, Copy                 key.Binding
	Help, Quit                            key.Binding
}

// action is one rebindable action: its name in keys.json, its default keys
// and its help text.
type action struct {
	name string
	keys []string
	desc string
	get  func(*KeyMap) *key.Binding
}

var actions = []action{
	{"up", []string{"up", "k"}, "up", func(k *KeyMap) *key.Binding { return &k.Up }},
	{"down", []string{"down", "j"}, "down", func(k *KeyMap) *key.Binding { return &k.Down }},
	{"page_up", []string{"pgup", "ctrl+b", "ctrl+u"}, "page up", func(k *KeyMap) *key.Binding { return &k.PageUp }},
	{"page_down", []string{"pgdown", "ctrl+f", "ctrl+d", " "}, "page down", func(k *KeyMap) *key.Binding { return &k.PageDown }},
	{"home", []string{"home", "g"}, "first", func(k *KeyMap) *key.Binding { return &k.Home }},
	{"end", []string{"end", "G"}, "last", func(k *KeyMap) *key.Binding { return &k.End }},
	{"left", []string{"left", "h"}, "left", func(k *KeyMap) *key.Binding { return &k.Left }},
	{"right", []string{"right", "l"}, "right", func(k *KeyMap) *key.Binding { return &k.Right }},
	{"next_pane", []string{"tab"}, "next pane", func(k *KeyMap) *key.Binding { return &k.NextPane }},
	{"prev_pane", []string{"shift+tab"}, "previous pane", func(k *KeyMap) *key.Binding { return &k.PrevPane }},
	{"pane1", []string{"1"}, "go to pane 1", func(k *KeyMap) *key.Binding { return &k.Pane[0] }},
	{"pane2", []string{"2"}, "go to pane 2", func(k *KeyMap) *key.Binding { return &k.Pane[1] }},
	{"pane3", []string{"3"}, "go to pane 3", func(k *KeyMap) *key.Binding { return &k.Pane[2] }},
	{"pane4", []string{"4"}, "go to pane 4", func(k *KeyMap) *key.Binding { return &k.Pane[3] }},
	{"pane5", []string{"5"}, "go to pane 5", func(k *KeyMap) *key.Binding { return &k.Pane[4] }},
	{"enter", []string{"enter"}, "open", func(k *KeyMap) *key.Binding { return &k.Enter }},
	{"back", []string{"esc", "backspace"}, "back / clear filter", func(k *KeyMap) *key.Binding { return &k.Back }},
	{"filter", []string{"/"}, "search / filter", func(k *KeyMap) *key.Binding { return &k.Filter }},
	{"next_match", []string{"n"}, "next match", func(k *KeyMap) *key.Binding { return &k.NextMatch }},
	{"prev_match", []string{"N"}, "previous match", func(k *KeyMap) *key.Binding { return &k.PrevMatch }},
	{"sort", []string{"s"}, "sort", func(k *KeyMap) *key.Binding { return &k.Sort }},
	{"sample_type", []string{"t"}, "next sample type", func(k *KeyMap) *key.Binding { return &k.SampleType }},
	{"flame", []string{"f"}, "flame view on/off", func(k *KeyMap) *key.Binding { return &k.Flame }},
	{"sandwich", []string{"S"}, "sandwich: callers above, callees below", func(k *KeyMap) *key.Binding { return &k.Sandwich }},
	{"copy", []string{"y"}, "copy selection (OSC 52)", func(k *KeyMap) *key.Binding { return &k.Copy }},
	{"help", []string{"?"}, "help", func(k *KeyMap) *key.Binding { return &k.Help }},
	{"quit", []string{"q", "ctrl+c"}, "quit", func(k *KeyMap) *key.Binding { return &k.Quit }},
}

// Default returns the default bindings: arrows and vim keys, tab/shift-tab
// and 1–5 for panes.
func Default() *KeyMap {
	k := &KeyMap{}
	for _, a := range actions {
		*a.get(k) = binding(a.keys, a.desc)
	}
	return k
}

// Actions lists the names of every rebindable action, as keys.json spells
// them.
func Actions() []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = a.name
	}
	return out
}

func binding(ks []string, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(ks...), key.WithHelp(helpKeys(ks), desc))
}

// helpKeys is how help shows keys: "↑/k", "pgdn", "space".
func helpKeys(ks []string) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, Pretty(k))
		if len(parts) == 2 {
			break
		}
	}
	return strings.Join(parts, "/")
}

// Pretty is how help spells one key: "↑", "space", "^d", "bksp".
func Pretty(k string) string {
	switch k {
	case "up":
		return "↑"
	case "down":
		return "↓"
	case "left":
		return "←"
	case "right":
		return "→"
	case " ":
		return "space"
	case "pgdown":
		return "pgdn"
	case "backspace":
		return "bksp"
	}
	if strings.HasPrefix(k, "ctrl+") && len(k) == 6 {
		return "^" + k[5:]
	}
	return k
}

// First is the first key of b as help spells it, for one-line hints.
func First(b key.Binding) string {
	if ks := b.Keys(); len(ks) > 0 {
		return Pretty(ks[0])
	}
	return ""
}

// Navigation lists the movement bindings, for help.
func (k *KeyMap) Navigation() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Left, k.Right, k.PageUp, k.PageDown, k.Home, k.End}
}

// Global lists the bindings that work in every pane, for help.
func (k *KeyMap) Global() []key.Binding {
	pane := k.Pane[0]
	first, last := k.Pane[0].Help().Key, k.Pane[len(k.Pane)-1].Help().Key
	pane.SetHelp(first+"…"+last, "go to pane")
	return []key.Binding{k.NextPane, k.PrevPane, pane, k.Filter, k.NextMatch, k.PrevMatch, k.Back, k.Copy, k.Help, k.Quit}
}

// Hint is "key desc" for one binding, for status-line hints.
func Hint(b key.Binding, desc string) string {
	return First(b) + " " + desc
}

// As is b described for one pane's help ("enter: open the request"),
// keeping the user's keys.
func As(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
