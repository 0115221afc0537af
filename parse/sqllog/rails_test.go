package sqllog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"hotpath/parse"
)

func railsData(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "rails", name)
}

// railsSink keeps copies of every statement and span.
type railsSink struct {
	mu    sync.Mutex
	stmts []parse.Statement
	spans []*parse.Span
}

func (s *railsSink) Profile(*parse.Source, *profile.Profile)         {}
func (s *railsSink) Conn(*parse.Source, *parse.ConnEvent)            {}
func (s *railsSink) Stall(*parse.Source, *parse.Stall)               {}
func (s *railsSink) Goroutines(*parse.Source, []parse.GoroutineStat) {}
func (s *railsSink) Span(_ *parse.Source, sp *parse.Span) {
	s.mu.Lock()
	s.spans = append(s.spans, sp)
	s.mu.Unlock()
}
func (s *railsSink) Statement(_ *parse.Source, st *parse.Statement) {
	cp := *st
	cp.Text = strings.Clone(st.Text)
	cp.Params = append([]string(nil), st.Params...)
	s.mu.Lock()
	s.stmts = append(s.stmts, cp)
	s.mu.Unlock()
}

func loadRails(t *testing.T, path string) (*parse.Source, *railsSink) {
	t.Helper()
	sink := &railsSink{}
	in := parse.Expand([]string{path}, nil)[0]
	if err := parse.Load(context.Background(), in, Formats(), sink, parse.Options{}); err != nil {
		t.Fatal(err)
	}
	return in.Src, sink
}

// railsGrep is what grep and a few regular expressions say about a Rails
// log, written apart from the decoder: per line, the request id tag (a
// UUID or 32 hex digits), whether it is a statement (a "(N.Nms)  " timing
// not of a CACHE hit), a call site ("↳ file:line:in `m'"), a Started or a
// Completed line.
type railsGrep struct {
	stmtsByReq map[string]int
	// site of each statement line: the next ↳ line of the same request
	// before any other line of that request.
	site      map[int64]string
	started   map[string]string // request id → method and path
	completed map[string]struct {
		status int
		ms     int
	}
	stmtLines map[int64]string // statement line → its SQL
}

var (
	ansiRE      = regexp.MustCompile("\x1b\\[[0-9;]*m")
	reqTagRE    = regexp.MustCompile(`\[([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})\] `)
	sqlRE       = regexp.MustCompile(`^\s+(?:(CACHE) )?[^()]*\((\d+\.\d+)ms\)  (.*?)(?:  \[\[.*\]\])?$`)
	siteRE      = regexp.MustCompile(`^\s+↳ (\S+):(\d+):in [` + "`" + `'](.*)'$`)
	startedRE   = regexp.MustCompile(`Started (\w+) "([^"]*)" for `)
	completedRE = regexp.MustCompile(`Completed (\d{3}) .* in (\d+)ms`)
)

func grepRails(t *testing.T, path string) *railsGrep {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := &railsGrep{stmtsByReq: map[string]int{}, site: map[int64]string{}, started: map[string]string{},
		completed: map[string]struct{ status, ms int }{}, stmtLines: map[int64]string{}}
	lastStmt := map[string]int64{} // request → its last line, when a statement
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var n int64
	for sc.Scan() {
		n++
		l := ansiRE.ReplaceAllString(sc.Text(), "")
		id := ""
		rest := l
		if m := reqTagRE.FindStringSubmatchIndex(l); m != nil {
			id = l[m[2]:m[3]]
			rest = l[m[1]:]
		} else if i := strings.Index(l, " -- : "); i >= 0 {
			rest = l[i+len(" -- : "):]
		}
		if m := siteRE.FindStringSubmatch(rest); m != nil {
			if s, ok := lastStmt[id]; ok {
				g.site[s] = m[1] + ":" + m[2] + ":" + m[3]
			}
			delete(lastStmt, id)
			continue
		}
		delete(lastStmt, id)
		if m := sqlRE.FindStringSubmatch(rest); m != nil {
			if m[1] == "" {
				g.stmtsByReq[id]++
				lastStmt[id] = n
				g.stmtLines[n] = m[3]
			}
			continue
		}
		if m := startedRE.FindStringSubmatch(rest); m != nil {
			g.started[id] = m[1] + " " + m[2]
		}
		if m := completedRE.FindStringSubmatch(rest); m != nil {
			st, _ := strconv.Atoi(m[1])
			ms, _ := strconv.Atoi(m[2])
			g.completed[id] = struct{ status, ms int }{st, ms}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return g
}

// lineOf finds the line of app/shop.rb that holds code.
func lineOf(t *testing.T, code string) int {
	t.Helper()
	b, err := os.ReadFile(railsData("app/shop.rb"))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, code) {
			return i + 1
		}
	}
	t.Fatalf("%q not in app/shop.rb", code)
	return 0
}

// TestRailsLogs checks what hotpath reads from the two recorded Rails logs
// (testdata/rails/record.rb) against grep over the same files: statements
// per request id, each statement's call site, the request records, and the
// N+1's statements at the line of its loop.
func TestRailsLogs(t *testing.T) {
	loopLine := lineOf(t, "orders.each { |o| names << o.customer.name }")
	eagerLine := lineOf(t, "render json: orders.map { |o| o.customer.name }")
	for _, name := range []string{"rails-development.log", "rails-production.log"} {
		t.Run(name, func(t *testing.T) {
			path := railsData(name)
			src, sink := loadRails(t, path)
			g := grepRails(t, path)
			if src.Format() != "rails" {
				t.Fatalf("format %q", src.Format())
			}
			// Statements per request id ("" before the first request: schema
			// and seed data).
			got := map[string]int{}
			for _, st := range sink.stmts {
				got[st.RequestID]++
				want, ok := g.stmtLines[st.Line]
				if !ok || want != st.Text {
					t.Errorf("line %d: statement %q, grep finds %q", st.Line, st.Text, want)
				}
				site := fmt.Sprintf("%s:%d:%s", st.CodeFile, st.CodeLine, st.CodeFunc)
				if g.site[st.Line] != site {
					t.Errorf("line %d: call site %q, grep finds %q", st.Line, site, g.site[st.Line])
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(g.stmtsByReq) {
				t.Errorf("statements per request\n got %v\nwant %v", got, g.stmtsByReq)
			}
			if len(g.stmtsByReq) < 10 {
				t.Errorf("grep found only %d request ids", len(g.stmtsByReq))
			}
			// Request records: one span per Completed line.
			if len(sink.spans) != len(g.completed) || len(g.completed) != 9 {
				t.Errorf("%d request spans, grep finds %d Completed lines (the recording made 9 requests)", len(sink.spans), len(g.completed))
			}
			for _, sp := range sink.spans {
				c, ok := g.completed[sp.TraceID]
				if !ok || sp.HTTPStatus != c.status || sp.Duration != time.Duration(c.ms)*time.Millisecond {
					t.Errorf("span %s: status %d in %v, grep: %+v", sp.TraceID, sp.HTTPStatus, sp.Duration, c)
				}
				if g.started[sp.TraceID] != sp.HTTPMethod+" "+sp.HTTPURL {
					t.Errorf("span %s: %s %s, grep: %s", sp.TraceID, sp.HTTPMethod, sp.HTTPURL, g.started[sp.TraceID])
				}
				if sp.Kind != "server" || sp.Category != parse.CatHTTPServer || sp.Attrs[parse.AttrRecord] != parse.RecordAccessLog ||
					!strings.HasPrefix(sp.HTTPRoute, "OrdersController#") || sp.Start.IsZero() {
					t.Errorf("span %+v", sp)
				}
			}
			// The N+1: every customer lookup of GET /orders is one statement
			// at the loop's line; the eager twin loads them in one, at its
			// own line.
			route := map[string]string{}
			for _, sp := range sink.spans {
				route[sp.TraceID] = sp.HTTPRoute
			}
			perReq := map[string]int{}
			for _, st := range sink.stmts {
				if !strings.Contains(st.Text, `FROM "customers" WHERE "customers"."id"`) {
					continue
				}
				switch route[st.RequestID] {
				case "OrdersController#index":
					perReq[st.RequestID]++
					if st.CodeFile != "app/shop.rb" || st.CodeLine != loopLine || st.CodeFunc != "block in index" {
						t.Errorf("N+1 statement at %s:%d %q, the loop is app/shop.rb:%d", st.CodeFile, st.CodeLine, st.CodeFunc, loopLine)
					}
				case "OrdersController#eager":
					if st.CodeLine != eagerLine {
						t.Errorf("eager load at line %d, want %d", st.CodeLine, eagerLine)
					}
				}
			}
			// Twelve orders of ten customers: ten lookups reach the
			// database, two are query-cache hits.
			if len(perReq) != 4 {
				t.Errorf("N+1 requests %v", perReq)
			}
			for id, n := range perReq {
				if n != 10 {
					t.Errorf("request %s: %d customer lookups, want 10", id, n)
				}
			}
		})
	}
}

// TestRailsLineShapes: shapes of the same records that other Rails and
// Ruby versions, other formatters and other tags write.
func TestRailsLineShapes(t *testing.T) {
	for _, tc := range []struct {
		line             string
		file, fn         string
		ln               int
		isSite           bool
		tags, req, msg   string
		stamped, withPID bool
	}{
		// Ruby 3.4 quotes methods 'Class#method'.
		{line: "  ↳ app/controllers/orders_controller.rb:7:in 'block in OrdersController#index'", isSite: true,
			file: "app/controllers/orders_controller.rb", ln: 7, fn: "block in OrdersController#index"},
		{line: "  ↳ app/models/order.rb:12:in `total'", isSite: true, file: "app/models/order.rb", ln: 12, fn: "total"},
		{line: "  ↳ lib/tasks/import.rake:3", isSite: true, file: "lib/tasks/import.rake", ln: 3},
		{line: "I, [2026-12-01T15:43:08.867104 #21743]  INFO -- : [www] [10.0.0.7] [0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9] Started GET \"/\" for 10.0.0.7 at 2026-12-01 15:43:08 +0000",
			tags: "www|10.0.0.7|0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", req: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
			msg: `Started GET "/" for 10.0.0.7 at 2026-12-01 15:43:08 +0000`, stamped: true, withPID: true},
		// A progname between "--" and ":"; ActiveJob's tags.
		{line: "D, [2026-12-01T15:43:08.1 #7] DEBUG -- shop: [ActiveJob] [MailJob] [5c6d7e8f-0b1c-4d3e-8f50-4617a4b5c6d7]   User Load (0.4ms)  SELECT 1",
			tags: "ActiveJob|MailJob|5c6d7e8f-0b1c-4d3e-8f50-4617a4b5c6d7", req: "5c6d7e8f-0b1c-4d3e-8f50-4617a4b5c6d7",
			msg: "  User Load (0.4ms)  SELECT 1", stamped: true, withPID: true},
		// Binds are not tags.
		{line: `[["id", 1]] x`, msg: `[["id", 1]] x`},
		{line: "[api] [req_01HZX3K9Q7M2N4P6R8T0V2W4Y6] Completed 500 Internal Server Error in 10ms (ActiveRecord: 1.0ms | Allocations: 9)",
			tags: "api|req_01HZX3K9Q7M2N4P6R8T0V2W4Y6", req: "req_01HZX3K9Q7M2N4P6R8T0V2W4Y6",
			msg: "Completed 500 Internal Server Error in 10ms (ActiveRecord: 1.0ms | Allocations: 9)"},
	} {
		var tp timeParser
		p := splitRailsPrefix([]byte(tc.line), &tp)
		file, ln, fn, isSite := parseCallSite(p.msg)
		if isSite != tc.isSite || isSite && (string(file) != tc.file || ln != tc.ln || string(fn) != tc.fn) {
			t.Errorf("%q: site %v %s:%d %q", tc.line, isSite, file, ln, fn)
		}
		if tc.isSite {
			continue
		}
		var tags []string
		for _, tg := range p.tags {
			tags = append(tags, string(tg))
		}
		if strings.Join(tags, "|") != tc.tags || string(requestIDTag(p.tags)) != tc.req || string(p.msg) != tc.msg ||
			p.stamped != tc.stamped || (len(p.pid) > 0) != tc.withPID {
			t.Errorf("%q:\n tags %q req %q msg %q stamped %v pid %q", tc.line, tags, requestIDTag(p.tags), p.msg, p.stamped, p.pid)
		}
	}
	if st, d, views, db, ok := parseCompleted([]byte("Completed 500 Internal Server Error in 10ms (ActiveRecord: 1.0ms | Allocations: 9)")); !ok || st != 500 || d != 10*time.Millisecond || views != nil || string(db) != "1.0" {
		t.Errorf("Completed 500: %v %d %v %q %q", ok, st, d, views, db)
	}
	if m, p, c, at, ok := parseStarted([]byte(`Started PATCH "/orders/7?x=1" for ::1 at 2026-12-01 15:43:08 -0500`)); !ok ||
		string(m) != "PATCH" || string(p) != "/orders/7?x=1" || string(c) != "::1" || len(at) == 0 {
		t.Errorf("Started: %v %q %q %q %q", ok, m, p, c, at)
	}
	for _, tc := range []struct{ in, want string }{
		{`[["id", 1], ["LIMIT", 1]]`, "1|1"},
		{`[["name", "a \"quoted\" name"], ["at", nil]]`, `a "quoted" name|nil`},
		{`[[nil, 3]]`, "3"},
		{`not binds`, "not binds"},
	} {
		if got := strings.Join(railsBinds([]byte(tc.in)), "|"); got != tc.want {
			t.Errorf("binds %s: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRailsInfoLevel: a production log at info level has no statements,
// only request records; it is still a Rails log and yields the requests.
func TestRailsInfoLevel(t *testing.T) {
	data, err := os.ReadFile(railsData("rails-production.log"))
	if err != nil {
		t.Fatal(err)
	}
	var info []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "I, ") {
			info = append(info, l)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "info.log")
	if err := os.WriteFile(path, []byte(strings.Join(info, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, sink := loadRails(t, path)
	g := grepRails(t, path)
	if src.Format() != "rails" || len(sink.stmts) != 0 || len(sink.spans) != len(g.completed) || len(g.completed) == 0 {
		t.Errorf("format %q, %d statements, %d spans, grep finds %d Completed", src.Format(), len(sink.stmts), len(sink.spans), len(g.completed))
	}
}

// TestRailsUntagged: without tags, a call site still belongs to the
// statement before it, and requests pair Started with Completed in order.
func TestRailsUntagged(t *testing.T) {
	data, err := os.ReadFile(railsData("rails-development.log"))
	if err != nil {
		t.Fatal(err)
	}
	// The same log without its tags, keeping one request's lines only (an
	// untagged threaded log cannot be told apart, a single-threaded one can).
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if m := reqTagRE.FindStringSubmatch(l); m != nil {
			if !strings.HasPrefix(l, "[5f2b8c1d9e7a4b3c8d6e0f1a2b3c4d5e] ") {
				continue
			}
			l = strings.TrimPrefix(l, m[0])
		}
		out = append(out, l)
	}
	path := filepath.Join(t.TempDir(), "untagged.log")
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, sink := loadRails(t, path)
	g := grepRails(t, path)
	for _, st := range sink.stmts {
		if site := fmt.Sprintf("%s:%d:%s", st.CodeFile, st.CodeLine, st.CodeFunc); st.RequestID != "" || g.site[st.Line] != site {
			t.Errorf("line %d: request %q site %q, grep %q", st.Line, st.RequestID, site, g.site[st.Line])
		}
	}
	if len(sink.spans) != 1 || sink.spans[0].TraceID != "" || sink.spans[0].HTTPRoute != "OrdersController#index" {
		t.Errorf("spans %+v", sink.spans)
	}
}

func FuzzRailsLogs(f *testing.F) {
	for _, name := range []string{"rails-development.log", "rails-production.log"} {
		b, err := os.ReadFile(railsData(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 8192)])
		f.Add(b[len(b)-min(len(b), 8192):])
	}
	f.Add([]byte("[a] [b] ↳ x:1:in `y'\n  ↳ \n[0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9] Completed 200 OK in 1ms\nStarted GET \"/\" for x at y\n"))
	f.Add([]byte("D, [ #] DEBUG -- : [[x] (1.5ms)  SELECT 1  [[\"a\", \"\\\"]]\n[x]"))
	var format parse.Format
	for _, x := range Formats() {
		if x.Name == "rails" {
			format = x
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		format.Sniff(data)
		src := parse.NewSource("fuzz", int64(len(data)))
		sink := &railsSink{}
		_ = format.Decode(context.Background(), bufio.NewReaderSize(strings.NewReader(string(data)), parse.SniffSize), src, sink, parse.Options{})
		for _, st := range sink.stmts {
			if st.Duration < 0 || len(st.Text) > MaxStatement {
				t.Fatalf("statement %+v", st)
			}
		}
		for _, sp := range sink.spans {
			if sp.Duration < 0 || sp.Kind != "server" {
				t.Fatalf("span %+v", sp)
			}
		}
	})
}

// TestRailsCutLog: a log that begins inside a request (its Started line is
// before the cut) still yields that request, timed back from its Completed
// line.
func TestRailsCutLog(t *testing.T) {
	data, err := os.ReadFile(railsData("rails-production.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	first := -1
	for i, l := range lines {
		if strings.Contains(l, "] Started ") {
			first = i
			break
		}
	}
	path := filepath.Join(t.TempDir(), "cut.log")
	if err := os.WriteFile(path, []byte(strings.Join(lines[first+1:], "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	src, sink := loadRails(t, path)
	g := grepRails(t, path)
	if len(sink.spans) != len(g.completed) {
		t.Fatalf("%d spans, grep finds %d Completed lines", len(sink.spans), len(g.completed))
	}
	cut := reqTagRE.FindStringSubmatch(lines[first])[1]
	for _, sp := range sink.spans {
		if sp.TraceID != cut {
			continue
		}
		// Logger::Formatter's time of the Completed line, less the duration.
		var end time.Time
		for _, l := range lines {
			if strings.Contains(l, cut+"] Completed ") {
				end, _ = time.Parse("2006-01-02T15:04:05.999999", l[4:30])
			}
		}
		if sp.HTTPRoute != "OrdersController#index" || !sp.Start.Equal(end.Add(-sp.Duration)) || sp.HTTPURL != "" {
			t.Errorf("cut request: route %q start %v (want %v) url %q", sp.HTTPRoute, sp.Start, end.Add(-sp.Duration), sp.HTTPURL)
		}
		return
	}
	t.Errorf("the request whose Started line was cut is missing (skips: %v)", src.Skipped())
}
