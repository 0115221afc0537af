package applog

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"hotpath/parse"
)

// TestSingleKindSamples: files of one kind keep their format names, and
// read as they did before parse/applog (counts from grep over the files;
// testdata/sql/README.md, testdata/trace/README.md).
func TestSingleKindSamples(t *testing.T) {
	for _, tc := range []struct {
		path                       string
		format                     string
		stmts, timed, params, tags int
		conns                      [3]int // opened, closed, reused
		skipped                    int64
	}{
		// grep -c ' sqlalchemy.engine.Engine ' minus its '[generated|cached|raw sql|no key' lines → 42;
		// the two lines of a Python warning printed between records are skipped.
		{path: "testdata/sql/sqlalchemy-echo.log.gz", format: "sqlalchemy", stmts: 42, params: 32, tags: 5, conns: [3]int{5, 5, 4}, skipped: 2},
		// grep -c 'django.db.backends (' → 221
		{path: "testdata/sql/django-debug.log.gz", format: "django", stmts: 221, timed: 221, params: 101},
		// records (a line starting with a timestamp and what follows) of the engine with "/*" in them: 2188
		{path: "testdata/scenarios/pyshop/sqlalchemy.log.gz", format: "sqlalchemy", stmts: 2850, params: 2194, tags: 2188, conns: [3]int{84, 84, 244}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			src, s, err := loadFile(t, repo(tc.path))
			if err != nil {
				t.Fatal(err)
			}
			if src.Format() != tc.format {
				t.Errorf("format %q, want %q", src.Format(), tc.format)
			}
			params, tags := 0, 0
			for _, st := range s.stmts {
				if len(st.Params) > 0 {
					params++
				}
				if len(st.Tags) > 0 {
					tags++
				}
				if strings.TrimSpace(st.Text) != st.Text || st.Text == "" {
					t.Errorf("statement text %q", st.Text)
				}
			}
			if len(s.stmts) != tc.stmts || s.timed() != tc.timed || params != tc.params || tags != tc.tags {
				t.Errorf("statements/timed/with params/tagged = %d/%d/%d/%d, want %d/%d/%d/%d", len(s.stmts), s.timed(), params, tags,
					tc.stmts, tc.timed, tc.params, tc.tags)
			}
			if got := [3]int{s.conns[parse.ConnOpened], s.conns[parse.ConnClosed], s.conns[parse.ConnPoolReused]}; got != tc.conns {
				t.Errorf("connections %v, want %v", got, tc.conns)
			}
			if src.SkippedTotal() != tc.skipped {
				t.Errorf("skipped %v", src.Skipped())
			}
		})
	}
}

func TestStatementDetails(t *testing.T) {
	_, s, _ := loadFile(t, repo("testdata/sql/sqlalchemy-echo.log.gz"))
	st := s.find("SELECT name FROM hp_customer WHERE id = %(id)s")
	if st == nil || st.HasDuration || len(st.Params) != 1 || st.Params[0] != "{'id': 3}" ||
		st.Tags["route"] != "/dashboard" || !strings.HasPrefix(st.Session, "0x") || st.Start.IsZero() {
		t.Errorf("SQLAlchemy statement %+v", st)
	}
	if st := s.find("CREATE TABLE hp_customer"); st == nil || !strings.HasPrefix(st.Text, "CREATE TABLE hp_customer (\n\tid SERIAL") {
		t.Errorf("multi-line DDL %+v", st)
	}
	_, d, _ := loadFile(t, repo("testdata/sql/django-debug.log.gz"))
	st = d.find(`FROM "auth_user"`)
	if st == nil || !st.HasDuration || st.Start.IsZero() || strings.Contains(st.Text, "args=") {
		t.Errorf("Django statement %+v", st)
	}
	// pyshop: asyncio tasks interleave on the pool; the task is the unit.
	_, p, _ := loadFile(t, repo("testdata/scenarios/pyshop/sqlalchemy.log.gz"))
	st = p.find("FROM settings")
	if st == nil || st.Thread != "MainThread" || !strings.HasPrefix(st.Task, "Task-") || st.Session != st.Task ||
		st.Tags["traceparent"] == "" || len(st.Params) != 1 {
		t.Errorf("pyshop statement %+v", st)
	}
}

// TestEventLoopSamples: the asyncio logs of testdata/trace and the pyshop
// scenario; pyshop's ground truth (groundtruth.py) counts the leaks from
// asyncio's ERROR records alone: the py.warnings ResourceWarning before
// each is the same object, counted once.
func TestEventLoopSamples(t *testing.T) {
	src, s, err := loadFile(t, repo("testdata/trace/asyncio.log"))
	if err != nil || src.Format() != "asyncio-log" {
		t.Fatalf("format %q, %v", src.Format(), err)
	}
	text := string(raw(t, repo("testdata/trace/asyncio.log")))
	if n := strings.Count(text, " asyncio Executing <"); s.stalls[parse.StallSlowCallback] != n || n == 0 {
		t.Errorf("slow callbacks %d, grep %d", s.stalls[parse.StallSlowCallback], n)
	}
	if n := strings.Count(text, " asyncio Unclosed client session\n"); s.stalls[parse.StallUnclosedClient] != n || n == 0 {
		t.Errorf("unclosed sessions %d, grep %d", s.stalls[parse.StallUnclosedClient], n)
	}
	for _, st := range s.kept {
		if st.Kind == parse.StallSlowCallback && st.Coroutine == "handler" && (!strings.HasSuffix(st.File, "asyncio_app.py") || st.Line == 0 || st.Duration < 50e6) {
			t.Errorf("slow callback %+v", st)
		}
		if st.Kind == parse.StallUnclosedClient && (len(st.Traceback) < 3 || !strings.HasSuffix(st.Traceback[len(st.Traceback)-1].File, "asyncio_app.py")) {
			t.Errorf("unclosed session's creation traceback %+v", st.Traceback)
		}
	}

	src, s, err = loadFile(t, repo("testdata/scenarios/pyshop/asyncio.log"))
	if err != nil || src.Format() != "asyncio-log" {
		t.Fatalf("pyshop: format %q, %v", src.Format(), err)
	}
	var gt struct {
		Unclosed map[string]int `json:"unclosed"`
	}
	b, err := os.ReadFile(repo("testdata/scenarios/pyshop/groundtruth.json"))
	if err != nil || json.Unmarshal(b, &gt) != nil {
		t.Fatal("groundtruth.json", err)
	}
	if s.stalls[parse.StallUnclosedClient] != gt.Unclosed["Unclosed client session"] || s.stalls[parse.StallUnclosedConn] != gt.Unclosed["Unclosed connector"] {
		t.Errorf("pyshop unclosed %v, ground truth %v", s.stalls, gt.Unclosed)
	}
	text = string(raw(t, repo("testdata/scenarios/pyshop/asyncio.log")))
	if n := len(regexp.MustCompile(`asyncio: Executing <.* took [0-9.]+ seconds`).FindAllString(text, -1)); s.stalls[parse.StallSlowCallback] != n {
		t.Errorf("pyshop slow callbacks %d, grep %d", s.stalls[parse.StallSlowCallback], n)
	}
}

func TestParseSlowCallback(t *testing.T) {
	cases := []struct {
		line, task, coro, file string
		lineNo                 int
	}{
		{"WARNING:asyncio:Executing <Task pending name='Task-3' coro=<handler() running at /app/x.py:42> wait_for=<Future pending cb=[Task.task_wakeup()]>> took 0.123 seconds", "Task-3", "handler", "/app/x.py", 42},
		{"Executing <Task finished name='Task-1' coro=<main() done, defined at /app/m.py:10> result=None> took 1.500 seconds", "Task-1", "main", "/app/m.py", 10},
		{"Executing <Handle cb() at /app/h.py:7 created at /usr/lib/python3.11/asyncio/events.py:80> took 0.200 seconds", "Handle", "cb", "/app/h.py", 7},
		{"Executing <TimerHandle when=1234.5 tick(1) at /app/t.py:3> took 0.300 seconds", "TimerHandle", "tick", "/app/t.py", 3},
	}
	for _, c := range cases {
		st, ok := ParseSlowCallback(c.line)
		if !ok || st.Task != c.task || st.Coroutine != c.coro || st.File != c.file || st.Line != c.lineNo {
			t.Errorf("%s\n => %+v", c.line, st)
		}
	}
}

// TestBareAsyncioMessages: without any logging set-up, asyncio's warnings
// reach stderr through logging's last-resort handler: the message alone.
func TestBareAsyncioMessages(t *testing.T) {
	log := "Executing <Task pending name='Task-3' coro=<handler() running at /app/x.py:42>> took 0.123 seconds\n" +
		"Unclosed client session\n" +
		"client_session: <aiohttp.client.ClientSession object at 0x7f1>\n" +
		"source_traceback: Object created at (most recent call last):\n" +
		"  File \"/app/x.py\", line 9, in fetch\n" +
		"    s = aiohttp.ClientSession()\n"
	src, s, err := loadBytes(t, "stderr.txt", []byte(log))
	if err != nil || src.Format() != "asyncio-log" {
		t.Fatalf("format %q, %v", src.Format(), err)
	}
	if s.stalls[parse.StallSlowCallback] != 1 || s.stalls[parse.StallUnclosedClient] != 1 || len(s.kept[1].Traceback) != 1 || s.kept[1].Traceback[0].Line != 9 {
		t.Errorf("stalls %v %+v", s.stalls, s.kept)
	}
}

// TestGarbageAndRotation: binary garbage, invalid UTF-8 and a log that
// starts mid-record (rotated there) are skipped with a reason; every
// record around them is read.
func TestGarbageAndRotation(t *testing.T) {
	for _, tc := range []struct {
		path    string
		stmts   int
		rotated string
	}{
		{"testdata/sql/sqlalchemy-echo.log.gz", 42, "FROM hp_customer\n"},
		{"testdata/sql/django-debug.log.gz", 221, "            ORDER BY name; args=None\n"},
		{"testdata/applog/threadtask.log.gz", 84, "Traceback (most recent call last):\n"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			data := raw(t, repo(tc.path))
			lines := bytes.SplitAfter(data, []byte("\n"))
			var b bytes.Buffer
			b.WriteString(tc.rotated)
			for i, l := range lines {
				// after a record's first line: inside the record
				b.Write(l)
				if i == 3 {
					b.WriteString("\x00\x01\x02garbage\xff\n")
				}
				if i == 7 {
					b.WriteString("\xc3\x28\xa0\xa1 not text at all\n")
				}
			}
			src, s, err := loadBytes(t, "x.log", b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if len(s.stmts) != tc.stmts {
				t.Errorf("statements %d, want %d", len(s.stmts), tc.stmts)
			}
			got := ""
			for _, sk := range src.Skipped() {
				got += sk.Reason + "; "
			}
			for _, w := range []string{"binary garbage line", "invalid UTF-8", "line before the first record"} {
				if !strings.Contains(got, w) {
					t.Errorf("skip reasons %q lack %q", got, w)
				}
			}
		})
	}
}

// TestHugeRecord: a 100 MB line inside a record (generated, never
// committed) costs bounded memory and loses nothing around it.
func TestHugeRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("100 MB input")
	}
	head := raw(t, repo("testdata/trace/asyncio.log"))
	sa := raw(t, repo("testdata/sql/sqlalchemy-echo.log.gz"))
	for name, tc := range map[string]struct {
		head, tail []byte
	}{"asyncio": {head, head}, "sqlalchemy": {sa, sa}} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		open := func() (io.ReadCloser, error) {
			return io.NopCloser(io.MultiReader(bytes.NewReader(tc.head), strings.NewReader("SELECT "),
				&endless{n: 100 << 20}, strings.NewReader("\n"), bytes.NewReader(tc.tail))), nil
		}
		sink := newRecSink()
		in := parse.NewInput(name+"-huge", 0, open)
		if err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		runtime.ReadMemStats(&after)
		grew := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) >> 20
		t.Logf("%s: %d statements, %d stalls, heap grew %d MiB", name, len(sink.stmts), len(sink.kept), grew)
		if grew > 64 {
			t.Errorf("%s: heap grew %d MiB for a 100 MB line", name, grew)
		}
		if name == "asyncio" && len(sink.kept) != 24 || name == "sqlalchemy" && len(sink.stmts) != 84 {
			t.Errorf("%s: records lost: %d statements, %d stalls", name, len(sink.stmts), len(sink.kept))
		}
		for _, st := range sink.stmts {
			if len(st.Text) > maxMessage {
				t.Errorf("statement of %d bytes", len(st.Text))
			}
		}
	}
}

type endless struct{ n int64 }

func (r *endless) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return int(k), nil
}
