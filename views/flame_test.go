package views

import (
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// stacksProfile builds a cpu profile of stacks given root first.
func stacksProfile(stacks map[string]int64, order ...string) *profile.Profile {
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}}}
	fns := map[string]*profile.Location{}
	loc := func(name string) *profile.Location {
		if l, ok := fns[name]; ok {
			return l
		}
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, Filename: name + ".go"}
		p.Function = append(p.Function, f)
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: f}}}
		p.Location = append(p.Location, l)
		fns[name] = l
		return l
	}
	for _, key := range order {
		var locs []*profile.Location
		names := splitStack(key)
		for i := len(names) - 1; i >= 0; i-- { // leaf first
			locs = append(locs, loc(names[i]))
		}
		p.Sample = append(p.Sample, &profile.Sample{Location: locs, Value: []int64{stacks[key]}})
	}
	return p
}

func hotspotsOf(t *testing.T, stacks map[string]int64, order ...string) *Hotspots {
	t.Helper()
	p := stacksProfile(stacks, order...)
	h, err := ComputeHotspots([]ProfileGroup{{Profile: p}}, HotspotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestFlameLayoutProportional(t *testing.T) {
	st := map[string]int64{"main;a;x": 50, "main;b": 30, "main;c": 19, "main;d": 1}
	h := hotspotsOf(t, st, "main;a;x", "main;b", "main;c", "main;d")
	rows := FlameLayout(h.CallTree(), 100, 0)
	if len(rows) != 4 {
		t.Fatalf("rows = %d, want 4 (root, main, a/b/c/d, x)", len(rows))
	}
	if r := rows[0][0]; r.X != 0 || r.W != 100 || r.Node.Func.Name != "root" {
		t.Errorf("root frame = %+v", r)
	}
	got := map[string][2]int{}
	for _, f := range rows[2] {
		got[f.Node.Func.Name] = [2]int{f.X, f.W}
	}
	want := map[string][2]int{"a": {0, 50}, "b": {50, 30}, "c": {80, 19}, "d": {99, 1}}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: (x, w) = %v, want %v", k, got[k], v)
		}
	}
	// frames of a row never overlap and stay inside their parent
	for _, row := range rows[1:] {
		end := 0
		for _, f := range row {
			if f.X < end {
				t.Errorf("overlap at %+v", f)
			}
			end = f.X + f.W
			p := rows[f.Depth-1][f.Parent]
			if f.X < p.X || f.X+f.W > p.X+p.W {
				t.Errorf("%s outside its parent %s", f.Node.Func.Name, p.Node.Func.Name)
			}
		}
	}
	// too narrow to draw: dropped with its subtree
	rows = FlameLayout(h.CallTree(), 10, 0)
	for _, f := range rows[2] {
		if f.Node.Func.Name == "d" {
			t.Errorf("d is 1%% of 10 cells and should be dropped")
		}
	}
	if FlameLayout(nil, 10, 0) != nil || FlameLayout(h.CallTree(), 0, 0) != nil {
		t.Error("empty input should lay out nothing")
	}
	if got := len(FlameLayout(h.CallTree(), 100, 2)); got != 2 {
		t.Errorf("maxDepth 2: %d rows", got)
	}
}

func TestFlameFrameAt(t *testing.T) {
	row := []FlameFrame{{X: 0, W: 5}, {X: 5, W: 3}, {X: 10, W: 4}}
	for x, want := range map[int]int{0: 0, 4: 0, 5: 1, 7: 1, 8: 1, 9: 2, 13: 2, 20: 2} {
		if got := FlameFrameAt(row, x); got != want {
			t.Errorf("x=%d: %d, want %d", x, got, want)
		}
	}
	if FlameFrameAt(nil, 3) != -1 {
		t.Error("empty row")
	}
}

func TestSandwich(t *testing.T) {
	st := map[string]int64{"main;a;db;read": 40, "main;b;db": 10, "main;b;c": 5, "main;db;db;write": 7}
	h := hotspotsOf(t, st, "main;a;db;read", "main;b;db", "main;b;c", "main;db;db;write")
	fn, _ := h.FuncOf("db")
	callers, callees := h.Sandwich(fn)
	if callers.Value != 57 || callees.Value != 57 {
		t.Fatalf("sandwich roots = %d/%d, want 57 (db's cum, recursion once)", callers.Value, callees.Value)
	}
	got := map[string]int64{}
	for _, c := range callers.Children {
		got[c.Func.Name] = c.Value
	}
	if got["a"] != 40 || got["b"] != 10 || got["main"] != 7 {
		t.Errorf("callers = %v", got)
	}
	got = map[string]int64{}
	for _, c := range callees.Children {
		got[c.Func.Name] = c.Value
	}
	if got["read"] != 40 || got["db"] != 7 {
		t.Errorf("callees = %v", got)
	}
	if callees.Self != 10 {
		t.Errorf("db self = %d, want 10", callees.Self)
	}
	// callers go all the way to the roots
	if a := callers.Children[0]; a.Func.Name != "a" || len(a.Children) != 1 || a.Children[0].Func.Name != "main" {
		t.Errorf("caller chain of a: %+v", a)
	}
	if c, d := h.Sandwich(Func{Name: "nope"}); c.Value != 0 || d.Value != 0 {
		t.Error("unknown function should give empty trees")
	}
}

func TestFindPathAndFrame(t *testing.T) {
	h := hotspotsOf(t, map[string]int64{"main;a;x": 6, "main;b": 4}, "main;a;x", "main;b")
	tree := h.CallTree()
	nodes := FindPath(tree, []Func{{Name: "main", File: "main.go"}, {Name: "a", File: "a.go"}, {Name: "zz"}})
	if len(nodes) != 2 || nodes[1].Func.Name != "a" {
		t.Fatalf("FindPath = %v", nodes)
	}
	fi := h.Frame(nodes[1], nodes[0])
	if fi.Cum != 6 || fi.Flat != 0 || fi.Share != 0.6 || fi.ViewShare != 0.6 {
		t.Errorf("Frame = %+v", fi)
	}
}

// TestDeepStackNoRecursion: a sample 300,000 frames deep (one pprof sample
// may hold millions) builds its call tree and sandwich without recursing
// per frame: the goroutine stack is held to 8 MiB, which recursion over
// that many frames exceeds (fatally: recover cannot catch it).
func TestDeepStackNoRecursion(t *testing.T) {
	const depth = 300_000
	names := make([]string, depth)
	for i := range names {
		names[i] = "f" + strconv.Itoa(i%1000)
	}
	stack := strings.Join(names, ";")
	h := hotspotsOf(t, map[string]int64{stack: 3, "main;x": 1}, stack, "main;x")
	old := debug.SetMaxStack(8 << 20)
	defer debug.SetMaxStack(old)
	n, levels := h.CallTree(), 0
	for len(n.Children) > 0 {
		n = n.Children[0]
		levels++
	}
	if levels != depth {
		t.Errorf("the heaviest path is %d frames deep, want %d", levels, depth)
	}
	fn, _ := h.FuncOf("f999")
	if callers, _ := h.Sandwich(fn); callers.Value != 3 {
		t.Errorf("f999's sandwich holds %d, want 3", callers.Value)
	}
}
