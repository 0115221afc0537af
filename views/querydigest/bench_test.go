package querydigest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"hotpath/parse"
	"hotpath/parse/applog"
	"hotpath/parse/sqllog"
)

// benchFile is the log a benchmark reads: the committed cut of a real log
// (testdata/sql/cuts), or, when HOTPATH_BENCH_DATA names a directory, the
// full-size original there (the names cuts/README.md lists).
func benchFile(tb testing.TB, cut, original string) string {
	tb.Helper()
	if dir := os.Getenv("HOTPATH_BENCH_DATA"); dir != "" {
		p := filepath.Join(dir, original)
		if _, err := os.Stat(p); err != nil {
			tb.Fatalf("HOTPATH_BENCH_DATA=%s: %v", dir, err)
		}
		return p
	}
	return cutsFile(cut)
}

// unpacked reads a gzipped file into memory, so benchmarks measure parsing,
// fingerprinting and aggregation, not gunzip.
func unpacked(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// digestBytes runs the whole pipeline (sniff, decode, fingerprint,
// aggregate) over an in-memory log.
func digestBytes(tb testing.TB, name string, data []byte, opt Options) (*Aggregator, *parse.Source) {
	tb.Helper()
	agg := New(opt)
	in := parse.NewInput(name, int64(len(data)), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err := parse.Load(context.Background(), in, append(sqllog.Formats(), applog.Formats()...), agg.Sink(), parse.Options{}); err != nil {
		tb.Fatal(err)
	}
	return agg, in.Src
}

func benchDigest(b *testing.B, cut, original string) {
	file := benchFile(b, cut, original)
	data := unpacked(b, file)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		digestBytes(b, file, data, Options{})
	}
}

func BenchmarkPgbenchDigest(b *testing.B) {
	benchDigest(b, "pgbench-2000-sessions.log.gz", "pgbench-stderr.log.gz")
}
func BenchmarkSlowDigest(b *testing.B) {
	benchDigest(b, "sysbench-slow-6000-entries.log.gz", "sysbench-mariadb-slow.log.gz")
}
func BenchmarkGeneralDigest(b *testing.B) {
	benchDigest(b, "sysbench-general-10000-lines.log.gz", "sysbench-mariadb-general.log.gz")
}
