package trace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	xtrace "golang.org/x/exp/trace"

	"hotpath/parse"
)

// Blocking profile kinds derived from a Go execution trace, named as
// `go tool trace -pprof=TYPE` names them.
const (
	ProfNet     = "net"
	ProfSync    = "sync"
	ProfSyscall = "syscall"
	ProfSched   = "sched"
)

// ProfileKinds lists the derived blocking profiles in the order they are
// emitted.
var ProfileKinds = []string{ProfNet, ProfSync, ProfSyscall, ProfSched}

const (
	minGoTraceVersion = 22
	maxGoTraceVersion = 26
)

// goTraceHeader matches "go 1.NN trace\x00\x00\x00".
func goTraceVersion(head []byte) (int, bool) {
	if !bytes.HasPrefix(head, []byte("go 1.")) {
		return 0, false
	}
	rest := head[len("go 1."):]
	i := bytes.IndexByte(rest, ' ')
	if i <= 0 || i > 3 {
		return 0, false
	}
	v, err := strconv.Atoi(string(rest[:i]))
	if err != nil {
		return 0, false
	}
	if !bytes.HasPrefix(rest[i:], []byte(" trace\x00")) {
		return 0, false
	}
	return v, true
}

func sniffGoTrace(head []byte) bool {
	_, ok := goTraceVersion(head)
	return ok
}

// pprofMaxStack mirrors cmd/trace: stacks are deduplicated on their first
// 128 PCs and cut after 129 frames.
const pprofMaxStack = 128

// blockRec is one stack of a derived profile.
type blockRec struct {
	frames []xtrace.StackFrame
	count  int64
	time   time.Duration
}

// stackMap deduplicates stacks like cmd/trace's stackMap: trace.Stack
// handles are a fast path, the PCs are the truth. The fast-path map is
// dropped at every generation so old generations' tables can be freed.
type stackMap struct {
	fast map[xtrace.Stack]*blockRec
	pcs  map[[pprofMaxStack]uint64]*blockRec
	recs []*blockRec
}

func newStackMap() *stackMap {
	return &stackMap{fast: map[xtrace.Stack]*blockRec{}, pcs: map[[pprofMaxStack]uint64]*blockRec{}}
}

func (m *stackMap) getOrAdd(st xtrace.Stack) *blockRec {
	if r, ok := m.fast[st]; ok {
		return r
	}
	var pcs [pprofMaxStack]uint64
	var frames []xtrace.StackFrame
	i := 0
	for f := range st.Frames() {
		if i < pprofMaxStack {
			pcs[i] = f.PC
		}
		if i <= pprofMaxStack {
			frames = append(frames, f)
		}
		i++
	}
	r, ok := m.pcs[pcs]
	if !ok {
		r = &blockRec{frames: frames}
		m.pcs[pcs] = r
		m.recs = append(m.recs, r)
	}
	m.fast[st] = r
	return r
}

func (m *stackMap) newGeneration() { clear(m.fast) }

// tracking is an interval in progress for one derived profile.
type tracking struct {
	active bool
	start  xtrace.Time
	stack  xtrace.Stack
}

// pendingSample is a finished interval of a goroutine that has not run yet
// in the trace: cmd/trace clips samples to [first run, exit], which is
// only known once it runs (or never does).
type pendingSample struct {
	kind       int
	start, end xtrace.Time
	rec        *blockRec
}

type gState struct {
	stat      parse.GoroutineStat
	named     bool
	started   xtrace.Time // first time running; 0 = not yet
	ended     xtrace.Time // exit (or "forever" wait); 0 = not yet
	track     [4]tracking
	pending   []pendingSample
	lastState xtrace.GoState
	lastTime  xtrace.Time
	lastWhy   string
	regions   []*regionOpen
}

type regionOpen struct {
	span *parse.Span
	t0   xtrace.Time
}

type taskInfo struct {
	span *parse.Span
	t0   xtrace.Time
	root xtrace.TaskID
	open bool
}

// goTraceDeriver consumes a Go execution trace event by event and derives
// what cmd/trace derives: the four blocking profiles, the goroutine
// summary, user tasks/regions/logs.
type goTraceDeriver struct {
	stacks  [4]*stackMap
	gs      map[xtrace.GoID]*gState
	tasks   map[xtrace.TaskID]*taskInfo
	spans   []*parse.Span
	first   xtrace.Time
	last    xtrace.Time
	syncTs  xtrace.Time
	haveEv  bool
	wallOff int64 // wall ns − trace ns, from the first clock snapshot
	haveOff bool
	events  int64
	regionN int64
}

func newGoTraceDeriver() *goTraceDeriver {
	d := &goTraceDeriver{gs: map[xtrace.GoID]*gState{}, tasks: map[xtrace.TaskID]*taskInfo{}}
	for i := range d.stacks {
		d.stacks[i] = newStackMap()
	}
	return d
}

func (d *goTraceDeriver) wall(t xtrace.Time) time.Time {
	return time.Unix(0, int64(t)+d.wallOff).UTC()
}

// profile kind indexes into stacks / track.
const (
	kNet = iota
	kSync
	kSyscall
	kSched
)

func isSyncReason(r string) bool {
	return strings.Contains(r, "chan") || strings.Contains(r, "sync") || strings.Contains(r, "select")
}

// kindFor reports which profile (if any) starts tracking on a transition
// into state `to` for reason.
func kindFor(to xtrace.GoState, reason string) int {
	switch to {
	case xtrace.GoWaiting:
		if reason == "network" {
			return kNet
		}
		if isSyncReason(reason) {
			return kSync
		}
	case xtrace.GoSyscall:
		return kSyscall
	case xtrace.GoRunnable:
		return kSched
	}
	return -1
}

func stateOf(k int) xtrace.GoState {
	switch k {
	case kNet, kSync:
		return xtrace.GoWaiting
	case kSyscall:
		return xtrace.GoSyscall
	}
	return xtrace.GoRunnable
}

func (d *goTraceDeriver) event(ev *xtrace.Event) {
	d.events++
	t := ev.Time()
	if !d.haveEv {
		d.first, d.haveEv = t, true
	}
	if t > d.last {
		d.last = t
	}
	switch ev.Kind() {
	case xtrace.EventSync:
		d.syncTs = t
		for _, m := range d.stacks {
			m.newGeneration()
		}
		if !d.haveOff {
			if cs := ev.Sync().ClockSnapshot; cs != nil {
				d.wallOff = cs.Wall.UnixNano() - int64(cs.Trace)
				d.haveOff = true
			}
		}
	case xtrace.EventStateTransition:
		st := ev.StateTransition()
		if st.Resource.Kind == xtrace.ResourceGoroutine {
			d.goTransition(ev, &st)
		}
	case xtrace.EventTaskBegin:
		d.taskBegin(ev)
	case xtrace.EventTaskEnd:
		d.taskEnd(ev)
	case xtrace.EventRegionBegin:
		d.regionBegin(ev)
	case xtrace.EventRegionEnd:
		d.regionEnd(ev)
	case xtrace.EventLog:
		d.logEvent(ev)
	}
}

func (d *goTraceDeriver) goTransition(ev *xtrace.Event, st *xtrace.StateTransition) {
	id := st.Resource.Goroutine()
	from, to := st.Goroutine()
	t := ev.Time()
	g := d.gs[id]
	if g == nil {
		g = &gState{}
		g.stat.ID = uint64(id)
		g.stat.Start = d.wall(t)
		if from == xtrace.GoUndetermined {
			// Existed before the trace (or this generation): the time since
			// the sync point counts as spent in the new state, as the
			// summariser does.
			g.stat.Start = d.wall(d.syncTs)
			g.addState(to, st.Reason, t.Sub(d.syncTs))
		}
		d.gs[id] = g
	}
	// Time budget (the goroutine analysis' split).
	if g.lastTime != 0 && from != xtrace.GoUndetermined && from != xtrace.GoNotExist {
		g.addState(from, g.lastWhy, t.Sub(g.lastTime))
	}
	g.lastState, g.lastTime, g.lastWhy = to, t, st.Reason
	if !g.named {
		var name string
		for f := range st.Stack.Frames() {
			name = f.Func
		}
		if name != "" {
			g.stat.Name, g.named = name, true
		}
	}

	// Derived profiles: cmd/trace's makeComputePprofFunc, four at once.
	for k := range g.track {
		tr := &g.track[k]
		if !tr.active {
			continue
		}
		if to == stateOf(k) {
			continue // same state again: a no-op for the profile
		}
		tr.active = false
		d.finishSample(g, k, tr.start, t, tr.stack)
	}
	if k := kindFor(to, st.Reason); k >= 0 && !g.track[k].active {
		g.track[k] = tracking{active: true, start: t, stack: ev.Stack()}
	}

	switch to {
	case xtrace.GoRunning:
		if g.started == 0 {
			g.started = t
			// Samples that ended before the first run overlap
			// [first run, end] by nothing: cmd/trace drops them.
			g.pending = nil
		}
	case xtrace.GoNotExist:
		if g.ended == 0 {
			g.ended = t
		}
	case xtrace.GoWaiting:
		if st.Reason == "forever" && g.ended == 0 {
			g.ended = t
		}
	}
}

func (g *gState) addState(s xtrace.GoState, why string, dt time.Duration) {
	if dt <= 0 {
		return
	}
	switch s {
	case xtrace.GoRunning:
		g.stat.Exec = parse.SatAdd(g.stat.Exec, dt)
	case xtrace.GoRunnable:
		g.stat.SchedWait = parse.SatAdd(g.stat.SchedWait, dt)
	case xtrace.GoSyscall:
		g.stat.Syscall = parse.SatAdd(g.stat.Syscall, dt)
	case xtrace.GoWaiting:
		switch {
		case why == "network":
			g.stat.BlockNet = parse.SatAdd(g.stat.BlockNet, dt)
		case isSyncReason(why):
			g.stat.BlockSync = parse.SatAdd(g.stat.BlockSync, dt)
		case strings.Contains(why, "GC"):
			g.stat.BlockGC = parse.SatAdd(g.stat.BlockGC, dt)
		default:
			g.stat.BlockOther = parse.SatAdd(g.stat.BlockOther, dt)
		}
	}
}

// finishSample charges [start, end] to the stack at entry, clipped to the
// goroutine's [first run, exit] interval as cmd/trace's
// pprofOverlappingDuration does.
func (d *goTraceDeriver) finishSample(g *gState, k int, start, end xtrace.Time, stack xtrace.Stack) {
	rec := d.stacks[k].getOrAdd(stack)
	if g.started == 0 {
		g.pending = append(g.pending, pendingSample{kind: k, start: start, end: end, rec: rec})
		return
	}
	charge(rec, overlap(g.started, g.ended, start, end))
}

func charge(rec *blockRec, o time.Duration) {
	if o > 0 {
		rec.count++
		rec.time += o
	}
}

// overlap mirrors cmd/trace's interval.overlap against the goroutine's
// interval [gs, ge] (ge = 0: still live at the end of the trace).
func overlap(gs, ge, s, e xtrace.Time) time.Duration {
	if ge != 0 && ge < s {
		return 0
	}
	if e < gs {
		return 0
	}
	if gs > s {
		s = gs
	}
	if ge != 0 && ge < e {
		e = ge
	}
	return e.Sub(s)
}

// finish resolves what is still open at the end of the trace.
func (d *goTraceDeriver) finish() {
	for _, g := range d.gs {
		// Goroutines that never ran have the interval [0, end]: their
		// pending samples count in full.
		for _, p := range g.pending {
			charge(p.rec, overlap(0, g.ended, p.start, p.end))
		}
		g.pending = nil
		if g.lastTime != 0 && g.lastState != xtrace.GoNotExist {
			g.addState(g.lastState, g.lastWhy, d.last.Sub(g.lastTime))
		}
		if g.ended != 0 {
			g.stat.End = d.wall(g.ended)
		} else {
			g.stat.End = d.wall(d.last)
		}
		for len(g.regions) > 0 {
			r := g.regions[len(g.regions)-1]
			g.regions = g.regions[:len(g.regions)-1]
			r.span.Duration = d.last.Sub(r.t0)
			r.span.Attrs["go.unfinished"] = "true"
		}
	}
	for _, ti := range d.tasks {
		if ti.open {
			ti.span.Duration = d.last.Sub(ti.t0)
			ti.span.Attrs["go.unfinished"] = "true"
		}
	}
}

func taskSpanID(id xtrace.TaskID) string { return "task-" + strconv.FormatUint(uint64(id), 10) }

func (d *goTraceDeriver) traceIDFor(task xtrace.TaskID, g xtrace.GoID) string {
	if task != xtrace.NoTask && task != xtrace.BackgroundTask {
		root := task
		if ti := d.tasks[task]; ti != nil {
			root = ti.root
		}
		return "go-task-" + strconv.FormatUint(uint64(root), 10)
	}
	return "go-g" + strconv.FormatUint(uint64(g), 10)
}

func (d *goTraceDeriver) newSpan(name string, t xtrace.Time, g xtrace.GoID) *parse.Span {
	sp := &parse.Span{
		Name:     name,
		Kind:     "internal",
		Service:  "go",
		Start:    d.wall(t),
		Thread:   "g" + strconv.FormatUint(uint64(g), 10),
		Category: parse.CatInternal,
		Attrs:    map[string]string{},
	}
	d.spans = append(d.spans, sp)
	return sp
}

func (d *goTraceDeriver) taskBegin(ev *xtrace.Event) {
	tk := ev.Task()
	ti := &taskInfo{t0: ev.Time(), root: tk.ID, open: true}
	if tk.Parent != xtrace.NoTask && tk.Parent != xtrace.BackgroundTask {
		ti.root = tk.Parent
		if p := d.tasks[tk.Parent]; p != nil {
			ti.root = p.root
		}
	}
	name := tk.Type
	if name == "" {
		name = "task"
	}
	sp := d.newSpan(name, ev.Time(), ev.Goroutine())
	sp.SpanID = taskSpanID(tk.ID)
	if tk.Parent != xtrace.NoTask && tk.Parent != xtrace.BackgroundTask {
		sp.ParentID = taskSpanID(tk.Parent)
	}
	sp.TraceID = "go-task-" + strconv.FormatUint(uint64(ti.root), 10)
	sp.Attrs["go.task.id"] = strconv.FormatUint(uint64(tk.ID), 10)
	sp.Attrs["go.span.type"] = "task"
	ti.span = sp
	d.tasks[tk.ID] = ti
}

func (d *goTraceDeriver) taskEnd(ev *xtrace.Event) {
	tk := ev.Task()
	ti := d.tasks[tk.ID]
	if ti == nil {
		// Began before the trace started: it spans from the start.
		d.taskBeginAt(tk, d.first, ev.Goroutine())
		ti = d.tasks[tk.ID]
		ti.span.Attrs["go.started_before_trace"] = "true"
	}
	if ti.open {
		ti.open = false
		ti.span.Duration = ev.Time().Sub(ti.t0)
	}
}

func (d *goTraceDeriver) taskBeginAt(tk xtrace.Task, t xtrace.Time, g xtrace.GoID) {
	name := tk.Type
	if name == "" {
		name = "task"
	}
	sp := d.newSpan(name, t, g)
	sp.SpanID = taskSpanID(tk.ID)
	sp.TraceID = "go-task-" + strconv.FormatUint(uint64(tk.ID), 10)
	sp.Attrs["go.task.id"] = strconv.FormatUint(uint64(tk.ID), 10)
	sp.Attrs["go.span.type"] = "task"
	d.tasks[tk.ID] = &taskInfo{span: sp, t0: t, root: tk.ID, open: true}
}

func (d *goTraceDeriver) gstate(id xtrace.GoID) *gState {
	g := d.gs[id]
	if g == nil {
		g = &gState{}
		g.stat.ID = uint64(id)
		d.gs[id] = g
	}
	return g
}

func (d *goTraceDeriver) parentFor(g *gState, task xtrace.TaskID) string {
	if len(g.regions) > 0 {
		return g.regions[len(g.regions)-1].span.SpanID
	}
	if task != xtrace.NoTask && task != xtrace.BackgroundTask {
		return taskSpanID(task)
	}
	return ""
}

func (d *goTraceDeriver) regionBegin(ev *xtrace.Event) {
	r := ev.Region()
	gid := ev.Goroutine()
	g := d.gstate(gid)
	sp := d.newSpan(r.Type, ev.Time(), gid)
	d.regionN++
	sp.SpanID = "region-" + strconv.FormatInt(d.regionN, 10)
	sp.ParentID = d.parentFor(g, r.Task)
	if len(g.regions) > 0 {
		sp.TraceID = g.regions[len(g.regions)-1].span.TraceID
	} else {
		sp.TraceID = d.traceIDFor(r.Task, gid)
	}
	sp.Attrs["go.span.type"] = "region"
	if r.Task != xtrace.NoTask && r.Task != xtrace.BackgroundTask {
		sp.Attrs["go.task.id"] = strconv.FormatUint(uint64(r.Task), 10)
	}
	g.regions = append(g.regions, &regionOpen{span: sp, t0: ev.Time()})
}

func (d *goTraceDeriver) regionEnd(ev *xtrace.Event) {
	r := ev.Region()
	g := d.gstate(ev.Goroutine())
	// Regions nest per goroutine; end the innermost of that type.
	for i := len(g.regions) - 1; i >= 0; i-- {
		if g.regions[i].span.Name == r.Type {
			for j := len(g.regions) - 1; j >= i; j-- {
				g.regions[j].span.Duration = ev.Time().Sub(g.regions[j].t0)
			}
			g.regions = g.regions[:i]
			return
		}
	}
	// Began before the trace started.
	sp := d.newSpan(r.Type, d.first, ev.Goroutine())
	d.regionN++
	sp.SpanID = "region-" + strconv.FormatInt(d.regionN, 10)
	sp.ParentID = d.parentFor(g, r.Task)
	sp.TraceID = d.traceIDFor(r.Task, ev.Goroutine())
	sp.Duration = ev.Time().Sub(d.first)
	sp.Attrs["go.span.type"] = "region"
	sp.Attrs["go.started_before_trace"] = "true"
}

func (d *goTraceDeriver) logEvent(ev *xtrace.Event) {
	l := ev.Log()
	gid := ev.Goroutine()
	g := d.gstate(gid)
	name := "log"
	if l.Category != "" {
		name = "log: " + l.Category
	}
	sp := d.newSpan(name, ev.Time(), gid)
	d.regionN++
	sp.SpanID = "log-" + strconv.FormatInt(d.regionN, 10)
	sp.ParentID = d.parentFor(g, l.Task)
	if len(g.regions) > 0 {
		sp.TraceID = g.regions[len(g.regions)-1].span.TraceID
	} else {
		sp.TraceID = d.traceIDFor(l.Task, gid)
	}
	sp.Attrs["go.span.type"] = "log"
	sp.Attrs["log.category"] = l.Category
	sp.Attrs["log.message"] = l.Message
}

// Profiles builds the four derived profiles in ProfileKinds order, as
// cmd/trace's traceviewer.BuildProfile lays them out, with sample types
// prefixed by the kind ("sync/contentions", "sync/delay").
func (d *goTraceDeriver) profiles() []*profile.Profile {
	out := make([]*profile.Profile, 0, 4)
	for k, kind := range ProfileKinds {
		p := &profile.Profile{
			PeriodType: &profile.ValueType{Type: "trace", Unit: "count"},
			Period:     1,
			SampleType: []*profile.ValueType{
				{Type: kind + "/contentions", Unit: "count"},
				{Type: kind + "/delay", Unit: "nanoseconds"},
			},
			DefaultSampleType: kind + "/delay",
			Comments:          []string{"hotpath: " + kind + " blocking profile derived from a Go execution trace, as `go tool trace -pprof=" + kind + "` derives it"},
		}
		if d.haveEv {
			p.TimeNanos = d.wall(d.first).UnixNano()
			p.DurationNanos = int64(d.last.Sub(d.first))
		}
		locs := map[uint64]*profile.Location{}
		funcs := map[string]*profile.Function{}
		recs := d.stacks[k].recs
		// Deterministic order: heaviest first.
		sorted := make([]*blockRec, 0, len(recs))
		for _, r := range recs {
			if r.count > 0 {
				sorted = append(sorted, r)
			}
		}
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].time > sorted[j].time })
		for _, r := range sorted {
			var sloc []*profile.Location
			for _, f := range r.frames {
				loc := locs[f.PC]
				if loc == nil {
					fn := funcs[f.File+f.Func]
					if fn == nil {
						fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: f.Func, SystemName: f.Func, Filename: f.File}
						p.Function = append(p.Function, fn)
						funcs[f.File+f.Func] = fn
					}
					loc = &profile.Location{ID: uint64(len(p.Location) + 1), Address: f.PC,
						Line: []profile.Line{{Function: fn, Line: int64(f.Line)}}}
					p.Location = append(p.Location, loc)
					locs[f.PC] = loc
				}
				sloc = append(sloc, loc)
			}
			p.Sample = append(p.Sample, &profile.Sample{Value: []int64{r.count, int64(r.time)}, Location: sloc})
		}
		out = append(out, p)
	}
	return out
}

func (d *goTraceDeriver) goroutines() []parse.GoroutineStat {
	out := make([]parse.GoroutineStat, 0, len(d.gs))
	for _, g := range d.gs {
		out = append(out, g.stat)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// GoTraceResult is everything derived from one Go execution trace.
type GoTraceResult struct {
	Profiles   []*profile.Profile // ProfileKinds order
	Goroutines []parse.GoroutineStat
	Spans      []*parse.Span
	Events     int64
	// Err is the error that stopped reading early (a truncated trace);
	// what was read before it is still derived.
	Err error
}

// DeriveGoTrace reads a Go execution trace (Go 1.22+ format) and derives
// the blocking profiles, goroutine summary and user annotations.
func DeriveGoTrace(ctx context.Context, r io.Reader) (*GoTraceResult, error) {
	br := asPeeker(r)
	head, _ := br.Peek(16)
	v, ok := goTraceVersion(head)
	if !ok {
		return nil, errors.New("not a Go execution trace (no \"go 1.N trace\" header)")
	}
	if v < minGoTraceVersion {
		return nil, fmt.Errorf("Go execution trace from Go 1.%d: this trace format is not supported; hotpath reads traces from Go 1.%d and newer (re-record with a newer Go)", v, minGoTraceVersion)
	}
	if v > maxGoTraceVersion {
		return nil, fmt.Errorf("Go execution trace format go 1.%d is newer than this hotpath understands (Go 1.%d–1.%d)", v, minGoTraceVersion, maxGoTraceVersion)
	}
	tr, err := xtrace.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("Go execution trace (go 1.%d): %w", v, err)
	}
	d := newGoTraceDeriver()
	res := &GoTraceResult{}
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.Err = err
			break
		}
		d.event(&ev)
		if d.events&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	if d.events == 0 || res.Err != nil && len(d.gs) == 0 {
		if res.Err != nil {
			return nil, fmt.Errorf("Go execution trace (go 1.%d) has no readable events (truncated?): %w", v, res.Err)
		}
		return nil, fmt.Errorf("Go execution trace (go 1.%d) holds no events", v)
	}
	d.finish()
	res.Profiles = d.profiles()
	res.Goroutines = d.goroutines()
	res.Spans = d.spans
	res.Events = d.events
	return res, nil
}

func decodeGoTrace(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	res, err := DeriveGoTrace(ctx, asPeeker(r))
	if err != nil {
		return err
	}
	if res.Err != nil {
		src.Warnf("Go trace is broken or truncated after %d events (%v); derived from what was read", res.Events, res.Err)
	}
	src.AddEvents(res.Events)
	for _, p := range res.Profiles {
		if err := p.CheckValid(); err != nil {
			return fmt.Errorf("internal: derived profile invalid: %w", err)
		}
		if p.TimeNanos != 0 {
			src.SeeTime(time.Unix(0, p.TimeNanos).UTC())
			src.SeeTime(time.Unix(0, p.TimeNanos+p.DurationNanos).UTC())
		}
		sink.Profile(src, p)
	}
	sink.Goroutines(src, res.Goroutines)
	for _, sp := range res.Spans {
		sink.Span(src, sp)
	}
	return nil
}
