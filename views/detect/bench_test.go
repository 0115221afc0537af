package detect_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hotpath/parse"
	"hotpath/parse/sqllog"
	"hotpath/views"
	"hotpath/views/querydigest"
)

// BenchmarkPgbenchReport measures ingest + digest, then with the SQL
// detectors too, on the committed cut of the pgbench log (or the full-size
// original in $HOTPATH_BENCH_DATA): detection must stay within 1.5× of
// ingest alone.
func BenchmarkPgbenchReport(b *testing.B) {
	path := pgbenchCut
	if dir := os.Getenv("HOTPATH_BENCH_DATA"); dir != "" {
		path = filepath.Join(dir, "pgbench-stderr.log.gz")
		if _, err := os.Stat(path); err != nil {
			b.Fatalf("HOTPATH_BENCH_DATA=%s: %v", dir, err)
		}
	}
	for _, mode := range []string{"digest", "digest+detect"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				c := views.NewCollector(querydigest.New(querydigest.Options{}))
				if mode != "digest" {
					c = views.NewStandardCollector(views.DefaultOptions())
				}
				in := parse.Expand([]string{path}, strings.NewReader(""))[0]
				if err := parse.Load(context.Background(), in, sqllog.Formats(), c, parse.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
