// Package tuitest helps the TUI's tests: synthetic profiles built with
// github.com/google/pprof/profile, hostile strings that must never reach the
// terminal, and a loaded program model with fixed styles so that golden
// files do not depend on the machine, the terminal or the time.
package tuitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/muesli/termenv"

	"hotpath/parse"
	"hotpath/parse/formats"
	"hotpath/tui"
	"hotpath/tui/keys"
	"hotpath/tui/theme"
	"hotpath/views"
	"hotpath/views/querydigest"
)

// Hostile are strings an input may carry (a logged SQL statement, a span
// attribute, a function name) that must never act on the terminal: a screen
// clear, a clipboard write, a hyperlink, a title change, bidi overrides, C1
// controls and invalid UTF-8.
var Hostile = []string{
	"SELECT 1;\x1b[2J\x1b[H -- clear screen",
	"evil\x1b]52;c;cm0gLXJmIH4=\x07 -- clipboard write",
	"\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\ -- OSC 8 link",
	"title\x1b]0;pwned\x07 -- window title",
	"admin\u202egnp.exe\u202c -- bidi override",
	"\u2066isolate\u2069 \u200f rlm",
	"c1 \u009b31m csi \u009d0;x\u009c osc",
	"bad utf8 \xff\xfe\xc3( here",
	"\x1bP+q544e\x1b\\ dcs \x1b_apc\x1b\\ \x1b^pm\x1b\\",
	"tab\there\rcarriage\x08back\x7fdel",
}

// Forbidden are byte sequences none of the Hostile strings may leave in
// terminal output once sanitised: escape sequence introducers of any kind,
// C1 controls, bidi controls, carriage returns and backspaces.
var Forbidden = []string{
	"\x1b[2J", "\x1b]52;c;cm0g", "\x1b]8;;", "\x1b]0;", "\x1bP", "\x1b_", "\x1b^",
	"\u202e", "\u202c", "\u2066", "\u2069", "\u200f", "\u009b", "\u009d", "\u009c", "\r", "\x08", "\x7f",
	"evil.example",
}

// CheckClean fails t when s (something drawn or copied) carries a
// forbidden sequence or invalid UTF-8.
func CheckClean(t testing.TB, what, s string) {
	t.Helper()
	for _, f := range Forbidden {
		if strings.Contains(s, f) {
			t.Errorf("%s contains %q:\n%q", what, f, s)
		}
	}
	if !isValidUTF8(s) {
		t.Errorf("%s is not valid UTF-8: %q", what, s)
	}
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "\x00INVALID") == s }

// Formats are every format hotpath reads, as cmd/hotpath wires them.
func Formats() []parse.Format {
	return formats.All()
}

// HostileZipkin is a Zipkin v2 JSON trace of one request whose span names
// and attributes (db.statement, http.url, code.function …) carry the
// Hostile strings.
func HostileZipkin() []byte { return zipkin(Hostile) }

// DemoZipkin is a Zipkin v2 JSON trace of one request making an order
// query and one item query per order line.
func DemoZipkin() []byte {
	return zipkin([]string{"orders", "items 1", "items 2", "items 3", "items 4", "items 5"})
}

func zipkin(names []string) []byte {
	type ep struct {
		ServiceName string `json:"serviceName"`
	}
	type span struct {
		TraceID   string            `json:"traceId"`
		ID        string            `json:"id"`
		ParentID  string            `json:"parentId,omitempty"`
		Name      string            `json:"name"`
		Kind      string            `json:"kind,omitempty"`
		Timestamp int64             `json:"timestamp"`
		Duration  int64             `json:"duration"`
		Local     ep                `json:"localEndpoint"`
		Tags      map[string]string `json:"tags"`
	}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC).UnixMicro()
	at := func(i int) string { return names[i%len(names)] }
	spans := []span{{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", ID: "00f067aa0ba902b7", Name: "GET /orders " + at(3), Kind: "SERVER",
		Timestamp: t0, Duration: 50_000, Local: ep{"shop " + at(4)},
		Tags: map[string]string{"http.method": "GET", "http.route": "/orders/{id} " + at(2), "http.url": "https://shop/orders/1 " + at(1)}}}
	for i, h := range names {
		spans = append(spans, span{TraceID: spans[0].TraceID, ID: fmt.Sprintf("%016x", i+1), ParentID: spans[0].ID,
			Name: "query " + h, Kind: "CLIENT", Timestamp: t0 + int64(i)*4000 + 100, Duration: int64(900 + 700*i), Local: ep{"shop"},
			Tags: map[string]string{"db.system": "postgresql", "db.statement": "SELECT * FROM t WHERE x = '" + h + "'",
				"code.function": "handler" + h, "peer.service": h}})
	}
	b, _ := json.Marshal(spans)
	return b
}

// HostileSQLLog is a PostgreSQL stderr log whose statements, parameters
// and sqlcommenter tags carry the Hostile strings.
func HostileSQLLog() []byte {
	var b strings.Builder
	for i, h := range Hostile {
		ts := fmt.Sprintf("2026-11-27 12:00:%02d.000 UTC [%d] ", i, 4000+i)
		fmt.Fprintf(&b, "%sLOG:  duration: %d.5 ms  statement: SELECT * FROM orders WHERE note = '%s' /*route='%s',app='x'*/\n",
			ts, i+1, strings.ReplaceAll(h, "'", "''"), strings.ReplaceAll(h, "'", ""))
		fmt.Fprintf(&b, "%sLOG:  duration: %d.0 ms  statement: UPDATE t%d SET v = 1 -- %s\n", ts, i+2, i, strings.ReplaceAll(h, "\n", " "))
	}
	return []byte(b.String())
}

// DemoSQLLog is a small PostgreSQL stderr log of one request's queries: an
// order list followed by one customer lookup per order (an N+1), and a slow
// report.
func DemoSQLLog() []byte {
	var b strings.Builder
	sec := 0
	line := func(pid int, ms float64, stmt string) {
		fmt.Fprintf(&b, "2026-11-27 12:00:%02d.%03d UTC [%d] LOG:  duration: %.3f ms  statement: %s\n", sec/1000, sec%1000, pid, ms, stmt)
		sec += 7
	}
	for req := range 6 {
		pid := 5000 + req
		line(pid, 4.2, "SELECT id, customer_id FROM orders WHERE user_id = 42 ORDER BY created_at DESC LIMIT 20")
		for i := range 20 {
			line(pid, 1.1+float64(i%3)/10, fmt.Sprintf("SELECT * FROM customers WHERE id = %d", 100+i))
		}
	}
	line(5999, 812.5, "SELECT date_trunc('day', created_at), sum(total) FROM orders GROUP BY 1 ORDER BY 1")
	return []byte(b.String())
}

// Stack is one sample: frames root first, and its value.
type Stack struct {
	Frames []string
	Value  int64
}

// Profile builds a CPU profile (nanoseconds) from stacks, with a fixed time
// so that the Sources pane's time range is stable.
func Profile(stacks []Stack) *profile.Profile {
	p := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType:    &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:        10_000_000,
		TimeNanos:     time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC).UnixNano(),
		DurationNanos: int64(10 * time.Second),
	}
	locs := map[string]*profile.Location{}
	loc := func(name string) *profile.Location {
		if l, ok := locs[name]; ok {
			return l
		}
		file := "app/" + strings.ToLower(strings.SplitN(name, ".", 2)[0]) + ".go"
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name, Filename: file}
		p.Function = append(p.Function, f)
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: f, Line: int64(len(p.Location) + 10)}}}
		p.Location = append(p.Location, l)
		locs[name] = l
		return l
	}
	for _, s := range stacks {
		var ls []*profile.Location
		for i := len(s.Frames) - 1; i >= 0; i-- {
			ls = append(ls, loc(s.Frames[i]))
		}
		p.Sample = append(p.Sample, &profile.Sample{Location: ls, Value: []int64{s.Value / 10_000_000, s.Value}})
	}
	return p
}

// DemoStacks are the stacks of a small web service, with one hostile and one
// wide-character function name among them.
func DemoStacks() []Stack {
	ms := int64(time.Millisecond)
	return []Stack{
		{[]string{"main.main", "net/http.(*Server).Serve", "main.(*server).handle", "main.(*server).listOrders", "database/sql.(*DB).QueryContext", "github.com/lib/pq.(*conn).query", "syscall.read"}, 420 * ms},
		{[]string{"main.main", "net/http.(*Server).Serve", "main.(*server).handle", "main.(*server).listOrders", "main.(*server).loadCustomer", "database/sql.(*DB).QueryContext", "github.com/lib/pq.(*conn).query", "syscall.read"}, 310 * ms},
		{[]string{"main.main", "net/http.(*Server).Serve", "main.(*server).handle", "main.(*server).renderJSON", "encoding/json.Marshal", "encoding/json.(*encodeState).marshal"}, 180 * ms},
		{[]string{"main.main", "net/http.(*Server).Serve", "main.(*server).handle", "main.(*server).searchCatalog", "regexp.(*Regexp).FindAllString", "regexp.(*Regexp).backtrack"}, 250 * ms},
		{[]string{"main.main", "net/http.(*Server).Serve", "main.(*server).handle", "main.(*server).searchCatalog", "strings.ToLower"}, 40 * ms},
		{[]string{"main.main", "net/http.(*Server).Serve", "net/http.(*conn).readRequest", "bufio.(*Reader).ReadLine"}, 60 * ms},
		{[]string{"main.main", "net/http.(*Server).Serve", "main.(*server).handle", "main.报告生成器", "fmt.Sprintf"}, 30 * ms},
		{[]string{"runtime.gcBgMarkWorker", "runtime.gcDrain", "runtime.scanobject"}, 90 * ms},
		{[]string{"runtime.mcall", "runtime.schedule", "runtime.findRunnable"}, 20 * ms},
		{[]string{"main.main", "net/http.(*Server).Serve", "main.(*server).handle", "plugin.evil\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u202e"}, 15 * ms},
	}
}

// Synthetic builds a profile of nFuncs functions and nSamples samples of
// random stacks (depth 4–24, a skewed choice so some functions are hot),
// deterministically.
func Synthetic(nFuncs, nSamples int) *profile.Profile {
	r := rand.New(rand.NewSource(1))
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
	}
	p.Function = make([]*profile.Function, nFuncs)
	p.Location = make([]*profile.Location, nFuncs)
	for i := range nFuncs {
		f := &profile.Function{ID: uint64(i + 1), Name: fmt.Sprintf("pkg%d.(*T%d).method%d", i%97, i%1013, i),
			Filename: fmt.Sprintf("pkg%d/file%d.go", i%97, i%31)}
		p.Function[i] = f
		p.Location[i] = &profile.Location{ID: uint64(i + 1), Line: []profile.Line{{Function: f, Line: int64(i % 500)}}}
	}
	skew := func() int { // small indexes are common: a few hot functions
		x := r.Float64()
		return int(x * x * x * float64(nFuncs))
	}
	for range nSamples {
		depth := 4 + r.Intn(21)
		locs := make([]*profile.Location, depth)
		for d := range depth {
			locs[d] = p.Location[skew()]
		}
		locs[depth-1] = p.Location[r.Intn(8)] // a few roots
		p.Sample = append(p.Sample, &profile.Sample{Location: locs, Value: []int64{int64(1+r.Intn(5)) * 10_000_000}})
	}
	return p
}

// Options shape the model Load returns.
type Options struct {
	Width, Height int
	// Theme is "dark", "light" or "nocolor" (attributes, no colour) or
	// "dumb" (no escape sequences at all).
	Theme string
	Keys  *keys.KeyMap
	Copy  func(string) error
	// Extra inputs loaded beside the profile: name → content.
	Extra map[string][]byte
}

// Input wraps bytes as a named input.
func Input(name string, b []byte) *parse.Input {
	return parse.NewInput(name, int64(len(b)), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
}

// Styles are fixed styles for a theme name (see Options.Theme).
func Styles(name string) *theme.Styles {
	switch name {
	case "light":
		return theme.NewWith(theme.NewRenderer(termenv.TrueColor, false), false)
	case "nocolor":
		return theme.NewWith(theme.NewRenderer(termenv.ANSI, true), true)
	case "dumb":
		return theme.NewWith(theme.NewRenderer(termenv.Ascii, true), true)
	}
	return theme.NewWith(theme.NewRenderer(termenv.TrueColor, true), false)
}

// Load loads p (and opt.Extra) synchronously into a collector and returns a
// program model over it: Init computes the views once, so the first frames
// are deterministic.
func Load(t testing.TB, p *profile.Profile, opt Options) *tui.Model {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	c := views.NewCollector(querydigest.New(querydigest.Options{}))
	inputs := []*parse.Input{Input("testdata/cpu.pprof", buf.Bytes())}
	names := make([]string, 0, len(opt.Extra))
	for n := range opt.Extra {
		names = append(names, n)
	}
	sortStrings(names)
	for _, n := range names {
		inputs = append(inputs, Input(n, opt.Extra[n]))
	}
	for _, in := range inputs {
		c.AddSource(in.Src)
		_ = parse.Load(context.Background(), in, Formats(), c, parse.Options{})
	}
	st := Styles(opt.Theme)
	return tui.New(tui.Config{Collector: c, Renderer: st.Renderer, Styles: st, Keys: opt.Keys, Copy: opt.Copy,
		Load: func(context.Context, *parse.Input) error { return nil }, Title: "test"})
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
