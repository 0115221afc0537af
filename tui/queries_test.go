package tui_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"hotpath/parse"
	"hotpath/parse/sqllog"
	"hotpath/tui"
	"hotpath/tui/common"
	"hotpath/tui/queries"
	"hotpath/tui/tuitest"
	"hotpath/views"
)

// sqlModel opens the TUI on SQL logs, wired as cmd/hotpath wires it.
func sqlModel(t *testing.T, paths ...string) *tui.Model {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := views.NewStandardCollector(views.DefaultOptions()) // as cmd/hotpath wires it
	inputs := parse.Expand(paths, strings.NewReader(""))
	formats := append(parse.ProfileFormats(), sqllog.Formats()...)
	return tui.New(tui.Config{
		Inputs: inputs, Collector: c, Renderer: r, Title: "test",
		Load: func(ctx context.Context, in *parse.Input) error {
			return parse.Load(ctx, in, formats, c, parse.Options{})
		},
	})
}

// runQueries loads, switches to the Queries pane (3), waits for the digest
// to show, then sends keys and quits.
func runQueries(t *testing.T, m *tui.Model, w, h int, ready string, keys ...string) (*tui.Model, string) {
	return tuitest.Drive(t, m, w, h, append([]string{tuitest.Wait("1/1 sources"), "3", tuitest.Wait(ready)}, keys...)...)
}

func typed(s string) []string {
	var k []string
	for _, r := range s {
		k = append(k, string(r))
	}
	return k
}

func TestQueriesGolden(t *testing.T) {
	pgbench := "../testdata/sql/pgbench-stderr-cut.log.gz"
	extended := "../testdata/sql/pg-pgbadger.log.gz"
	for _, tc := range []struct {
		name, file, ready string
		w, h              int
		keys              []string
	}{
		{"queries_80x24", pgbench, "29 fingerprints", 80, 24, nil},
		{"queries_160x48", pgbench, "29 fingerprints", 160, 48, nil},
		{"queries_by_count_80x24", pgbench, "29 fingerprints", 80, 24, []string{"s"}},
		{"queries_filter_80x24", pgbench, "29 fingerprints", 80, 24, append(append([]string{"/"}, typed("pgbench_t")...), "enter")},
		{"queries_detail_100x40", extended, "fingerprints", 100, 40, append(append([]string{"/"}, typed("abalance + ")...), "enter", "enter")},
		{"queries_connections_80x24", pgbench, "29 fingerprints", 80, 24, []string{"c"}},
		{"queries_help_80x24", pgbench, "29 fingerprints", 80, 24, []string{"?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, view := runQueries(t, sqlModel(t, tc.file), tc.w, tc.h, tc.ready, tc.keys...)
			lines := strings.Split(view, "\n")
			if len(lines) != tc.h {
				t.Errorf("view has %d lines, want %d", len(lines), tc.h)
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w > tc.w {
					t.Errorf("line %d is %d cells wide, more than %d: %q", i, w, tc.w, l)
				}
			}
			golden.RequireEqual(t, []byte(view))
		})
	}
}

func queriesPane(t *testing.T, m *tui.Model) *queries.Model {
	t.Helper()
	for _, p := range m.Panes() {
		if q, ok := p.(*queries.Model); ok {
			return q
		}
	}
	t.Fatal("no Queries pane")
	return nil
}

func TestQueriesBehaviour(t *testing.T) {
	m, _ := runQueries(t, sqlModel(t, "../testdata/sql/pg-pgbadger.log.gz"), 100, 30, "fingerprints",
		append(append([]string{"/"}, typed("pgbench_accounts set")...), "enter", "enter")...)
	if m.ActivePane() != queries.Title {
		t.Fatalf("pane %s", m.ActivePane())
	}
	qp := queriesPane(t, m)
	q, open := qp.Detail()
	if !open || q.Fingerprint != "update pgbench_accounts set abalance = abalance + ? where aid = ?" {
		t.Fatalf("detail %v %q", open, q.Fingerprint)
	}
	if len(q.Slowest.Params) != 2 || q.Prepare <= 0 || q.DistinctParams < 2 {
		t.Errorf("extended-protocol detail %+v", q)
	}
	view := m.View()
	for _, want := range []string{"$1 = ", "$2 = ", "parse/bind", "latency", "slowest"} {
		if !strings.Contains(view, want) {
			t.Errorf("detail view lacks %q:\n%s", want, view)
		}
	}

	// While the filter has the keyboard, q is a letter, not quit; each sort
	// key orders the rows.
	m, _ = runQueries(t, sqlModel(t, "../testdata/sql/pgbench-stderr-cut.log.gz"), 80, 24, "29 fingerprints", "/", "q", "esc", "s", "s")
	qp = queriesPane(t, m)
	rows := qp.Rows()
	if len(rows) != 29 {
		t.Fatalf("%d rows after esc cleared the filter", len(rows))
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].Mean > rows[i-1].Mean {
			t.Fatalf("not sorted by mean at %d", i)
		}
	}
}

// An escape sequence logged inside a SQL string never reaches the terminal.
func TestQueriesSanitised(t *testing.T) {
	dir := t.TempDir()
	log := "2026-11-27 22:11:28.144 UTC [61] u@d LOG:  duration: 1.000 ms  statement: SELECT '\x1b]52;c;aGk=\x07\x1b[2J' /*route='\x1b[31mred'*/\n"
	path := filepath.Join(dir, "evil.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	_, view := runQueries(t, sqlModel(t, path), 80, 24, "1 fingerprints", "enter")
	if strings.ContainsAny(view, "\x1b\x07") {
		t.Errorf("control characters reached the view: %q", view)
	}
	if !strings.Contains(view, "route") {
		t.Errorf("detail lacks the tag:\n%s", view)
	}
}

// Another pane's anchor opens a fingerprint here.
func TestQueriesShowQuery(t *testing.T) {
	m, _ := runQueries(t, sqlModel(t, "../testdata/sql/pgbench-stderr-cut.log.gz"), 80, 24, "29 fingerprints")
	m.Update(common.Navigate{Pane: queries.Title, Msg: common.ShowQuery{Fingerprint: "select abalance from pgbench_accounts where aid = ?"}})
	q, open := queriesPane(t, m).Detail()
	if !open || q.Count != 192 || m.ActivePane() != queries.Title {
		t.Errorf("open %v, %+v", open, q)
	}
}

// ctrl+c quits even while the filter has the keyboard.
func TestQueriesCtrlCWhileFiltering(t *testing.T) {
	m := sqlModel(t, "../testdata/sql/pgbench-stderr-cut.log.gz")
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "1/1 sources") },
		teatest.WithDuration(10*time.Second))
	tm.Send(tuitest.Key("3"))
	tm.Send(tuitest.Key("/"))
	tm.Send(tuitest.Key("x"))
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

func TestQueriesSelection(t *testing.T) {
	m, _ := runQueries(t, sqlModel(t, "../testdata/sql/pg-pgbadger.log.gz"), 100, 30, "fingerprints",
		append(append([]string{"/"}, typed("pgbench_accounts set")...), "enter")...)
	qp := queriesPane(t, m)
	var sel common.Selector = qp
	if text, ok := sel.Selection(); !ok || text != "update pgbench_accounts set abalance = abalance + ? where aid = ?" {
		t.Errorf("selection %q", text)
	}
	qp.Update(tuitest.Key("enter"))
	if text, ok := sel.Selection(); !ok || !strings.Contains(text, "UPDATE pgbench_accounts") || !strings.Contains(text, "```sql") {
		t.Errorf("detail selection %q", text)
	}
}

// TestFindingWithoutAnchorSaysSo: enter on a finding that names no
// function, query or request tells the user instead of doing nothing.
func TestFindingWithoutAnchorSaysSo(t *testing.T) {
	m := sqlModel(t, "../testdata/sql/pgbench-stderr-cut.log.gz")
	_, view := tuitest.Drive(t, m, 80, 24, tuitest.Wait("1/1 sources"),
		"enter", tuitest.Wait("no function, query or request to open"))
	if !strings.Contains(view, "no function, query or request to open") {
		t.Errorf("no notice in the status line:\n%s", view)
	}
}
