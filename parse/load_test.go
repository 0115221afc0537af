package parse

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// countingFormat counts the lines it is given: a format that accepts anything,
// to see what Load hands the decoders.
func countingFormat(lines *int64) Format {
	return Format{Name: "lines", Family: "sql", Sniff: func([]byte) bool { return true },
		Decode: func(_ context.Context, r io.Reader, src *Source, _ Sink, _ Options) error {
			sc := NewLineScanner(r, 1<<20)
			for {
				_, ok, err := sc.Next()
				if err != nil {
					return err
				}
				if !ok {
					break
				}
				*lines++
			}
			src.AddEvents(*lines)
			return nil
		}}
}

func bytesInput(name string, data []byte) *Input {
	return NewInput(name, int64(len(data)), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// bzip2 is undone like gzip and zstd: the PostgreSQL log of
// testdata/sql/peers, bzipped by bzip2(1), has the lines of its copy that
// tr(1) wrote uncompressed; a cut stream is an error that says so.
func TestBzip2(t *testing.T) {
	bz, err := os.ReadFile("../testdata/sql/peers/pg-stderr.log.bz2")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile("../testdata/sql/peers/pg-collapsed.log")
	if err != nil {
		t.Fatal(err)
	}
	want := int64(bytes.Count(plain, []byte{'\n'}))
	var lines int64
	in := bytesInput("pg.log.bz2", bz)
	if err := Load(context.Background(), in, []Format{countingFormat(&lines)}, &memSink{}, Options{}); err != nil {
		t.Fatal(err)
	}
	if lines != want || in.Src.Compression() != "bzip2" {
		t.Errorf("%d lines (%s), bzip2(1)'s input had %d", lines, in.Src.Compression(), want)
	}
	for _, cut := range []int{len(bz) / 2, len(bz) - 4, 11} {
		lines = 0
		in := bytesInput("cut.bz2", bz[:cut])
		err := Load(context.Background(), in, []Format{countingFormat(&lines)}, &memSink{}, Options{})
		var le *LoadError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), "bzip2 stream broken") || !strings.Contains(err.Error(), "truncated") ||
			!strings.Contains(err.Error(), "cut.bz2") {
			t.Errorf("cut at %d: %v", cut, err)
		}
	}
}

// A SQL log of connection lines only loaded: its connection events count,
// its events (statements) stay 0.
func TestConnectionEventsOnly(t *testing.T) {
	f := Format{Name: "conns", Family: "sql", Sniff: func([]byte) bool { return true },
		Decode: func(_ context.Context, _ io.Reader, src *Source, _ Sink, _ Options) error {
			src.AddConnEvents(3)
			return nil
		}}
	in := bytesInput("conns.log", []byte("x\n"))
	if err := Load(context.Background(), in, []Format{f}, &memSink{}, Options{}); err != nil {
		t.Fatal(err)
	}
	if in.Src.Events() != 0 || in.Src.ConnEvents() != 3 {
		t.Errorf("events %d, connection events %d", in.Src.Events(), in.Src.ConnEvents())
	}
	empty := Format{Name: "none", Family: "sql", Sniff: func([]byte) bool { return true },
		Decode: func(_ context.Context, _ io.Reader, src *Source, _ Sink, _ Options) error {
			src.SkipLine(7, "line that is not a thing")
			return nil
		}}
	err := Load(context.Background(), bytesInput("none.log", []byte("x\n")), []Format{empty}, &memSink{}, Options{})
	if err == nil || !strings.Contains(err.Error(), `no events found (1 records skipped, most as "line that is not a thing", the first at line 7)`) {
		t.Errorf("error %v", err)
	}
}

// FuzzDecompress: no input makes the decompressors panic, hang or return
// more than they were given room for.
func FuzzDecompress(f *testing.F) {
	if bz, err := os.ReadFile("../testdata/sql/peers/pg-stderr.log.bz2"); err == nil {
		f.Add(bz)
		f.Add(bz[:len(bz)/2])
	}
	f.Add([]byte("BZh9"))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decompress(bytes.NewReader(data), NewSource("fuzz", int64(len(data))))
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<20))
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
	})
}
