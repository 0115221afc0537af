package tui_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"hotpath/tui"
	"hotpath/tui/common"
	"hotpath/tui/hotspots"
	"hotpath/tui/tuitest"
)

func init() {
	time.Local = time.UTC // the Sources pane shows times
}

// keyMsgs turns a script into messages: one key per element, "enter",
// "esc", "tab" named, "pane:Title" a switch to that pane (whatever its
// number), anything else typed rune by rune.
func keyMsgs(script ...string) []tea.Msg {
	var out []tea.Msg
	for _, s := range script {
		if title, ok := strings.CutPrefix(s, "pane:"); ok {
			out = append(out, common.Navigate{Pane: title})
			continue
		}
		switch s {
		case "enter":
			out = append(out, tea.KeyMsg{Type: tea.KeyEnter})
		case "esc":
			out = append(out, tea.KeyMsg{Type: tea.KeyEsc})
		case "tab":
			out = append(out, tea.KeyMsg{Type: tea.KeyTab})
		case "down":
			out = append(out, tea.KeyMsg{Type: tea.KeyDown})
		default:
			for _, r := range s {
				out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			}
		}
	}
	return out
}

// runProgram runs the model in a real bubbletea program (teatest), waits
// for the views to be computed, plays the keys and returns the final model.
func runProgram(t *testing.T, m *tui.Model, w, h int, script ...string) *tui.Model {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	tm.Send(common.Navigate{Pane: hotspots.Title}) // whichever pane is home
	if w >= 60 && h >= 15 {
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("functions ·")) },
			teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	for _, k := range keyMsgs(script...) {
		tm.Send(k)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*tui.Model)
}

var goldenScenes = []struct {
	name   string
	script []string
}{
	{"hotspots", nil},
	{"hotspots_filter", []string{"/", "server", "enter"}},
	{"peek", []string{"enter"}},
	{"flame", []string{"f"}},
	{"flame_zoom_search", []string{"f", "g", "j", "j", "enter", "/", "query", "enter", "n"}},
	{"sandwich", []string{"S"}},
	{"sources", []string{"pane:Sources"}},
	{"findings", []string{"pane:Findings"}},
	{"findings_filter", []string{"pane:Findings", "/", "search", "enter"}},
	{"queries", []string{"pane:Queries"}},
	{"queries_detail", []string{"pane:Queries", "enter"}},
	{"traces", []string{"pane:Traces"}},
	{"traces_waterfall", []string{"pane:Traces", "enter", "j", "j", "enter"}},
	{"help", []string{"?"}},
}

// TestGolden draws every pane at 80x24 and 160x48, on dark and light
// backgrounds and without colour, and compares with testdata/ (refresh with
// go test ./tui -run TestGolden -update).
func TestGolden(t *testing.T) {
	for _, sc := range goldenScenes {
		for _, size := range [][2]int{{80, 24}, {160, 48}} {
			for _, th := range []string{"dark", "light", "nocolor"} {
				t.Run(fmt.Sprintf("%s/%dx%d/%s", sc.name, size[0], size[1], th), func(t *testing.T) {
					t.Parallel()
					m := tuitest.Load(t, tuitest.Profile(tuitest.DemoStacks()), tuitest.Options{Theme: th,
						Extra: map[string][]byte{"testdata/app.log": tuitest.DemoSQLLog(), "testdata/zipkin.json": tuitest.DemoZipkin()}})
					fm := runProgram(t, m, size[0], size[1], sc.script...)
					view := fm.View()
					checkFrame(t, view, size[0], size[1])
					golden.RequireEqual(t, []byte(view))
				})
			}
		}
	}
}

// TestGoldenTooSmall: below 60x15 a message replaces the layout, and it
// goes away when the window grows.
func TestGoldenTooSmall(t *testing.T) {
	for _, size := range [][2]int{{59, 24}, {80, 14}, {40, 10}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m := tuitest.Load(t, tuitest.Profile(tuitest.DemoStacks()), tuitest.Options{Theme: "dark"})
			fm := runProgram(t, m, size[0], size[1])
			golden.RequireEqual(t, []byte(fm.View()))
			fm.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			if v := fm.View(); bytes.Contains([]byte(v), []byte("too small")) {
				t.Errorf("still too small at 80x24:\n%s", v)
			}
		})
	}
}
