package accesslog_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"hotpath/parse"
	"hotpath/parse/accesslog"
)

// BenchmarkDecode reads a recorded log repeated to about 10 MB.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"apache-combined-D.log", "nginx.jsonl", "chi-reqid.log"} {
		raw, err := os.ReadFile(filepath.Join(dir, "out", name))
		if err != nil {
			b.Fatal(err)
		}
		data := bytes.Repeat(raw, (10<<20)/len(raw)+1)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				src := parse.NewSource(name, int64(len(data)))
				if err := accesslog.Decode(context.Background(), bytes.NewReader(data), src, &discard{}, parse.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discard struct{ sink }

func (*discard) Span(*parse.Source, *parse.Span) {}
