package parse_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"hotpath/parse"
	"hotpath/parse/formats"
)

// FuzzLoad: parse.Load as a whole — decompression, the BOM, sniffing
// among every format, give-backs and decoding. Load turns a decoder's
// panic into an "internal error" (one bad input must not kill the run):
// the fuzzer fails on that error, and on a load that says it succeeded
// with nothing read.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"../testdata/sql/pg-default.log.gz", "../testdata/sql/pg-structured.csv.gz", "../testdata/sql/pg-structured.json.gz",
		"../testdata/sql/mariadb-slow.log.gz", "../testdata/sql/mariadb-general.log.gz", "../testdata/sql/rails-activerecord.log.gz",
		"../testdata/sql/django-debug.log.gz", "../testdata/sql/peers/pg-stderr.log.bz2",
		"../testdata/applog/jsonlogger.log.gz", "../testdata/applog/basic.log.gz",
		"../testdata/accesslog/out/nginx-combined.log", "../testdata/accesslog/out/caddy.jsonl", "../testdata/accesslog/out/gunicorn-D.log",
		"../testdata/trace/otlp.jsonl", "../testdata/trace/zipkin.json", "../testdata/trace/jaeger.json", "../testdata/trace/chrome.json",
		"../testdata/trace/node.cpuprofile", "../testdata/trace/asyncio.log", "../testdata/trace/blocking.trace",
		"../testdata/profiles/app.folded", "../testdata/profiles/app.speedscope.json", "../cmd/hotpath/demo/data/workload/cpu.pprof",
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 64<<10 && !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			b = b[:64<<10]
		}
		f.Add(b)
	}
	// Over 1 MiB: a PostgreSQL log, whole, zstd-compressed and plain.
	pg := unzip(f, "../testdata/sql/pg-default.log.gz")
	big := bytes.Repeat(pg, (1<<20)/len(pg)+2)
	f.Add(big)
	var z bytes.Buffer
	zw, _ := zstd.NewWriter(&z)
	zw.Write(big)
	zw.Close()
	f.Add(z.Bytes())
	// Nested 100,000 levels deep: OTLP (pdata recursed into it) and a bare
	// array, gzipped.
	deep := `{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":` + strings.Repeat(`{"arrayValue":{"values":[`, 30000) + strings.Repeat(`]}}`, 30000) + `}]}}]}`
	f.Add([]byte(deep))
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(strings.Repeat("[", 100000)))
	gw.Close()
	f.Add(gz.Bytes())
	f.Add([]byte("\xef\xbb\xbf{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1,\"dur\":2,\"name\":\"a\"}]}"))
	f.Add([]byte{0xff, 0xfe, 'a', 0, ';', 0, 'b', 0, ' ', 0, '1', 0, '\n', 0})

	all := formats.All()
	f.Fuzz(func(t *testing.T, data []byte) {
		sink := &countSink{}
		in := parse.NewInput("fuzz", int64(len(data)), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		err := parse.Load(context.Background(), in, all, sink, parse.Options{MaxWholeInput: 8 << 20})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if in.Src.Events()+in.Src.ConnEvents() == 0 {
			t.Fatalf("loaded as %s with nothing read", in.Src.Format())
		}
	})
}

func unzip(f *testing.F, path string) []byte {
	f.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		f.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		f.Fatal(err)
	}
	return out
}
