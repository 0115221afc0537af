package parse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// speedscopeFile is https://www.speedscope.app/file-format-schema.json,
// the parts a profile needs.
type speedscopeFile struct {
	Schema string `json:"$schema"`
	Shared struct {
		Frames []struct {
			Name string `json:"name"`
			File string `json:"file"`
			Line int64  `json:"line"`
		} `json:"frames"`
	} `json:"shared"`
	Profiles []struct {
		Type    string      `json:"type"`
		Name    string      `json:"name"`
		Unit    string      `json:"unit"`
		Samples [][]int     `json:"samples"`
		Weights []float64   `json:"weights"`
		Events  []ssEvent   `json:"events"`
		Start   json.Number `json:"startValue"`
	} `json:"profiles"`
}

type ssEvent struct {
	Type  string  `json:"type"` // "O" open, "C" close
	At    float64 `json:"at"`
	Frame int     `json:"frame"`
}

// sniffSpeedscope checks the document's top-level members: speedscope's
// "$schema", or its "shared" and "profiles" (the window may end inside one
// of them). A word "speedscope" elsewhere — a file path inside a Chrome
// trace — is not enough.
func sniffSpeedscope(head []byte) bool {
	var schema, shared, profiles bool
	cut, ok := JSONMembers(head, func(key string, v json.RawMessage) bool {
		switch key {
		case "$schema":
			var s string
			schema = json.Unmarshal(v, &s) == nil && strings.Contains(s, "speedscope")
		case "shared":
			shared = true
		case "profiles":
			profiles = true
		}
		return true
	})
	if !ok {
		return false
	}
	return schema || shared && profiles || (cut == "shared" || cut == "profiles") && (shared || profiles || len(head) == SniffSize)
}

// speedscopeScale converts a speedscope unit to pprof's sample type.
func speedscopeScale(unit string) (typ, pprofUnit string, scale float64) {
	switch unit {
	case "nanoseconds":
		return "wall", "nanoseconds", 1
	case "microseconds":
		return "wall", "nanoseconds", 1e3
	case "milliseconds":
		return "wall", "nanoseconds", 1e6
	case "seconds":
		return "wall", "nanoseconds", 1e9
	case "bytes":
		return "space", "bytes", 1
	}
	return "samples", "count", 1
}

func decodeSpeedscope(_ context.Context, r io.Reader, src *Source, sink Sink, opt Options) error {
	// The guard cuts oversize names before they are read whole and counts the cuts.
	r, report := GuardJSON(r, src, JSONDocument)
	defer report()
	led := opt.account()
	data, err := readWhole(r, opt, led)
	if err != nil {
		return err
	}
	// The decoded document lives while its profiles are built.
	tree := jsonTreeCost(data)
	if err := led.reserve(tree, false); err != nil {
		return fmt.Errorf("decoding the %s document %w", mib(int64(len(data))), err)
	}
	defer led.release(tree, false)
	var f speedscopeFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("not valid speedscope JSON: %w", JSONErrorAt(data, err))
	}
	if len(f.Profiles) == 0 {
		return errors.New("file holds no profiles")
	}
	typ, unit, scale := speedscopeScale(f.Profiles[0].Unit)
	b := newProfileBuilder(typ, unit)
	b.led = led
	frames := make([]*profile.Location, len(f.Shared.Frames))
	// frameAt interns frame i on first use: frames no sample names cost
	// nothing.
	frameAt := func(i int) (*profile.Location, bool, error) {
		if i < 0 || i >= len(frames) {
			return nil, false, nil
		}
		if frames[i] == nil {
			fr := f.Shared.Frames[i]
			loc, err := b.location(frameKey{name: fr.Name, file: fr.File, line: fr.Line})
			if err != nil {
				return nil, false, err
			}
			frames[i] = loc
		}
		return frames[i], true, nil
	}
	over := func(pi int, err error) error {
		return fmt.Errorf("profile %d: keeping the %d distinct stacks read so far %w", pi, len(b.p.Sample), err)
	}
	var stack []*profile.Location
	var value [1]int64
	cutAt := ""
	for pi, p := range f.Profiles {
		if t, _, s := speedscopeScale(p.Unit); t != typ || s != scale && typ != "wall" {
			src.Warnf("profile %d (%q) has unit %q, unlike the first; skipped", pi, p.Name, p.Unit)
			continue
		}
		_, _, pscale := speedscopeScale(p.Unit)
		labels := map[string][]string{"thread": {p.Name}}
		labelsKey := strconv.Itoa(pi)
		switch p.Type {
		case "sampled":
			for si, s := range p.Samples {
				stack = stack[:0]
				ok := true
				for _, idx := range s {
					loc, good, err := frameAt(idx)
					if err != nil {
						return over(pi, err)
					}
					if !good {
						ok = false
						break
					}
					stack = append(stack, loc)
				}
				if !ok || len(stack) == 0 {
					src.SkipLine(int64(si), fmt.Sprintf("profile %d: sample with a frame index out of range or empty", pi))
					continue
				}
				w := 1.0
				if si < len(p.Weights) {
					w = p.Weights[si]
				}
				v, sat := weightValue(w, pscale)
				if v <= 0 {
					continue
				}
				value[0] = v
				if err := b.addLocs(stack, value[:], labelsKey, labels); err != nil {
					return over(pi, err)
				}
				if (sat || b.cut) && cutAt == "" {
					cutAt = fmt.Sprintf("profile %d, sample %d", pi, si)
				}
			}
		case "evented":
			if err := addEvented(b, p.Events, frameAt, pscale, labelsKey, labels, src, pi, &cutAt); err != nil {
				var be *BudgetError
				if errors.As(err, &be) {
					return over(pi, err)
				}
				src.Warnf("profile %d (%q): %v", pi, p.Name, err)
			}
		default:
			src.Warnf("profile %d has unknown type %q; skipped", pi, p.Type)
		}
	}
	if len(b.p.Sample) == 0 {
		return errors.New("no samples in any profile")
	}
	if cutAt != "" {
		src.Warnf("%s", saturationWarning(cutAt))
	}
	return emitProfileEvents(b.p, b.added, src, sink)
}

// weightValue converts a speedscope weight (a float in the profile's unit)
// to a sample value, saturating at math.MaxInt64 (Go's conversion of a
// float past int64 is undefined); NaN and negative weights are 0.
func weightValue(w, scale float64) (v int64, saturated bool) {
	x := w * scale
	switch {
	case !(x > 0): // NaN too
		return 0, false
	case x >= math.MaxInt64: // 2^63 as a float
		return math.MaxInt64, true
	}
	return int64(x), false
}

// jsonTreeCost estimates what encoding/json's decoding of data into
// speedscopeFile allocates, from one pass over its bytes: a slice header
// and its growth slack per array, 8 bytes per element, a struct per
// object, the bytes and header of each string.
func jsonTreeCost(data []byte) int64 {
	var arrays, commas, objects, strs, strBytes int64
	in := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if in {
			switch c {
			case '\\':
				i++
				strBytes++
			case '"':
				in = false
			default:
				strBytes++
			}
			continue
		}
		switch c {
		case '"':
			in = true
			strs++
		case '[':
			arrays++
		case ',':
			commas++
		case '{':
			objects++
		}
	}
	return 48*arrays + 16*commas + 64*objects + 16*strs + strBytes
}

// addEvented charges the time between consecutive open/close events to the
// stack open in between, as speedscope's own importer does.
func addEvented(b *profileBuilder, evs []ssEvent, frameAt func(int) (*profile.Location, bool, error), scale float64,
	labelsKey string, labels map[string][]string, src *Source, pi int, cutAt *string) error {
	var open []*profile.Location
	var openIdx []int
	var value [1]int64
	last := 0.0
	for i, e := range evs {
		if i > 0 && len(open) > 0 && e.At > last {
			v, sat := weightValue(e.At-last, scale)
			if v > 0 {
				value[0] = v
				if err := b.addLocs(open, value[:], labelsKey, labels); err != nil {
					return err
				}
				if (sat || b.cut) && *cutAt == "" {
					*cutAt = fmt.Sprintf("profile %d, event %d", pi, i)
				}
			}
		}
		if e.At < last {
			src.SkipLine(int64(i), fmt.Sprintf("profile %d: event goes back in time", pi))
		} else {
			last = e.At
		}
		loc, ok, err := frameAt(e.Frame)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("event %d names frame %d, out of range", i, e.Frame)
		}
		switch e.Type {
		case "O":
			open = append(open, loc)
			openIdx = append(openIdx, e.Frame)
		case "C":
			if len(open) == 0 || openIdx[len(openIdx)-1] != e.Frame {
				return fmt.Errorf("event %d closes frame %d, which is not the innermost open frame", i, e.Frame)
			}
			open, openIdx = open[:len(open)-1], openIdx[:len(openIdx)-1]
		default:
			src.SkipLine(int64(i), fmt.Sprintf("profile %d: unknown event type %q", pi, e.Type))
		}
	}
	return nil
}

// JSONErrorAt adds the line and column to a JSON syntax error.
func JSONErrorAt(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte{'\n'})
		return fmt.Errorf("byte %d (line %d): %w", se.Offset, line, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("byte %d, field %q: %w", te.Offset, te.Field, err)
	}
	return err
}
