package parse

import (
	"bufio"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// undoBOM turns text that starts with a UTF-16 byte-order mark into UTF-8
// (Windows tools write UTF-16: PowerShell's ">" redirect, Notepad's
// "Unicode"), and drops a UTF-8 byte-order mark, so every text format
// sniffs and decodes the characters, not their encoding. Other input is
// returned as it is. No binary format hotpath reads starts with these
// bytes (pprof starts with a field tag, Go traces with "go 1.", legacy CPU
// profiles with zero words).
func undoBOM(r io.Reader) io.Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	bom, _ := br.Peek(3)
	switch {
	case len(bom) >= 3 && bom[0] == 0xef && bom[1] == 0xbb && bom[2] == 0xbf:
		br.Discard(3)
	case len(bom) >= 2 && bom[0] == 0xff && bom[1] == 0xfe:
		br.Discard(2)
		return &utf16Reader{r: br, big: false}
	case len(bom) >= 2 && bom[0] == 0xfe && bom[1] == 0xff:
		br.Discard(2)
		return &utf16Reader{r: br, big: true}
	}
	return br
}

// utf16Reader decodes UTF-16 code units into UTF-8. Unpaired surrogates
// and an odd last byte become U+FFFD, as Go's decoders do.
type utf16Reader struct {
	r   *bufio.Reader
	big bool
	out []byte // decoded bytes not yet returned
	err error
}

func (u *utf16Reader) unit() (uint16, error) {
	var b [2]byte
	n, err := io.ReadFull(u.r, b[:])
	if n == 1 {
		return 0xfffd, nil // an odd last byte
	}
	if err != nil {
		return 0, err
	}
	if u.big {
		return uint16(b[0])<<8 | uint16(b[1]), nil
	}
	return uint16(b[1])<<8 | uint16(b[0]), nil
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) < len(p) && u.err == nil {
		c, err := u.unit()
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			u.err = err
			break
		}
		r := rune(c)
		if utf16.IsSurrogate(r) {
			if c >= 0xdc00 {
				r = utf8.RuneError // a low surrogate with no high one before it
			} else if next, err := u.r.Peek(2); err == nil {
				c2 := uint16(next[1])<<8 | uint16(next[0])
				if u.big {
					c2 = uint16(next[0])<<8 | uint16(next[1])
				}
				if r = utf16.DecodeRune(r, rune(c2)); r != utf8.RuneError {
					u.r.Discard(2)
				}
			} else {
				r = utf8.RuneError
			}
		}
		u.out = utf8.AppendRune(u.out, r)
	}
	n := copy(p, u.out)
	u.out = u.out[:copy(u.out, u.out[n:])]
	if n == 0 && u.err != nil {
		return 0, u.err
	}
	return n, nil
}
