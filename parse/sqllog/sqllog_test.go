package sqllog

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hotpath/parse"
)

// Every sample was written by a real server or ORM (testdata/sql/gen.sh);
// the expected counts are what grep says about the same files.
func TestSamples(t *testing.T) {
	type conns struct{ received, opened, closed, reused int64 }
	for _, tc := range []struct {
		file     string
		prefix   string
		format   string
		stmts    int64
		timed    int64
		params   int64
		tags     int64
		prepared bool
		conns    conns
		skipped  int64
	}{
		// grep -c 'duration: .* ms  \(statement\|execute\)' → 153 in each PostgreSQL run.
		{file: "pg-default.log.gz", format: "postgres-stderr", stmts: 153, timed: 153, tags: 2, conns: conns{21, 21, 21, 0}},
		{file: "pg-pgbadger.log.gz", format: "postgres-stderr", stmts: 153, timed: 153, params: 80, tags: 2, prepared: true, conns: conns{7, 7, 7, 0}},
		{file: "pg-rds.log.gz", format: "postgres-stderr", stmts: 153, timed: 153, params: 80, tags: 2, prepared: true, conns: conns{7, 7, 7, 0}},
		{file: "pg-escapes.log.gz", format: "postgres-stderr", stmts: 153, timed: 153, params: 80, tags: 2, prepared: true, conns: conns{7, 7, 7, 0}},
		{file: "pg-escapes.log.gz", prefix: "%n %c %l %x/%v %e %a %h %% %q%u ", format: "postgres-stderr", stmts: 153, timed: 153, params: 80, tags: 2, prepared: true, conns: conns{7, 7, 7, 0}},
		{file: "pg-structured.csv.gz", format: "postgres-csv", stmts: 153, timed: 153, params: 80, tags: 2, prepared: true, conns: conns{7, 7, 7, 0}},
		{file: "pg-structured.json.gz", format: "postgres-json", stmts: 153, timed: 153, params: 80, tags: 2, prepared: true, conns: conns{7, 7, 7, 0}},
		{file: "pgbench-stderr-cut.log.gz", format: "postgres-stderr", stmts: 1416, timed: 1416, conns: conns{194, 194, 191, 0}},
		// grep -c '^# Query_time' → 250; 'Execute\|Query' → 250.
		{file: "mariadb-slow.log.gz", format: "mysql-slow", stmts: 250, timed: 250, tags: 1},
		{file: "mariadb-general.log.gz", format: "mysql-general", stmts: 250, tags: 1, conns: conns{0, 6, 6, 0}},
		{file: "sysbench-slow-cut.log.gz", format: "mysql-slow", stmts: 319, timed: 319},
		{file: "sysbench-general-cut.log.gz", format: "mysql-general", stmts: 1897, conns: conns{0, 6, 2, 0}},
		{file: "rails-activerecord.log.gz", format: "rails", stmts: 71, timed: 71, params: 32},
	} {
		t.Run(tc.file+tc.prefix, func(t *testing.T) {
			src, s := load(t, testdata(tc.file), parse.Options{LogLinePrefix: tc.prefix}, 1000)
			if src.Format() != tc.format {
				t.Errorf("format = %s, want %s", src.Format(), tc.format)
			}
			if s.stmts != tc.stmts || s.timed != tc.timed || s.withParams != tc.params || s.tagged != tc.tags {
				t.Errorf("statements/timed/with params/tagged = %d/%d/%d/%d, want %d/%d/%d/%d",
					s.stmts, s.timed, s.withParams, s.tagged, tc.stmts, tc.timed, tc.params, tc.tags)
			}
			if (s.prepared > 0) != tc.prepared {
				t.Errorf("%d statements with parse/bind time", s.prepared)
			}
			got := conns{s.conns[parse.ConnReceived], s.conns[parse.ConnOpened], s.conns[parse.ConnClosed], s.conns[parse.ConnPoolReused]}
			if got != tc.conns {
				t.Errorf("connections = %+v, want %+v", got, tc.conns)
			}
			if src.SkippedTotal() != tc.skipped {
				t.Errorf("skipped %v", src.Skipped())
			}
			if src.Events() != s.stmts {
				t.Errorf("events = %d", src.Events())
			}
			if first, last := src.TimeRange(); first.IsZero() || last.Before(first) {
				t.Errorf("time range %v – %v", first, last)
			}
			for _, st := range s.kept {
				if strings.TrimSpace(st.Text) == "" {
					t.Errorf("statement text %q", st.Text)
					break
				}
			}
		})
	}
}

func TestPostgresDetails(t *testing.T) {
	for _, file := range []string{"pg-pgbadger.log.gz", "pg-rds.log.gz", "pg-structured.csv.gz", "pg-structured.json.gz"} {
		_, s := load(t, testdata(file), parse.Options{}, 1000)
		// Extended protocol: parameters attached, parse/bind time apart.
		st := s.find("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2")
		if st == nil || len(st.Params) != 2 || st.PrepareTime <= 0 || !st.HasDuration {
			t.Fatalf("%s: extended-protocol statement %+v", file, st)
		}
		if st.User != "postgres" || st.Database != "postgres" || st.Session == "" || st.Start.IsZero() {
			t.Errorf("%s: fields %+v", file, st)
		}
		if file != "pg-rds.log.gz" && st.App != "pgbench" {
			t.Errorf("%s: app %q", file, st.App)
		}
		if st.Client != "127.0.0.1" {
			t.Errorf("%s: client %q", file, st.Client)
		}
		// Multi-line statements and literals.
		if st := s.find("SELECT aid,\n       abalance\n  FROM pgbench_accounts"); st == nil {
			t.Errorf("%s: multi-line statement missing", file)
		}
		if st := s.find("'multi\nline literal'"); st == nil {
			t.Errorf("%s: multi-line literal missing", file)
		}
		// sqlcommenter and marginalia tags.
		st = s.find("/*route=")
		if st == nil || st.Tags["route"] != "/orders/<id>" || st.Tags["controller"] != "orders" ||
			st.Tags["traceparent"] != "00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01" {
			t.Errorf("%s: sqlcommenter tags %+v", file, st)
		}
		if st := s.find("/*application:"); st == nil || st.Tags["application"] != "shop" || st.Tags["action"] != "show" {
			t.Errorf("%s: marginalia tags %+v", file, st)
		}
	}
	_, s := load(t, testdata("pg-default.log.gz"), parse.Options{}, 10)
	if st := s.kept[0]; st.Text != "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers" {
		t.Errorf("first statement %q", st.Text)
	}
}

// A PostgreSQL duration line is written when the statement ends: its start
// is the line's time minus the duration, read here from the line itself
// (the statement's Line) for every timed statement, in three time layouts.
func TestPostgresStartIsLogTimeMinusDuration(t *testing.T) {
	durRE := regexp.MustCompile(`  duration: ([0-9]+)\.([0-9]{3}) ms  `)
	for _, tc := range []struct {
		file string
		time *regexp.Regexp // the line's time, first group
		// parse turns it into a time
		parse func(string) (time.Time, error)
	}{
		{"pg-default.log.gz", regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC) `), func(s string) (time.Time, error) {
			return time.Parse("2006-01-02 15:04:05.000 MST", s)
		}},
		{"pg-pgbadger.log.gz", regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC) `), func(s string) (time.Time, error) {
			return time.Parse("2006-01-02 15:04:05 MST", s)
		}},
		{"pg-escapes.log.gz", regexp.MustCompile(`^(\d+\.\d{3}) `), func(s string) (time.Time, error) {
			sec, frac, _ := strings.Cut(s, ".")
			n, err := strconv.ParseInt(sec+frac, 10, 64)
			return time.UnixMilli(n).UTC(), err
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			lines := strings.Split(string(sample(t, tc.file)), "\n")
			_, s := load(t, testdata(tc.file), parse.Options{}, 1000)
			checked := 0
			for _, st := range s.kept {
				if !st.HasDuration {
					continue
				}
				if st.Line < 1 || int(st.Line) > len(lines) {
					t.Fatalf("%q: line %d outside the file", st.Text, st.Line)
				}
				line := lines[st.Line-1]
				tm, d := tc.time.FindStringSubmatch(line), durRE.FindStringSubmatch(line)
				if tm == nil || d == nil {
					t.Errorf("line %d has no time or duration: %q", st.Line, line)
					continue
				}
				at, err := tc.parse(tm[1])
				us, err2 := strconv.ParseInt(d[1]+d[2], 10, 64)
				if err != nil || err2 != nil {
					t.Fatalf("line %d: %v %v", st.Line, err, err2)
				}
				if want := at.Add(-time.Duration(us) * time.Microsecond); !st.Start.Equal(want) || st.Duration != time.Duration(us)*time.Microsecond {
					t.Errorf("line %d: start %v, duration %v; the line says %v − %d µs = %v", st.Line, st.Start, st.Duration, at, us, want)
				}
				checked++
			}
			if checked != 153 { // grep -c 'duration: .* ms  \(statement\|execute\)'
				t.Errorf("checked %d timed statements, the log has 153", checked)
			}
		})
	}
}

func TestMySQLDetails(t *testing.T) {
	_, s := load(t, testdata("mariadb-slow.log.gz"), parse.Options{}, 1000)
	st := s.find("SELECT c FROM sbtest1 WHERE id = 5 /*route=")
	if st == nil || st.Tags["route"] != "/items" || st.Database != "sbtest" || st.Rows != 1 || st.Session == "" || st.User != "root" || st.Start.IsZero() {
		t.Errorf("slow-log entry %+v", st)
	}
	for _, st := range s.kept {
		if strings.HasPrefix(st.Text, "#") || strings.Contains(st.Text, "SET timestamp") || strings.HasPrefix(st.Text, "use ") {
			t.Fatalf("header lines in statement text %q", st.Text)
		}
	}
	if st := s.find("CREATE TABLE sbtest1(\n  id INTEGER NOT NULL AUTO_INCREMENT,"); st == nil {
		t.Error("multi-line CREATE TABLE missing")
	}
	_, g := load(t, testdata("mariadb-general.log.gz"), parse.Options{}, 1000)
	if st := g.find("PRIMARY KEY (id)\n) /*! ENGINE = innodb */"); st == nil || st.HasDuration {
		t.Errorf("general-log multi-line statement %+v", st)
	}
}

func TestAppLogDetails(t *testing.T) {
	_, r := load(t, testdata("rails-activerecord.log.gz"), parse.Options{}, 1000)
	st := r.find(`INSERT INTO "authors" ("name") VALUES (?)`)
	if st == nil || st.Text != `INSERT INTO "authors" ("name") VALUES (?)` || len(st.Params) != 1 ||
		st.Params[0] != "author 0" || st.Session == "" || st.Start.IsZero() {
		t.Errorf("Rails statement %+v", st)
	}
	for _, st := range r.kept {
		if strings.ContainsRune(st.Text, 0x1b) {
			t.Fatalf("ANSI escape left in %q", st.Text)
		}
	}
}

// Hand-written: MySQL 5.7+/8.0 write ISO-8601 timestamps in the general log
// and "# Time:" lines (MariaDB, the only server installable here, cannot).
func TestMySQL8Layouts(t *testing.T) {
	general := "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n" +
		"Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n" +
		"Time                 Id Command    Argument\n" +
		"2026-11-27T22:13:12.123456Z\t    8 Connect\tapp@10.0.0.5 on shop using TCP/IP\n" +
		"2026-11-27T22:13:12.124000Z\t    8 Query\tSELECT * FROM orders\n  WHERE id = 1\n" +
		"2026-11-27T23:13:12.125000+01:00\t    8 Quit\t\n"
	src, s, err := loadBytes(t, "general8.log", []byte(general), parse.Options{})
	if err != nil || src.Format() != "mysql-general" || s.stmts != 1 || s.conns[parse.ConnOpened] != 1 || s.conns[parse.ConnClosed] != 1 {
		t.Fatalf("err %v format %s stmts %d conns %v", err, src.Format(), s.stmts, s.conns)
	}
	if _, last := src.TimeRange(); !last.Equal(time.Date(2026, 11, 27, 22, 13, 12, 125000000, time.UTC)) {
		t.Errorf("last time %v (the +01:00 offset)", last)
	}
	if st := s.kept[0]; st.Text != "SELECT * FROM orders\n  WHERE id = 1" || st.Database != "shop" || st.Start.Nanosecond() != 124000000 {
		t.Errorf("statement %+v", st)
	}
	slow := "# Time: 2026-11-27T22:13:12.123456Z\n" +
		"# User@Host: app[app] @  [10.0.0.5]  Id:     8\n" +
		"# Query_time: 1.500000  Lock_time: 0.000100 Rows_sent: 3  Rows_examined: 100\n" +
		"use shop;\nSET timestamp=1795817590;\nSELECT * FROM orders WHERE id = 1;\n"
	src, s, err = loadBytes(t, "slow8.log", []byte(slow), parse.Options{})
	if err != nil || src.Format() != "mysql-slow" || s.stmts != 1 {
		t.Fatalf("err %v format %s stmts %d", err, src.Format(), s.stmts)
	}
	if st := s.kept[0]; st.Duration != 1500*time.Millisecond || st.Rows != 3 || st.Session != "8" || st.Client != "10.0.0.5" || st.Database != "shop" || st.Start.Unix() != 1795817590 {
		t.Errorf("statement %+v", st)
	}
}

// log_statement=all plus log_duration: the statement line, then a lone
// duration line of the same backend.
func TestPostgresLogStatementThenDuration(t *testing.T) {
	log := "2026-11-27 22:11:28.100 UTC [10] u@d LOG:  statement: SELECT 1\n" +
		"2026-11-27 22:11:28.101 UTC [11] u@d LOG:  statement: SELECT 2\n" +
		"2026-11-27 22:11:28.102 UTC [10] u@d LOG:  duration: 2.000 ms\n" +
		"2026-11-27 22:11:28.103 UTC [11] u@d LOG:  duration: 3.000 ms\n" +
		"2026-11-27 22:11:28.104 UTC [12] u@d LOG:  execute S_1: SELECT $1\n" +
		"2026-11-27 22:11:28.104 UTC [12] u@d DETAIL:  parameters: $1 = 'it''s'\n"
	_, s, err := loadBytes(t, "pg.log", []byte(log), parse.Options{})
	if err != nil || s.stmts != 3 || s.timed != 2 {
		t.Fatalf("err %v stmts %d timed %d", err, s.stmts, s.timed)
	}
	for _, st := range s.kept {
		switch st.Text {
		case "SELECT 1":
			if st.Duration != 2*time.Millisecond {
				t.Errorf("%q: %v", st.Text, st.Duration)
			}
		case "SELECT 2":
			if st.Duration != 3*time.Millisecond {
				t.Errorf("%q: %v", st.Text, st.Duration)
			}
		case "SELECT $1":
			if len(st.Params) != 1 || st.Params[0] != "it's" {
				t.Errorf("params %q", st.Params)
			}
		default:
			t.Errorf("unexpected %q", st.Text)
		}
	}
}

func TestSniffing(t *testing.T) {
	// Each sample is recognised by content as its own format and by no
	// earlier one in the list.
	for file, want := range map[string]string{
		"pg-default.log.gz": "postgres-stderr", "pg-structured.csv.gz": "postgres-csv",
		"pg-structured.json.gz": "postgres-json", "mariadb-slow.log.gz": "mysql-slow",
		"mariadb-general.log.gz": "mysql-general", "rails-activerecord.log.gz": "rails",
	} {
		src, _ := load(t, testdata(file), parse.Options{}, 0)
		if src.Format() != want {
			t.Errorf("%s sniffed as %s, want %s", file, src.Format(), want)
		}
	}
	if _, _, err := loadBytes(t, "x", []byte("hello\nworld\n"), parse.Options{}); err == nil {
		t.Error("plain text accepted")
	}
}

func TestExtractTags(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
	}{
		{"SELECT 1 /*controller='users',action='show',route='%2Fusers%2F%3Aid'*/", map[string]string{"controller": "users", "action": "show", "route": "/users/:id"}},
		{"/*application:foo,controller:bar,action:baz*/ SELECT 1", map[string]string{"application": "foo", "controller": "bar", "action": "baz"}},
		{"SELECT /*+ INDEX(t i) */ 1 /*!40101 SET x=1 */", nil},
		{"SELECT 1 /* just a comment */", nil},
		{"SELECT 1 /* unterminated", nil},
	} {
		got := ExtractTags([]byte(tc.in))
		if len(got) != len(tc.want) {
			t.Errorf("%q: %v", tc.in, got)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", tc.in, k, got[k], v)
			}
		}
	}
}

// With PostgreSQL's default prefix ('%m [%p] ') statements carry no user or
// database; the session's "connection authorized" line supplies them.
func TestPostgresSessionIdentity(t *testing.T) {
	log := "2026-11-27 22:11:28.100 UTC [10] LOG:  connection received: host=127.0.0.1 port=5000\n" +
		"2026-11-27 22:11:28.101 UTC [10] LOG:  connection authorized: user=app database=shop application_name=web\n" +
		"2026-11-27 22:11:28.102 UTC [10] LOG:  duration: 2.000 ms  statement: SELECT 1\n" +
		"2026-11-27 22:11:28.103 UTC [10] LOG:  disconnection: session time: 0:00:00.003 user=app database=shop host=127.0.0.1 port=5000\n" +
		"2026-11-27 22:11:28.104 UTC [10] LOG:  duration: 2.000 ms  statement: SELECT 2\n"
	_, s, err := loadBytes(t, "pg.log", []byte(log), parse.Options{})
	if err != nil || s.stmts != 2 {
		t.Fatalf("err %v stmts %d", err, s.stmts)
	}
	if st := s.kept[0]; st.User != "app" || st.Database != "shop" || st.App != "web" || st.Session != "10" {
		t.Errorf("first statement %+v", st)
	}
	if st := s.kept[1]; st.User != "" {
		t.Errorf("identity outlived its session: %+v", st)
	}
}

// Hand-written: PostgreSQL through rsyslog (no syslog daemon could be run
// here), BSD and ISO headers, a multi-line statement in [N-M] parts with
// rsyslog's #011 for the tab, and a prefix without %p (the pid comes from
// the syslog ident).
func TestPostgresSyslog(t *testing.T) {
	log := "Nov 27 22:11:28 db1 postgres[6046]: [3-1] 2026-11-27 22:11:28.144 UTC user=app,db=shop LOG:  duration: 1.500 ms  statement: SELECT a,\n" +
		"Nov 27 22:11:28 db1 postgres[6046]: [3-2] #011       b FROM t\n" +
		"Nov 27 22:11:28 db1 postgres[6047]: [4-1] 2026-11-27 22:11:28.150 UTC user=app,db=shop LOG:  connection authorized: user=app database=shop\n" +
		"2026-11-27T22:11:29.001+00:00 db1 postgres[6047]: [5-1] 2026-11-27 22:11:29.001 UTC user=app,db=shop LOG:  duration: 0.250 ms  execute S_1: SELECT $1\n" +
		"2026-11-27T22:11:29.001+00:00 db1 postgres[6047]: [5-2] 2026-11-27 22:11:29.001 UTC user=app,db=shop DETAIL:  parameters: $1 = '42'\n" +
		"Nov 27 22:11:30 db1 kernel: something else entirely\n"
	src, s, err := loadBytes(t, "syslog", []byte(log), parse.Options{})
	if err != nil || src.Format() != "postgres-stderr" || s.stmts != 2 || s.conns[parse.ConnOpened] != 1 {
		t.Fatalf("err %v format %s stmts %d conns %v skipped %v", err, src.Format(), s.stmts, s.conns, src.Skipped())
	}
	if st := s.kept[0]; st.Text != "SELECT a,\n       b FROM t" || st.User != "app" || st.Database != "shop" || st.Session != "6046" || st.Duration != 1500*time.Microsecond {
		t.Errorf("first %+v", st)
	}
}

// Cuts of real logs too large to commit (testdata/sql/cuts), decoded alone
// (no digest): every statement and connection event grep counts in them,
// nothing skipped.
func TestRealLogCuts(t *testing.T) {
	v := readCutVerdicts(t)
	for _, tc := range []struct {
		file                            string
		format                          string
		stmts, opened, closed, received []string // the grep counts that add up to each
	}{
		{"pgbench-2000-sessions.log.gz", "postgres-stderr", []string{"duration"}, []string{"connection authorized"}, []string{"disconnection"}, []string{"connection received"}},
		{"sysbench-slow-6000-entries.log.gz", "mysql-slow", []string{"# Query_time"}, nil, nil, nil},
		// Query and Execute run a statement; Prepare does not.
		{"sysbench-general-10000-lines.log.gz", "mysql-general", []string{"Query", "Execute"}, []string{"Connect"}, []string{"Quit"}, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			cut, ok := v[tc.file]
			if !ok {
				t.Fatalf("no verdict for %s in %s", tc.file, cutsDir("verdicts.json"))
			}
			sum := func(keys []string) (n int64) {
				for _, k := range keys {
					c, ok := cut.Grep[k]
					if !ok {
						t.Fatalf("verdicts.json has no grep count %q for %s", k, tc.file)
					}
					n += c
				}
				return n
			}
			src, s := load(t, cutsDir(tc.file), parse.Options{}, 0)
			if src.Format() != tc.format {
				t.Errorf("format %s, want %s", src.Format(), tc.format)
			}
			if want := sum(tc.stmts); s.stmts != want || want == 0 {
				t.Errorf("statements %d, grep counts %d (%v)", s.stmts, want, tc.stmts)
			}
			if tc.format != "mysql-general" && s.timed != s.stmts {
				t.Errorf("%d of %d statements timed", s.timed, s.stmts)
			}
			if got, want := s.conns[parse.ConnOpened], sum(tc.opened); got != want {
				t.Errorf("connections opened %d, grep counts %d (%v)", got, want, tc.opened)
			}
			if got, want := s.conns[parse.ConnClosed], sum(tc.closed); got != want {
				t.Errorf("connections closed %d, grep counts %d (%v)", got, want, tc.closed)
			}
			if got, want := s.conns[parse.ConnReceived], sum(tc.received); got != want {
				t.Errorf("connections received %d, grep counts %d (%v)", got, want, tc.received)
			}
			if src.SkippedTotal() != 0 {
				t.Errorf("skipped %v", src.Skipped())
			}
			if src.DecodedBytes() != cut.Bytes {
				t.Errorf("read %d bytes, the unpacked cut has %d (wc -c)", src.DecodedBytes(), cut.Bytes)
			}
		})
	}
}
