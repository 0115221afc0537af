package parse

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// maxWarnings bounds what one source remembers of its problems; the counts
// stay exact.
const maxWarnings = 20

// Source is one input and what reading it found. Decoders update it as they
// go; the TUI reads it concurrently for progress, hence the lock and atomics.
type Source struct {
	Path string // file path, URL, or "-" for stdin
	Size int64  // bytes on disk (compressed); 0 when unknown (stdin, URL)

	bytesRead atomic.Int64 // raw bytes consumed so far
	decoded   atomic.Int64 // bytes after decompression
	events    atomic.Int64
	conns     atomic.Int64 // connection lifecycle events (not counted in events)

	mu          sync.Mutex
	format      string
	compression string
	skipped     map[string]*Skip
	warnings    []string
	first, last time.Time
	err         error
	done        bool
	sameAs      string
	notRead     string
	notes       []note
}

type note struct{ key, text string }

// Skip counts lines or records passed over for one reason.
type Skip struct {
	Reason    string
	Count     int64
	FirstLine int64 // line (or byte offset, for binary formats) of the first one
}

// NewSource returns a source for path with a known on-disk size (0 if unknown).
func NewSource(path string, size int64) *Source {
	return &Source{Path: path, Size: size, skipped: map[string]*Skip{}}
}

// Format is the name of the format the source was decoded as ("" until sniffed).
func (s *Source) Format() string { s.mu.Lock(); defer s.mu.Unlock(); return s.format }

// SetFormat records which format decoded the source.
func (s *Source) SetFormat(f string) { s.mu.Lock(); s.format = f; s.mu.Unlock() }

// Compression is "gzip", "zstd", "bzip2" or "".
func (s *Source) Compression() string { s.mu.Lock(); defer s.mu.Unlock(); return s.compression }

func (s *Source) setCompression(c string) { s.mu.Lock(); s.compression = c; s.mu.Unlock() }

// BytesRead is how many raw bytes of the input have been consumed.
func (s *Source) BytesRead() int64 { return s.bytesRead.Load() }

// DecodedBytes is how many bytes the decoder saw after decompression.
func (s *Source) DecodedBytes() int64 { return s.decoded.Load() }

// Events is how many events (samples, statements, spans …) were decoded.
func (s *Source) Events() int64 { return s.events.Load() }

// AddEvents counts n more decoded events.
func (s *Source) AddEvents(n int64) { s.events.Add(n) }

// ConnEvents is how many connection lifecycle events (connection received,
// authorized, closed …) were decoded. They are not Events — a SQL log's
// events are its statements — but a log holding only them was read.
func (s *Source) ConnEvents() int64 { return s.conns.Load() }

// AddConnEvents counts n more connection lifecycle events.
func (s *Source) AddConnEvents(n int64) { s.conns.Add(n) }

// SkipLine counts one record passed over for reason, at line (or byte offset).
func (s *Source) SkipLine(line int64, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sk := s.skipped[reason]
	if sk == nil {
		sk = &Skip{Reason: reason, FirstLine: line}
		s.skipped[reason] = sk
	}
	sk.Count++
}

// Skipped lists the skip reasons, most frequent first.
func (s *Source) Skipped() []Skip {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Skip, 0, len(s.skipped))
	for _, sk := range s.skipped {
		out = append(out, *sk)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// SkippedTotal is the number of records skipped for any reason.
func (s *Source) SkippedTotal() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, sk := range s.skipped {
		n += sk.Count
	}
	return n
}

// Warnf records a warning about the source (kept up to maxWarnings).
func (s *Source) Warnf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.warnings) < maxWarnings {
		s.warnings = append(s.warnings, fmt.Sprintf(format, args...))
	} else if len(s.warnings) == maxWarnings {
		s.warnings = append(s.warnings, "further warnings suppressed")
	}
}

// Warnings returns the recorded warnings.
func (s *Source) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.warnings...)
}

// SeeTime widens the source's time range to include t.
func (s *Source) SeeTime(t time.Time) {
	if t.IsZero() {
		return
	}
	s.mu.Lock()
	if s.first.IsZero() || t.Before(s.first) {
		s.first = t
	}
	if t.After(s.last) {
		s.last = t
	}
	s.mu.Unlock()
}

// TimeRange is the first and last timestamp seen (zero when the format has none).
func (s *Source) TimeRange() (first, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, s.last
}

// Err is the error that stopped the source from loading, if any.
func (s *Source) Err() error { s.mu.Lock(); defer s.mu.Unlock(); return s.err }

// Done reports whether loading finished (successfully or not).
func (s *Source) Done() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.done }

// noteCount is how many notes the source has (those set before Load
// survive a give-back).
func (s *Source) noteCount() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.notes) }

// resetForRetry forgets what a decoder that gave the input back reported,
// before the next format reads it; the first keepNotes notes were there
// before decoding and stay.
func (s *Source) resetForRetry(keepNotes int) {
	s.mu.Lock()
	s.format = ""
	s.skipped = map[string]*Skip{}
	s.warnings = nil
	s.notes = s.notes[:min(keepNotes, len(s.notes))]
	s.first, s.last = time.Time{}, time.Time{}
	s.mu.Unlock()
}

// SetSameAs marks the source as carrying the same events as the input at
// path (one server's log written in several formats): Load then reads it
// no further, so that each event counts once.
func (s *Source) SetSameAs(path string) {
	s.mu.Lock()
	s.sameAs = path
	s.mu.Unlock()
}

// SameAs is the path of the input whose events this source repeats, or "".
func (s *Source) SameAs() string { s.mu.Lock(); defer s.mu.Unlock(); return s.sameAs }

// NotRead is why the source was listed and not read (a symlink or a
// FIFO inside a directory input), or "".
func (s *Source) NotRead() string { s.mu.Lock(); defer s.mu.Unlock(); return s.notRead }

func (s *Source) setNotRead(reason string) {
	s.mu.Lock()
	s.notRead = reason
	s.mu.Unlock()
	s.SetNote("not-read", reason)
}

// SetNote records something the user should know about how the source
// was used that is not a problem with it ("same events as postgres.log:
// used once"). A note with the same key replaces the earlier one, so views
// rebuilt while loading say it once.
func (s *Source) SetNote(key, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.notes {
		if s.notes[i].key == key {
			s.notes[i].text = text
			return
		}
	}
	if len(s.notes) < maxWarnings {
		s.notes = append(s.notes, note{key, text})
	}
}

// Notes lists the notes recorded so far.
func (s *Source) Notes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.notes))
	for i, n := range s.notes {
		out[i] = n.text
	}
	return out
}

func (s *Source) finish(err error) {
	s.mu.Lock()
	s.err = err
	s.done = true
	s.mu.Unlock()
}
