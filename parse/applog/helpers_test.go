package applog

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/pprof/profile"

	"hotpath/parse"
)

// recSink counts what the decoder yields and keeps copies.
type recSink struct {
	mu     sync.Mutex
	stmts  []parse.Statement
	conns  map[parse.ConnKind]int
	stalls map[parse.StallKind]int
	kept   []parse.Stall
	spans  []parse.Span
}

func newRecSink() *recSink {
	return &recSink{conns: map[parse.ConnKind]int{}, stalls: map[parse.StallKind]int{}}
}

func (s *recSink) Profile(*parse.Source, *profile.Profile)         {}
func (s *recSink) Goroutines(*parse.Source, []parse.GoroutineStat) {}

func (s *recSink) Statement(_ *parse.Source, st *parse.Statement) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *st
	c.Text = strings.Clone(st.Text)
	c.Params = nil
	for _, p := range st.Params {
		c.Params = append(c.Params, strings.Clone(p))
	}
	s.stmts = append(s.stmts, c)
}

func (s *recSink) Conn(_ *parse.Source, ev *parse.ConnEvent) {
	s.mu.Lock()
	s.conns[ev.Kind]++
	s.mu.Unlock()
}

func (s *recSink) Span(_ *parse.Source, sp *parse.Span) {
	s.mu.Lock()
	s.spans = append(s.spans, *sp)
	s.mu.Unlock()
}

func (s *recSink) Stall(_ *parse.Source, st *parse.Stall) {
	s.mu.Lock()
	s.stalls[st.Kind]++
	s.kept = append(s.kept, *st)
	s.mu.Unlock()
}

func (s *recSink) find(sub string) *parse.Statement {
	for i := range s.stmts {
		if strings.Contains(s.stmts[i].Text, sub) {
			return &s.stmts[i]
		}
	}
	return nil
}

func (s *recSink) timed() int {
	n := 0
	for _, st := range s.stmts {
		if st.HasDuration {
			n++
		}
	}
	return n
}

func repo(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", ".."}, parts...)...)
}

// loadFile reads a file (gzip allowed) as hotpath does, with this
// package's formats only.
func loadFile(t testing.TB, path string) (*parse.Source, *recSink, error) {
	t.Helper()
	ins := parse.Expand([]string{path}, nil)
	if len(ins) != 1 {
		t.Fatalf("expand %s: %d inputs", path, len(ins))
	}
	sink := newRecSink()
	err := parse.Load(context.Background(), ins[0], Formats(), sink, parse.Options{})
	return ins[0].Src, sink, err
}

func loadBytes(t testing.TB, name string, data []byte) (*parse.Source, *recSink, error) {
	t.Helper()
	in := parse.NewInput(name, int64(len(data)), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	sink := newRecSink()
	err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{})
	return in.Src, sink, err
}

// raw returns a file's text, gunzipped.
func raw(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(z); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func notes(src *parse.Source) string { return strings.Join(src.Notes(), "\n") }
