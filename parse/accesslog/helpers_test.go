package accesslog_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/pprof/profile"

	"hotpath/parse"
	"hotpath/parse/accesslog"
	"hotpath/parse/applog"
	"hotpath/parse/sqllog"
	"hotpath/parse/trace"
)

const dir = "../../testdata/accesslog"

// sink keeps what a source yields.
type sink struct {
	mu       sync.Mutex
	spans    []*parse.Span
	profiles int
	stmts    int
}

func (s *sink) Profile(*parse.Source, *profile.Profile)         { s.mu.Lock(); s.profiles++; s.mu.Unlock() }
func (s *sink) Statement(*parse.Source, *parse.Statement)       { s.mu.Lock(); s.stmts++; s.mu.Unlock() }
func (s *sink) Conn(*parse.Source, *parse.ConnEvent)            {}
func (s *sink) Stall(*parse.Source, *parse.Stall)               {}
func (s *sink) Goroutines(*parse.Source, []parse.GoroutineStat) {}
func (s *sink) Span(_ *parse.Source, sp *parse.Span) {
	s.mu.Lock()
	s.spans = append(s.spans, sp)
	s.mu.Unlock()
}

func parseTrace() []parse.Format { return trace.Formats() }
func parseSQL() []parse.Format   { return sqllog.Formats() }

// allFormats is every format, in the order cmd/hotpath sniffs them.
func allFormats() []parse.Format {
	return append(append(append(append(parse.ProfileFormats(), trace.Formats()...), sqllog.Formats()...), accesslog.Formats()...), applog.Formats()...)
}

func loadFile(t *testing.T, path string, formats []parse.Format, opt parse.Options) (*parse.Source, *sink, error) {
	t.Helper()
	in := parse.Expand([]string{path}, strings.NewReader(""))[0]
	s := &sink{}
	err := parse.Load(context.Background(), in, formats, s, opt)
	return in.Src, s, err
}

// sent is one request of the recorder's mix (requests.tsv).
type sent struct {
	method, path, route, status, id, agent string
}

func readSent(t *testing.T) []sent {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "requests.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sent
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 6 {
			t.Fatalf("requests.tsv: %q has %d columns", sc.Text(), len(c))
		}
		out = append(out, sent{c[0], c[1], c[2], c[3], c[4], c[5]})
	}
	return out
}

// shell runs a pipeline (awk, grep) in the recorded logs' folder: the
// independent reading the tests compare with. A missing tool fails the
// test under CI and skips it, saying why, elsewhere.
func shell(t *testing.T, script string) string {
	t.Helper()
	for _, tool := range []string{"sh", "awk", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed to check the access logs independently: %v", tool, err)
			}
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = filepath.Join(dir, "out")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return strings.TrimSpace(string(out))
}
