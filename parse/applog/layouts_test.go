package applog

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"hotpath/parse"
)

// truth is what testdata/applog/workload.py counted from the LogRecords of
// a run: independent of how the records were formatted or parsed.
type truth struct {
	Layout  string            `json:"layout"`
	Records map[string]int    `json:"records"`
	Counts  map[string]int    `json:"counts"`
	Format  map[string]string `json:"format"`
}

func readTruth(t *testing.T, layout string) truth {
	t.Helper()
	b, err := os.ReadFile(repo("testdata", "applog", layout+".truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestLayouts: the same workload, logged through thirteen layouts by the
// real libraries (SQLAlchemy 1.4, Django 3.2, aiohttp 3.8, uvicorn,
// gunicorn, asyncio in debug mode; testdata/applog/record.sh), reads as
// the same statements, connection events, stalls and requests in every
// layout, and those equal what the recorder counted from the LogRecords.
func TestLayouts(t *testing.T) {
	for _, tc := range []struct {
		layout string
		// the layout as the Sources note spells it: the Formatter string,
		// with fields hotpath does not read as %(…)s and msecs/zone inside
		// asctime; "" for JSON lines.
		note              string
		thread, task, pid bool
		named             bool
	}{
		{"basic", "%(levelname)s:%(name)s:%(message)s", false, false, false, true},
		{"threadtask", "%(asctime)s %(levelname)s %(name)s [%(threadName)s/%(taskName)s] %(message)s", true, true, false, true},
		{"threadfirst", "%(asctime)s [%(threadName)s] %(levelname)s %(name)s: %(message)s", true, false, false, true},
		{"datefmt", "%(asctime)s - %(name)s - %(levelname)s - %(message)s (asctime as %d/%b/%Y %H:%M:%S)", false, false, false, true},
		{"levelfirst", "%(levelname)s %(asctime)s %(name)s:%(…)s %(message)s", false, false, false, true},
		{"syslog", "%(name)s[%(process)d]: %(levelname)s %(message)s", false, false, true, true},
		{"epoch", "%(created)f %(process)d %(threadName)s %(levelname)s %(name)s %(message)s", true, false, true, true},
		{"isozone", "%(asctime)s|%(levelname)s|%(name)s|%(threadName)s|%(message)s", true, false, false, true},
		{"djangoverbose", "%(levelname)s %(asctime)s %(…)s %(process)d %(thread)d %(message)s", true, false, true, false},
		{"gunicorn", "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s", false, false, true, false},
		{"json", "", true, true, true, true},
		{"jsonlogger", "", true, true, true, true},
		{"structlog", "", true, false, true, true},
	} {
		t.Run(tc.layout, func(t *testing.T) {
			tr := readTruth(t, tc.layout)
			c := tr.Counts
			src, s, err := loadFile(t, repo("testdata", "applog", tc.layout+".log.gz"))
			if err != nil {
				t.Fatal(err)
			}
			if src.Format() != "python-log" {
				t.Errorf("format %q, want python-log (several loggers' records)", src.Format())
			}
			note := src.Notes()[0]
			if tc.note != "" && !strings.Contains(note, "layout "+tc.note) || tc.note == "" && !strings.Contains(note, "JSON lines") {
				t.Errorf("layout note %q, want %q", note, tc.note)
			}
			if got, want := len(s.stmts), c["sa_statements"]+c["django_statements"]; got != want {
				t.Errorf("statements %d, want %d (SQLAlchemy %d + Django %d)", got, want, c["sa_statements"], c["django_statements"])
			}
			if got := s.timed(); got != c["django_statements"] {
				t.Errorf("timed statements %d, want Django's %d", got, c["django_statements"])
			}
			if s.conns[parse.ConnOpened] != c["sa_opened"] || s.conns[parse.ConnClosed] != c["sa_closed"] || s.conns[parse.ConnPoolReused] != c["sa_reused"] {
				t.Errorf("connections %v, want opened %d closed %d reused %d", s.conns, c["sa_opened"], c["sa_closed"], c["sa_reused"])
			}
			if s.stalls[parse.StallSlowCallback] != c["slow_callbacks"] || s.stalls[parse.StallUnclosedClient] != c["unclosed_sessions"] ||
				s.stalls[parse.StallUnclosedConn] != c["unclosed_connectors"] {
				t.Errorf("stalls %v, want slow %d, unclosed sessions %d, connectors %d", s.stalls, c["slow_callbacks"], c["unclosed_sessions"], c["unclosed_connectors"])
			}
			// DefaultAccess reads uvicorn's and aiohttp's default lines;
			// gunicorn's combined lines wait for parse/accesslog.
			if got, want := len(s.spans), c["aiohttp.access"]+c["uvicorn.access"]; got != want {
				t.Errorf("requests %d, want %d", got, want)
			}
			if got, want := src.Events(), int64(len(s.stmts)+len(s.kept)+len(s.spans)); got != want {
				t.Errorf("events %d, want %d", got, want)
			}
			if len(src.Warnings()) != 0 {
				t.Errorf("warnings %q: nothing is wrong with the file", src.Warnings())
			}
			if src.SkippedTotal() != 0 {
				t.Errorf("skipped %v", src.Skipped())
			}
			if first, last := src.TimeRange(); tc.layout != "basic" && tc.layout != "syslog" && (first.IsZero() || last.Before(first) || last.Sub(first) > 60e9) {
				t.Errorf("time range %v – %v", first, last)
			}
			checkUnits(t, s, tc.thread, tc.task, tc.pid)
			checkRequests(t, s)
			if tc.named {
				for _, st := range s.stmts {
					if strings.Contains(st.Text, "SELECT id, total FROM orders") && st.RequestID == "" {
						t.Errorf("logging_token not read: %+v", st)
						break
					}
				}
			}
		})
	}
}

// checkUnits: thread and task names (and the pid) of the records become
// the statements' units of work.
func checkUnits(t *testing.T, s *recSink, thread, task, pid bool) {
	t.Helper()
	var django, loop int
	for _, st := range s.stmts {
		if thread && st.Thread == "" {
			t.Errorf("statement without its thread: %+v", st)
			return
		}
		if !thread && !task && st.Thread != "" {
			t.Errorf("a thread from nowhere: %+v", st)
			return
		}
		if st.HasDuration { // Django, in gunicorn's gthread worker
			django++
			if thread && (st.Session == "" || !strings.HasSuffix(st.Session, st.Thread) || pid == (st.Session == st.Thread)) {
				t.Errorf("Django statement's unit: session %q, thread %q", st.Session, st.Thread)
				return
			}
		}
		if task && strings.HasPrefix(st.Task, "Task-") {
			loop++
			if !strings.HasSuffix(st.Session, st.Task) {
				t.Errorf("task %q, session %q", st.Task, st.Session)
				return
			}
		}
	}
	if task && loop == 0 {
		t.Error("no statement carries its asyncio task")
	}
	if django == 0 {
		t.Error("no Django statement")
	}
}

func checkRequests(t *testing.T, s *recSink) {
	t.Helper()
	routes := map[string]int{}
	for _, sp := range s.spans {
		if sp.Kind != "server" || sp.Category != parse.CatHTTPServer || sp.Attrs[parse.AttrRecord] != parse.RecordAccessLog ||
			sp.HTTPMethod != "GET" || sp.HTTPStatus == 0 || !strings.HasPrefix(sp.HTTPURL, "/") {
			t.Errorf("access span %+v", sp)
			return
		}
		routes[strings.SplitN(sp.HTTPURL[1:], "/", 2)[0]]++
	}
	// workload.py: 3 rounds of /orders ×2, /stock ×2, /report, /users,
	// /user, /rates, then /fail; uvicorn answers /rate for each /rates.
	want := map[string]int{"orders": 6, "stock": 6, "report": 3, "users": 3, "user": 3, "rates": 3, "fail": 1, "rate": 3}
	for k, v := range want {
		if routes[k] != v {
			t.Errorf("requests by path %v, want %v", routes, want)
			return
		}
	}
}

// TestLayoutsAgree: the workload is the same in every layout, and so is
// what each layout reads as (slow callbacks excepted: how often the loop
// stalls past 50 ms depends on the machine's load during the run).
func TestLayoutsAgree(t *testing.T) {
	type key struct{ stmts, opened, closed, reused, sessions, connectors, requests int }
	seen := map[key][]string{}
	for _, l := range []string{"basic", "threadtask", "threadfirst", "datefmt", "levelfirst", "syslog", "epoch", "isozone",
		"djangoverbose", "gunicorn", "json", "jsonlogger", "structlog"} {
		_, s, err := loadFile(t, repo("testdata", "applog", l+".log.gz"))
		if err != nil {
			t.Fatal(err)
		}
		k := key{len(s.stmts), s.conns[parse.ConnOpened], s.conns[parse.ConnClosed], s.conns[parse.ConnPoolReused],
			s.stalls[parse.StallUnclosedClient], s.stalls[parse.StallUnclosedConn], len(s.spans)}
		seen[k] = append(seen[k], l)
	}
	if len(seen) != 1 {
		t.Errorf("layouts disagree: %v", seen)
	}
}
