package parse

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
	data, err := ReadWhole(r, opt)
	if err != nil {
		return err
	}
	p, err := profile.ParseData(data)
	if err != nil {
		return fmt.Errorf("not a readable pprof profile: %w", err)
	}
	if len(p.Sample) == 0 {
		return errors.New("profile has no samples (" + emptyProfileHint(p) + ")")
	}
	demangleNames(p)
	return emitProfile(p, src, sink)
}

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
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("invalid profile: %w", err)
	}
	if p.TimeNanos != 0 {
		start := timeFromNanos(p.TimeNanos)
		src.SeeTime(start)
		src.SeeTime(start.Add(durationNanos(p.DurationNanos)))
	}
	src.AddEvents(int64(len(p.Sample)))
	sink.Profile(src, p)
	return nil
}

// profileBuilder assembles a profile.Profile from stacks given root-first,
// sharing functions and locations by frame.
type profileBuilder struct {
	p     *profile.Profile
	locs  map[frameKey]*profile.Location
	funcs map[frameKey]*profile.Function
}

type frameKey struct {
	name, file string
	line       int64
	// sys is the symbol as the input spelled it when that differs from
	// name (a folded frame's "_[k]" annotation); it becomes the
	// function's SystemName.
	sys string
}

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
		locs:  map[frameKey]*profile.Location{},
		funcs: map[frameKey]*profile.Function{},
	}
}

func (b *profileBuilder) location(f frameKey) *profile.Location {
	if l, ok := b.locs[f]; ok {
		return l
	}
	fk := frameKey{name: f.name, file: f.file, sys: f.sys}
	fn, ok := b.funcs[fk]
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
	b.locs[f] = l
	b.p.Location = append(b.p.Location, l)
	return l
}

// add records value for a stack given root first.
func (b *profileBuilder) add(rootFirst []frameKey, value int64, labels map[string][]string) {
	b.addValues(rootFirst, []int64{value}, labels)
}

// addValues records one value per sample type for a stack given root first.
func (b *profileBuilder) addValues(rootFirst []frameKey, values []int64, labels map[string][]string) {
	s := &profile.Sample{Value: values, Label: labels}
	s.Location = make([]*profile.Location, len(rootFirst))
	for i, f := range rootFirst {
		s.Location[len(rootFirst)-1-i] = b.location(f)
	}
	b.p.Sample = append(b.p.Sample, s)
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
