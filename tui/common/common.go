// Package common is what every pane of the TUI shares: the program context
// (size, styles, keys, the current views) and the Component interface that
// panes implement, so that a new pane slots in without touching the others.
package common

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"hotpath/tui/keys"
	"hotpath/tui/theme"
	"hotpath/views"
)

// Context is shared by the program and every pane.
type Context struct {
	Styles *theme.Styles
	Keys   *keys.KeyMap
	// Options are the user's view options (sample type, focus …); panes
	// that recompute a view pass them on.
	Options views.Options
}

// Component is one pane: a model that draws into the size it is given.
type Component interface {
	// Title names the pane in the pane bar.
	Title() string
	Init() tea.Cmd
	Update(msg tea.Msg) (Component, tea.Cmd)
	View() string
	SetSize(width, height int)
	// SetViews hands the pane freshly computed views (after a source loads).
	SetViews(v *views.Views)
	// KeyBindings are the pane's own bindings, for the help overlay.
	KeyBindings() []key.Binding
	// Capturing is true while the pane owns the keyboard (typing a filter),
	// so global keys such as q and 1–5 go to it instead.
	Capturing() bool
}

// Navigate is a message asking the program to show a pane and forward Msg to
// it: how an anchor in one pane opens its subject in another.
type Navigate struct {
	Pane string
	Msg  tea.Msg
}

// Refresh is sent to every pane after new views were handed to it
// (SetViews), so that a pane can start background work (a command) on them.
type Refresh struct{}

// ShowSampleType asks the Hotspots pane to show one sample type (for
// example "sync/delay", a blocking profile derived from a Go trace).
type ShowSampleType struct{ Type string }

// Fit truncates s to w terminal cells, with an ellipsis when cut.
func Fit(s string, w int) string {
	if w <= 0 || ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// Selector is implemented by panes that have something to copy: Selection
// is the selected thing as text or Markdown (a function name, a
// fingerprint, a finding). The program sanitises it before it reaches the
// clipboard.
type Selector interface {
	Selection() (text string, ok bool)
}

// Mouse events reach the active pane with Y counted from the pane's first
// line (the pane bar above it excluded).

// ShowFunction asks the Hotspots pane to select a function and open its
// callers and callees.
type ShowFunction struct{ Name string }

// Notice asks the program to show a short message in the status line (an
// anchor that leads nowhere, say), IsErr in the error style.
type Notice struct {
	Text  string
	IsErr bool
}

// ShowTrace asks the Traces pane to open the waterfall of the request of
// one trace.
type ShowTrace struct{ TraceID string }

// ShowQuery asks the Queries pane to open one fingerprint, by query id or,
// when ID is empty, by its normalised text.
type ShowQuery struct{ ID, Fingerprint string }

// MouseHandler is implemented by panes that take the mouse outside their
// Update; the program calls Mouse (Y counted from the pane's first line)
// instead of Update for mouse events.
type MouseHandler interface {
	Mouse(msg tea.MouseMsg) tea.Cmd
}
