package sqllog

import (
	"fmt"
	"os"
	"testing"

	"hotpath/parse"
)

func TestDumpCounts(t *testing.T) {
	f := os.Getenv("SQLDUMP")
	if f == "" {
		t.Skip("a debugging aid, not a check: SQLDUMP=FILE prints what the SQL decoders read of FILE")
	}
	src, s := load(t, f, parse.Options{}, 5)
	fmt.Printf("format=%s events=%d stmts=%d timed=%d trunc=%d params=%d tags=%d prepared=%d conns=%v\n", src.Format(), src.Events(), s.stmts, s.timed, s.truncated, s.withParams, s.tagged, s.prepared, s.conns)
	for _, sk := range src.Skipped() {
		fmt.Printf("  skip %d x %s (first line %d)\n", sk.Count, sk.Reason, sk.FirstLine)
	}
	for _, w := range src.Warnings() {
		fmt.Printf("  warn %s\n", w)
	}
	for _, st := range s.kept {
		fmt.Printf("  %+v\n", st)
	}
}
