package sqllog

import (
	"bytes"
	"context"
	"encoding/json"
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

// cutsDir is a file of testdata/sql/cuts: cuts of real logs too large to
// commit, with verdicts.json, the counts grep and the peers give for them.
func cutsDir(name string) string { return testdata(filepath.Join("cuts", name)) }

// cutVerdict is one file's entry of testdata/sql/cuts/verdicts.json (written
// by cuts/cut.sh): grep's counts; for the PostgreSQL and slow-log cuts the
// peer's numbers too.
type cutVerdict struct {
	Bytes int64            `json:"bytes"`
	Grep  map[string]int64 `json:"grep"`
}

func readCutVerdicts(t testing.TB) map[string]cutVerdict {
	t.Helper()
	b, err := os.ReadFile(cutsDir("verdicts.json"))
	if err != nil {
		t.Fatalf("the committed verdicts are missing (regenerate with testdata/sql/cuts/cut.sh): %v", err)
	}
	var v map[string]cutVerdict
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", cutsDir("verdicts.json"), err)
	}
	return v
}
