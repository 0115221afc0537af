package sqllog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"hotpath/parse"
)

// sample reads a file of testdata/sql, gunzipped when its name ends in .gz.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	if !strings.HasSuffix(name, ".gz") {
		b, err := os.ReadFile(testdata(name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	f, err := os.Open(testdata(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// insertAfter puts extra lines after the n-th line that starts with marker.
func insertAfter(data []byte, marker string, n int, extra string) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	var out []byte
	seen := 0
	for _, l := range lines {
		out = append(out, l...)
		if bytes.HasPrefix(l, []byte(marker)) {
			seen++
			if seen == n {
				out = append(out, extra...)
			}
		}
	}
	return out
}

func reasons(src *parse.Source) string {
	var b strings.Builder
	for _, sk := range src.Skipped() {
		b.WriteString(sk.Reason)
		b.WriteString("; ")
	}
	return b.String()
}

// Binary garbage, invalid UTF-8 and a log that starts mid-statement (it was
// rotated there) are skipped and counted with a reason; every statement
// around them is still read.
func TestGarbageAndRotation(t *testing.T) {
	const binary = "\x00\x01\x02\x03garbage\xff\xfe\n"
	const badUTF8 = "\xc3\x28\xa0\xa1 not text at all\n"
	for _, tc := range []struct {
		file, marker string
		rotated      string // lines of a statement whose start was in the previous file
		stmts        int64
		want         []string
	}{
		{"pg-default.log.gz", "2026", "\tFROM pgbench_accounts\n\tWHERE aid = 1;\n", 153, []string{"binary garbage line", "invalid UTF-8", "log rotated mid-statement"}},
		{"pg-structured.csv.gz", "2026", "", 153, []string{"binary garbage line", "invalid UTF-8"}},
		{"pg-structured.json.gz", "{", "", 153, []string{"binary garbage line", "invalid UTF-8"}},
		{"mariadb-slow.log.gz", "# Query_time", "  FROM sbtest1\n WHERE id = 1;\n", 250, []string{"binary garbage line", "log rotated mid-entry"}},
		{"mariadb-general.log.gz", "\t\t", "  k INTEGER DEFAULT '0' NOT NULL,\n", 250, []string{"binary garbage line", "log rotated mid-entry"}},
		{"rails-activerecord.log.gz", "D,", "", 71, []string{"not an ActiveRecord SQL line"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := sample(t, tc.file)
			// Garbage after the 3rd record's first line would land inside a
			// multi-line statement for the line-oriented formats whose
			// continuation lines cannot be told from text; after a header
			// line it cannot.
			data = insertAfter(data, tc.marker, 3, binary)
			if !strings.HasPrefix(tc.file, "mariadb") {
				data = insertAfter(data, tc.marker, 5, badUTF8)
			}
			data = append([]byte(tc.rotated), data...)
			src, s, err := loadBytes(t, tc.file, data, parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.stmts != tc.stmts {
				t.Errorf("statements = %d, want %d", s.stmts, tc.stmts)
			}
			got := reasons(src)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("skip reasons %q lack %q", got, w)
				}
			}
		})
	}
}

// The last entry cut short (a log copied while written, or cut at a byte
// count): a cut inside its statement text keeps the statement, with the
// text up to the cut; a cut before its text loses the entry, counted with a
// reason. Every entry before it is read. The counts are grep's over the
// whole files (TestSamples): 153 timed statements in each PostgreSQL log,
// 250 entries in each MariaDB log.
func TestTruncatedLastEntry(t *testing.T) {
	for _, tc := range []struct {
		file   string
		at     string // the cut falls in the last occurrence of at …
		keep   int    // … after its first keep bytes
		stmts  int64
		text   string // the last statement's text, when the cut keeps it
		reason string // the skip reason, when the cut loses it
	}{
		{"mariadb-slow.log.gz", "FLUSH GENERAL LOGS;", 5, 250, "FLUSH", ""},
		{"mariadb-slow.log.gz", "# Query_time: 0.000074", 10, 249, "", "without statement text"},
		{"mariadb-general.log.gz", "Query\tFLUSH GENERAL LOGS", 11, 250, "FLUSH", ""},
		{"pg-default.log.gz", "statement: UPDATE pgbench_branches SET bbalance = 0 WHERE bid = 1", 20, 153, "UPDATE pg", ""},
		{"pg-structured.csv.gz", "duration: 240.313 ms  statement: UPDATE", 45, 152, "", "not a csvlog record"},
		{"pg-structured.json.gz", "duration: 240.313 ms  statement: UPDATE", 45, 152, "", "not a jsonlog record"},
	} {
		t.Run(tc.file+"/"+tc.at[:min(len(tc.at), 20)], func(t *testing.T) {
			data := sample(t, tc.file)
			i := bytes.LastIndex(data, []byte(tc.at))
			if i < 0 {
				t.Fatalf("%q not in %s", tc.at, tc.file)
			}
			data = data[:i+tc.keep]
			src, s, err := loadBytes(t, tc.file, data, parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.stmts != tc.stmts {
				t.Errorf("statements %d, want %d", s.stmts, tc.stmts)
			}
			if tc.text != "" {
				if last := s.kept[len(s.kept)-1]; len(s.kept) != int(s.stmts) || last.Text != tc.text {
					t.Errorf("last statement %q, want the text up to the cut %q", last.Text, tc.text)
				}
			}
			if got := reasons(src); tc.reason == "" && got != "" || !strings.Contains(got, tc.reason) || tc.reason != "" && src.SkippedTotal() != 1 {
				t.Errorf("skipped %v, want %s", src.Skipped(), map[bool]string{true: "nothing", false: "one " + tc.reason}[tc.reason == ""])
			}
		})
	}
	// The original sysbench slow log's own cut (cuts/README.md): a header
	// without its statement.
	data := sample(t, "mariadb-slow.log.gz")
	data = append(data, "# User@Host: root[root] @ lo"...)
	src, s, _ := loadBytes(t, "slow", data, parse.Options{})
	if s.stmts != 250 || !strings.Contains(reasons(src), "without statement text") {
		t.Errorf("stmts %d, reasons %q", s.stmts, reasons(src))
	}
}

// hugeReader yields head, then n bytes of fill, then tail, without holding
// them in memory.
type hugeReader struct {
	head, tail []byte
	n          int64
	fill       byte
	stage      int
}

func (h *hugeReader) Read(p []byte) (int, error) {
	switch {
	case len(h.head) > 0:
		n := copy(p, h.head)
		h.head = h.head[n:]
		return n, nil
	case h.n > 0:
		k := int64(len(p))
		if k > h.n {
			k = h.n
		}
		for i := range p[:k] {
			p[i] = h.fill
		}
		h.n -= k
		return int(k), nil
	case len(h.tail) > 0:
		n := copy(p, h.tail)
		h.tail = h.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

// A 50 MB statement costs bounded memory: its first MaxStatement bytes are
// kept and it is flagged Truncated; the statements after it are read.
func TestHugeStatement(t *testing.T) {
	const size = 50 << 20
	for _, tc := range []struct {
		name       string
		head, tail string
		fill       byte
	}{
		{"postgres one line", "2026-11-27 22:11:28.144 UTC [61] u@d LOG:  duration: 1.000 ms  statement: SELECT '", "'\n2026-11-27 22:11:28.145 UTC [61] u@d LOG:  duration: 1.000 ms  statement: SELECT 2\n", 'x'},
		{"postgres continuation lines", "2026-11-27 22:11:28.144 UTC [61] u@d LOG:  duration: 1.000 ms  statement: SELECT 1,\n\t", "1\n2026-11-27 22:11:28.145 UTC [61] u@d LOG:  duration: 1.000 ms  statement: SELECT 2\n", '\n'},
		{"mysql slow", "# User@Host: root[root] @ localhost []\n# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 0  Rows_examined: 0\nSET timestamp=1795817592;\nINSERT INTO t VALUES ('", "');\n# User@Host: root[root] @ localhost []\n# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 0  Rows_examined: 0\nSELECT 2;\n", 'y'},
		{"mysql general", "Time\t\t    Id Command\tArgument\n261127 22:13:12\t     3 Query\tINSERT INTO t VALUES ('", "')\n\t\t     3 Query\tSELECT 2\n", 'z'},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fill == '\n' {
				// 50 MB of short continuation lines.
				tc.fill = '\t'
			}
			r := &hugeReader{head: []byte(tc.head), tail: []byte(tc.tail), n: size, fill: tc.fill}
			var rd io.Reader = r
			if tc.fill == '\t' {
				rd = &lineFill{r: r}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			in := parse.NewInput(tc.name, 0, func() (io.ReadCloser, error) { return io.NopCloser(rd), nil })
			sink := newRecSink(10)
			if err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{}); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if sink.stmts != 2 {
				t.Errorf("statements = %d, want 2 (skipped %v)", sink.stmts, in.Src.Skipped())
			}
			if sink.truncated != 1 || len(sink.kept) == 0 || !sink.kept[0].Truncated || len(sink.kept[0].Text) > MaxStatement {
				t.Errorf("truncated = %d, first text %d bytes", sink.truncated, len(sink.kept[0].Text))
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d MB for a %d MB statement", alloc>>20, size>>20)
			}
		})
	}
}

// lineFill turns a run of '\t' fill into lines "\tx,x,x…\n" of 200 bytes.
type lineFill struct {
	r   *hugeReader
	col int
}

func (l *lineFill) Read(p []byte) (int, error) {
	inFill := len(l.r.head) == 0 && l.r.n > 0
	n, err := l.r.Read(p)
	if inFill {
		for i := 0; i < n; i++ {
			switch {
			case l.col == 0:
				p[i] = '\t'
			case l.col == 199:
				p[i] = '\n'
				l.col = -1
			case l.col%2 == 1:
				p[i] = '1'
			default:
				p[i] = ','
			}
			l.col++
		}
	}
	return n, err
}

// ---------------------------------------------------------------- fuzzing

// checkSink asserts the invariants every decoder keeps.
type checkSink struct {
	recSink
	t *testing.T
}

func (c *checkSink) Statement(src *parse.Source, st *parse.Statement) {
	if len(st.Text) > MaxStatement {
		c.t.Fatalf("statement of %d bytes > MaxStatement", len(st.Text))
	}
	if st.HasDuration && st.Duration < 0 {
		c.t.Fatalf("negative duration %v", st.Duration)
	}
}

func (c *checkSink) Conn(*parse.Source, *parse.ConnEvent) {}

func fuzzFormat(f *testing.F, name string, seeds ...string) {
	var format parse.Format
	for _, x := range Formats() {
		if x.Name == name {
			format = x
		}
	}
	for _, s := range seeds {
		data := sample(f, s)
		if len(data) > 4096 {
			data = data[:4096]
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte("\x00\xff\n\t\n# \n"))
	f.Add([]byte("Nov 27 22:11:28 db1 postgres[6046]: [3-1] 2026-11-27 22:11:28.144 UTC [1] LOG:  duration: 1.5 ms  statement: SELECT a,\nNov 27 22:11:28 db1 postgres[6046]: [3-2] #011 b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		format.Sniff(data)
		src := parse.NewSource("fuzz", int64(len(data)))
		sink := &checkSink{t: t}
		_ = format.Decode(context.Background(), bufio.NewReaderSize(bytes.NewReader(data), parse.SniffSize), src, sink, parse.Options{})
		for _, x := range Formats() {
			x.Sniff(data)
		}
	})
}

func FuzzPostgresStderr(f *testing.F) {
	fuzzFormat(f, "postgres-stderr", "pg-default.log.gz", "pg-pgbadger.log.gz", "pg-rds.log.gz", "pg-escapes.log.gz",
		"peers/pg-collapsed.log", "peers/pg-connections-only.log")
}
func FuzzPostgresCSV(f *testing.F) {
	fuzzFormat(f, "postgres-csv", "pg-structured.csv.gz", "peers/pg-csv-quoted.csv")
}
func FuzzPostgresJSON(f *testing.F) { fuzzFormat(f, "postgres-json", "pg-structured.json.gz") }
func FuzzMySQLSlow(f *testing.F) {
	fuzzFormat(f, "mysql-slow", "mariadb-slow.log.gz", "sysbench-slow-cut.log.gz", "peers/mysql-slow-layouts.log",
		"peers/mysql-slow-garbled.log", "peers/mariadb-quirks-slow.log", "peers/mariadb-use-slow.log")
}
func FuzzMySQLGeneral(f *testing.F) {
	fuzzFormat(f, "mysql-general", "mariadb-general.log.gz", "peers/mysql51-general.log", "peers/mysql51-general-expanded.log",
		"peers/mysql57-general.log", "peers/mariadb-quirks-general.log")
}
func FuzzRails(f *testing.F) { fuzzFormat(f, "rails", "rails-activerecord.log.gz") }
func FuzzPrefix(f *testing.F) {
	f.Add("%m [%p] %q%u@%d ", []byte("2026-11-27 22:11:28.144 UTC [61] u@d LOG:  duration: 1.0 ms  statement: x\n"))
	f.Add("%t:%r:%u@%d:[%p]:", []byte("2026-11-27 22:11:28 UTC:1.2.3.4(5):u@d:[6]:LOG:  x\n"))
	f.Fuzz(func(t *testing.T, prefix string, data []byte) {
		src := parse.NewSource("fuzz", 0)
		_ = decodePGStderr(context.Background(), bufio.NewReader(bytes.NewReader(data)), src, &checkSink{t: t}, parse.Options{LogLinePrefix: prefix})
	})
}

// TestTruncatedStatementsWarned: statements cut at MaxStatement are
// counted in a warning of their source (they were cut silently): three
// of five statements of 100 KiB, the first on line 2, in each PostgreSQL
// log format.
func TestTruncatedStatementsWarned(t *testing.T) {
	long := "SELECT '" + strings.Repeat("x", 100<<10) + "'"
	stmts := []string{"SELECT 1", long, "SELECT 2", long, long}
	lines := map[string]func(i int, s string) string{
		"postgres-stderr": func(i int, s string) string {
			return fmt.Sprintf("2026-11-27 22:11:28.%03d UTC [61] u@d LOG:  duration: 1.000 ms  statement: %s\n", i, s)
		},
		"postgres-csv": func(i int, s string) string {
			return fmt.Sprintf(`2026-11-27 23:07:00.%03d UTC,"postgres","postgres",5297,"127.0.0.1:51740",6b0a0d14.14b1,%d,"SELECT",2026-11-27 23:07:00 UTC,3/0,0,LOG,00000,"duration: 1.000 ms  statement: %s",,,,,,,,,"pgbench","client backend",,0`+"\n", i, i+1, s)
		},
		"postgres-json": func(i int, s string) string {
			return fmt.Sprintf(`{"timestamp":"2026-11-27 23:07:00.%03d UTC","user":"postgres","dbname":"postgres","pid":5297,"session_id":"6b0a0d14.14b1","line_num":%d,"error_severity":"LOG","message":"duration: 1.000 ms  statement: %s","backend_type":"client backend"}`+"\n", i, i+1, s)
		},
	}
	for format, line := range lines {
		var b strings.Builder
		for i, s := range stmts {
			b.WriteString(line(i, s))
		}
		data := []byte(b.String())
		in := parse.NewInput(format, int64(len(data)), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		sink := newRecSink(0)
		if err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		want := "3 statements longer than 64 KiB cut to their first 64 KiB (the first at line 2)"
		w := in.Src.Warnings()
		if in.Src.Format() != format || sink.stmts != 5 || sink.truncated != 3 || len(w) != 1 || !strings.HasPrefix(w[0], want) {
			t.Errorf("%s: read as %s, %d statements, %d truncated, warnings %q, skipped %v; want 5, 3 and %q", format, in.Src.Format(), sink.stmts, sink.truncated, w, in.Src.Skipped(), want)
		}
	}
}

// TestCSVHugeRecordResyncs: a csvlog record on one line longer than the
// record limit (a 3 MiB statement) costs that record, not the ones after
// it (its open quote used to swallow them).
func TestCSVHugeRecordResyncs(t *testing.T) {
	line := func(i int, s string) string {
		return fmt.Sprintf(`2026-11-27 23:07:00.%03d UTC,"postgres","postgres",5297,"127.0.0.1:51740",6b0a0d14.14b1,%d,"SELECT",2026-11-27 23:07:00 UTC,3/0,0,LOG,00000,"duration: 1.000 ms  statement: %s",,,,,,,,,"pgbench","client backend",,0`+"\n", i, i+1, s)
	}
	data := []byte(line(0, "SELECT 1") + line(1, "SELECT '"+strings.Repeat("x", 3<<20)+"'") + line(2, "SELECT 2") + line(3, "SELECT 3"))
	in := parse.NewInput("huge.csv", int64(len(data)), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	sink := newRecSink(10)
	if err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{}); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, st := range sink.kept {
		got[st.Text] = true
	}
	if !got["SELECT 1"] || !got["SELECT 2"] || !got["SELECT 3"] || sink.stmts+in.Src.SkippedTotal() != 4 {
		t.Errorf("statements %v (%d), skipped %v: want SELECT 1, 2 and 3 and the huge record read or skipped", got, sink.stmts, in.Src.Skipped())
	}
}
