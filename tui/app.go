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
	"hotpath/tui/clipboard"
	"hotpath/tui/common"
	"hotpath/tui/components/progress"
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
	// Keys are the key bindings (nil: the defaults).
	Keys *keys.KeyMap
	// Styles override the styles built from Renderer (tests fix them).
	Styles *theme.Styles
	// Copy writes to the user's clipboard (cmd: OSC 52 to the terminal);
	// nil leaves copying unavailable.
	Copy clipboard.Func
}

// Model is the root model.
type Model struct {
	cfg    Config
	ctx    *common.Context
	panes  []common.Component
	active int
	// cameFrom are the panes anchors were followed from, for esc.
	cameFrom []int
	width    int
	height   int
	help     bool

	views    *views.Views
	pending  int
	building bool
	dirty    bool
	loadCtx  context.Context
	cancel   context.CancelFunc
	started  time.Time

	// progress: shown while loading until the user presses a key
	showProgress bool
	progress     []views.SourceView
	now          time.Time

	notice    string // short message in the status line ("copied …")
	noticeErr bool
	noticeSeq int
}

// noticeMsg clears notice number seq.
type noticeMsg struct{ seq int }

// copiedMsg reports a copy to the clipboard.
type copiedMsg struct {
	text string
	err  error
}

type loadedMsg struct {
	in  *parse.Input
	err error
}

type builtMsg struct{ v *views.Views }

type tickMsg time.Time

// New builds the program model.
func New(cfg Config) *Model {
	st, km := cfg.Styles, cfg.Keys
	if st == nil {
		st = theme.New(cfg.Renderer)
	}
	if km == nil {
		km = keys.Default()
	}
	ctx := &common.Context{Styles: st, Keys: km, Options: cfg.Options}
	lctx, cancel := context.WithCancel(context.Background())
	now := time.Now()
	m := &Model{cfg: cfg, ctx: ctx, loadCtx: lctx, cancel: cancel, started: now, now: now, width: 80, height: 24}
	m.panes = []common.Component{findings.New(ctx), hotspots.New(ctx), queries.New(ctx), traces.New(ctx), sources.New(ctx)}
	for _, in := range cfg.Inputs {
		cfg.Collector.AddSource(in.Src)
	}
	m.pending = len(cfg.Inputs)
	m.showProgress = m.pending > 0
	m.views = &views.Views{Sources: views.SourceViews(cfg.Collector.Sources())}
	m.progress = m.views.Sources
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
	if m.pending == 0 && len(m.cfg.Collector.Sources()) > 0 {
		cmds = append(cmds, m.build()) // loaded beforehand: compute the views now
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
		if m.pending == 0 {
			m.showProgress = false
		}
		m.progress = views.SourceViews(m.cfg.Collector.Sources())
		return m, m.build()
	case builtMsg:
		m.building = false
		m.views = msg.v
		var cmds []tea.Cmd
		for i, p := range m.panes {
			p.SetViews(m.views)
			var cmd tea.Cmd
			m.panes[i], cmd = p.Update(common.Refresh{})
			cmds = append(cmds, cmd)
		}
		if m.dirty {
			m.dirty = false
			cmds = append(cmds, m.build())
		}
		return m, tea.Batch(cmds...)
	case tickMsg:
		if m.pending > 0 {
			m.now = time.Time(msg)
			m.progress = views.SourceViews(m.cfg.Collector.Sources())
			if sp, ok := m.pane(sources.Title).(*sources.Model); ok {
				sp.SetSources(m.progress)
			}
			return m, tick()
		}
		return m, nil
	case copiedMsg:
		if msg.err != nil {
			return m, m.setNotice("copy failed: "+termsafe.String(msg.err.Error()), true)
		}
		return m, m.setNotice("copied "+common.Fit(termsafe.String(msg.text), 40), false)
	case common.Notice:
		return m, m.setNotice(termsafe.String(msg.Text), msg.IsErr)
	case noticeMsg:
		if msg.seq == m.noticeSeq {
			m.notice = ""
		}
		return m, nil
	case tea.MouseMsg:
		return m, m.mouse(msg)
	case common.Navigate:
		for i, p := range m.panes {
			if p.Title() == msg.Pane {
				if i != m.active {
					m.cameFrom = append(m.cameFrom, m.active)
				}
				m.active = i
				var cmd tea.Cmd
				m.panes[i], cmd = p.Update(msg.Msg)
				return m, cmd
			}
		}
		return m, nil
	case tea.KeyMsg:
		if msg.Type == tea.KeyCtrlC { // always: whatever the bindings say
			return m, m.quit()
		}
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !m.help && !m.panes[m.active].Capturing() {
			// Keys typed faster than one read (over SSH, or a held key)
			// arrive as one message: act on each, as typed.
			var cmds []tea.Cmd
			for _, r := range msg.Runes {
				_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
				cmds = append(cmds, cmd)
			}
			return m, tea.Batch(cmds...)
		}
		if m.help {
			m.help = false // any key closes help
			return m, nil
		}
		if !m.panes[m.active].Capturing() {
			k := m.ctx.Keys
			if m.showProgress && !key.Matches(msg, k.Quit) && !key.Matches(msg, k.Help) {
				m.showProgress = false // any key: show the panes as they are
				return m, nil
			}
			switch {
			case key.Matches(msg, k.Quit):
				return m, m.quit()
			case key.Matches(msg, k.Help):
				m.help = true
				return m, nil
			case key.Matches(msg, k.Copy):
				return m, m.copySelection()
			case key.Matches(msg, k.NextPane):
				m.active, m.cameFrom = (m.active+1)%len(m.panes), nil
				return m, nil
			case key.Matches(msg, k.PrevPane):
				m.active, m.cameFrom = (m.active+len(m.panes)-1)%len(m.panes), nil
				return m, nil
			}
			for i := range k.Pane {
				if key.Matches(msg, k.Pane[i]) && i < len(m.panes) {
					m.active, m.cameFrom = i, nil
					return m, nil
				}
			}
		}
	}
	if _, ok := msg.(tea.KeyMsg); !ok {
		// results of a pane's background work reach it wherever the user is
		var cmds []tea.Cmd
		for i, p := range m.panes {
			var cmd tea.Cmd
			m.panes[i], cmd = p.Update(msg)
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	}
	km, _ := msg.(tea.KeyMsg)
	if n := len(m.cameFrom); n > 0 && key.Matches(km, m.ctx.Keys.Back) && !m.panes[m.active].Capturing() {
		// esc after following an anchor: the pane backs out of what it
		// opened first; once it has nothing left to close, esc returns to
		// the pane the anchor was followed from.
		before := m.panes[m.active].View()
		var cmd tea.Cmd
		m.panes[m.active], cmd = m.panes[m.active].Update(msg)
		if m.panes[m.active].View() == before {
			m.active, m.cameFrom = m.cameFrom[n-1], m.cameFrom[:n-1]
		}
		return m, cmd
	}
	var cmd tea.Cmd
	m.panes[m.active], cmd = m.panes[m.active].Update(msg)
	return m, cmd
}

// setNotice shows a short message in the status line for a few seconds.
func (m *Model) setNotice(s string, isErr bool) tea.Cmd {
	m.noticeSeq++
	m.notice, m.noticeErr = s, isErr
	seq := m.noticeSeq
	return tea.Tick(2500*time.Millisecond, func(time.Time) tea.Msg { return noticeMsg{seq} })
}

// copySelection copies what the active pane has selected, sanitised, to
// the clipboard.
func (m *Model) copySelection() tea.Cmd {
	sel, ok := m.panes[m.active].(common.Selector)
	if !ok {
		return m.setNotice("nothing to copy in "+m.panes[m.active].Title(), true)
	}
	text, ok := sel.Selection()
	if !ok || text == "" {
		return m.setNotice("nothing selected to copy", true)
	}
	if m.cfg.Copy == nil {
		return m.setNotice("no clipboard available", true)
	}
	text = clipboard.Sanitize(text)
	cp := m.cfg.Copy
	return func() tea.Msg { return copiedMsg{text: text, err: cp(text)} }
}

// mouse handles a click on the pane bar (switch pane) and hands other
// events to the active pane, Y counted from the pane's top.
func (m *Model) mouse(msg tea.MouseMsg) tea.Cmd {
	if m.help || m.width < minWidth || m.height < minHeight {
		return nil
	}
	if m.showProgress && msg.Action == tea.MouseActionPress {
		m.showProgress = false
		return nil
	}
	if msg.Y == 0 {
		if msg.Action == tea.MouseActionPress && msg.Button == tea.MouseButtonLeft {
			x := 0
			for i, w := range m.tabWidths() {
				if msg.X >= x && msg.X < x+w {
					m.active = i
					break
				}
				x += w
			}
		}
		return nil
	}
	if msg.Y >= m.height-1 {
		return nil // the status line
	}
	msg.Y--
	if mh, ok := m.panes[m.active].(common.MouseHandler); ok {
		return mh.Mouse(msg)
	}
	var cmd tea.Cmd
	m.panes[m.active], cmd = m.panes[m.active].Update(msg)
	return cmd
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
		return termsafe.Frame(m.helpView())
	}
	var body string
	if m.showProgress && m.pending > 0 {
		body = progress.View(m.progress, m.now.Sub(m.started), m.width, m.height-2, m.ctx.Styles)
	} else {
		body = m.panes[m.active].View()
	}
	// Panes sanitise what they draw; Frame is the last pass, so a value one
	// of them forgot still cannot act on the terminal (only the styles' SGR
	// sequences pass). A clean frame is returned as it is.
	return termsafe.Frame(m.tabBar() + "\n" + fitLines(body, m.height-2, m.width) + "\n" + m.statusLine())
}

// fitLines makes s exactly h lines, none wider than w cells: a pane that
// draws too much never pushes the status line off the screen. Cheaper than a
// lipgloss height style, which pads every line (more bytes on the wire).
func fitLines(s string, h, w int) string {
	lines := strings.SplitN(s, "\n", h+1)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = common.Fit(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// tabLabels are the pane bar's tabs as drawn; on a terminal without
// attributes the active tab is bracketed.
func (m *Model) tabLabels() []string {
	st := m.ctx.Styles
	var tabs []string
	for i, p := range m.panes {
		label := fmt.Sprintf("%d %s", i+1, p.Title())
		switch {
		case i == m.active && st.Plain:
			tabs = append(tabs, "["+label+"]")
		case i == m.active:
			tabs = append(tabs, st.TabActive.Render(label))
		case st.Plain:
			tabs = append(tabs, " "+label+" ")
		default:
			tabs = append(tabs, st.TabInactive.Render(label))
		}
	}
	return tabs
}

// tabWidths are the cells each tab takes, for clicks.
func (m *Model) tabWidths() []int {
	var ws []int
	for _, t := range m.tabLabels() {
		ws = append(ws, lipgloss.Width(t))
	}
	return ws
}

func (m *Model) tabBar() string {
	st := m.ctx.Styles
	tabs := m.tabLabels()
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
		srcs = m.progress
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
		var read, size int64
		known := true // a share only when every unfinished source has a size
		for _, s := range srcs {
			if !s.Done && s.Err == nil {
				read += s.RawBytes
				size += s.Size
				known = known && s.Size > 0
			}
		}
		if known && size > 0 {
			left += fmt.Sprintf(" · loading %d… %d%%", m.pending, min(read*100/size, 100))
		} else {
			left += fmt.Sprintf(" · loading %d…", m.pending)
		}
	} else if m.building {
		// Everything is read; the findings are being computed and the
		// lists may still change.
		left += " · computing…"
	}
	style := st.Status
	if failed > 0 {
		left += fmt.Sprintf(" · %d failed (see Sources)", failed)
		style = st.StatusError
	}
	if m.notice != "" {
		if m.noticeErr {
			left = st.StatusError.Render(m.notice)
		} else {
			left = st.Notice.Render(" " + m.notice + " ")
		}
		style = st.Renderer.NewStyle()
	}
	right := termsafe.String(keys.Hint(m.ctx.Keys.Help, "help") + " · " + keys.Hint(m.ctx.Keys.Quit, "quit"))
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

// helpView lists every binding of the active pane and the global ones,
// flowed into as many columns as the window needs.
func (m *Model) helpView() string {
	st := m.ctx.Styles
	k := m.ctx.Keys
	type line struct {
		text, desc string
		heading    bool
	}
	var lines []line
	section := func(title string, bs []key.Binding) {
		if len(lines) > 0 {
			lines = append(lines, line{})
		}
		lines = append(lines, line{text: title, heading: true})
		for _, b := range bs {
			h := b.Help()
			if h.Key == "" {
				continue
			}
			lines = append(lines, line{text: termsafe.String(h.Key), desc: termsafe.String(h.Desc)})
		}
	}
	p := m.panes[m.active]
	section(p.Title(), p.KeyBindings())
	section("Navigation", k.Navigation())
	section("Everywhere", k.Global())
	rows := max(m.height-5, 3) // border, padding line, footer
	cols := (len(lines) + rows - 1) / rows
	colW := max((m.width-4)/cols-1, 10)
	var columns []string
	for c := 0; c < cols; c++ {
		var b strings.Builder
		for i := c * rows; i < min((c+1)*rows, len(lines)); i++ {
			l := lines[i]
			var text string
			if l.heading {
				text = st.Title.Render(common.Fit(l.text, colW))
			} else if l.text != "" {
				kk := common.Fit(l.text, 10)
				kk += strings.Repeat(" ", max(10-lipgloss.Width(kk), 0))
				text = st.HelpKey.Render(kk) + " " + st.HelpDesc.Render(common.Fit(l.desc, colW-11))
			}
			b.WriteString(text + "\n")
		}
		columns = append(columns, st.Renderer.NewStyle().Width(colW+1).Render(strings.TrimSuffix(b.String(), "\n")))
	}
	body := lipgloss.JoinHorizontal(lipgloss.Top, columns...)
	box := st.Border.Padding(0, 1).Render(body + "\n" + st.Dim.Render("press any key to close"))
	return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, box)
}
