package applog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSniffIgnoresProseAndCode: READMEs, scripts and notes that mention
// loggers or quote a log line are not logs.
func TestSniffIgnoresProseAndCode(t *testing.T) {
	var files []string
	for _, glob := range []string{"testdata/scenarios/pyshop/*.py", "testdata/scenarios/pyshop/*.md", "testdata/scenarios/*/README.md",
		"testdata/applog/*.py", "testdata/*/README.md", "testdata/README.md", "testdata/sql/*.py", "testdata/trace/pygen/*.py",
		"README.md", "parse/applog/*.go", "testdata/scenarios/pyshop/access.log", "testdata/applog/*.truth.json"} {
		m, _ := filepath.Glob(repo(glob))
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("only %d files", len(files))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 64<<10 {
			b = b[:64<<10]
		}
		if info := analyzeHead(b); info != nil {
			t.Errorf("%s read as %s", p, info)
		}
	}
	// uvicorn's console format names no logger: an access log for
	// parse/accesslog, not an application log.
	uv := "INFO:     Started server process [4242]\nINFO:     Waiting for application startup.\n" +
		"INFO:     127.0.0.1:51234 - \"GET /items/5 HTTP/1.1\" 200 OK\n"
	if info := analyzeHead([]byte(uv)); info != nil {
		t.Errorf("uvicorn console log read as %s", info)
	}
}

// TestInferLayouts: layouts from the logging HOWTO and cookbook, Django's
// and gunicorn's documentation, and time forms of datefmt, on records of
// the loggers hotpath reads.
func TestInferLayouts(t *testing.T) {
	for _, tc := range []struct {
		name, log, layout string
		want              fields // the first SQLAlchemy record's fields
		at                string // its time, RFC 3339
	}{
		{"howto datefmt %m/%d/%Y %I:%M:%S %p",
			"11/27/2026 11:33:01 PM INFO sqlalchemy.engine.Engine SELECT 1\n11/27/2026 11:33:01 PM INFO sqlalchemy.engine.Engine [raw sql] {}\n",
			"%(asctime)s %(levelname)s %(name)s %(message)s", fields{name: []byte("sqlalchemy.engine.Engine")}, "2026-11-27T23:33:01Z"},
		{"syslog time, no year",
			"Nov 27 23:33:01 web1 app[812]: sqlalchemy.engine.Engine INFO SELECT 1\nNov 27 23:33:01 web1 app[812]: sqlalchemy.engine.Engine INFO [raw sql] {}\n",
			"%(asctime)s %(…)s %(…)s[%(process)d]: %(name)s %(levelname)s %(message)s", fields{name: []byte("sqlalchemy.engine.Engine"), pid: []byte("812")}, ""},
		{"clock only, padded level",
			"23:33:01.372 INFO     [Thread-1 (worker)] sqlalchemy.engine.Engine: SELECT 1\n23:33:01.373 WARNING  [MainThread] asyncio: Executing <Handle f() at /a.py:1> took 0.2 seconds\n",
			"%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s", fields{name: []byte("sqlalchemy.engine.Engine"), thread: []byte("Thread-1 (worker)")}, "1970-01-01T23:33:01.372Z"},
		{"ISO 8601 with Z and a request id",
			"2026-11-27T23:33:01.372Z 5f0c6b1e-8d3a-4c2e-9b7a-1f2e3d4c5b6a sqlalchemy.engine.Engine INFO SELECT 1\n" +
				"2026-11-27T23:33:01.373Z 5f0c6b1e-8d3a-4c2e-9b7a-1f2e3d4c5b6a sqlalchemy.engine.Engine INFO [generated in 0.001s] ()\n",
			"%(asctime)s %(request_id)s %(name)s %(levelname)s %(message)s", fields{name: []byte("sqlalchemy.engine.Engine"), reqID: []byte("5f0c6b1e-8d3a-4c2e-9b7a-1f2e3d4c5b6a")}, "2026-11-27T23:33:01.372Z"},
		{"cookbook, processName and zone offset",
			"2026-11-28 00:33:01,372+0100 MainProcess sqlalchemy.pool.impl.QueuePool DEBUG Created new connection <connection object at 0x7f1>\n" +
				"2026-11-28 00:33:01,373+0100 SpawnProcess-1 django.db.backends DEBUG (0.002) SELECT 1; args=None\n",
			"%(asctime)s %(processName)s %(name)s %(levelname)s %(message)s", fields{name: []byte("sqlalchemy.pool.impl.QueuePool"), pid: []byte("MainProcess")}, "2026-11-27T23:33:01.372Z"},
		{"dotted European date, bracketed name",
			"27.11.2026 23:33:01 [asyncio] WARNING: Executing <Handle f() at /a.py:1> took 0.2 seconds\n27.11.2026 23:33:02 [django.db.backends] DEBUG: (0.001) SELECT 1; args=()\n",
			"%(asctime)s [%(name)s] %(levelname)s: %(message)s", fields{name: []byte("django.db.backends")}, "2026-11-27T23:33:02Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := analyzeHead([]byte(tc.log))
			if info == nil {
				t.Fatal("not recognised")
			}
			if got := info.ly.String(); got != tc.layout {
				t.Errorf("layout %s, want %s", got, tc.layout)
			}
			var f fields
			for _, l := range strings.Split(tc.log, "\n") {
				if info.ly.match([]byte(l), &f, 2026) && (strings.HasPrefix(string(f.name), "sqlalchemy") || string(f.name) == string(tc.want.name)) {
					break
				}
			}
			if string(f.name) != string(tc.want.name) || string(f.thread) != string(tc.want.thread) || string(f.pid)+string(f.procName) != string(tc.want.pid) ||
				string(f.reqID) != string(tc.want.reqID) {
				t.Errorf("fields name %q thread %q pid %q req %q", f.name, f.thread, string(f.pid)+string(f.procName), f.reqID)
			}
			if tc.at != "" && f.time.Format(time.RFC3339Nano) != tc.at {
				t.Errorf("time %s, want %s", f.time.Format(time.RFC3339Nano), tc.at)
			}
			if !strings.HasPrefix(string(f.msg), "SELECT 1") && !strings.HasPrefix(string(f.msg), "Created") && !strings.HasPrefix(string(f.msg), "(0.001)") {
				t.Errorf("message %q", f.msg)
			}
		})
	}
}

func TestTimeForms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind timeKind
		want string
	}{
		{"2026-11-27 23:33:01,372 INFO", tISO, "2026-11-27T23:33:01.372Z"},
		{"2026-11-27T23:33:01.372123+02:00 x", tISO, "2026-11-27T21:33:01.372123Z"},
		{"2026-11-27 23:33:01 UTC x", tISO, "2026-11-27T23:33:01Z"},
		{"2026/11/27 23:33:01 x", tYMD, "2026-11-27T23:33:01Z"},
		{"27/Nov/2026:23:33:01 +0000] x", tDMonY, "2026-11-27T23:33:01Z"},
		{"27/Nov/2026 23:33:01 x", tDMonY, "2026-11-27T23:33:01Z"},
		{"11/27/2026 12:05:00 AM x", tMDY, "2026-11-27T00:05:00Z"},
		{"27.11.2026 23:33:01 x", tDMY, "2026-11-27T23:33:01Z"},
		{"Nov  7 23:33:01 host", tSyslog, "2026-11-07T23:33:01Z"},
		{"1795822381.372000 x", tEpoch, "2026-11-27T23:33:01.372Z"},
		{"23:33:01,372 x", tClock, "1970-01-01T23:33:01.372Z"},
	} {
		tm, k, _, ok := timeAt([]byte(tc.in), tNone, 2026)
		if !ok || k != tc.kind || tm.Format(time.RFC3339Nano) != tc.want {
			t.Errorf("%q: %v kind %d ok %v, want %s kind %d", tc.in, tm.Format(time.RFC3339Nano), k, ok, tc.want, tc.kind)
		}
	}
	for _, bad := range []string{"1234 x", "2026-13-01 00:00:00", "12:61:00", "Nov 27", "127.0.0.1 - -", ""} {
		if _, _, _, ok := timeAt([]byte(bad), tNone, 2026); ok {
			t.Errorf("%q read as a time", bad)
		}
	}
}
