package tui_test

import (
	"sort"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/google/pprof/profile"

	"hotpath/tui"
	"hotpath/tui/hotspots"
	"hotpath/tui/tuitest"
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
// the 50th and 99th percentiles.
func benchKeys(b *testing.B, m *tui.Model, keys []tea.KeyMsg) {
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		m.Update(keys[i%len(keys)])
		_ = m.View()
		d = append(d, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
}

func loadBig(b *testing.B, w, h int) *tui.Model {
	b.Helper()
	m := tuitest.Load(b, bigProfile(), tuitest.Options{Theme: "dark"})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	settle(m)
	hs := m.Pane(hotspots.Title).(*hotspots.Model).Hotspots()
	if hs == nil || len(hs.Rows) < 90_000 {
		b.Fatalf("want ~100k functions, got %v", hs)
	}
	b.ReportMetric(float64(len(hs.Rows)), "functions")
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
	m.Update(keyMsgs("f")[0])
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
