// Package tui is hotpath's terminal UI: a bubbletea program whose panes
// (Hotspots, Sources, and those later issues add) show the views.
package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"hotpath/parse"
	"hotpath/tui/common"
	"hotpath/tui/findings"
	"hotpath/tui/hotspots"
	"hotpath/tui/keys"
	"hotpath/tui/queries"
	"hotpath/tui/sources"
	"hotpath/tui/theme"
	"hotpath/tui/traces"
	"hotpath/views"
	"hotpath/views/termsafe"
)

// Minimum usable window; below it a message replaces a broken layout.
const minWidth, minHeight = 60, 15

// Config is what the program needs: the inputs, how to load one, and where
// loaded data goes.
type Config struct {
	Inputs    []*parse.Input
	Load      func(ctx context.Context, in *parse.Input) error
	Collector *views.Collector
	Options   views.Options
	Renderer  *lipgloss.Renderer
	// Title names the session in the status line ("demo", a file name …).
	Title string
}

// Model is the root model.
type Model struct {
	cfg    Config
	ctx    *common.Context
	panes  []common.Component
	active int
	width  int
	height int
	help   bool

	views    *views.Views
	pending  int
	building bool
	dirty    bool
	loadCtx  context.Context
	cancel   context.CancelFunc
	started  time.Time
}

type loadedMsg struct {
	in  *parse.Input
	err error
}

type builtMsg struct{ v *views.Views }

type tickMsg time.Time

// New builds the program model.
func New(cfg Config) *Model {
	ctx := &common.Context{Styles: theme.New(cfg.Renderer), Keys: keys.Default(), Options: cfg.Options}
	lctx, cancel := context.WithCancel(context.Background())
	m := &Model{cfg: cfg, ctx: ctx, loadCtx: lctx, cancel: cancel, started: time.Now(), width: 80, height: 24}
	m.panes = []common.Component{findings.New(ctx), hotspots.New(ctx), queries.New(ctx), traces.New(ctx), sources.New(ctx)}
	for _, in := range cfg.Inputs {
		cfg.Collector.AddSource(in.Src)
	}
	m.pending = len(cfg.Inputs)
	m.views = &views.Views{Sources: views.SourceViews(cfg.Collector.Sources())}
	for _, p := range m.panes {
		p.SetViews(m.views)
	}
	m.layout()
	return m
}

// Init starts loading every input in the background: the first frame never
// waits for parsing.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tick()}
	for _, in := range m.cfg.Inputs {
		in := in
		cmds = append(cmds, func() tea.Msg {
			return loadedMsg{in: in, err: m.cfg.Load(m.loadCtx, in)}
		})
	}
	for _, p := range m.panes {
		cmds = append(cmds, p.Init())
	}
	return tea.Batch(cmds...)
}

func tick() tea.Cmd {
	return tea.Tick(150*time.Millisecond, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// build computes the views off the UI goroutine.
func (m *Model) build() tea.Cmd {
	if m.building {
		m.dirty = true
		return nil
	}
	m.building = true
	c, opt := m.cfg.Collector, m.cfg.Options
	return func() tea.Msg { return builtMsg{views.Build(c, opt)} }
}

// Update routes messages: global keys first, then the active pane.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case loadedMsg:
		m.pending--
		return m, m.build()
	case builtMsg:
		m.building = false
		m.views = msg.v
		for _, p := range m.panes {
			p.SetViews(m.views)
		}
		if m.dirty {
			m.dirty = false
			return m, m.build()
		}
		return m, nil
	case tickMsg:
		if m.pending > 0 {
			srcs := views.SourceViews(m.cfg.Collector.Sources())
			if sp, ok := m.pane(sources.Title).(*sources.Model); ok {
				sp.SetSources(srcs)
			}
			return m, tick()
		}
		return m, nil
	case common.Navigate:
		for i, p := range m.panes {
			if p.Title() == msg.Pane {
				m.active = i
				var cmd tea.Cmd
				m.panes[i], cmd = p.Update(msg.Msg)
				return m, cmd
			}
		}
		return m, nil
	case tea.KeyMsg:
		if m.help {
			if key.Matches(msg, m.ctx.Keys.Quit) && msg.String() == "ctrl+c" {
				return m, m.quit()
			}
			m.help = false // any key closes help
			return m, nil
		}
		if !m.panes[m.active].Capturing() {
			k := m.ctx.Keys
			switch {
			case key.Matches(msg, k.Quit):
				return m, m.quit()
			case key.Matches(msg, k.Help):
				m.help = true
				return m, nil
			case key.Matches(msg, k.NextPane):
				m.active = (m.active + 1) % len(m.panes)
				return m, nil
			case key.Matches(msg, k.PrevPane):
				m.active = (m.active + len(m.panes) - 1) % len(m.panes)
				return m, nil
			}
			for i := range k.Pane {
				if key.Matches(msg, k.Pane[i]) && i < len(m.panes) {
					m.active = i
					return m, nil
				}
			}
		} else if msg.String() == "ctrl+c" {
			return m, m.quit()
		}
	}
	var cmd tea.Cmd
	m.panes[m.active], cmd = m.panes[m.active].Update(msg)
	return m, cmd
}

func (m *Model) quit() tea.Cmd {
	m.cancel() // stop loaders still running
	return tea.Quit
}

func (m *Model) pane(title string) common.Component {
	for _, p := range m.panes {
		if p.Title() == title {
			return p
		}
	}
	return nil
}

// ActivePane is the title of the pane on screen.
func (m *Model) ActivePane() string { return m.panes[m.active].Title() }

// Pane returns the pane with that title, or nil.
func (m *Model) Pane(title string) common.Component { return m.pane(title) }

// Views returns the latest computed views.
func (m *Model) Views() *views.Views { return m.views }

// Panes lists the panes, in pane-bar order (tests reach a pane's state).
func (m *Model) Panes() []common.Component { return m.panes }

// Loading reports whether inputs are still loading.
func (m *Model) Loading() bool { return m.pending > 0 || m.building }

func (m *Model) layout() {
	for _, p := range m.panes {
		p.SetSize(m.width, max(m.height-2, 1)) // pane bar + status line
	}
}

// View draws the pane bar, the active pane and the status line.
func (m *Model) View() string {
	if m.width < minWidth || m.height < minHeight {
		return fmt.Sprintf("Window too small: %d×%d.\nhotpath needs at least %d×%d.\nEnlarge the window, or press q to quit.",
			m.width, m.height, minWidth, minHeight)
	}
	if m.help {
		return m.helpView()
	}
	body := m.panes[m.active].View()
	body = lipgloss.NewStyle().Height(m.height - 2).MaxHeight(m.height - 2).Render(body)
	return m.tabBar() + "\n" + body + "\n" + m.statusLine()
}

func (m *Model) tabBar() string {
	st := m.ctx.Styles
	var tabs []string
	for i, p := range m.panes {
		label := fmt.Sprintf("%d %s", i+1, p.Title())
		if i == m.active {
			tabs = append(tabs, st.TabActive.Render(label))
		} else {
			tabs = append(tabs, st.TabInactive.Render(label))
		}
	}
	bar := lipgloss.JoinHorizontal(lipgloss.Top, tabs...)
	right := st.Dim.Render("hotpath")
	gap := m.width - lipgloss.Width(bar) - lipgloss.Width(right)
	if gap < 1 {
		return common.Fit(bar, m.width)
	}
	return bar + strings.Repeat(" ", gap) + right
}

func (m *Model) statusLine() string {
	st := m.ctx.Styles
	srcs := m.views.Sources
	if m.pending > 0 {
		srcs = views.SourceViews(m.cfg.Collector.Sources())
	}
	loaded, failed := 0, 0
	var events int64
	for _, s := range srcs {
		events += s.Events
		if s.Err != nil {
			failed++
		} else if s.Done {
			loaded++
		}
	}
	left := fmt.Sprintf("%d/%d sources · %s events", loaded, len(srcs), humanCount(events))
	if m.cfg.Title != "" {
		left = termsafe.String(m.cfg.Title) + " · " + left
	}
	if m.pending > 0 {
		left += fmt.Sprintf(" · loading %d…", m.pending)
	}
	style := st.Status
	if failed > 0 {
		left += fmt.Sprintf(" · %d failed (see Sources)", failed)
		style = st.StatusError
	}
	right := "? help · q quit"
	gap := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return style.Render(common.Fit(left, m.width))
	}
	return style.Render(left) + strings.Repeat(" ", gap) + st.Dim.Render(right)
}

func humanCount(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 10_000:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func (m *Model) helpView() string {
	st := m.ctx.Styles
	section := func(title string, bs []key.Binding) string {
		var b strings.Builder
		b.WriteString(st.Title.Render(title) + "\n")
		for _, k := range bs {
			h := k.Help()
			fmt.Fprintf(&b, "  %s %s\n", st.HelpKey.Render(fmt.Sprintf("%-11s", h.Key)), st.HelpDesc.Render(h.Desc))
		}
		return b.String()
	}
	k := m.ctx.Keys
	global := append(k.Global(), k.Back)
	left := section("Navigation", k.Navigation()) + "\n" + section("Everywhere", global)
	right := section(m.panes[m.active].Title(), m.panes[m.active].KeyBindings())
	inner := m.width - 4 // border and padding
	var body string
	if lipgloss.Width(left)+lipgloss.Width(right)+2 <= inner {
		body = lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(lipgloss.Width(left)+2).Render(left), right)
	} else {
		body = right + "\n" + left
	}
	body = lipgloss.NewStyle().MaxWidth(inner).MaxHeight(m.height - 3).Render(body)
	box := st.Border.Padding(0, 1).Render(body + "\n" + st.Dim.Render("press any key to close"))
	return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, box)
}
