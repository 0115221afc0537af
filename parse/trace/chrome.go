package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"

	"hotpath/parse"
)

// Chrome's Trace Event format (the "JSON Array" and "JSON Object" forms of
// https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU)
// as Chrome's tracing, Chrome DevTools' Performance panel, Perfetto's JSON
// export, Node's --trace-events, Hermes and many instrumentations write it.
// One file may carry two things, and both are read:
//
//   - duration events (X, B/E) become spans, nested per thread by time;
//   - CPU profiles become a profile: V8's sampling profiler writes them as
//     "Profile" + "ProfileChunk" events (DevTools, Node with the
//     disabled-by-default-v8.cpu_profiler category) or, in older DevTools
//     exports, one "CpuProfile" event; Hermes and other samplers use the
//     format's own top-level "samples" + "stackFrames".

func sniffChrome(head []byte) bool {
	h := trimSpace(head)
	if len(h) == 0 {
		return false
	}
	switch h[0] {
	case '{':
		found := false
		cut, ok := parse.JSONMembers(h, func(key string, _ json.RawMessage) bool {
			found = key == "traceEvents"
			return !found
		})
		// A first member longer than the window (a large "metadata")
		// leaves only the key to look for.
		return ok && (found || cut == "traceEvents" || cut != "" && bytes.Contains(h, []byte(`"traceEvents"`)))
	case '[':
		// The first element is an event: an object with a phase.
		dec := json.NewDecoder(bytes.NewReader(h))
		if _, err := dec.Token(); err != nil {
			return false
		}
		var ev map[string]json.RawMessage
		if err := dec.Decode(&ev); err != nil {
			w := h[:min(len(h), 8192)]
			return parse.IsCutJSON(err) && bytes.Contains(w, []byte(`"ph"`)) && bytes.Contains(w, []byte(`"ts"`))
		}
		_, ph := ev["ph"]
		return ph
	}
	return false
}

type chromeEvent struct {
	Name string `json:"name"`
	Cat  string `json:"cat"`
	Ph   string `json:"ph"`
	// Numbers, or numbers in strings (Hermes and some converters quote
	// them): read with jsonNumber.
	Ts   json.RawMessage            `json:"ts"`
	Dur  json.RawMessage            `json:"dur"`
	Tdur json.RawMessage            `json:"tdur"`
	Pid  json.RawMessage            `json:"pid"`
	Tid  json.RawMessage            `json:"tid"`
	ID   json.RawMessage            `json:"id"`
	Args map[string]json.RawMessage `json:"args"`
}

// jsonNumber reads a JSON number, or a number quoted as a string.
func jsonNumber(raw json.RawMessage) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		raw = []byte(strings.TrimSpace(s))
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

type chromeThread struct{ pid, tid string }

type chromeSpan struct {
	sp  *parse.Span
	thr chromeThread
	ts  float64
	dur float64
}

// v8Node is one node of a V8 CPU profile's call tree.
type v8Node struct {
	ID        int64 `json:"id"`
	CallFrame struct {
		FunctionName string `json:"functionName"`
		URL          string `json:"url"`
		LineNumber   int64  `json:"lineNumber"` // 0-based
	} `json:"callFrame"`
	Parent   *int64  `json:"parent"`   // ProfileChunk nodes
	Children []int64 `json:"children"` // whole CpuProfile nodes
}

type v8CPUProfile struct {
	Nodes      []v8Node  `json:"nodes"`
	StartTime  float64   `json:"startTime"`
	EndTime    float64   `json:"endTime"`
	Samples    []int64   `json:"samples"`
	TimeDeltas []float64 `json:"timeDeltas"`
}

// v8Chunk is one ProfileChunk's args.data.
type v8Chunk struct {
	CPUProfile struct {
		Nodes   []v8Node `json:"nodes"`
		Samples []int64  `json:"samples"`
	} `json:"cpuProfile"`
	TimeDeltas []float64 `json:"timeDeltas"`
}

// v8Profile gathers one profiled thread's events: the Profile event and
// its chunks, which may come in any order.
type v8Profile struct {
	thr       chromeThread
	startTime float64
	chunks    []v8ChunkAt
	whole     *v8CPUProfile // a CpuProfile event
}

type v8ChunkAt struct {
	ts    float64
	seq   int
	chunk v8Chunk
}

// hermesSample is one element of the top-level "samples" array.
type hermesSample struct {
	Pid    json.RawMessage `json:"pid"`
	Tid    json.RawMessage `json:"tid"`
	Sf     json.RawMessage `json:"sf"`
	Weight json.RawMessage `json:"weight"`
}

// hermesFrame is one entry of the top-level "stackFrames" object.
type hermesFrame struct {
	Name     string          `json:"name"`
	Category string          `json:"category"`
	Parent   json.RawMessage `json:"parent"`
}

type chromeState struct {
	spans    []*chromeSpan
	open     map[chromeThread][]*chromeSpan
	procName map[string]string
	thrName  map[chromeThread]string

	profiles map[string]*v8Profile // by pid + profile id
	order    []string
	seq      int

	samples     []hermesSample
	stackFrames map[string]hermesFrame
}

func decodeChrome(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	r, report := parse.GuardJSON(r, src, parse.JSONDocument)
	defer report()
	s := newJSONStream(r, opt)
	st := &chromeState{open: map[chromeThread][]*chromeSpan{}, procName: map[string]string{},
		thrName: map[chromeThread]string{}, profiles: map[string]*v8Profile{}}
	t, err := s.dec.Token()
	if err != nil {
		return s.wrap(err)
	}
	d, _ := t.(json.Delim)
	var n int64
	// readArray decodes the elements of the array whose '[' was just read.
	readArray := func(what string, each func(raw json.RawMessage) bool) error {
		var i int64
		for s.dec.More() {
			i++
			var raw json.RawMessage
			if err := s.dec.Decode(&raw); err != nil {
				return s.wrap(err)
			}
			if !each(raw) {
				src.SkipLine(i, "malformed "+what)
			}
			if i&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		_, err := s.dec.Token() // ']'
		return err
	}
	event := func(raw json.RawMessage) bool {
		var ev chromeEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return false
		}
		n++
		st.add(&ev, src)
		return true
	}
	switch d {
	case '[':
		if err := readArray("trace event", event); err != nil {
			// The format allows the closing ']' to be missing (a trace
			// written by a process that died).
			if !(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) || n == 0 {
				return s.wrap(err)
			}
			src.Warnf("trace event array is not closed (the writer stopped early); read %d events", n)
		}
	case '{':
		found := false
		for s.dec.More() {
			t, err := s.dec.Token()
			if err != nil {
				return s.wrap(err)
			}
			switch key, _ := t.(string); key {
			case "traceEvents":
				if err := s.delim('['); err != nil {
					return err
				}
				found = true
				if err := readArray("trace event", event); err != nil {
					if n > 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
						src.Warnf("trace event array ends early (truncated file?); read %d events", n)
						st.finish(src, sink)
						return nil
					}
					return s.wrap(err)
				}
			case "samples":
				if err := s.delim('['); err != nil {
					return fmt.Errorf(`"samples": %w`, err)
				}
				if err := readArray("sample", func(raw json.RawMessage) bool {
					var hs hermesSample
					if json.Unmarshal(raw, &hs) != nil {
						return false
					}
					st.samples = append(st.samples, hs)
					return true
				}); err != nil {
					return s.wrap(err)
				}
			case "stackFrames":
				if err := s.dec.Decode(&st.stackFrames); err != nil {
					return fmt.Errorf(`"stackFrames" is not an object of frames: %w`, s.wrap(err))
				}
			default:
				if err := s.skipValue(); err != nil {
					return err
				}
			}
		}
		if !found {
			return errors.New(`object has no "traceEvents" array`)
		}
	default:
		return errors.New("not a Chrome trace: expected an array or an object")
	}
	st.finish(src, sink)
	return nil
}

func idText(raw json.RawMessage) string { return jsonText(raw) }

func (st *chromeState) add(ev *chromeEvent, src *parse.Source) {
	thr := chromeThread{pid: idText(ev.Pid), tid: idText(ev.Tid)}
	ts, hasTS := jsonNumber(ev.Ts)
	switch ev.Ph {
	case "X":
		dur, ok := jsonNumber(ev.Dur)
		if !ok {
			dur, ok = jsonNumber(ev.Tdur)
		}
		if !hasTS || !ok {
			src.SkipLine(0, "trace event X without a numeric ts and dur")
			return
		}
		st.newSpan(ev, thr, ts, dur)
		return
	case "B":
		if !hasTS {
			src.SkipLine(0, "trace event B without a numeric ts")
			return
		}
		cs := st.newSpan(ev, thr, ts, -1)
		st.open[thr] = append(st.open[thr], cs)
		return
	case "E":
		stack := st.open[thr]
		for i := len(stack) - 1; i >= 0; i-- {
			if ev.Name == "" || stack[i].sp.Name == ev.Name {
				for j := len(stack) - 1; j >= i; j-- {
					if hasTS {
						stack[j].dur = ts - stack[j].ts
					}
					mergeArgs(stack[j].sp, ev.Args)
				}
				st.open[thr] = stack[:i]
				return
			}
		}
		src.SkipLine(0, "trace event E without a matching B")
		return
	case "M":
		name := ""
		if v, ok := ev.Args["name"]; ok {
			name = jsonText(v)
		}
		switch ev.Name {
		case "process_name":
			st.procName[thr.pid] = name
		case "thread_name":
			st.thrName[thr] = name
		}
		return
	}
	switch ev.Name {
	case "Profile", "ProfileChunk", "CpuProfile":
		if st.addProfileEvent(ev, thr, ts) {
			return
		}
		src.SkipLine(0, "malformed "+ev.Name+" event")
		return
	}
	src.SkipLine(0, "trace event phase "+strconv.Quote(ev.Ph)+" is not a span")
}

// addProfileEvent keeps a V8 CPU profile event for finish.
func (st *chromeState) addProfileEvent(ev *chromeEvent, thr chromeThread, ts float64) bool {
	data, ok := ev.Args["data"]
	if !ok {
		return false
	}
	key := thr.pid + "\x00" + idText(ev.ID)
	if ev.Name == "CpuProfile" {
		key = thr.pid + "\x00" + thr.tid + "\x00cpuprofile"
	}
	vp := st.profiles[key]
	if vp == nil {
		vp = &v8Profile{thr: thr}
		st.profiles[key] = vp
		st.order = append(st.order, key)
	}
	switch ev.Name {
	case "Profile":
		var d struct {
			StartTime float64 `json:"startTime"`
		}
		if json.Unmarshal(data, &d) != nil {
			return false
		}
		// The Profile event is written on the profiled thread; its chunks
		// come from the sampler's thread.
		vp.thr, vp.startTime = thr, d.StartTime
	case "ProfileChunk":
		var c v8Chunk
		if json.Unmarshal(data, &c) != nil {
			return false
		}
		st.seq++
		vp.chunks = append(vp.chunks, v8ChunkAt{ts: ts, seq: st.seq, chunk: c})
	case "CpuProfile":
		var d struct {
			CPUProfile v8CPUProfile `json:"cpuProfile"`
		}
		if json.Unmarshal(data, &d) != nil {
			return false
		}
		vp.whole = &d.CPUProfile
	}
	return true
}

func mergeArgs(sp *parse.Span, args map[string]json.RawMessage) {
	for k, v := range args {
		sp.Attrs[k] = jsonText(v)
	}
}

func (st *chromeState) newSpan(ev *chromeEvent, thr chromeThread, ts, dur float64) *chromeSpan {
	sp := &parse.Span{Name: ev.Name, Attrs: make(map[string]string, len(ev.Args)+1)}
	mergeArgs(sp, ev.Args)
	if ev.Cat != "" {
		sp.Attrs["chrome.cat"] = ev.Cat
	}
	cs := &chromeSpan{sp: sp, thr: thr, ts: ts, dur: dur}
	st.spans = append(st.spans, cs)
	return cs
}

// finish closes unmatched B events, nests spans per thread by time
// containment and emits them, then builds the CPU profiles.
func (st *chromeState) finish(src *parse.Source, sink parse.Sink) {
	st.finishSpans(src, sink)
	if p := st.v8Profile(src); p != nil {
		if err := parse.EmitProfile(p, src, sink); err != nil {
			src.Warnf("CPU profile left out: %v", err)
		}
	}
	if p := st.sampledProfile(src); p != nil {
		if err := parse.EmitProfile(p, src, sink); err != nil {
			src.Warnf("sampled profile left out: %v", err)
		}
	}
}

func (st *chromeState) finishSpans(src *parse.Source, sink parse.Sink) {
	var last float64
	for _, cs := range st.spans {
		if e := cs.ts + max(cs.dur, 0); e > last {
			last = e
		}
	}
	for _, stack := range st.open {
		for _, cs := range stack {
			cs.dur = last - cs.ts
			cs.sp.Attrs["chrome.unfinished"] = "true"
		}
	}
	byThread := map[chromeThread][]*chromeSpan{}
	var threads []chromeThread
	for _, cs := range st.spans {
		if _, ok := byThread[cs.thr]; !ok {
			threads = append(threads, cs.thr)
		}
		byThread[cs.thr] = append(byThread[cs.thr], cs)
	}
	seq := 0
	for _, thr := range threads {
		list := byThread[thr]
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].ts != list[j].ts {
				return list[i].ts < list[j].ts
			}
			return list[i].dur > list[j].dur
		})
		var stack []*chromeSpan
		roots := 0
		for _, cs := range list {
			for len(stack) > 0 {
				top := stack[len(stack)-1]
				if cs.ts >= top.ts && cs.ts+max(cs.dur, 0) <= top.ts+top.dur {
					break
				}
				stack = stack[:len(stack)-1]
			}
			seq++
			sp := cs.sp
			sp.SpanID = "c" + strconv.Itoa(seq)
			if len(stack) > 0 {
				sp.ParentID = stack[len(stack)-1].sp.SpanID
				sp.TraceID = stack[len(stack)-1].sp.TraceID
			} else {
				roots++
				sp.TraceID = "chrome-" + thr.pid + "-" + thr.tid + "-" + strconv.Itoa(roots)
			}
			sp.Start = micros(cs.ts)
			sp.Duration = microDur(cs.dur)
			sp.Service = st.procName[thr.pid]
			if sp.Service == "" {
				sp.Service = "pid " + thr.pid
			}
			sp.Thread = st.threadName(thr)
			if sp.Kind = normKind(sp.Attrs["span.kind"]); sp.Kind == "" {
				sp.Kind = "internal"
			}
			stack = append(stack, cs)
			emitSpan(src, sink, sp)
		}
	}
}

func (st *chromeState) threadName(thr chromeThread) string {
	if n := st.thrName[thr]; n != "" {
		return n
	}
	return thr.tid
}

// maxStackDepth bounds a stack walked up a profile's parent links (a
// cycle in a malformed file must not loop forever).
const maxStackDepth = 4096

// v8Profile turns the V8 CPU profiles into one profile, a thread label on
// each sample. Each sample is charged its time delta (the time since the
// previous sample), as speedscope's importer does; samples of the idle
// node are left out (the thread was waiting), as speedscope and DevTools'
// flame chart leave them out; "(program)" and "(garbage collector)" stay
// as frames of their own. Line numbers, 0-based in the format, are made
// 1-based as pprof's are.
func (st *chromeState) v8Profile(src *parse.Source) *profile.Profile {
	if len(st.order) == 0 {
		return nil
	}
	b := parse.NewProfileBuilder(&profile.ValueType{Type: "samples", Unit: "count"}, &profile.ValueType{Type: "wall", Unit: "nanoseconds"})
	var idle, bad int64
	var start, total float64
	for _, key := range st.order {
		vp := st.profiles[key]
		cp := vp.whole
		if cp == nil {
			sort.SliceStable(vp.chunks, func(i, j int) bool { return vp.chunks[i].ts < vp.chunks[j].ts })
			cp = &v8CPUProfile{StartTime: vp.startTime}
			for _, c := range vp.chunks {
				cp.Nodes = append(cp.Nodes, c.chunk.CPUProfile.Nodes...)
				cp.Samples = append(cp.Samples, c.chunk.CPUProfile.Samples...)
				cp.TimeDeltas = append(cp.TimeDeltas, c.chunk.TimeDeltas...)
			}
		}
		nodes := make(map[int64]*v8Node, len(cp.Nodes))
		parent := make(map[int64]int64, len(cp.Nodes))
		for i := range cp.Nodes {
			nd := &cp.Nodes[i]
			nodes[nd.ID] = nd
			if nd.Parent != nil {
				parent[nd.ID] = *nd.Parent
			}
		}
		for i := range cp.Nodes {
			for _, c := range cp.Nodes[i].Children {
				parent[c] = cp.Nodes[i].ID
			}
		}
		var labels map[string][]string
		if vp.thr != (chromeThread{}) {
			labels = map[string][]string{"thread": {st.threadName(vp.thr)}, "pid": {vp.thr.pid}}
		}
		stacks := map[int64][]parse.Frame{}
		if start == 0 || cp.StartTime > 0 && cp.StartTime < start {
			start = cp.StartTime
		}
		for i, id := range cp.Samples {
			delta := 0.0
			if i < len(cp.TimeDeltas) && cp.TimeDeltas[i] > 0 {
				delta = cp.TimeDeltas[i]
			}
			total += delta
			stack, ok := stacks[id]
			if !ok {
				stack, ok = v8Stack(nodes, parent, id)
				if !ok {
					bad++
					continue
				}
				stacks[id] = stack
			}
			if len(stack) == 0 {
				idle++
				continue
			}
			b.Add(stack, []int64{1, parse.SatInt64(delta * 1000)}, labels)
		}
	}
	if bad > 0 {
		src.SkipLine(0, fmt.Sprintf("CPU profile sample naming a node that is not in the profile (%d)", bad))
	}
	if b.Samples() == 0 {
		if idle > 0 {
			src.Warnf("the CPU profile has only idle samples (%d)", idle)
		}
		return nil
	}
	if idle > 0 {
		src.Warnf("%d idle samples of the CPU profile left out (the thread was waiting), as DevTools' and speedscope's flame charts leave them out", idle)
	}
	p := b.Profile()
	p.TimeNanos = parse.SatInt64(start * 1000)
	p.DurationNanos = parse.SatInt64(total * 1000)
	return p
}

// v8Stack walks from a sample's node to the root, returning the stack root
// first without the "(root)" node; an "(idle)" sample has an empty stack.
func v8Stack(nodes map[int64]*v8Node, parent map[int64]int64, id int64) ([]parse.Frame, bool) {
	var leafFirst []parse.Frame
	for depth := 0; ; depth++ {
		nd, ok := nodes[id]
		if !ok || depth > maxStackDepth {
			return nil, false
		}
		name := nd.CallFrame.FunctionName
		switch {
		case name == "(idle)" && len(leafFirst) == 0:
			return nil, true
		case name == "(root)":
		default:
			if name == "" {
				name = "(anonymous)"
			}
			leafFirst = append(leafFirst, parse.Frame{Name: name, File: nd.CallFrame.URL, Line: nd.CallFrame.LineNumber + 1})
		}
		p, ok := parent[id]
		if !ok {
			break
		}
		id = p
	}
	for i, j := 0, len(leafFirst)-1; i < j; i, j = i+1, j-1 {
		leafFirst[i], leafFirst[j] = leafFirst[j], leafFirst[i]
	}
	return leafFirst, true
}

// sampledProfile turns the format's top-level samples + stackFrames into a
// profile counting samples (each weighted by its "weight", default 1).
// Hermes writes frame names as "name(url:line:col)"; they are split into
// function, file and line.
func (st *chromeState) sampledProfile(src *parse.Source) *profile.Profile {
	if len(st.samples) == 0 {
		return nil
	}
	b := parse.NewProfileBuilder(&profile.ValueType{Type: "samples", Unit: "count"})
	stacks := map[string][]parse.Frame{}
	var bad, rootOnly int64
	for _, hs := range st.samples {
		sf := idText(hs.Sf)
		stack, ok := stacks[sf]
		if !ok {
			stack, ok = st.frameStack(sf)
			if !ok {
				bad++
				continue
			}
			stacks[sf] = stack
		}
		w := 1.0
		if v, ok := jsonNumber(hs.Weight); ok {
			w = v
		}
		if len(stack) == 0 {
			rootOnly++
			continue
		}
		if w <= 0 {
			continue
		}
		thr := chromeThread{pid: idText(hs.Pid), tid: idText(hs.Tid)}
		b.Add(stack, []int64{parse.SatInt64(w)}, map[string][]string{"thread": {st.threadName(thr)}, "pid": {thr.pid}})
	}
	if bad > 0 {
		src.SkipLine(0, fmt.Sprintf("sample whose stack frame is not in stackFrames (%d)", bad))
	}
	if rootOnly > 0 {
		src.Warnf("%d samples with only the root frame left out (the thread ran no code)", rootOnly)
	}
	if b.Samples() == 0 {
		return nil
	}
	return b.Profile()
}

func (st *chromeState) frameStack(id string) ([]parse.Frame, bool) {
	var leafFirst []parse.Frame
	for depth := 0; id != ""; depth++ {
		f, ok := st.stackFrames[id]
		if !ok || depth > maxStackDepth {
			return nil, false
		}
		if f.Category != "root" {
			leafFirst = append(leafFirst, hermesFrameName(f.Name))
		}
		id = ""
		if len(f.Parent) > 0 && !bytes.Equal(f.Parent, []byte("null")) {
			id = idText(f.Parent)
		}
	}
	for i, j := 0, len(leafFirst)-1; i < j; i, j = i+1, j-1 {
		leafFirst[i], leafFirst[j] = leafFirst[j], leafFirst[i]
	}
	return leafFirst, true
}

// hermesFrameName splits "function1(http://host/index.bundle:418874:4)".
func hermesFrameName(s string) parse.Frame {
	open := strings.IndexByte(s, '(')
	if open <= 0 || !strings.HasSuffix(s, ")") {
		return parse.Frame{Name: s}
	}
	loc := s[open+1 : len(s)-1]
	// url:line:col
	c2 := strings.LastIndexByte(loc, ':')
	if c2 < 0 {
		return parse.Frame{Name: s}
	}
	c1 := strings.LastIndexByte(loc[:c2], ':')
	if c1 < 0 {
		return parse.Frame{Name: s}
	}
	line, err1 := strconv.ParseInt(loc[c1+1:c2], 10, 64)
	_, err2 := strconv.ParseInt(loc[c2+1:], 10, 64)
	if err1 != nil || err2 != nil {
		return parse.Frame{Name: s}
	}
	return parse.Frame{Name: s[:open], File: loc[:c1], Line: line}
}

// ---- V8 CPU profile (.cpuprofile) ----
//
// The JSON CPU profile that `node --cpu-prof` writes and Chrome DevTools'
// JavaScript profiler saves: {"nodes", "startTime", "endTime", "samples",
// "timeDeltas"}, the same call tree a trace's ProfileChunk events carry.

func sniffCPUProfile(head []byte) bool {
	keys := map[string]bool{}
	cut, ok := parse.JSONMembers(trimSpace(head), func(key string, _ json.RawMessage) bool {
		keys[key] = true
		return len(keys) < 32
	})
	if !ok || keys["traceEvents"] {
		return false
	}
	if cut == "nodes" { // a call tree longer than the window
		w := head[:min(len(head), 8192)]
		return bytes.Contains(w, []byte(`"callFrame"`)) && bytes.Contains(w, []byte(`"functionName"`))
	}
	return keys["nodes"] && (keys["samples"] || keys["timeDeltas"] || cut == "samples" || cut == "timeDeltas")
}

func decodeCPUProfile(_ context.Context, r io.Reader, src *parse.Source, sink parse.Sink, opt parse.Options) error {
	r, report := parse.GuardJSON(r, src, parse.JSONDocument)
	defer report()
	data, err := parse.ReadWhole(r, opt)
	if err != nil {
		return err
	}
	var cp v8CPUProfile
	if err := json.Unmarshal(data, &cp); err != nil {
		return fmt.Errorf("not a V8 CPU profile: %w", parse.JSONErrorAt(data, err))
	}
	if len(cp.Nodes) == 0 {
		return errors.New("the CPU profile has no nodes")
	}
	st := &chromeState{profiles: map[string]*v8Profile{"": {whole: &cp}}, order: []string{""}}
	p := st.v8Profile(src)
	if p == nil {
		return errors.New("the CPU profile has no samples (was the program busy while it was profiled?)")
	}
	return parse.EmitProfile(p, src, sink)
}
