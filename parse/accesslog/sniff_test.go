package accesslog_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hotpath/parse"
	"hotpath/parse/accesslog"
)

func head(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(io.LimitReader(zr, parse.SniffSize)); err != nil {
			t.Fatal(err)
		}
	}
	return b[:min(len(b), parse.SniffSize)]
}

// Every recorded access log is claimed by the access-log format alone, and
// the access-log sniffer claims none of the other formats' samples.
func TestSniffByStructure(t *testing.T) {
	logs, _ := filepath.Glob(filepath.Join(dir, "out", "*"))
	if len(logs) < 20 {
		t.Fatalf("%d recorded logs", len(logs))
	}
	for _, f := range logs {
		h := head(t, f)
		for _, fm := range allFormats() {
			got := fm.Sniff(h)
			// uvicorn through a logging config is a Python log as well;
			// the access-log format, sniffed before, reads it.
			if fm.Name == "python-log" && filepath.Base(f) == "uvicorn-asctime.log" {
				continue
			}
			if got != (fm.Name == "access-log") {
				t.Errorf("%s: %s sniffer says %v", filepath.Base(f), fm.Name, got)
			}
		}
	}
	var others []string
	// The application logs mix access records with other loggers': they
	// are the application-log reader's.
	for _, pat := range []string{"sql/*.gz", "trace/*.*", "profiles/*.*", "profiles/*/*.*", "scenarios/*/*.*", "applog/*.gz", "rails/*.log"} {
		m, _ := filepath.Glob(filepath.Join("../../testdata", pat))
		others = append(others, m...)
	}
	if len(others) < 30 {
		t.Fatalf("%d other samples", len(others))
	}
	for _, f := range others {
		if want := strings.HasSuffix(f, "pyshop/access.log"); accesslog.Sniff(head(t, f)) != want {
			t.Errorf("%s: access-log sniffer says %v", f, !want)
		}
	}
}

// The combined log with %D last was read as folded stacks (the user agent's
// ';' as frames, the duration as a count). Without the access-log format
// it is unrecognised, not misread; with it, it is an access log.
func TestCombinedWithDurationIsNotFolded(t *testing.T) {
	for _, name := range []string{"apache-combined-D.log", "gunicorn-D.log", "aiohttp-D.log", "nginx-timed.log"} {
		path := filepath.Join(dir, "out", name)
		_, s, err := loadFile(t, path, parse.ProfileFormats(), parse.Options{})
		if err == nil || !strings.Contains(err.Error(), "unrecognised format") || s.profiles != 0 {
			t.Errorf("%s with the profile formats only: err %v, %d profiles", name, err, s.profiles)
		}
		src, s, err := loadFile(t, path, allFormats(), parse.Options{})
		if err != nil || src.Format() != "access-log" || s.profiles != 0 || len(s.spans) == 0 {
			t.Errorf("%s: err %v, format %q, %d profiles, %d spans", name, err, src.Format(), s.profiles, len(s.spans))
		}
	}
}

// A file whose head has the structure of format A but whose first records
// are mostly not A is given back; when no other format takes it, the
// error names the format that gave it back and the first bad line.
func TestGiveBackRealFiles(t *testing.T) {
	folded, err := os.ReadFile("../../testdata/profiles/app.folded")
	if err != nil {
		t.Fatal(err)
	}
	access, err := os.ReadFile(filepath.Join(dir, "out", "apache-combined-D.log"))
	if err != nil {
		t.Fatal(err)
	}
	firstLines := func(b []byte, n int) string {
		return strings.Join(strings.SplitAfter(string(b), "\n")[:n], "")
	}
	// A line longer than the sniff window hides what follows from the
	// sniffers; the decoders read on.
	long := strings.Repeat("x", parse.SniffSize+100) + "\n"
	pg := strings.Repeat("2026-12-01 15:28:49.123 UTC [123] LOG:  connection received: host=127.0.0.1 port=5432\n", 70)
	for _, tc := range []struct {
		name, data, gaveBack, line string
	}{
		{"folded then an access log", firstLines(folded, 5) + long + firstLines(access, 58), "folded: only 5 of the first 64 records", "line 6"},
		{"access log then PostgreSQL", firstLines(access, 5) + long + pg, "access-log: only 5 of the first 64 records", "line 6"},
	} {
		for _, stdin := range []bool{false, true} {
			var in *parse.Input
			if stdin {
				in = parse.Expand([]string{"-"}, strings.NewReader(tc.data))[0]
			} else {
				p := filepath.Join(t.TempDir(), "mixed.log")
				if err := os.WriteFile(p, []byte(tc.data), 0o644); err != nil {
					t.Fatal(err)
				}
				in = parse.Expand([]string{p}, nil)[0]
			}
			s := &sink{}
			err := parse.Load(t.Context(), in, allFormats(), s, parse.Options{})
			if err == nil || !errors.Is(err, parse.ErrNotThisFormat) || !strings.Contains(err.Error(), tc.gaveBack) || !strings.Contains(err.Error(), tc.line) {
				t.Errorf("%s (stdin %v): err %v", tc.name, stdin, err)
			}
			if s.profiles+s.stmts+len(s.spans) != 0 {
				t.Errorf("%s: misread as %d profiles, %d statements, %d spans", tc.name, s.profiles, s.stmts, len(s.spans))
			}
		}
	}
}

// JSON sniffers check the document's structure too: a JSON-lines access
// log that requested /speedscope/ (or logged a "traceEvents" path) is
// still an access log.
func TestJSONLinesWithFormatWords(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(dir, "out", "caddy.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	data := strings.ReplaceAll(string(b), `"uri":"/search`, `"uri":"/speedscope/shared/profiles`)
	p := filepath.Join(t.TempDir(), "caddy.jsonl")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	src, s, err := loadFile(t, p, allFormats(), parse.Options{})
	if err != nil || src.Format() != "access-log" || len(s.spans) != len(readSent(t)) {
		t.Fatalf("err %v, format %q, %d spans", err, src.Format(), len(s.spans))
	}
}

// A Python log whose records are mostly gunicorn.access lines, with some
// SQL among them, is not an access log: the application-log reader takes
// it, statements and requests.
func TestMixedLogIsNotAnAccessLog(t *testing.T) {
	var b strings.Builder
	for i := range 40 {
		if i%5 == 4 {
			b.WriteString("INFO:sqlalchemy.engine.Engine:SELECT orders.id FROM orders WHERE orders.id = %(id)s\n")
			continue
		}
		b.WriteString(`INFO:gunicorn.access:127.0.0.1 - - [01/Dec/2026:15:38:14 +0000] "GET /user/1 HTTP/1.1" 200 17 "-" "curl/7.88.1"` + "\n")
	}
	if accesslog.Sniff([]byte(b.String())) {
		t.Error("a log with 20% SQLAlchemy records sniffed as an access log")
	}
	if !accesslog.Sniff([]byte(strings.ReplaceAll(b.String(), "INFO:sqlalchemy.engine.Engine:SELECT orders.id FROM orders WHERE orders.id = %(id)s\n", ""))) {
		t.Error("the access records alone are an access log")
	}
}
