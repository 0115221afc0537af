// Package theme builds the TUI's styles for the terminal's colour profile and
// background: dark and light palettes, degrading from true colour through
// 256 and 16 colours to none — under NO_COLOR only attributes (bold,
// reverse, underline) remain, and on a dumb terminal not even those, so
// everything that colour says is also said with a word or a symbol.
package theme

import (
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"hotpath/views/detect"
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
	Notice      lipgloss.Style
	// Match marks a search match (flame frames, highlighted text).
	Match lipgloss.Style
	// FlameSelected is the selected flame frame.
	FlameSelected lipgloss.Style
	flame         []lipgloss.Style
	severity      map[string]lipgloss.Style

	// Colorless: no colours (NO_COLOR, or a profile without colours).
	Colorless bool
	// Plain: no attributes either (TERM=dumb, or output that is not a
	// terminal): selections and matches are drawn with characters.
	Plain bool
	// Dark is true on a dark background.
	Dark bool
}

// Profile picks the colour profile from the environment: none at all on a
// dumb terminal; under NO_COLOR (https://no-color.org) attributes but no
// colours; else what termenv detects.
func Profile(out *termenv.Output) termenv.Profile {
	if os.Getenv("TERM") == "dumb" {
		return termenv.Ascii
	}
	if NoColor() {
		// termenv would answer Ascii, dropping bold and reverse too;
		// the styles carry no colour then, only attributes.
		if out.ColorProfile() == termenv.Ascii { // not a terminal
			return termenv.Ascii
		}
		return termenv.ANSI
	}
	return out.EnvColorProfile()
}

// NoColor reports whether the user asked for no colour (NO_COLOR set and
// not empty).
func NoColor() bool { return os.Getenv("NO_COLOR") != "" }

// Background chooses dark or light: "dark", "light", or "auto" (ask the
// terminal, through termenv, as lipgloss does).
func Background(r *lipgloss.Renderer, choice string) error {
	switch choice {
	case "dark":
		r.SetHasDarkBackground(true)
	case "light":
		r.SetHasDarkBackground(false)
	case "", "auto":
		// lipgloss queries the terminal lazily (termenv.HasDarkBackground)
	default:
		return fmt.Errorf("--theme %q: want dark, light or auto", choice)
	}
	return nil
}

// NewRenderer returns a renderer for tests and tools with a fixed profile
// and background, writing nowhere.
func NewRenderer(p termenv.Profile, dark bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(p)
	r.SetHasDarkBackground(dark)
	return r
}

// New builds styles for renderer r; colours are dropped under NO_COLOR.
func New(r *lipgloss.Renderer) *Styles { return NewWith(r, NoColor()) }

// NewWith builds styles for renderer r, without colours when noColor.
func NewWith(r *lipgloss.Renderer, noColor bool) *Styles {
	plain := r.ColorProfile() == termenv.Ascii
	colorless := noColor || plain
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#B4A0FF"}
	subtle := lipgloss.AdaptiveColor{Light: "#6E6E6E", Dark: "#8A8A8A"}
	selBg := lipgloss.AdaptiveColor{Light: "#D8D0FF", Dark: "#3C3470"}
	s := &Styles{Renderer: r, Colorless: colorless, Plain: plain, Dark: r.HasDarkBackground()}
	if colorless {
		// Attributes only: they survive NO_COLOR (and vanish, harmlessly,
		// on a dumb terminal, where markers take over).
		n := r.NewStyle()
		s.TabActive = n.Bold(true).Underline(true).Padding(0, 1)
		s.TabInactive = n.Padding(0, 1)
		s.TabBar, s.Status, s.Dim, s.HelpDesc = n, n, n, n
		s.StatusError = n.Bold(true)
		s.Header = n.Bold(true)
		s.Selected = n.Reverse(true)
		s.Title = n.Bold(true)
		s.Error = n.Bold(true)
		s.Warning = n.Bold(true)
		s.Bar = n
		s.HelpKey = n.Bold(true)
		s.Border = n.Border(lipgloss.NormalBorder())
		s.Notice = n.Reverse(true)
		s.Match = n.Underline(true).Bold(true)
		s.FlameSelected = n.Reverse(true).Bold(true)
		s.flame = []lipgloss.Style{n}
		s.severity = map[string]lipgloss.Style{"critical": n.Bold(true).Reverse(true), "high": n.Bold(true),
			"medium": n, "low": n, "info": n}
		return s
	}
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
	s.Notice = r.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#1A1A1A"}).
		Background(lipgloss.AdaptiveColor{Light: "#2E7D32", Dark: "#8BD49C"})
	s.Match = r.NewStyle().Bold(true).Foreground(lipgloss.Color("#1A1A1A")).
		Background(lipgloss.AdaptiveColor{Light: "#FFD54F", Dark: "#FFE066"})
	s.FlameSelected = r.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#FFFFFF"}).
		Background(lipgloss.AdaptiveColor{Light: "#3A2A90", Dark: "#6C4CE0"}).Underline(true)
	// Warm flame palette; light backgrounds get pastel frames with dark
	// text, dark ones deeper frames with light text.
	for _, c := range [][2]string{
		{"#F4B183", "#9C4A1A"}, {"#F8CBAD", "#A8581E"}, {"#FFD966", "#8C6D00"},
		{"#F6A5A5", "#8E2F2F"}, {"#FFE699", "#7A5C12"}, {"#F9B97F", "#A0522D"},
	} {
		s.flame = append(s.flame, r.NewStyle().
			Foreground(lipgloss.AdaptiveColor{Light: "#1A1A1A", Dark: "#F5F5F5"}).
			Background(lipgloss.AdaptiveColor{Light: c[0], Dark: c[1]}))
	}
	s.severity = map[string]lipgloss.Style{
		"critical": r.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#B00020", Dark: "#FF5C5C"}),
		"high":     r.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#C04A00", Dark: "#FF9F43"}),
		"medium":   r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#8A6A00", Dark: "#FFD166"}),
		"low":      r.NewStyle().Foreground(subtle),
		"info":     r.NewStyle().Foreground(subtle),
	}
	return s
}

// Flame is the style of a flame frame for function name: a stable colour
// per name, so a function keeps its colour as the view zooms.
func (s *Styles) Flame(name string) lipgloss.Style {
	if len(s.flame) == 1 {
		return s.flame[0]
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return s.flame[int(h.Sum32()%uint32(len(s.flame)))]
}

// SeverityLabel is the severity as a symbol and a word ("▲ high"), styled:
// colour is never the only thing that tells severities apart. Width is
// the widest label, for aligned columns.
func (s *Styles) SeverityLabel(level string) string {
	level = strings.ToLower(level)
	sym := "?"
	if sv, ok := detect.ParseSeverity(level); ok {
		sym = sv.Symbol()
	}
	st, ok := s.severity[level]
	if !ok {
		st = s.Dim
	}
	return st.Render(fmt.Sprintf("%s %-8s", sym, level))
}

// SeverityWidth is the width of every SeverityLabel.
const SeverityWidth = 10

// SelectLine marks line as the selected one: with the Selected style, and
// on a terminal without attributes (Plain) with a ">" in its first cell,
// so that the cursor shows everywhere. The line keeps its width.
func (s *Styles) SelectLine(line string) string {
	if !s.Plain {
		return s.Selected.Render(line)
	}
	if line == "" {
		return ">"
	}
	_, size := utf8.DecodeRuneInString(line)
	w := ansi.StringWidth(line[:size])
	return ">" + strings.Repeat(" ", max(w-1, 0)) + line[size:]
}
