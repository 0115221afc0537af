package sqllog

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hotpath/parse"
)

// The samples of testdata/sql/peers hold the layouts the peers' own test
// suites cover (see its gen.sh); every count below is taken from the
// file's lines by a regular expression, not from the decoder.

func peerSample(t *testing.T, name string) []byte {
	t.Helper()
	return sample(t, "peers/"+name)
}

func countLines(data []byte, re string) (n int) {
	rx := regexp.MustCompile(re)
	for _, l := range strings.Split(string(data), "\n") {
		if rx.MatchString(l) {
			n++
		}
	}
	return n
}

// Slow-log entries end where the next entry's header begins, whatever
// header that is; administrator commands are statements; the server's
// "SET timestamp/insert_id" and "use db" annotations are not part of a
// statement; a garbled Query_time skips its entry.
func TestSlowLogEntries(t *testing.T) {
	qtime := regexp.MustCompile(`^# Query_time: (\S+)`)
	for _, file := range []string{"mysql-slow-layouts.log", "mariadb-quirks-slow.log", "mariadb-use-slow.log", "mysql-slow-garbled.log"} {
		t.Run(file, func(t *testing.T) {
			data := peerSample(t, file)
			var entries, bad int
			for _, l := range strings.Split(string(data), "\n") {
				m := qtime.FindStringSubmatch(l)
				if m == nil {
					continue
				}
				entries++
				if v, err := strconv.ParseFloat(m[1], 64); err != nil || v >= 9.2e9 {
					bad++ // not a decimal, or more seconds than 64-bit nanoseconds hold
				}
			}
			admin := countLines(data, `^# administrator command: `)
			src, s, err := loadBytes(t, file, data, parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if src.Format() != "mysql-slow" || s.stmts != int64(entries-bad) {
				t.Errorf("%s: %d statements, the file has %d entries, %d with a garbled Query_time", src.Format(), s.stmts, entries, bad)
			}
			var skipped int64
			for _, sk := range src.Skipped() {
				if strings.Contains(sk.Reason, "unreadable # Query_time") {
					skipped += sk.Count
				}
			}
			if skipped != int64(bad) {
				t.Errorf("%d entries skipped for their Query_time, want %d (%s)", skipped, bad, reasons(src))
			}
			gotAdmin := 0
			for _, st := range s.kept {
				if strings.HasPrefix(st.Text, "administrator command: ") {
					gotAdmin++
				}
				if isSlowSet([]byte(st.Text)) || strings.Contains(st.Text, "\n# ") || strings.HasPrefix(st.Text, "use ") && strings.Contains(st.Text, "\n") {
					t.Errorf("an annotation or a header inside statement %q", st.Text)
				}
				if st.Duration < 0 {
					t.Errorf("negative duration %v of %q", st.Duration, st.Text)
				}
			}
			if gotAdmin != admin {
				t.Errorf("%d administrator commands read, the file has %d", gotAdmin, admin)
			}
		})
	}
}

// MySQL 5.0/5.1 (space-padded command, "YYMMDD  H:MM:SS"), the same with
// its tabs expanded, MySQL 5.7 (ISO time, spaces before the id) and
// MariaDB's tab layout: every Query is a statement, every Connect an opened
// connection unless it says "Access denied", every Quit a closed one.
func TestGeneralLogLayouts(t *testing.T) {
	// An entry: optional time ("141027  9:59:58" or one ISO word), blanks,
	// the thread id, the command.
	const entry = `^(\S+ +\S+|\S*)\s+\d+ `
	for _, tc := range []struct{ file, multiline string }{
		{"mysql51-general.log", "FROM customers"},
		{"mysql51-general-expanded.log", "FROM customers"},
		{"mysql57-general.log", "FROM products"},
		{"mariadb-quirks-general.log", ""},
	} {
		file := tc.file
		t.Run(file, func(t *testing.T) {
			data := peerSample(t, file)
			queries := countLines(data, entry+`Query\s`)
			denied := countLines(data, entry+`Connect\s+Access denied`)
			connects := countLines(data, entry+`Connect\s`) - denied
			quits := countLines(data, entry+`Quit\b`)
			src, s, err := loadBytes(t, file, data, parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if src.Format() != "mysql-general" || s.stmts != int64(queries) || src.SkippedTotal() != 0 {
				t.Errorf("%s: %d statements (file: %d Query lines), skipped %s", src.Format(), s.stmts, queries, reasons(src))
			}
			if s.conns[parse.ConnOpened] != int64(connects) || s.conns[parse.ConnReceived] != int64(denied) || s.conns[parse.ConnClosed] != int64(quits) {
				t.Errorf("connections %v, the file has %d Connect, %d refused, %d Quit", s.conns, connects, denied, quits)
			}
			// A multi-line statement keeps its lines.
			if tc.multiline != "" {
				if st := s.find(tc.multiline); st == nil || !strings.Contains(st.Text, "\n") {
					t.Errorf("multi-line statement read as %+v", st)
				}
			}
		})
	}
}

// PostgreSQL logs as they arrive after a shipper collapsed runs of spaces,
// a csvlog exported again with every field quoted, a log holding only
// connection lines, and a csvlog as CloudNativePG ships it.
func TestPostgresLayouts(t *testing.T) {
	for _, tc := range []struct{ file, format string }{
		{"pg-collapsed.log", "postgres-stderr"},
		{"pg-csv-quoted.csv", "postgres-csv"},
		{"pg-connections-only.log", "postgres-stderr"},
		{"pg-cnpg.json", "postgres-json"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := peerSample(t, tc.file)
			stmts := countLines(data, `duration: [0-9.]+ ms +statement: `)
			opened := countLines(data, `connection authorized: `)
			closed := countLines(data, `disconnection: session time: `)
			src, s, err := loadBytes(t, tc.file, data, parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if src.Format() != tc.format || s.stmts != int64(stmts) || s.timed != int64(stmts) {
				t.Errorf("%s: %d statements (%d timed), the file has %d", src.Format(), s.stmts, s.timed, stmts)
			}
			if s.conns[parse.ConnOpened] != int64(opened) || s.conns[parse.ConnClosed] != int64(closed) {
				t.Errorf("connections %v, the file has %d authorized, %d disconnections", s.conns, opened, closed)
			}
			if src.Events() != int64(stmts) || src.ConnEvents() == 0 {
				t.Errorf("events %d, connection events %d", src.Events(), src.ConnEvents())
			}
			// The empty query strings of the recording are statements too.
			if empty := countLines(data, `statement: *"?(,|$)`); tc.file != "pg-connections-only.log" && (empty == 0 || s.find("SELECT name FROM items WHERE id = 3") == nil) {
				t.Errorf("%d empty statements in the sample, or the statement after one is lost", empty)
			}
		})
	}
}

// A log whose every entry is unreadable says why in its error.
func TestNothingFoundSaysWhy(t *testing.T) {
	data := []byte("# Time: 090122 21:02:16\n# User@Host: app[app] @ localhost []\n" +
		"# Query_time: 18446744073708.796870.000036  Lock_time: 0.000036  Rows_sent: 1  Rows_examined: 127\nSELECT 1;\n")
	_, _, err := loadBytes(t, "garbled.log", data, parse.Options{})
	if err == nil || !strings.Contains(err.Error(), "no events found") || !strings.Contains(err.Error(), "unreadable # Query_time") ||
		!strings.Contains(err.Error(), "line 4") {
		t.Errorf("error %v", err)
	}
	// A PostgreSQL log of server messages only (the recorded log without
	// its connection lines) says which settings would have logged more.
	var server []byte
	for _, l := range bytes.SplitAfter(peerSample(t, "pg-connections-only.log"), []byte("\n")) {
		if !bytes.Contains(l, []byte("connection ")) && !bytes.Contains(l, []byte("disconnection: ")) {
			server = append(server, l...)
		}
	}
	src, _, err := loadBytes(t, "server.log", server, parse.Options{})
	if src.Format() != "postgres-stderr" || err == nil || !strings.Contains(err.Error(), "log_min_duration_statement = 0") {
		t.Errorf("%s: error %v", src.Format(), err)
	}
}
