package tui_test

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"hotpath/tui"
	"hotpath/tui/hotspots"
	"hotpath/tui/keys"
	"hotpath/tui/tuitest"
)

func press(m *tui.Model, script ...string) {
	for _, k := range keyMsgs(script...) {
		_, cmd := m.Update(k)
		feed(m, cmd)
	}
}

func loaded(t *testing.T) (*tui.Model, *hotspots.Model) {
	t.Helper()
	m := tuitest.Load(t, tuitest.Profile(tuitest.DemoStacks()), tuitest.Options{Theme: "dumb"})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	settle(m)
	press(m, "pane:"+hotspots.Title)
	return m, m.Pane(hotspots.Title).(*hotspots.Model)
}

// TestTUICraftFlameFlow: f opens the icicle on the table's function, enter
// zooms with breadcrumbs, esc walks back out, t switches the sample type in
// place keeping the zoom, S opens the sandwich, f and esc return.
func TestTUICraftFlameFlow(t *testing.T) {
	m, h := loaded(t)
	press(m, "/", "listOrders", "enter")
	press(m, "f")
	if h.Mode() != hotspots.ModeFlame {
		t.Fatal("f opens the flame view")
	}
	if sel, _ := h.Selection(); sel != "main.(*server).listOrders" {
		t.Errorf("the cursor starts on the table's function, got %q", sel)
	}
	press(m, "enter")
	v := m.View()
	if !strings.Contains(v, "root › main.(*server).listOrders") {
		t.Fatalf("breadcrumbs after zoom:\n%s", v)
	}
	if !strings.Contains(v, "100.0% of view") {
		t.Errorf("the zoomed frame is the whole view:\n%s", v)
	}
	if !strings.Contains(v, "flat 0 · cum 730ms · 51.6% of total") {
		t.Errorf("status line: flat, cum and share:\n%s", v)
	}
	press(m, "t")
	v = m.View()
	if !strings.Contains(v, "Flame · samples/count") || !strings.Contains(v, "root › main.(*server).listOrders") {
		t.Errorf("t switches the sample type in place, keeping the zoom:\n%s", v)
	}
	press(m, "t", "j", "S")
	if h.Mode() != hotspots.ModeSandwich || !strings.Contains(m.View(), "Sandwich · ") {
		t.Fatalf("S opens the sandwich:\n%s", m.View())
	}
	press(m, "esc") // clears the filter (still shown) first
	if h.Mode() != hotspots.ModeSandwich || h.Filter().Shown() {
		t.Error("esc clears the filter before anything else")
	}
	press(m, "esc")
	if h.Mode() != hotspots.ModeFlame {
		t.Error("esc leaves the sandwich for the flame view")
	}
	press(m, "esc")
	if strings.Contains(m.View(), "›") {
		t.Errorf("esc zooms out:\n%s", m.View())
	}
	press(m, "esc")
	if h.Mode() != hotspots.ModeTable {
		t.Error("esc at the root leaves the flame view")
	}
}

// TestTUICraftHelpListsPaneBindings: the overlay shows every binding of
// the pane in front, with the user's keys.
func TestTUICraftHelpListsPaneBindings(t *testing.T) {
	m, h := loaded(t)
	press(m, "?")
	v := m.View()
	for _, b := range h.KeyBindings() {
		if !strings.Contains(v, b.Help().Desc[:min(len(b.Help().Desc), 20)]) {
			t.Errorf("help lacks %q:\n%s", b.Help().Desc, v)
		}
	}
	checkFrame(t, v, 100, 30)
}

// TestTUICraftMouse: a click on a tab switches pane, a click on a row
// selects it, the wheel scrolls.
func TestTUICraftMouse(t *testing.T) {
	m, h := loaded(t)
	m.Update(tea.MouseMsg{X: 2, Y: 5, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	first, _ := h.Selection()
	m.Update(tea.MouseMsg{X: 2, Y: 6, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	second, _ := h.Selection()
	if first == second || first == "" {
		t.Errorf("clicks on two rows selected %q then %q", first, second)
	}
	m.Update(tea.MouseMsg{X: 2, Y: 6, Button: tea.MouseButtonWheelDown})
	third, _ := h.Selection()
	if third == second {
		t.Error("the wheel scrolls")
	}
	bar := ansi.Strip(strings.SplitN(m.View(), "\n", 2)[0])
	x := ansi.StringWidth(bar[:strings.Index(bar, "Sources")])
	m.Update(tea.MouseMsg{X: x, Y: 0, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if m.ActivePane() != "Sources" {
		t.Errorf("click on the second tab: %s", m.ActivePane())
	}
}

// TestTUICraftFlameResizeKeepsFrame: a resize lays the frames out again
// and the cursor stays on the same frame.
func TestTUICraftFlameResizeKeepsFrame(t *testing.T) {
	m, h := loaded(t)
	press(m, "f", "j", "j", "j", "l")
	before, _ := h.Selection()
	for _, w := range []int{160, 61, 80} {
		m.Update(tea.WindowSizeMsg{Width: w, Height: 24})
		if got, _ := h.Selection(); got != before {
			t.Errorf("width %d: selection %q, was %q", w, got, before)
		}
		checkFrame(t, m.View(), w, 24)
	}
}

// TestTUICraftReboundKeys: a keys.json binding drives every pane (here
// down on x, flame on F, copy on c), and help shows the user's keys.
func TestTUICraftReboundKeys(t *testing.T) {
	km, err := keys.Parse([]byte(`{"down": ["x"], "flame": "F", "copy": "c"}`))
	if err != nil {
		t.Fatal(err)
	}
	var copied []string
	m := tuitest.Load(t, tuitest.Profile(tuitest.DemoStacks()), tuitest.Options{Theme: "dumb", Keys: km,
		Copy: func(s string) error { copied = append(copied, s); return nil }})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	settle(m)
	press(m, "pane:"+hotspots.Title)
	h := m.Pane(hotspots.Title).(*hotspots.Model)
	first, _ := h.Selection()
	press(m, "j")
	if got, _ := h.Selection(); got != first {
		t.Error("j is no longer down")
	}
	press(m, "x")
	second, _ := h.Selection()
	if second == first {
		t.Error("x is down now")
	}
	press(m, "c")
	press(m, "F")
	if h.Mode() != hotspots.ModeFlame {
		t.Error("F opens the flame view")
	}
	press(m, "?")
	if v := m.View(); !strings.Contains(v, "F          flame") || !strings.Contains(v, "c          copy") {
		t.Errorf("help shows the user's keys:\n%s", v)
	}
	if len(copied) != 1 || copied[0] != second {
		t.Errorf("copied %q, want %q", copied, second)
	}
}

// TestTUICraftKeysInOneRead: keys that arrive in one read (typed fast over
// SSH) are one message with several runes; each acts, and once a filter
// opens the rest is typed into it.
func TestTUICraftKeysInOneRead(t *testing.T) {
	m, h := loaded(t)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("fjjS")})
	if h.Mode() != hotspots.ModeSandwich {
		t.Errorf("fjjS in one read: mode %v", h.Mode())
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/json")})
	if q := h.Filter().Query(); q != "json" {
		t.Errorf("/json in one read: query %q", q)
	}
}
