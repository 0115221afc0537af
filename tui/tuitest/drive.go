package tuitest

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"hotpath/tui"
)

// Key turns a key name ("enter", "esc", "tab", "shift+tab", "up", "down",
// "left", "right") or typed text into the message a terminal would send.
func Key(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// Wait is a Drive step that waits until the screen shows text.
func Wait(text string) string { return waitPrefix + text }

const waitPrefix = "\x00wait:"

// Drive runs m in a real bubbletea program at w×h, plays the steps — keys
// (see Key) and Waits, in order — then quits with ctrl+c (which works from
// any pane or overlay) and returns the final model and its view. Wait for
// whatever a key's effect shows before quitting when that effect arrives
// through a command (a jump to another pane), or the quit wins the race.
// A Wait consumes the output it reads: wait only for text drawn after the
// previous Wait's.
func Drive(t testing.TB, m *tui.Model, w, h int, steps ...string) (*tui.Model, string) {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	for _, s := range steps {
		if text, ok := strings.CutPrefix(s, waitPrefix); ok {
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), text) },
				teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
			continue
		}
		tm.Send(Key(s))
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	fm := tm.FinalModel(t).(*tui.Model)
	return fm, fm.View()
}
