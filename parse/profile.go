package parse

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/google/pprof/profile"
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
// first field tag, and the legacy text forms by their headers.
func sniffPprof(head []byte) bool {
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	for _, h := range legacyHeads {
		if bytes.HasPrefix(trimmed, h) {
			return true
		}
	}
	return looksLikeProfileProto(head)
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
	return emitProfile(p, src, sink)
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
}

func newProfileBuilder(sampleType, unit string) *profileBuilder {
	return &profileBuilder{
		p: &profile.Profile{
			SampleType: []*profile.ValueType{{Type: sampleType, Unit: unit}},
			PeriodType: &profile.ValueType{Type: sampleType, Unit: unit},
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
	fk := frameKey{name: f.name, file: f.file}
	fn, ok := b.funcs[fk]
	if !ok {
		fn = &profile.Function{ID: uint64(len(b.p.Function) + 1), Name: f.name, SystemName: f.name, Filename: f.file}
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
	s := &profile.Sample{Value: []int64{value}, Label: labels}
	s.Location = make([]*profile.Location, len(rootFirst))
	for i, f := range rootFirst {
		s.Location[len(rootFirst)-1-i] = b.location(f)
	}
	b.p.Sample = append(b.p.Sample, s)
}
