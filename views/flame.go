package views

import "sort"

// FlameFrame is one frame of a laid-out icicle graph: a call-tree node drawn
// in row Depth from cell X, W cells wide.
type FlameFrame struct {
	Node   *CallNode
	Depth  int
	X, W   int
	Parent int // index of the parent frame in the row above; -1 in row 0
}

// FlameLayout lays the subtree under root out in width cells, root in row 0
// and each row below it one call deeper, at most maxDepth rows (0: all).
// A frame's cells are proportional to its value: its edges are rounded from
// the cumulative values to the left of it, so siblings tile their parent
// exactly and never drift. Frames narrower than one cell are left out (with
// their subtrees); so the work is bounded by width × depth whatever the size
// of the tree. Rows are left to right.
func FlameLayout(root *CallNode, width, maxDepth int) [][]FlameFrame {
	if root == nil || width <= 0 || root.Value <= 0 {
		return nil
	}
	total := root.Value
	edge := func(v int64) int { return int(float64(v)/float64(total)*float64(width) + 0.5) }
	rows := [][]FlameFrame{{{Node: root, Depth: 0, X: 0, W: width, Parent: -1}}}
	// start[i] is the value to the left of frame i of the current row.
	starts := []int64{0}
	for depth := 1; maxDepth <= 0 || depth < maxDepth; depth++ {
		prev := rows[depth-1]
		var row []FlameFrame
		var next []int64
		for pi, pf := range prev {
			off := starts[pi]
			for _, c := range pf.Node.Children {
				x0, x1 := edge(off), edge(off+c.Value)
				if x1 > x0 {
					row = append(row, FlameFrame{Node: c, Depth: depth, X: x0, W: x1 - x0, Parent: pi})
					next = append(next, off)
				}
				off += c.Value
			}
		}
		if len(row) == 0 {
			break
		}
		rows = append(rows, row)
		starts = next
	}
	return rows
}

// FlameFrameAt is the index of the frame of row covering cell x, or the
// nearest one; -1 for an empty row.
func FlameFrameAt(row []FlameFrame, x int) int {
	if len(row) == 0 {
		return -1
	}
	i := sort.Search(len(row), func(i int) bool { return row[i].X+row[i].W > x })
	if i == len(row) {
		return len(row) - 1
	}
	if row[i].X > x && i > 0 && x-(row[i-1].X+row[i-1].W-1) < row[i].X-x {
		return i - 1
	}
	return i
}

// FindPath follows names from root (root itself excluded), returning the
// nodes reached; it stops at the first name not found. A zoom path survives
// a change of sample type this way.
func FindPath(root *CallNode, path []Func) []*CallNode {
	var out []*CallNode
	n := root
	for _, f := range path {
		var next *CallNode
		for _, c := range n.Children {
			if c.Func == f {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		out = append(out, next)
		n = next
	}
	return out
}

// Sandwich is fn's call graph seen from fn, as speedscope's sandwich view
// draws it: Callers is a tree rooted at fn whose children are its callers
// (and theirs below them, up to the program's roots), Callees is a tree rooted
// at fn whose children are what it called. Both roots carry fn's cumulative
// value. A recursive function counts once per sample, at its outermost call.
func (h *Hotspots) Sandwich(fn Func) (callers, callees *CallNode) {
	callers = &CallNode{Func: fn}
	callees = &CallNode{Func: fn}
	target := int32(-1)
	for i, f := range h.funcs {
		if f == fn {
			target = int32(i)
			break
		}
	}
	if target < 0 {
		return callers, callees
	}
	type key struct {
		parent *CallNode
		fn     int32
	}
	children := map[key]*CallNode{}
	step := func(n *CallNode, f int32, v int64) *CallNode {
		k := key{n, f}
		c, ok := children[k]
		if !ok {
			c = &CallNode{Func: h.funcs[f]}
			children[k] = c
			n.Children = append(n.Children, c)
		}
		c.Value += v
		return c
	}
	for _, s := range h.samples {
		at := -1
		for i := len(s.frames) - 1; i >= 0; i-- { // root side first: outermost call
			if s.frames[i] == target {
				at = i
				break
			}
		}
		if at < 0 {
			continue
		}
		callers.Value += s.value
		callees.Value += s.value
		n := callers
		for i := at + 1; i < len(s.frames); i++ {
			n = step(n, s.frames[i], s.value)
		}
		n = callees
		for i := at - 1; i >= 0; i-- {
			n = step(n, s.frames[i], s.value)
		}
		n.Self += s.value
	}
	sortTree(callers)
	sortTree(callees)
	return callers, callees
}

// FuncOf returns the function a table row names, for links from other panes.
func (h *Hotspots) FuncOf(name string) (Func, bool) {
	for _, f := range h.funcs {
		if f.Name == name {
			return f, true
		}
	}
	return Func{}, false
}

// FrameInfo is what a flame view says about one frame: its own (flat) and
// total (cum) value, as shares of the profile and of the frame at the top
// of the view (the zoom).
type FrameInfo struct {
	Func      Func
	Flat, Cum int64
	Share     float64 // Cum of the profile's total
	ViewShare float64 // Cum of the view's root
}

// Frame describes node n of a tree whose drawn root is view.
func (h *Hotspots) Frame(n, view *CallNode) FrameInfo {
	fi := FrameInfo{Func: n.Func, Flat: n.Self, Cum: n.Value, Share: share(n.Value, h.Total)}
	if view != nil {
		fi.ViewShare = share(n.Value, view.Value)
	}
	return fi
}
