package parse

import (
	"bufio"
	"io"
)

// LineScanner reads lines of any length while holding at most Max bytes of
// one: a longer line is cut, flagged TooLong and still counted, so one huge
// line costs bounded memory and never fails the whole input (bufio.Scanner
// would stop there).
type LineScanner struct {
	r       *bufio.Reader
	max     int
	line    int64
	offset  int64
	buf     []byte
	tooLong bool
}

// NewLineScanner reads from r keeping at most max bytes of a line.
func NewLineScanner(r io.Reader, max int) *LineScanner {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &LineScanner{r: br, max: max}
}

// Next returns the next line without its line ending; ok is false at the
// end of input. The slice is valid until the next call.
func (s *LineScanner) Next() (text []byte, ok bool, err error) {
	s.buf = s.buf[:0]
	s.tooLong = false
	for {
		chunk, err := s.r.ReadSlice('\n')
		s.offset += int64(len(chunk))
		if len(s.buf)+len(chunk) <= s.max {
			if len(s.buf) == 0 && err == nil {
				// Common case: the whole line is in the reader's buffer.
				s.line++
				return trimEOL(chunk), true, nil
			}
			s.buf = append(s.buf, chunk...)
		} else {
			if room := s.max - len(s.buf); room > 0 {
				s.buf = append(s.buf, chunk[:room]...)
			}
			s.tooLong = true
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(s.buf) == 0 && !s.tooLong {
				return nil, false, nil
			}
		case err != nil:
			return nil, false, err
		}
		s.line++
		return trimEOL(s.buf), true, nil
	}
}

// Line is the 1-based number of the line Next last returned.
func (s *LineScanner) Line() int64 { return s.line }

// Offset is the byte offset just past the line Next last returned.
func (s *LineScanner) Offset() int64 { return s.offset }

// TooLong reports whether the last line was cut at the limit.
func (s *LineScanner) TooLong() bool { return s.tooLong }

func trimEOL(b []byte) []byte {
	// Byte tests, not bytes.TrimSuffix: this runs on every line of
	// multi-gigabyte logs.
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// Rest returns a reader of the input after the last line Next returned
// (for formats that switch from lines to a whole document).
func (s *LineScanner) Rest() io.Reader { return s.r }
