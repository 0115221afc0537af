package applog

import (
	"fmt"
	"strings"
	"testing"
)

// TestTruncatedStatementsWarned: SQLAlchemy statements longer than
// sqllog.MaxStatement are counted in a warning (they were cut silently):
// the recorded basic log with two of its statements made 100 KiB long.
func TestTruncatedStatementsWarned(t *testing.T) {
	lines := strings.Split(string(raw(t, repo("testdata", "applog", "basic.log.gz"))), "\n")
	long := "select '" + strings.Repeat("x", 100<<10) + "'"
	n, first := 0, 0
	for i, l := range lines {
		if strings.HasPrefix(l, "INFO:sqlalchemy.engine.Engine:select ") && n < 2 {
			lines[i] = "INFO:sqlalchemy.engine.Engine:" + long
			if n == 0 {
				first = i + 1
			}
			n++
		}
	}
	if n != 2 {
		t.Fatalf("the sample changed: %d statements replaced", n)
	}
	src, sink, err := loadBytes(t, "basic-long.log", []byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	cut := 0
	for _, st := range sink.stmts {
		if st.Truncated {
			cut++
		}
	}
	want := fmt.Sprintf("2 statements longer than 64 KiB cut to their first 64 KiB (the first at line %d)", first)
	var found bool
	for _, w := range src.Warnings() {
		found = found || strings.HasPrefix(w, want)
	}
	if cut != 2 || !found {
		t.Errorf("%d statements flagged cut, warnings %q; want 2 and %q", cut, src.Warnings(), want)
	}
}
