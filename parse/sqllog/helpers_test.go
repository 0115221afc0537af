package sqllog

import (
	"bytes"
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

// recSink counts what a decoder yields and keeps copies of the first
// statements for inspection.
type recSink struct {
	mu         sync.Mutex
	stmts      int64
	timed      int64
	truncated  int64
	withParams int64
	tagged     int64
	prepared   int64
	conns      map[parse.ConnKind]int64
	kept       []parse.Statement
	keep       int
	texts      map[string]int
}

func newRecSink(keep int) *recSink {
	return &recSink{conns: map[parse.ConnKind]int64{}, keep: keep, texts: map[string]int{}}
}

func (s *recSink) Profile(*parse.Source, *profile.Profile) {}
func (s *recSink) Span(*parse.Source, *parse.Span)         {}
func (s *recSink) Stall(*parse.Source, *parse.Stall)       {}
func (s *recSink) Goroutines(*parse.Source, []parse.GoroutineStat) {
}

func (s *recSink) Statement(_ *parse.Source, st *parse.Statement) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stmts++
	if st.HasDuration {
		s.timed++
	}
	if st.Truncated {
		s.truncated++
	}
	if len(st.Params) > 0 {
		s.withParams++
	}
	if len(st.Tags) > 0 {
		s.tagged++
	}
	if st.PrepareTime > 0 {
		s.prepared++
	}
	if len(s.kept) < s.keep {
		c := *st
		c.Text = strings.Clone(st.Text)
		c.Params = append([]string(nil), st.Params...)
		for i := range c.Params {
			c.Params[i] = strings.Clone(c.Params[i])
		}
		s.kept = append(s.kept, c)
	}
}

func (s *recSink) Conn(_ *parse.Source, ev *parse.ConnEvent) {
	s.mu.Lock()
	s.conns[ev.Kind]++
	s.mu.Unlock()
}

func (s *recSink) find(sub string) *parse.Statement {
	for i := range s.kept {
		if strings.Contains(s.kept[i].Text, sub) {
			return &s.kept[i]
		}
	}
	return nil
}

// load decodes a file (gzip allowed) through parse.Load with the SQL formats.
func load(t testing.TB, path string, opt parse.Options, keep int) (*parse.Source, *recSink) {
	t.Helper()
	ins := parse.Expand([]string{path}, nil)
	if len(ins) != 1 {
		t.Fatalf("expand %s: %d inputs", path, len(ins))
	}
	sink := newRecSink(keep)
	if err := parse.Load(context.Background(), ins[0], Formats(), sink, opt); err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return ins[0].Src, sink
}

// loadBytes decodes an in-memory input.
func loadBytes(t testing.TB, name string, data []byte, opt parse.Options) (*parse.Source, *recSink, error) {
	t.Helper()
	in := parse.NewInput(name, int64(len(data)), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	sink := newRecSink(1000)
	err := parse.Load(context.Background(), in, Formats(), sink, opt)
	return in.Src, sink, err
}

func testdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sql", name)
}

// sharedData is ../shared/data (or $HOTPATH_SHARED_DATA); tests that need
// the full real logs skip when it is absent.
func sharedData(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("HOTPATH_SHARED_DATA")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data %s not present (set HOTPATH_SHARED_DATA)", p)
	}
	return p
}
