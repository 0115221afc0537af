package views

import (
	"fmt"
	"regexp"
	"sort"
)

// Func identifies a function as pprof's function granularity does: by name
// and file.
type Func struct {
	Name string
	File string
}

// HotspotOptions select and filter what Hotspots computes, with pprof's
// meanings: Focus keeps samples with a frame matching it, Ignore drops samples
// with a frame matching it (both match function names and file names).
type HotspotOptions struct {
	SampleType string
	Focus      *regexp.Regexp
	Ignore     *regexp.Regexp
	NodeCount  int // 0: all rows
}

// Hotspot is one function's share of the chosen sample type.
type Hotspot struct {
	Func      Func
	Flat      int64
	Cum       int64
	FlatShare float64
	CumShare  float64
}

// Hotspots is the flat/cumulative table of one sample type, plus the compact
// stacks that callers/callees and the call tree are computed from.
type Hotspots struct {
	SampleType SampleType
	// Total is the value of every sample before focus/ignore, the
	// denominator of every share (as pprof's "of X total").
	Total int64
	// Shown is the value of the samples that passed focus/ignore.
	Shown int64
	Rows  []Hotspot // by flat, descending
	// Dropped counts functions cut by NodeCount.
	Dropped int

	funcs   []Func
	samples []stack
}

// stack is one sample: function indexes leaf first, and its value.
type stack struct {
	frames []int32
	value  int64
}

// ComputeHotspots builds the hotspot table for opt.SampleType over groups.
func ComputeHotspots(groups []ProfileGroup, opt HotspotOptions) (*Hotspots, error) {
	st, err := ResolveSampleType(groups, opt.SampleType)
	if err != nil {
		return nil, err
	}
	p := groups[st.Group].Profile
	h := &Hotspots{SampleType: st}
	funcIdx := map[Func]int32{}
	// Resolve each location once into its (inlined) function frames.
	locFrames := make(map[uint64][]int32, len(p.Location))
	for _, loc := range p.Location {
		fr := make([]int32, 0, len(loc.Line))
		for _, ln := range loc.Line { // Line[0] is the innermost inlined call
			f := Func{Name: "?", File: ""}
			if ln.Function != nil {
				f = Func{Name: ln.Function.Name, File: ln.Function.Filename}
			}
			i, ok := funcIdx[f]
			if !ok {
				i = int32(len(h.funcs))
				funcIdx[f] = i
				h.funcs = append(h.funcs, f)
			}
			fr = append(fr, i)
		}
		if len(fr) == 0 {
			addr := Func{Name: fmt.Sprintf("0x%x", loc.Address)}
			i, ok := funcIdx[addr]
			if !ok {
				i = int32(len(h.funcs))
				funcIdx[addr] = i
				h.funcs = append(h.funcs, addr)
			}
			fr = append(fr, i)
		}
		locFrames[loc.ID] = fr
	}
	focus := matchFuncs(h.funcs, opt.Focus)
	ignore := matchFuncs(h.funcs, opt.Ignore)
	h.samples = make([]stack, 0, len(p.Sample))
	for _, s := range p.Sample {
		v := s.Value[st.Index]
		if v == 0 {
			continue
		}
		h.Total += v
		var frames []int32
		for _, loc := range s.Location {
			frames = append(frames, locFrames[loc.ID]...)
		}
		if focus != nil && !anyMatch(frames, focus) {
			continue
		}
		if ignore != nil && anyMatch(frames, ignore) {
			continue
		}
		h.Shown += v
		h.samples = append(h.samples, stack{frames: frames, value: v})
	}
	h.Rows = h.table()
	if opt.NodeCount > 0 && len(h.Rows) > opt.NodeCount {
		h.Dropped = len(h.Rows) - opt.NodeCount
		h.Rows = h.Rows[:opt.NodeCount]
	}
	return h, nil
}

func matchFuncs(funcs []Func, re *regexp.Regexp) []bool {
	if re == nil {
		return nil
	}
	m := make([]bool, len(funcs))
	for i, f := range funcs {
		m[i] = re.MatchString(f.Name) || (f.File != "" && re.MatchString(f.File))
	}
	return m
}

func anyMatch(frames []int32, m []bool) bool {
	for _, f := range frames {
		if m[f] {
			return true
		}
	}
	return false
}

func (h *Hotspots) table() []Hotspot {
	flat := make([]int64, len(h.funcs))
	cum := make([]int64, len(h.funcs))
	seen := make([]uint32, len(h.funcs)) // sample stamp: count recursion once
	for si, s := range h.samples {
		if len(s.frames) == 0 {
			continue
		}
		flat[s.frames[0]] += s.value
		stamp := uint32(si + 1)
		for _, f := range s.frames {
			if seen[f] != stamp {
				seen[f] = stamp
				cum[f] += s.value
			}
		}
	}
	rows := make([]Hotspot, 0, len(h.funcs))
	for i, f := range h.funcs {
		if cum[i] == 0 {
			continue
		}
		rows = append(rows, Hotspot{Func: f, Flat: flat[i], Cum: cum[i],
			FlatShare: share(flat[i], h.Total), CumShare: share(cum[i], h.Total)})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Flat != rows[j].Flat {
			return rows[i].Flat > rows[j].Flat
		}
		if rows[i].Cum != rows[j].Cum {
			return rows[i].Cum > rows[j].Cum
		}
		return rows[i].Func.Name < rows[j].Func.Name
	})
	return rows
}

func share(v, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(v) / float64(total)
}

// SortByCum returns the rows ordered by cumulative value (pprof -top -cum).
func SortByCum(rows []Hotspot) []Hotspot {
	out := append([]Hotspot(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Cum != out[j].Cum {
			return out[i].Cum > out[j].Cum
		}
		return out[i].Flat > out[j].Flat
	})
	return out
}

// Edge is a caller or callee of a function and the value that flowed
// through that call.
type Edge struct {
	Func  Func
	Value int64
	Share float64
}

// Peek lists fn's callers and callees with the value of the samples in which
// each call appears, as pprof's -peek does. A frame with no caller counts as
// called from "(root)"; a leaf has its self value under "(self)".
func (h *Hotspots) Peek(fn Func) (callers, callees []Edge) {
	target := int32(-1)
	for i, f := range h.funcs {
		if f == fn {
			target = int32(i)
			break
		}
	}
	if target < 0 {
		return nil, nil
	}
	const rootIdx, selfIdx = -1, -2
	up, down := map[int32]int64{}, map[int32]int64{}
	for _, s := range h.samples {
		seenUp, seenDown := map[int32]bool{}, map[int32]bool{}
		for i, f := range s.frames {
			if f != target {
				continue
			}
			caller, callee := int32(rootIdx), int32(selfIdx)
			if i+1 < len(s.frames) {
				caller = s.frames[i+1]
			}
			if i > 0 {
				callee = s.frames[i-1]
			}
			if !seenUp[caller] {
				seenUp[caller] = true
				up[caller] += s.value
			}
			if !seenDown[callee] {
				seenDown[callee] = true
				down[callee] += s.value
			}
		}
	}
	name := func(i int32) Func {
		switch i {
		case rootIdx:
			return Func{Name: "(root)"}
		case selfIdx:
			return Func{Name: "(self)"}
		}
		return h.funcs[i]
	}
	toEdges := func(m map[int32]int64) []Edge {
		out := make([]Edge, 0, len(m))
		for i, v := range m {
			out = append(out, Edge{Func: name(i), Value: v, Share: share(v, h.Total)})
		}
		sort.Slice(out, func(a, b int) bool {
			if out[a].Value != out[b].Value {
				return out[a].Value > out[b].Value
			}
			return out[a].Func.Name < out[b].Func.Name
		})
		return out
	}
	return toEdges(up), toEdges(down)
}

// CallNode is one node of the call tree a flame view draws: a function
// reached by one particular path from the root.
type CallNode struct {
	Func     Func
	Value    int64 // cumulative: this node and everything below
	Self     int64
	Children []*CallNode // by value, descending
}

// CallTree merges the samples into a tree rooted at a synthetic "root"
// node, root frames first.
func (h *Hotspots) CallTree() *CallNode {
	root := &CallNode{Func: Func{Name: "root"}}
	type key struct {
		parent *CallNode
		fn     int32
	}
	children := map[key]*CallNode{}
	for _, s := range h.samples {
		n := root
		n.Value += s.value
		for i := len(s.frames) - 1; i >= 0; i-- {
			k := key{n, s.frames[i]}
			c, ok := children[k]
			if !ok {
				c = &CallNode{Func: h.funcs[s.frames[i]]}
				children[k] = c
				n.Children = append(n.Children, c)
			}
			c.Value += s.value
			n = c
		}
		n.Self += s.value
	}
	sortTree(root)
	return root
}

// sortTree orders every node's children by value, with a stack of its own:
// a stack a million frames deep (one pprof sample can hold that) is a
// tree as deep, and recursion would overflow the goroutine's stack.
func sortTree(root *CallNode) {
	todo := []*CallNode{root}
	for len(todo) > 0 {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		sort.Slice(n.Children, func(i, j int) bool {
			if n.Children[i].Value != n.Children[j].Value {
				return n.Children[i].Value > n.Children[j].Value
			}
			return n.Children[i].Func.Name < n.Children[j].Func.Name
		})
		todo = append(todo, n.Children...)
	}
}
