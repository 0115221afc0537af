package views

import (
	"regexp"
	"testing"

	"github.com/google/pprof/profile"

	"hotpath/parse"
)

// stackProfile builds a profile from root-first stacks of function names:
// each stack gets the value given, in one "cpu/nanoseconds" sample type.
func stackProfile(stacks map[string]int64) *profile.Profile {
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, Period: 1}
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
	for stack, v := range stacks {
		names := splitStack(stack)
		s := &profile.Sample{Value: []int64{1, v}}
		for i := len(names) - 1; i >= 0; i-- {
			s.Location = append(s.Location, loc(names[i]))
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

func splitStack(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ';' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func groupsOf(ps ...*profile.Profile) []ProfileGroup {
	var sps []SourceProfile
	for i, p := range ps {
		sps = append(sps, SourceProfile{Source: parse.NewSource(string(rune('a'+i)), 0), Profile: p})
	}
	g, _ := GroupProfiles(sps)
	return g
}

func TestHotspotsFlatCumRecursion(t *testing.T) {
	g := groupsOf(stackProfile(map[string]int64{
		"main;serve;handle;query":   60,
		"main;serve;handle;render":  30,
		"main;serve;walk;walk;walk": 10, // recursion counts once in cum
		"main;serve":                0,  // zero values are ignored
	}))
	h, err := ComputeHotspots(g, HotspotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h.SampleType.Type != "cpu" {
		t.Errorf("default sample type = %s, want cpu (time before counts)", h.SampleType)
	}
	want := map[string][2]int64{"query": {60, 60}, "render": {30, 30}, "walk": {10, 10}, "handle": {0, 90}, "serve": {0, 100}, "main": {0, 100}}
	if len(h.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(h.Rows), len(want), h.Rows)
	}
	for _, r := range h.Rows {
		w := want[r.Func.Name]
		if r.Flat != w[0] || r.Cum != w[1] {
			t.Errorf("%s flat/cum = %d/%d, want %d/%d", r.Func.Name, r.Flat, r.Cum, w[0], w[1])
		}
	}
	if h.Rows[0].Func.Name != "query" || h.Rows[0].FlatShare != 0.6 {
		t.Errorf("top row = %+v", h.Rows[0])
	}
	if cum := SortByCum(h.Rows); cum[0].Cum != 100 || cum[len(cum)-1].Cum != 10 {
		t.Errorf("by cum: %+v", cum)
	}
}

func TestHotspotsFocusIgnoreNodecount(t *testing.T) {
	g := groupsOf(stackProfile(map[string]int64{"main;a;x": 50, "main;b;x": 30, "main;c": 20}))
	for _, tc := range []struct {
		name        string
		opt         HotspotOptions
		shown, rows int
		dropped     int
		top         string
	}{
		{"focus", HotspotOptions{Focus: regexp.MustCompile(`^b$`)}, 30, 3, 0, "x"},
		{"ignore", HotspotOptions{Ignore: regexp.MustCompile(`^x$`)}, 20, 2, 0, "c"},
		{"file match", HotspotOptions{Focus: regexp.MustCompile(`c\.go`)}, 20, 2, 0, "c"},
		{"nodecount", HotspotOptions{NodeCount: 2}, 100, 2, 3, "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ComputeHotspots(g, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if h.Total != 100 || h.Shown != int64(tc.shown) || len(h.Rows) != tc.rows || h.Dropped != tc.dropped || h.Rows[0].Func.Name != tc.top {
				t.Errorf("total %d shown %d rows %d dropped %d top %s", h.Total, h.Shown, len(h.Rows), h.Dropped, h.Rows[0].Func.Name)
			}
		})
	}
}

func TestPeekAndCallTree(t *testing.T) {
	g := groupsOf(stackProfile(map[string]int64{"main;a;x;y": 50, "main;b;x": 30, "main;x": 20}))
	h, _ := ComputeHotspots(g, HotspotOptions{})
	callers, callees := h.Peek(Func{Name: "x", File: "x.go"})
	wantUp := map[string]int64{"a": 50, "b": 30, "main": 20}
	for _, e := range callers {
		if wantUp[e.Func.Name] != e.Value {
			t.Errorf("caller %s = %d, want %d", e.Func.Name, e.Value, wantUp[e.Func.Name])
		}
	}
	if len(callers) != 3 || callers[0].Func.Name != "a" {
		t.Errorf("callers = %+v", callers)
	}
	if len(callees) != 2 || callees[0].Func.Name != "(self)" || callees[0].Value != 50 || callees[1].Func.Name != "y" {
		t.Errorf("callees = %+v", callees)
	}
	root := h.CallTree()
	if root.Value != 100 || len(root.Children) != 1 || root.Children[0].Func.Name != "main" {
		t.Fatalf("root = %+v", root)
	}
	mainNode := root.Children[0]
	if len(mainNode.Children) != 3 || mainNode.Children[0].Func.Name != "a" || mainNode.Children[0].Value != 50 {
		t.Errorf("main's children = %+v", mainNode.Children)
	}
	if x := mainNode.Children[2]; x.Func.Name != "x" || x.Self != 20 {
		t.Errorf("main;x = %+v", x)
	}
}

func TestSampleTypesAndMerge(t *testing.T) {
	a := stackProfile(map[string]int64{"main;a": 10})
	b := stackProfile(map[string]int64{"main;a": 5, "main;b": 5})
	g := groupsOf(a, b)
	if len(g) != 1 || len(g[0].Sources) != 2 {
		t.Fatalf("two CPU profiles were not merged: %d groups", len(g))
	}
	h, _ := ComputeHotspots(g, HotspotOptions{})
	if h.Total != 20 {
		t.Errorf("merged total = %d, want 20", h.Total)
	}
	for _, tc := range []struct {
		want, got string
		err       bool
	}{
		{"samples", "samples/count", false},
		{"0", "samples/count", false},
		{"cpu/nanoseconds", "cpu/nanoseconds", false},
		{"alloc_space", "", true},
		{"7", "", true},
	} {
		st, err := ResolveSampleType(g, tc.want)
		if (err != nil) != tc.err || (err == nil && st.String() != tc.got) {
			t.Errorf("ResolveSampleType(%q) = %v, %v", tc.want, st, err)
		}
	}
}
