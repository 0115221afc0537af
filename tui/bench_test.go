package tui_test

import (
	"context"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/google/pprof/profile"
	"golang.org/x/sys/unix"

	"hotpath/parse"
	"hotpath/tui"
	"hotpath/tui/common"
	"hotpath/tui/hotspots"
	"hotpath/tui/tuitest"
	"hotpath/views"
	"hotpath/views/querydigest"
)

// settle runs the model's Init commands once (computing the views) without
// a program, feeding their messages back, as the program would.
func settle(m *tui.Model) {
	var run func(cmd tea.Cmd, depth int)
	run = func(cmd tea.Cmd, depth int) {
		if cmd == nil || depth > 2 {
			return
		}
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				run(c, depth+1)
			}
			return
		}
		if _, ok := msg.(time.Time); ok {
			return
		}
		_, next := m.Update(msg)
		if depth == 1 {
			run(next, depth+1)
		}
	}
	run(m.Init(), 0)
}

// feed runs cmd and hands its messages to m (one level deep).
func feed(m *tui.Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	if bm, ok := msg.(tea.BatchMsg); ok {
		for _, c := range bm {
			feed(m, c)
		}
		return
	}
	m.Update(msg)
}

var bigFuncs int // functions in the profile under benchmark

var (
	bigOnce sync.Once
	bigProf *profile.Profile
)

// bigProfile is a synthetic profile of 100,000 functions.
func bigProfile() *profile.Profile {
	bigOnce.Do(func() { bigProf = tuitest.Synthetic(100_000, 150_000) })
	return bigProf
}

// benchKeys measures Update+View of one navigation keystroke and reports
// the 50th and 99th percentiles of wall time (p50-ms, p99-ms) and of the
// CPU time of the UI thread (p99-cpu-ms: what the keystroke costs without
// the waits a shared machine adds).
func benchKeys(b *testing.B, m *tui.Model, keys []tea.Msg) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	wall := make([]time.Duration, 0, b.N)
	cpu := make([]time.Duration, 0, b.N)
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0 := threadCPU()
		start := time.Now()
		m.Update(keys[i%len(keys)])
		_ = m.View()
		wall = append(wall, time.Since(start))
		cpu = append(cpu, threadCPU()-c0)
	}
	b.StopTimer()
	pct := func(d []time.Duration, p int) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[len(d)*p/100].Microseconds()) / 1000
	}
	b.ReportMetric(pct(wall, 50), "p50-ms")
	b.ReportMetric(pct(wall, 99), "p99-ms")
	b.ReportMetric(pct(cpu, 99), "p99-cpu-ms")
	if bigFuncs > 0 {
		b.ReportMetric(float64(bigFuncs), "functions")
	}
}

// threadCPU is the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

func loadBig(b *testing.B, w, h int) *tui.Model {
	b.Helper()
	m := tuitest.Load(b, bigProfile(), tuitest.Options{Theme: "dark"})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	settle(m)
	m.Update(common.Navigate{Pane: hotspots.Title})
	hs := m.Pane(hotspots.Title).(*hotspots.Model).Hotspots()
	if hs == nil || len(hs.Rows) < 90_000 {
		b.Fatalf("want ~100k functions, got %v", hs)
	}
	bigFuncs = len(hs.Rows)
	return m
}

// BenchmarkTUICraftTableKeystroke100k: j/k/pgdn in the Hotspots table of a
// 100k-function profile.
func BenchmarkTUICraftTableKeystroke100k(b *testing.B) {
	m := loadBig(b, 80, 24)
	benchKeys(b, m, keyMsgs("j", "j", "j", "k", "j", "j"))
}

// BenchmarkTUICraftFlameKeystroke100k: moving between frames of the flame
// view of a 100k-function profile (the call tree is built once, on f).
func BenchmarkTUICraftFlameKeystroke100k(b *testing.B) {
	m := loadBig(b, 80, 24)
	_, cmd := m.Update(keyMsgs("f")[0])
	feed(m, cmd) // the call tree, built in the background
	if v := m.View(); !strings.Contains(v, "of view") {
		b.Fatalf("flame view not ready:\n%s", v)
	}
	benchKeys(b, m, keyMsgs("j", "l", "l", "h", "j", "k", "h", "k"))
}

// BenchmarkTUICraftFilterKeystroke100k: typing one character of a search
// over 100k function names.
func BenchmarkTUICraftFilterKeystroke100k(b *testing.B) {
	m := loadBig(b, 80, 24)
	m.Update(keyMsgs("/")[0])
	benchKeys(b, m, append(keyMsgs("m", "e", "t", "h"), tea.KeyMsg{Type: tea.KeyBackspace},
		tea.KeyMsg{Type: tea.KeyBackspace}, tea.KeyMsg{Type: tea.KeyBackspace}, tea.KeyMsg{Type: tea.KeyBackspace}))
}

// BenchmarkTUICraftQueriesKeystroke1M: j/k in the Queries pane over a
// digest of 1,000,000 statements (5,000 fingerprints) streamed through the
// real aggregator.
func BenchmarkTUICraftQueriesKeystroke1M(b *testing.B) {
	bigFuncs = 0
	agg := querydigest.New(querydigest.Options{})
	c := views.NewCollector(agg)
	src := parse.NewSource("synthetic.log", 0)
	c.AddSource(src)
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	const n = 1_000_000
	for i := range n {
		c.Statement(src, &parse.Statement{
			Start: t0.Add(time.Duration(i) * time.Millisecond), Duration: time.Duration(100+i%997) * time.Microsecond,
			HasDuration: true, Session: strconv.Itoa(i % 200), Rows: -1,
			Text: "SELECT a, b FROM table_" + strconv.Itoa(i%5000) + " WHERE id = " + strconv.Itoa(i),
		})
	}
	src.AddEvents(n)
	st := tuitest.Styles("dark")
	m := tui.New(tui.Config{Collector: c, Renderer: st.Renderer, Styles: st,
		Load: func(context.Context, *parse.Input) error { return nil }})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	settle(m)
	m.Update(common.Navigate{Pane: "Queries"})
	if q := m.Views().Queries; q == nil || q.Statements != n {
		b.Fatalf("digest: %+v", q)
	}
	if v := m.View(); !strings.Contains(v, "1000000 statements") {
		b.Fatalf("Queries pane not showing the digest:\n%s", v)
	}
	benchKeys(b, m, keyMsgs("j", "j", "j", "k", "j", "j"))
	b.ReportMetric(float64(len(m.Views().Queries.Queries)), "fingerprints")
}
