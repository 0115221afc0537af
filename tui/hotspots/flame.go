package hotspots

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"hotpath/views"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// zoom is one breadcrumb of the flame view: the node zoomed into and its
// path of functions from the root (to find it again in another sample type).
type zoom struct {
	node *views.CallNode
	path []views.Func
}

// viewRoot is the node at the top of the icicle: the last zoom, or the root.
func (m *Model) viewRoot() *views.CallNode {
	if len(m.zooms) > 0 {
		return m.zooms[len(m.zooms)-1].node
	}
	return m.tree
}

// syncTreeLimit is the number of functions up to which the call tree is
// built at once; above it, off the UI goroutine (a 100k-function profile
// takes a second or more), while the pane says so.
const syncTreeLimit = 20_000

// treeMsg brings a call tree built in the background.
type treeMsg struct {
	h    *views.Hotspots
	tree *views.CallNode
}

// ensureTree makes sure the call tree of m.h is there or coming: it builds
// small trees at once and returns a command building a large one.
func (m *Model) ensureTree() tea.Cmd {
	if m.h == nil || m.tree != nil && m.treeFor == m.h {
		return nil
	}
	if len(m.h.Rows) <= syncTreeLimit {
		m.setTree(m.h, m.h.CallTree())
		return nil
	}
	if m.building == m.h {
		return nil
	}
	m.building = m.h
	h := m.h
	return func() tea.Msg { return treeMsg{h: h, tree: h.CallTree()} }
}

// setTree installs the tree of h and lays the flame view out on it.
func (m *Model) setTree(h *views.Hotspots, tree *views.CallNode) {
	m.tree, m.treeFor = tree, h
	if m.building == h {
		m.building = nil
	}
	if m.mode == ModeFlame {
		m.rebuildFlame()
		if m.want.Name != "" {
			m.selectFrame(m.want)
			m.want = views.Func{}
		}
	}
}

// treeReady reports whether the icicle can be drawn.
func (m *Model) treeReady() bool { return m.tree != nil && m.treeFor == m.h }

// openFlame switches to the icicle view, the cursor on the widest frame of
// the function selected in the table.
func (m *Model) openFlame() tea.Cmd {
	if m.h == nil {
		return nil
	}
	m.want = views.Func{}
	if m.mode == ModePeek {
		m.want = m.peekFn
	} else if sel, ok := m.Selected(); ok && m.mode == ModeTable {
		m.want = sel.Func
	}
	m.mode = ModeFlame
	if m.treeReady() {
		m.setTree(m.h, m.tree)
		return nil
	}
	m.canvas.SetRows(nil, 0, 0)
	return m.ensureTree()
}

// selectFrame puts the cursor on the first (top-most, widest) frame of fn.
func (m *Model) selectFrame(fn views.Func) bool {
	for r, row := range m.canvas.Rows() {
		best, bestW := -1, 0
		for i, f := range row {
			if f.Node.Func == fn && f.W > bestW {
				best, bestW = i, f.W
			}
		}
		if best >= 0 {
			m.canvas.Select(r, best)
			return true
		}
	}
	return false
}

// rebuildFlame rebuilds the tree for the current sample type and finds the
// zoom and sandwich again in it.
func (m *Model) rebuildFlame() {
	if m.h == nil {
		return
	}
	if !m.treeReady() {
		return
	}
	var keep views.Func
	if f, ok := m.canvas.Selected(); ok {
		keep = f.Node.Func
	}
	var zs []zoom
	for _, z := range m.zooms {
		nodes := views.FindPath(m.tree, z.path)
		if len(nodes) != len(z.path) {
			break // that path has no samples of this type
		}
		zs = append(zs, zoom{node: nodes[len(nodes)-1], path: z.path})
	}
	m.zooms = zs
	m.relayout()
	if keep.Name != "" {
		m.selectFrame(keep)
	}
}

// relayout lays the frames out again (after a resize or a zoom).
func (m *Model) relayout() {
	if m.h == nil {
		return
	}
	if m.mode == ModeSandwich {
		m.layoutSandwich()
		return
	}
	if !m.treeReady() {
		return
	}
	prev, had := m.canvas.Selected()
	r, i := m.canvas.Cursor()
	m.canvas.SetRows(views.FlameLayout(m.viewRoot(), m.width, 0), r, i)
	m.canvas.SetMatch(m.matcher())
	if had {
		m.selectNode(prev.Node) // the same frame, wherever the new width put it
	}
}

// openSandwich shows fn's callers above it and its callees below.
func (m *Model) openSandwich(fn views.Func, from Mode) {
	if m.h == nil || fn.Name == "" {
		return
	}
	if m.mode != ModeSandwich {
		m.sandBack = from
		m.sandwich = nil
	}
	m.mode = ModeSandwich
	m.sandwich = append(m.sandwich, fn)
	m.layoutSandwich()
}

// layoutSandwich draws the callers tree upside down above the function and
// the callees tree below it: the cursor starts on the function.
func (m *Model) layoutSandwich() {
	fn := m.sandwich[len(m.sandwich)-1]
	callers, callees := m.h.Sandwich(fn)
	up := views.FlameLayout(callers, m.width, 0)
	down := views.FlameLayout(callees, m.width, 0)
	var rows [][]views.FlameFrame
	for i := len(up) - 1; i >= 1; i-- {
		rows = append(rows, up[i])
	}
	m.sandRoot = len(rows)
	rows = append(rows, down...)
	m.sandCum = callees
	m.canvas.SetRows(rows, m.sandRoot, 0)
	m.canvas.SetMatch(m.matcher())
}

func (m *Model) flameKey(km tea.KeyMsg) tea.Cmd {
	k := m.ctx.Keys
	if m.mode == ModeFlame && !m.treeReady() && !key.Matches(km, k.Back) && !key.Matches(km, k.Flame) {
		return m.ensureTree() // still building: only leaving works
	}
	switch {
	case key.Matches(km, k.Back):
		switch {
		case m.filter.Shown():
			m.clearFilter()
		case m.mode == ModeSandwich && len(m.sandwich) > 1:
			m.sandwich = m.sandwich[:len(m.sandwich)-1]
			m.layoutSandwich()
		case m.mode == ModeSandwich:
			m.sandwich = nil
			return m.leaveTo(m.sandBack)
		case len(m.zooms) > 0:
			out := m.zooms[len(m.zooms)-1].node
			m.zooms = m.zooms[:len(m.zooms)-1]
			m.relayout()
			m.selectNode(out)
		default:
			m.leaveTo(ModeTable)
		}
	case key.Matches(km, k.Flame):
		if m.mode == ModeSandwich {
			m.sandwich = nil
			return m.leaveTo(ModeFlame)
		}
		m.leaveTo(ModeTable)
	case key.Matches(km, k.Enter):
		m.zoomIn()
	case key.Matches(km, k.Sandwich):
		if f, ok := m.canvas.Selected(); ok && (m.mode == ModeSandwich || f.Node != m.tree) {
			m.openSandwich(f.Node.Func, m.mode)
		}
	case key.Matches(km, k.SampleType):
		return m.nextSampleType()
	case key.Matches(km, k.NextMatch), key.Matches(km, k.PrevMatch):
		ms := m.canvas.Matches()
		if len(ms) == 0 {
			return nil
		}
		r, i := m.canvas.Cursor()
		cur := -1
		for j, p := range ms {
			if p[0] < r || p[0] == r && p[1] <= i {
				cur = j
			}
		}
		at := func(j int) bool { return ms[j] == [2]int{r, i} }
		var next int
		if key.Matches(km, k.NextMatch) {
			next = (cur + 1) % len(ms)
		} else {
			next = cur
			if cur < 0 || at(cur) {
				next = (cur - 1 + len(ms)) % len(ms)
			}
		}
		m.canvas.Select(ms[next][0], ms[next][1])
	default:
		m.canvas.Update(km)
	}
	return nil
}

// selectNode puts the cursor on node n if drawn.
func (m *Model) selectNode(n *views.CallNode) {
	for r, row := range m.canvas.Rows() {
		for i, f := range row {
			if f.Node == n {
				m.canvas.Select(r, i)
				return
			}
		}
	}
}

// leaveTo leaves the flame or sandwich view, selecting the function that
// was under the cursor in the table.
func (m *Model) leaveTo(mode Mode) tea.Cmd {
	f, ok := m.canvas.Selected()
	m.mode = mode
	if mode == ModeFlame {
		m.want = f.Node.Func
		if m.treeReady() {
			m.setTree(m.h, m.tree)
			return nil
		}
		m.canvas.SetRows(nil, 0, 0)
		return m.ensureTree()
	}
	if ok && mode == ModeTable {
		m.selectFunc(f.Node.Func)
	}
	return nil
}

// zoomIn makes the selected frame the top of the view (icicle), or the
// selected function the middle of the sandwich.
func (m *Model) zoomIn() {
	f, ok := m.canvas.Selected()
	if !ok {
		return
	}
	if m.mode == ModeSandwich {
		r, _ := m.canvas.Cursor()
		if r != m.sandRoot {
			m.openSandwich(f.Node.Func, ModeSandwich)
		}
		return
	}
	if f.Depth == 0 {
		return
	}
	// path from the view's root down to f, through the parents
	rows := m.canvas.Rows()
	nodes := make([]*views.CallNode, f.Depth)
	for g := f; g.Depth > 0; g = rows[g.Depth-1][g.Parent] {
		nodes[g.Depth-1] = g.Node
	}
	var path []views.Func
	if len(m.zooms) > 0 {
		path = append(path, m.zooms[len(m.zooms)-1].path...)
	}
	for _, n := range nodes {
		path = append(path, n.Func)
	}
	m.zooms = append(m.zooms, zoom{node: f.Node, path: path})
	m.relayout()
	m.canvas.Select(0, 0)
}

// flameTitle is the title line: view, sample type and breadcrumbs.
func (m *Model) flameTitle() string {
	if m.mode == ModeSandwich {
		names := make([]string, len(m.sandwich))
		for i, f := range m.sandwich {
			names[i] = short(f.Name)
		}
		return fmt.Sprintf("Sandwich · %s · callers ↑ callees ↓ · %s", m.h.SampleType, crumbs(names, m.width-40))
	}
	names := []string{"root"}
	for _, z := range m.zooms {
		names = append(names, short(z.node.Func.Name))
	}
	return fmt.Sprintf("Flame · %s · %s", m.h.SampleType, crumbs(names, m.width-30))
}

// crumbs joins breadcrumbs with ›, dropping the oldest when they do not fit.
func crumbs(names []string, w int) string {
	s := strings.Join(names, " › ")
	for len(names) > 1 && ansi.StringWidth(s) > max(w, 10) {
		names = names[1:]
		s = "… › " + strings.Join(names, " › ")
	}
	return s
}

// short is a function name without its package path, for breadcrumbs.
func short(name string) string {
	name = termsafe.String(name)
	if i := strings.LastIndex(name, "/"); i >= 0 && i < len(name)-1 {
		name = name[i+1:]
	}
	return name
}

// flameStatus describes the selected frame: flat, cum and shares.
func (m *Model) flameStatus() string {
	f, ok := m.canvas.Selected()
	if !ok {
		if m.mode == ModeFlame && !m.treeReady() {
			return "building the call tree of " + fmt.Sprint(len(m.h.Rows)) + " functions…"
		}
		return "no samples"
	}
	unit := m.h.SampleType.Unit
	if m.mode == ModeSandwich {
		r, _ := m.canvas.Cursor()
		fi := m.h.Frame(f.Node, m.sandCum)
		where := "callee"
		if r < m.sandRoot {
			where = "caller"
		} else if r == m.sandRoot {
			where = "function"
		}
		return fmt.Sprintf("%s %s · %s (%s of total) · %s of the function's time · enter re-centres",
			where, termsafe.String(f.Node.Func.Name), units.Value(fi.Cum, unit), units.Share(fi.Share),
			units.Share(fi.ViewShare))
	}
	fi := m.h.Frame(f.Node, m.viewRoot())
	return fmt.Sprintf("%s · flat %s · cum %s · %s of total · %s of view", termsafe.String(f.Node.Func.Name),
		units.Value(fi.Flat, unit), units.Value(fi.Cum, unit), units.Share(fi.Share),
		units.Share(fi.ViewShare))
}
