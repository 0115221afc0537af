// Package theme builds the TUI's styles for the terminal's colour profile,
// degrading to no colour under NO_COLOR or a dumb terminal.
package theme

import (
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles are every style the panes draw with.
type Styles struct {
	Renderer    *lipgloss.Renderer
	TabActive   lipgloss.Style
	TabInactive lipgloss.Style
	TabBar      lipgloss.Style
	Status      lipgloss.Style
	StatusError lipgloss.Style
	Header      lipgloss.Style
	Selected    lipgloss.Style
	Dim         lipgloss.Style
	Title       lipgloss.Style
	Error       lipgloss.Style
	Warning     lipgloss.Style
	Bar         lipgloss.Style
	HelpKey     lipgloss.Style
	HelpDesc    lipgloss.Style
	Border      lipgloss.Style
	Colorless   bool
}

// Profile picks the colour profile from the environment: none under
// NO_COLOR (https://no-color.org) or TERM=dumb, else what termenv detects.
func Profile(out *termenv.Output) termenv.Profile {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return termenv.Ascii
	}
	return out.EnvColorProfile()
}

// New builds styles for renderer r.
func New(r *lipgloss.Renderer) *Styles {
	colorless := r.ColorProfile() == termenv.Ascii
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#B4A0FF"}
	subtle := lipgloss.AdaptiveColor{Light: "#888888", Dark: "#777777"}
	selBg := lipgloss.AdaptiveColor{Light: "#D8D0FF", Dark: "#3C3470"}
	s := &Styles{Renderer: r, Colorless: colorless}
	s.TabActive = r.NewStyle().Bold(true).Foreground(accent).Padding(0, 1)
	s.TabInactive = r.NewStyle().Foreground(subtle).Padding(0, 1)
	s.TabBar = r.NewStyle()
	s.Status = r.NewStyle().Foreground(subtle)
	s.StatusError = r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#B00020", Dark: "#FF6B6B"})
	s.Header = r.NewStyle().Bold(true)
	s.Selected = r.NewStyle().Background(selBg).Bold(true)
	s.Dim = r.NewStyle().Foreground(subtle)
	s.Title = r.NewStyle().Bold(true).Foreground(accent)
	s.Error = s.StatusError
	s.Warning = r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#8A5A00", Dark: "#FFB454"})
	s.Bar = r.NewStyle().Foreground(accent)
	s.HelpKey = r.NewStyle().Bold(true).Foreground(accent)
	s.HelpDesc = r.NewStyle().Foreground(subtle)
	s.Border = r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(subtle)
	if colorless {
		// Without colour the selection must still show: reverse video.
		s.Selected = r.NewStyle().Reverse(true)
		s.TabActive = r.NewStyle().Bold(true).Underline(true).Padding(0, 1)
	}
	return s
}
