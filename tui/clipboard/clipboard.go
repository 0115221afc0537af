// Package clipboard copies text to the user's local clipboard with OSC 52,
// the escape sequence terminals (and tmux, and SSH sessions, since it
// travels with the output) turn into a clipboard write.
package clipboard

import (
	"io"
	"sync"

	osc52 "github.com/aymanbagabas/go-osc52/v2"

	"hotpath/views/termsafe"
)

// Func copies text; the program calls it off the UI goroutine.
type Func func(text string) error

// OSC52 returns a Func writing the OSC 52 sequence to w (the terminal). The
// text is sanitised first: what came from an input can never smuggle an
// escape sequence of its own through the clipboard.
func OSC52(w io.Writer) Func {
	var mu sync.Mutex
	return func(text string) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := osc52.New(Sanitize(text)).WriteTo(w)
		return err
	}
}

// Sanitize is what reaches the clipboard: text without escape sequences,
// control characters (newlines and tabs kept) or bidi overrides
// (termsafe.Clipboard, the one rule for this destination).
func Sanitize(text string) string { return termsafe.Clipboard(text) }
