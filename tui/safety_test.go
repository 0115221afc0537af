package tui_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"hotpath/tui"
	"hotpath/tui/clipboard"
	"hotpath/tui/common"
	"hotpath/tui/components/progress"
	"hotpath/tui/components/table"
	"hotpath/tui/hotspots"
	"hotpath/tui/keys"
	"hotpath/tui/tuitest"
	"hotpath/views"
)

// TestTUICraftHostileTextNeverReachesTheTerminal feeds function names, a
// source name and a filter query carrying escape sequences (screen clear,
// OSC 52 clipboard write, OSC 8 link, title), bidi overrides, C1 controls
// and invalid UTF-8, drives every pane and view, and checks what is drawn,
// what the program writes to its terminal and what it copies.
func TestTUICraftHostileTextNeverReachesTheTerminal(t *testing.T) {
	stacks := tuitest.DemoStacks() // findings to copy
	for i, h := range tuitest.Hostile {
		stacks = append(stacks, tuitest.Stack{Frames: []string{"main.main", h, "leaf " + h}, Value: int64(i+1) * 1e7})
	}
	var mu sync.Mutex
	var copied []string
	cp := func(s string) error { mu.Lock(); copied = append(copied, s); mu.Unlock(); return nil }
	extra := map[string][]byte{tuitest.Hostile[0] + ".pprof": []byte(strings.Join(tuitest.Hostile, "\n")),
		"hostile.log": tuitest.HostileSQLLog(), "hostile-zipkin.json": tuitest.HostileZipkin()}
	m := tuitest.Load(t, tuitest.Profile(stacks), tuitest.Options{Theme: "dark", Copy: cp, Extra: extra})

	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	tm.Send(common.Navigate{Pane: hotspots.Title})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("functions ·")) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	script := []string{"y", "j", "y", "j", "y", "enter", "y", "esc", "f", "j", "j", "y", "l", "y", "enter", "y",
		"S", "y", "esc", "esc", "/", "evil", "enter", "n", "y", "esc", "pane:Sources", "y", "j", "y", "/", "bad", "enter", "?", "esc",
		"pane:Queries", "y", "j", "y", "enter", "y", "esc", "/", "orders", "enter", "y", "esc",
		"pane:Findings", "y", "j", "y", "/", "e", "enter", "n", "y", "esc",
		"pane:Traces", "y", "enter", "y", "j", "y", "j", "enter", "y", "j", "j", "y", "esc", "esc", "/", "orders", "enter"}
	for _, k := range keyMsgs(script...) {
		tm.Send(k)
	}
	// a query pasted with an escape sequence in it
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Send(common.Navigate{Pane: hotspots.Title})
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/\x1b]52;c;cm0gLXJmIH4=\x07\u202eq")})
	time.Sleep(300 * time.Millisecond) // let the copies (commands) finish
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*tui.Model)
	tuitest.CheckClean(t, "final view", fm.View())

	// every frame the program wrote: no escape sequence of the inputs
	// (the renderer's own cursor and colour sequences are CSI; none of
	// these is)
	out, _ := readAll(tm.FinalOutput(t))
	for _, f := range []string{"\x1b]52", "\x1b]8;", "\x1b]0;", "\x1bP", "\x1b_", "\x1b^", "\u202e", "\u2066",
		"\u200f", "\u009b", "\u009d", "evil.example"} {
		if bytes.Contains(out, []byte(f)) {
			t.Errorf("terminal output contains %q", f)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(copied) < 14 {
		t.Errorf("only %d copies made: %q", len(copied), copied)
	}
	sqlCopied, findingCopied := false, false
	for _, c := range copied {
		tuitest.CheckClean(t, "copied text", c)
		sqlCopied = sqlCopied || strings.Contains(c, "```sql")
		findingCopied = findingCopied || strings.HasPrefix(c, "### ")
	}
	if q := fm.Views().Queries; q == nil || q.Statements == 0 {
		t.Error("the hostile SQL log did not load")
	}
	spanCopied := false
	for _, c := range copied {
		spanCopied = spanCopied || strings.Contains(c, "db.system")
	}
	if !spanCopied {
		t.Errorf("no span (from the hostile trace) was copied: %q", copied)
	}
	if !sqlCopied || !findingCopied {
		t.Errorf("copies lack a query detail (%v) or a finding (%v): %q", sqlCopied, findingCopied, copied)
	}
}

func readAll(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// TestTUICraftHostileSQLAndSpanText draws SQL statements and span
// attributes with hostile content through the shared components the
// Queries and Traces panes draw with (table, progress, clipboard), at
// several widths, and checks alignment too: every line has exactly the
// table's width whatever the characters.
func TestTUICraftHostileSQLAndSpanText(t *testing.T) {
	st := tuitest.Styles("dark")
	sql := []string{
		"SELECT * FROM users WHERE name = '\x1b[2J\x1b[3J'",
		"UPDATE t SET v = '\x1b]52;c;ZXZpbA==\x07' WHERE id = $1",
		"SELECT '\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\'",
		"SELECT 'تقرير\u202eevil' /* bidi */",
		"INSERT INTO 表 VALUES ('宽字符', '\xff\xfe')",
		"SELECT 1\r\n;\tDROP TABLE x; -- \u0085 NEL \u2028 LS",
	}
	spans := []string{
		"http.url=https://api/\x1b]0;owned\x07",
		"db.statement=" + sql[0],
		"code.function=handler\u2066\u2069\u200b\u200d",
		"peer=\u009b2J\u009d8;;x\u009c",
	}
	for _, w := range []int{40, 80, 160} {
		tb := table.New([]table.Column{{Title: "statement"}, {Title: "attr", Width: 20}, {Title: "n", Width: 5, Right: true}},
			st, keys.Default())
		tb.SetSize(w, len(sql)+len(spans)+1)
		var rows [][]string
		for i, s := range sql {
			rows = append(rows, []string{s, spans[i%len(spans)], "12"})
		}
		for _, s := range spans {
			rows = append(rows, []string{s, s, "7"})
		}
		tb.SetRows(rows)
		v := tb.View()
		tuitest.CheckClean(t, "table", v)
		for i, l := range strings.Split(v, "\n") {
			if got := width(l); got != w && l != "" {
				t.Errorf("width %d: line %d is %d cells: %q", w, i, got, l)
			}
		}
	}
	for _, s := range append(sql, spans...) {
		tuitest.CheckClean(t, "copied SQL", clipboard.Sanitize(s))
	}
	var srcs []views.SourceView
	for _, s := range sql {
		srcs = append(srcs, views.SourceView{Path: s, Size: 100, RawBytes: 40, Events: 3})
	}
	tuitest.CheckClean(t, "progress", progress.View(srcs, time.Second, 100, 20, st))
}
