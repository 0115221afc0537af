package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrNotThisFormat is what a decoder returns (wrapped, with what it saw)
// when the input its format's sniffer accepted turns out not to have the
// format's structure: most of its first lines do not parse. Load then hands
// the same bytes to the next format whose sniffer accepts the head.
//
// A decoder may return it only before it has passed anything to the sink
// (Load checks Source.Events), and must decide within GiveBackWindow:
// Load re-reads at most ReplayLimit bytes of a stream it cannot reopen.
// LineVerdict implements the rule for line-based decoders.
var ErrNotThisFormat = errors.New("not this format")

// GiveBackLines and GiveBackWindow bound the decision: a decoder gives an
// input back after at most this many of its records, or this many bytes of
// its input, whichever comes first.
const (
	GiveBackLines  = 64
	GiveBackWindow = 1 << 20
)

// ReplayLimit is how many bytes Load keeps of what a decoder read, to hand
// them to the next format after a give-back. It covers the window plus one
// long line and the read-ahead of the decoder's buffers; past it a file is
// reopened, and a stream (stdin, a URL) gets a clear error.
const ReplayLimit = GiveBackWindow + 2<<20 + 256<<10

// LineVerdict is the give-back rule for line-based decoders: count each
// record that parses (Good) or does not (Bad) while the decision is open;
// Bad returns ErrNotThisFormat once GiveBackLines records (or
// GiveBackWindow bytes) have been seen and fewer than half parsed, and End
// does the same at the end of a shorter input. Once decided, the counts
// stop and bad records are the decoder's usual skipped lines.
type LineVerdict struct {
	Format  string // the decoder's format name, for the message
	Want    string // what a record of the format looks like, for the message
	good    int
	bad     int
	first   int64 // line of the first bad record
	example []byte
	done    bool
}

// Decided reports whether the input was accepted as the format.
func (v *LineVerdict) Decided() bool { return v.done }

// Good counts a record that parsed; offset is the byte offset read so far.
// The returned error is non-nil only when the window closed with most
// records bad (impossible right after a good one, but kept symmetrical).
func (v *LineVerdict) Good(offset int64) error {
	if v.done {
		return nil
	}
	v.good++
	return v.check(offset, false)
}

// Bad counts a record that did not parse at line (1-based), keeping the
// first one as the example the message shows.
func (v *LineVerdict) Bad(line, offset int64, text []byte) error {
	if v.done {
		return nil
	}
	if v.bad == 0 {
		v.first = line
		v.example = append(v.example[:0], text[:min(len(text), 80)]...)
	}
	v.bad++
	return v.check(offset, false)
}

// Neutral notes a line that is neither good nor bad (a blank line, a
// message the format's writers mix in): it counts for the byte window only.
func (v *LineVerdict) Neutral(offset int64) error {
	if v.done {
		return nil
	}
	return v.check(offset, false)
}

// End closes the decision at the end of the input.
func (v *LineVerdict) End() error {
	if v.done {
		return nil
	}
	return v.check(0, true)
}

func (v *LineVerdict) check(offset int64, eof bool) error {
	if !eof && v.good+v.bad < GiveBackLines && offset < GiveBackWindow {
		return nil
	}
	v.done = true
	if v.bad > v.good || v.good == 0 && v.bad == 0 && eof {
		if v.good+v.bad == 0 {
			return fmt.Errorf("%s found no records: %w", v.Format, ErrNotThisFormat)
		}
		return fmt.Errorf("%s: only %d of the first %d records are %s (line %d: %q): %w",
			v.Format, v.good, v.good+v.bad, v.Want, v.first, v.example, ErrNotThisFormat)
	}
	return nil
}

// replay records what a decoder reads from a stream, up to a limit, so the
// bytes can be read again after a give-back.
type replay struct {
	r        io.Reader
	buf      bytes.Buffer
	limit    int
	overflow bool
}

func (p *replay) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 && !p.overflow {
		if p.buf.Len()+n > p.limit {
			p.overflow = true
			p.buf = bytes.Buffer{}
		} else {
			p.buf.Write(b[:n])
		}
	}
	return n, err
}

// again is the stream from its start once more: the recorded bytes, then
// whatever the decoder did not read.
func (p *replay) again() io.Reader {
	return io.MultiReader(bytes.NewReader(p.buf.Bytes()), p.r)
}
