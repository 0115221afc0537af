package parse

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/ianlancetaylor/demangle"
)

// ProfileFormats are the profile formats, in sniffing order.
func ProfileFormats() []Format {
	return []Format{
		{Name: "pprof", Family: "profile", Sniff: sniffPprof, Decode: decodePprof},
		{Name: "speedscope", Family: "profile", Sniff: sniffSpeedscope, Decode: decodeSpeedscope},
		{Name: "folded", Family: "profile", Sniff: sniffFolded, Decode: decodeFolded, GivesBack: true},
	}
}

// legacyHeads are the first bytes of the legacy text profiles that
// github.com/google/pprof/profile still reads.
var legacyHeads = [][]byte{
	[]byte("heap profile:"), []byte("heap_v2/"), []byte("--- contention"),
	[]byte("--- mutex"), []byte("goroutine profile:"), []byte("threadcreate profile:"),
	[]byte("--- heapz"), []byte("--- threadz"), []byte("--- heap"),
}

// sniffPprof recognises the protobuf form (after decompression) by its
// first field tag, the legacy text forms by their headers, and the legacy
// binary CPU profile (gperftools' profiler, Go before 1.9, Java profilez)
// by its header words.
func sniffPprof(head []byte) bool {
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	for _, h := range legacyHeads {
		if bytes.HasPrefix(trimmed, h) {
			return true
		}
	}
	return looksLikeLegacyCPU(head) || looksLikeProfileProto(head)
}

// looksLikeLegacyCPU checks the header of the legacy binary CPU profile as
// github.com/google/pprof/profile's parseCPU does: five words 0, 3, 0 (C++
// and Go) or 1 (Java), the sampling period in µs (> 0), 0 — in 32- or
// 64-bit words of either byte order, as the writing machine had them.
func looksLikeLegacyCPU(head []byte) bool {
	for _, size := range []int{4, 8} {
		if len(head) < 5*size {
			continue
		}
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			var w [5]uint64
			for i := range w {
				b := head[i*size : (i+1)*size]
				if size == 4 {
					w[i] = uint64(order.Uint32(b))
				} else {
					w[i] = order.Uint64(b)
				}
			}
			if w[0] == 0 && w[1] == 3 && (w[2] == 0 || w[2] == 1) && w[3] > 0 && w[4] == 0 {
				return true
			}
		}
	}
	return false
}

// profileWire is the wire type of each field of perftools.profiles.Profile
// (profile.proto); 13 (comment) may be varint or packed.
var profileWire = map[uint64]uint64{1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 0, 8: 0, 9: 0, 10: 0, 11: 2, 12: 0, 13: 0, 14: 0}

// looksLikeProfileProto walks the top-level protobuf fields in head: every
// one must be a Profile field with its wire type and a length that fits.
// Writers order fields differently (Go's runtime starts with time_nanos), so
// no single first byte identifies the format.
func looksLikeProfileProto(head []byte) bool {
	cut := len(head) == SniffSize // the input goes on past head
	fields := 0
	for i := 0; i < len(head); {
		tag, n := binary.Uvarint(head[i:])
		if n <= 0 {
			return n == 0 && cut && fields >= 2
		}
		i += n
		field, wire := tag>>3, tag&7
		want, ok := profileWire[field]
		if !ok || (wire != want && !(field == 13 && wire == 2)) {
			return false
		}
		var v uint64
		v, n = binary.Uvarint(head[i:])
		if n < 0 || (n == 0 && !cut) {
			return false
		}
		if n == 0 {
			return fields >= 2
		}
		i += n
		if wire == 2 {
			if v > uint64(len(head)-i) && !cut {
				return false // a length past the end of a whole input
			}
			i += int(min(v, uint64(len(head)-i)))
		}
		fields++
		if fields >= 64 {
			return true
		}
	}
	return fields >= 2 || (fields == 1 && !cut)
}

func decodePprof(_ context.Context, r io.Reader, src *Source, sink Sink, opt Options) error {
	led := opt.account()
	data, err := readWhole(r, opt, led)
	if err != nil {
		return err
	}
	// The parsed profile costs 20-30 times its encoding: reserve it before
	// parsing, from a walk over the encoding's fields.
	live, transient, functions, ok := pprofCost(data)
	if !ok {
		// Legacy text and binary forms: samples of a few dozen bytes of
		// text each, a few hundred in memory.
		live, transient = legacyCostFactor*int64(len(data)), 2*int64(len(data))
	}
	live += functions * viewsFunctionCost
	if err := led.reserve(live, true); err != nil {
		return fmt.Errorf("parsing the %s profile %w", mib(int64(len(data))), err)
	}
	if err := led.reserve(transient, false); err != nil {
		return fmt.Errorf("parsing the %s profile %w", mib(int64(len(data))), err)
	}
	p, err := profile.ParseData(data)
	led.release(transient, false)
	if err != nil {
		return fmt.Errorf("not a readable pprof profile: %w", err)
	}
	if len(p.Sample) == 0 {
		return errors.New("profile has no samples (" + emptyProfileHint(p) + ")")
	}
	demangleNames(p)
	return emitProfile(p, src, sink)
}

// legacyCostFactor is the memory of a parsed legacy profile per byte of
// its text (a heap profile's "1: 2 [3: 4] @ 0x1 0x2" lines).
const legacyCostFactor = 16

// demangleNames gives C++ functions (a C library, the race detector's
// runtime) the names go tool pprof shows by default: demangled, without
// parameters or template arguments. The mangled name stays the system name.
func demangleNames(p *profile.Profile) {
	opts := []demangle.Option{demangle.NoParams, demangle.NoEnclosingParams, demangle.NoTemplateParams}
	for _, fn := range p.Function {
		name := fn.SystemName
		if name == "" {
			name = fn.Name
		}
		if fn.Name != name || !strings.HasPrefix(name, "_Z") && !strings.HasPrefix(name, "__Z") {
			continue // already demangled, or not a C++ name
		}
		d := demangle.Filter(name, opts...)
		if d == name && strings.HasPrefix(name, "_") {
			d = demangle.Filter(name[1:], opts...) // macOS prefixes another '_'
		}
		if d != name && d != name[1:] {
			fn.SystemName, fn.Name = name, d
		}
	}
}

// emptyProfileHint says the likeliest reason a profile of p's type is empty.
func emptyProfileHint(p *profile.Profile) string {
	for _, st := range p.SampleType {
		switch st.Type {
		case "contentions", "delay":
			return "block and mutex profiles stay empty unless the program calls runtime.SetBlockProfileRate or runtime.SetMutexProfileFraction"
		}
	}
	return "was the program busy while it was recorded?"
}

// emitProfile validates p, records its time range and hands it to sink.
func emitProfile(p *profile.Profile, src *Source, sink Sink) error {
	return emitProfileEvents(p, int64(len(p.Sample)), src, sink)
}

// emitProfileEvents is emitProfile for a builder that merged identical
// stacks: events is how many it read, not how many samples they became.
func emitProfileEvents(p *profile.Profile, events int64, src *Source, sink Sink) error {
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("invalid profile: %w", err)
	}
	if p.TimeNanos != 0 {
		start := timeFromNanos(p.TimeNanos)
		src.SeeTime(start)
		src.SeeTime(start.Add(durationNanos(p.DurationNanos)))
	}
	src.AddEvents(events)
	sink.Profile(src, p)
	return nil
}

// profileBuilder assembles a profile.Profile from stacks given root-first,
// sharing functions and locations by frame. Decoders of inputs with many
// samples (folded stacks, speedscope) add through addLocs, which merges
// identical stacks into one sample and reserves what it keeps against the
// load's memory budget; every builder keeps the sum of each value within
// int64 (saturating), so no total a view takes of the profile overflows.
type profileBuilder struct {
	p     *profile.Profile
	locs  map[frameKey]*profile.Location
	funcs map[frameKey]*profile.Function

	stacks map[string]*profile.Sample // merged samples by labels key + location IDs
	added  int64                      // stacks given to addLocs (events read)
	key    []byte
	total  []int64 // sum of each value over the samples, at most MaxInt64
	cut    bool    // a value was cut to keep its total within int64
	led    *ledger // nil: no accounting
}

type frameKey struct {
	name, file string
	line       int64
	// sys is the symbol as the input spelled it when that differs from
	// name (a folded frame's "_[k]" annotation); it becomes the
	// function's SystemName.
	sys string
}

// What the builder's pieces cost in memory, measured on Go 1.26 (the
// allocations in their size classes, map slots at the average load of a
// growing map, slices' growth slack; TestFoldedAccounting checks the sum
// against the heap). They are what is reserved against the budget before
// allocating, kept a little above the measured cost.
const (
	locationCost = 48  // profile.Location, its Line, its slot in Profile.Location
	locsSlotCost = 24  // its slot in the locs map
	functionCost = 128 // profile.Function, its slots in funcs and Profile.Function
	sampleCost   = 152 // profile.Sample, its slots in stacks and Profile.Sample; + 8 per frame and value, + the key
	slotCost     = 32  // a map slot of a string key and a pointer
)

// viewsFunctionCost is what the run builds downstream for each function of
// a profile, reserved with the function: its rows in the hotspots, the
// detectors' tables and the report (the JSON report of every hotspot is
// the largest). Measured as peak RSS under GOGC=20 of `hotpath report
// -format json` on 1.4 M folded stacks of distinct functions, less the
// parsed profile: 855 bytes a function; text reports take 223. A profile
// of a few thousand functions hardly notices; a hostile one of millions
// (each line a new function) is refused at the budget instead of growing
// the run past it while it is reported.
const viewsFunctionCost = 900

func newProfileBuilder(sampleType, unit string) *profileBuilder {
	return newProfileBuilderTypes([]*profile.ValueType{{Type: sampleType, Unit: unit}})
}

// newProfileBuilderTypes builds a profile with these sample types; the
// last one is the period type (pprof's convention: count first, the
// measured quantity last).
func newProfileBuilderTypes(types []*profile.ValueType) *profileBuilder {
	last := types[len(types)-1]
	return &profileBuilder{
		p: &profile.Profile{
			SampleType: types,
			PeriodType: &profile.ValueType{Type: last.Type, Unit: last.Unit},
			Period:     1,
		},
		locs:   map[frameKey]*profile.Location{},
		funcs:  map[frameKey]*profile.Function{},
		stacks: map[string]*profile.Sample{},
		total:  make([]int64, len(types)),
	}
}

// location is the location of frame f, made (and reserved against the
// budget) the first time f is seen.
func (b *profileBuilder) location(f frameKey) (*profile.Location, error) {
	if l, ok := b.locs[f]; ok {
		return l, nil
	}
	if err := b.led.reserve(locsSlotCost, true); err != nil {
		return nil, err
	}
	l, err := b.newLocation(f)
	if err != nil {
		b.led.release(locsSlotCost, true)
		return nil, err
	}
	b.locs[f] = l
	return l, nil
}

// newLocation makes a location for f, which the caller has not seen
// (folded stacks intern frames by their text, and skip the locs map).
func (b *profileBuilder) newLocation(f frameKey) (*profile.Location, error) {
	fk := frameKey{name: f.name, file: f.file, sys: f.sys}
	fn, ok := b.funcs[fk]
	cost := int64(locationCost)
	if !ok {
		cost += functionCost + viewsFunctionCost
	}
	if err := b.led.reserve(cost, true); err != nil {
		return nil, err
	}
	if !ok {
		sys := f.sys
		if sys == "" {
			sys = f.name
		}
		fn = &profile.Function{ID: uint64(len(b.p.Function) + 1), Name: f.name, SystemName: sys, Filename: f.file}
		b.funcs[fk] = fn
		b.p.Function = append(b.p.Function, fn)
	}
	l := &profile.Location{ID: uint64(len(b.p.Location) + 1), Line: []profile.Line{{Function: fn, Line: f.line}}}
	b.p.Location = append(b.p.Location, l)
	return l, nil
}

// clamp cuts values (in place) so that each total stays within int64, and
// adds them to the totals. It reports whether anything positive is left.
// Negative values are left alone (dropNegative false) or made 0.
func (b *profileBuilder) clamp(values []int64, dropNegative bool) bool {
	any := false
	for i, v := range values {
		if v < 0 {
			if dropNegative {
				values[i] = 0
			}
			continue
		}
		if room := math.MaxInt64 - b.total[i]; v > room {
			v = room
			b.cut = true
		}
		values[i] = v
		b.total[i] += v
		any = any || v > 0
	}
	return any
}

// addLocs adds values to the sample of this stack (root first) and labels:
// an identical stack seen before gets the values added to its own, so
// repeated stacks cost nothing; a new one is reserved against the budget.
// labelsKey identifies labels (samples merge only under the same key);
// labels is kept, not copied. values is not kept.
func (b *profileBuilder) addLocs(rootFirst []*profile.Location, values []int64, labelsKey string, labels map[string][]string) error {
	b.added++
	if !b.clamp(values, true) {
		return nil
	}
	b.key = append(b.key[:0], labelsKey...)
	b.key = append(b.key, 0)
	for _, l := range rootFirst {
		b.key = binary.AppendUvarint(b.key, l.ID)
	}
	if s, ok := b.stacks[string(b.key)]; ok {
		for i, v := range values {
			s.Value[i] += v // within int64: the total bounds it
		}
		return nil
	}
	cost := sampleCost + int64(len(b.key)) + 8*int64(len(rootFirst)+len(values))
	if err := b.led.reserve(cost, true); err != nil {
		for i, v := range values {
			b.total[i] -= v
		}
		return err
	}
	s := &profile.Sample{Value: append([]int64(nil), values...), Label: labels, Location: make([]*profile.Location, len(rootFirst))}
	for i, l := range rootFirst {
		s.Location[len(rootFirst)-1-i] = l
	}
	b.stacks[string(b.key)] = s
	b.p.Sample = append(b.p.Sample, s)
	return nil
}

// addValues records one value per sample type for a stack given root
// first, as a sample of its own (no merging, no accounting: the builder
// of Chrome CPU profiles).
func (b *profileBuilder) addValues(rootFirst []frameKey, values []int64, labels map[string][]string) {
	b.clamp(values, false)
	s := &profile.Sample{Value: values, Label: labels}
	s.Location = make([]*profile.Location, len(rootFirst))
	for i, f := range rootFirst {
		s.Location[len(rootFirst)-1-i], _ = b.location(f) // no ledger: never fails
	}
	b.p.Sample = append(b.p.Sample, s)
}

// saturationWarning is the warning a decoder records when clamp cut values.
func saturationWarning(where string) string {
	return fmt.Sprintf("values add up past %d (2^63-1), the most a profile holds: from %s on they were cut so that the total stays there", int64(math.MaxInt64), where)
}

// Frame is one frame of a stack that a format names by function rather
// than by address (folded stacks, speedscope, Chrome CPU profiles).
type Frame struct {
	Name string
	File string
	Line int64
}

// ProfileBuilder assembles a profile.Profile from named stacks, sharing
// functions and locations between samples, for decoders outside this
// package (Chrome trace files carry CPU profiles).
type ProfileBuilder struct {
	b     *profileBuilder
	stack []frameKey
}

// NewProfileBuilder starts a profile with these sample types (the last one
// is also the period type).
func NewProfileBuilder(types ...*profile.ValueType) *ProfileBuilder {
	return &ProfileBuilder{b: newProfileBuilderTypes(types)}
}

// Add records one sample: a stack given root first, one value per sample
// type, and labels (may be nil; kept, not copied).
func (pb *ProfileBuilder) Add(rootFirst []Frame, values []int64, labels map[string][]string) {
	pb.stack = pb.stack[:0]
	for _, f := range rootFirst {
		pb.stack = append(pb.stack, frameKey{name: f.Name, file: f.File, line: f.Line})
	}
	pb.b.addValues(pb.stack, append([]int64(nil), values...), labels)
}

// Samples is how many samples were added.
func (pb *ProfileBuilder) Samples() int { return len(pb.b.p.Sample) }

// Profile is the profile built so far (to set its time, duration, comments).
func (pb *ProfileBuilder) Profile() *profile.Profile { return pb.b.p }

// EmitProfile validates p, records its time range, counts its samples as
// the source's events and hands it to sink.
func EmitProfile(p *profile.Profile, src *Source, sink Sink) error { return emitProfile(p, src, sink) }
