package parse_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"hotpath/parse"
	"hotpath/parse/formats"
)

// countSink counts what a load produced.
type countSink struct{ profiles, statements, conns, spans, stalls int }

func (c *countSink) Profile(*parse.Source, *profile.Profile)         { c.profiles++ }
func (c *countSink) Statement(*parse.Source, *parse.Statement)       { c.statements++ }
func (c *countSink) Conn(*parse.Source, *parse.ConnEvent)            { c.conns++ }
func (c *countSink) Span(*parse.Source, *parse.Span)                 { c.spans++ }
func (c *countSink) Stall(*parse.Source, *parse.Stall)               { c.stalls++ }
func (c *countSink) Goroutines(*parse.Source, []parse.GoroutineStat) {}

func loadData(t *testing.T, name string, data []byte) (*countSink, *parse.Source, error) {
	t.Helper()
	sink := &countSink{}
	in := parse.NewInput(name, int64(len(data)), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	err := parse.Load(context.Background(), in, formats.All(), sink, parse.Options{})
	return sink, in.Src, err
}

func readSample(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// TestDeepJSONLines: the JSON-lines readers (PostgreSQL jsonlog, Python
// JSON logging, JSON access logs) given a recorded sample with one line
// nested tens of thousands of levels deep inserted: that line is one more
// skipped record, every other record reads as it does without it, and
// nothing recurses (encoding/json checks depth iteratively before it
// allocates; the access-log scanner counts brackets).
func TestDeepJSONLines(t *testing.T) {
	cases := []struct {
		sample string
		depth  int // as deep as the reader's line limit allows
	}{
		{"../testdata/sql/pg-structured.json.gz", 200_000},
		{"../testdata/applog/jsonlogger.log.gz", 30_000},
		{"../testdata/accesslog/out/caddy.jsonl", 100_000},
		{"../testdata/accesslog/out/go-slog.jsonl", 100_000},
	}
	for _, c := range cases {
		data := readSample(t, c.sample)
		lines := bytes.SplitAfter(data, []byte("\n"))
		if len(lines) > 200 {
			lines = lines[:200]
		}
		plain := bytes.Join(lines, nil)
		deep := `{"message":` + strings.Repeat("[", c.depth) + strings.Repeat("]", c.depth) + "}\n"
		// Near the end: the first 64 KiB, which readers infer their
		// layout from, stay the same.
		at := len(lines) - 10
		var hostile []byte
		hostile = append(hostile, bytes.Join(lines[:at], nil)...)
		hostile = append(hostile, deep...)
		hostile = append(hostile, bytes.Join(lines[at:], nil)...)

		want, wsrc, err := loadData(t, c.sample, plain)
		if err != nil {
			t.Fatalf("%s: %v", c.sample, err)
		}
		got, gsrc, err := loadData(t, c.sample+"+deep", hostile)
		if err != nil {
			t.Errorf("%s with a deep line: %v", c.sample, err)
			continue
		}
		t.Logf("%s (%s): %+v, skipped %v", c.sample, gsrc.Format(), *got, gsrc.Skipped())
		if *got != *want || gsrc.Format() != wsrc.Format() || gsrc.SkippedTotal() != wsrc.SkippedTotal()+1 {
			t.Errorf("%s: the deep line cost more than one skipped record: %+v, %d skipped; without it %+v, %d skipped",
				c.sample, *got, gsrc.SkippedTotal(), *want, wsrc.SkippedTotal())
		}
	}
}
