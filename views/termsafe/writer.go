package termsafe

import "io"

// NewWriter returns a writer that passes every Write through the rules of
// Clipboard (newlines and tabs kept, every escape sequence and control
// character removed) before it reaches w: the stream form for stderr and the
// plain-text and Markdown reports, so that a message no call site sanitised
// still cannot act on the terminal. Each Write is sanitised whole (fmt writes
// one message per call); a sequence split across two Writes loses its
// introducer in the first and is harmless text in the second.
func NewWriter(w io.Writer) io.Writer {
	if sw, ok := w.(*writer); ok {
		return sw
	}
	return &writer{w: w}
}

type writer struct{ w io.Writer }

func (s *writer) Write(p []byte) (int, error) {
	clean := Clipboard(string(p))
	if _, err := io.WriteString(s.w, clean); err != nil {
		return 0, err
	}
	return len(p), nil
}
