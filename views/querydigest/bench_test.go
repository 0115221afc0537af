package querydigest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"hotpath/parse"
	"hotpath/parse/applog"
	"hotpath/parse/sqllog"
)

// sharedFile returns a file of ../shared/data (or $HOTPATH_SHARED_DATA),
// skipping when absent.
func sharedFile(tb testing.TB, name string) string {
	tb.Helper()
	dir := os.Getenv("HOTPATH_SHARED_DATA")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared data %s not present (set HOTPATH_SHARED_DATA)", p)
	}
	return p
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

func benchDigest(b *testing.B, file string) {
	data := unpacked(b, sharedFile(b, file))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		digestBytes(b, file, data, Options{})
	}
}

func BenchmarkPgbenchDigest(b *testing.B) { benchDigest(b, "pgbench-stderr.log.gz") }
func BenchmarkSlowDigest(b *testing.B)    { benchDigest(b, "sysbench-mariadb-slow.log.gz") }
func BenchmarkGeneralDigest(b *testing.B) { benchDigest(b, "sysbench-mariadb-general.log.gz") }
