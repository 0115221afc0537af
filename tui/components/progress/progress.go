// Package progress draws the loading view: one line per source with a bar
// of bytes read of its size (or a spinner-like count when the size is not
// known), the events decoded so far and the state.
package progress

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"hotpath/tui/common"
	"hotpath/tui/theme"
	"hotpath/views"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// View draws the progress of srcs in width × height cells.
func View(srcs []views.SourceView, elapsed time.Duration, width, height int, st *theme.Styles) string {
	lines := []string{st.Title.Render(common.Fit(fmt.Sprintf("Loading %d sources · %s", len(srcs), elapsed.Round(100*time.Millisecond)), width)), ""}
	barW := min(max(width/4, 10), 30)
	nameW := max(width-barW-41, 12)
	for i, s := range srcs {
		if len(lines) >= height-3 && i < len(srcs)-1 {
			lines = append(lines, st.Dim.Render(fmt.Sprintf("… and %d more (see Sources)", len(srcs)-i)))
			break
		}
		name := common.Fit(termsafe.String(s.Path), nameW)
		name += strings.Repeat(" ", max(nameW-widthOf(name), 0))
		var bar, amount string
		switch {
		case s.Size > 0:
			frac := min(float64(s.RawBytes)/float64(s.Size), 1)
			if s.Done {
				frac = 1
			}
			bar = Bar(frac, barW, st)
			amount = fmt.Sprintf("%3.0f%% %s/%s", frac*100, units.Bytes(s.RawBytes), units.Bytes(s.Size))
		default:
			bar = st.Dim.Render(strings.Repeat("·", barW))
			amount = units.Bytes(s.RawBytes)
		}
		state := "⋯"
		switch {
		case s.Err != nil:
			state = st.Error.Render("✗ failed")
		case s.Done:
			state = "✓ done"
		}
		lines = append(lines, common.Fit(fmt.Sprintf("%s %s %-18s %7d ev %s", name, bar, amount, s.Events, state), width))
	}
	lines = append(lines, "", st.Dim.Render(common.Fit("Panes fill in as sources finish · any key shows them now · ctrl+c cancels and quits", width)))
	return strings.Join(lines, "\n")
}

// Bar is a progress bar of frac in w cells: filled and empty blocks, so
// that it reads without colour too.
func Bar(frac float64, w int, st *theme.Styles) string {
	n := int(frac*float64(w) + 0.5)
	n = min(max(n, 0), w)
	return st.Bar.Render(strings.Repeat("█", n)) + st.Dim.Render(strings.Repeat("░", w-n))
}

func widthOf(s string) int { return ansi.StringWidth(s) }
