package parse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
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
	data, err := ReadWhole(r, opt)
	if err != nil {
		return err
	}
	var f speedscopeFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("not valid speedscope JSON: %w", JSONErrorAt(data, err))
	}
	if len(f.Profiles) == 0 {
		return errors.New("file holds no profiles")
	}
	typ, unit, scale := speedscopeScale(f.Profiles[0].Unit)
	b := newProfileBuilder(typ, unit)
	frames := make([]frameKey, len(f.Shared.Frames))
	for i, fr := range f.Shared.Frames {
		frames[i] = frameKey{name: fr.Name, file: fr.File, line: fr.Line}
	}
	frameAt := func(i int) (frameKey, bool) {
		if i < 0 || i >= len(frames) {
			return frameKey{}, false
		}
		return frames[i], true
	}
	var stack []frameKey
	for pi, p := range f.Profiles {
		if t, _, s := speedscopeScale(p.Unit); t != typ || s != scale && typ != "wall" {
			src.Warnf("profile %d (%q) has unit %q, unlike the first; skipped", pi, p.Name, p.Unit)
			continue
		}
		_, _, pscale := speedscopeScale(p.Unit)
		labels := map[string][]string{"thread": {p.Name}}
		switch p.Type {
		case "sampled":
			for si, s := range p.Samples {
				stack = stack[:0]
				ok := true
				for _, idx := range s {
					fk, good := frameAt(idx)
					if !good {
						ok = false
						break
					}
					stack = append(stack, fk)
				}
				if !ok || len(stack) == 0 {
					src.SkipLine(int64(si), fmt.Sprintf("profile %d: sample with a frame index out of range or empty", pi))
					continue
				}
				w := 1.0
				if si < len(p.Weights) {
					w = p.Weights[si]
				}
				if v := int64(w * pscale); v > 0 {
					b.add(append([]frameKey(nil), stack...), v, labels)
				}
			}
		case "evented":
			if err := addEvented(b, p.Events, frameAt, pscale, labels, src, pi); err != nil {
				src.Warnf("profile %d (%q): %v", pi, p.Name, err)
			}
		default:
			src.Warnf("profile %d has unknown type %q; skipped", pi, p.Type)
		}
	}
	if len(b.p.Sample) == 0 {
		return errors.New("no samples in any profile")
	}
	return emitProfile(b.p, src, sink)
}

// addEvented charges the time between consecutive open/close events to the
// stack open in between, as speedscope's own importer does.
func addEvented(b *profileBuilder, evs []ssEvent, frameAt func(int) (frameKey, bool), scale float64,
	labels map[string][]string, src *Source, pi int) error {
	var open []int
	last := 0.0
	for i, e := range evs {
		if i > 0 && len(open) > 0 && e.At > last {
			stack := make([]frameKey, 0, len(open))
			for _, idx := range open {
				fk, _ := frameAt(idx)
				stack = append(stack, fk)
			}
			if v := int64((e.At - last) * scale); v > 0 {
				b.add(stack, v, labels)
			}
		}
		if e.At < last {
			src.SkipLine(int64(i), fmt.Sprintf("profile %d: event goes back in time", pi))
		} else {
			last = e.At
		}
		if _, ok := frameAt(e.Frame); !ok {
			return fmt.Errorf("event %d names frame %d, out of range", i, e.Frame)
		}
		switch e.Type {
		case "O":
			open = append(open, e.Frame)
		case "C":
			if len(open) == 0 || open[len(open)-1] != e.Frame {
				return fmt.Errorf("event %d closes frame %d, which is not the innermost open frame", i, e.Frame)
			}
			open = open[:len(open)-1]
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
