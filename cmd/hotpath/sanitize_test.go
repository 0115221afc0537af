package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"hotpath/parse"
	"hotpath/tui"
	"hotpath/tui/clipboard"
	"hotpath/tui/tuitest"
	"hotpath/views"
)

// planted is what a hostile input carries: a screen clear, a clipboard write
// (OSC 52, BEL-terminated), a bare BEL, the C1 CSI (U+009B), a bidi override
// (U+202E) and HTML for a Markdown reader. No '/': it is a file name too.
const planted = "\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07bell\x07\u009b31m\u202egpj.exe<script>alert(1)<img src=x onerror=alert(2)>"

// marker is the visible part of planted that must still be seen wherever
// planted text goes: sanitising removes the controls, not the text.
const marker = "alert(1)"

// dirty returns what in b must never leave hotpath: raw ESC, BEL, CR, other
// C0 controls but newline and tab, DEL, C1 controls, bidi controls, invalid
// UTF-8.
func dirty(b []byte) string {
	if !utf8.Valid(b) {
		return "invalid UTF-8"
	}
	for _, r := range string(b) {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fmt.Sprintf("raw %U", r)
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f:
			return fmt.Sprintf("raw bidi %U", r)
		}
	}
	return ""
}

// mdHTML renders Markdown as a permissive renderer would (raw HTML passed
// through, GFM tables): the HTML a reader of the report could be served.
func mdHTML(t *testing.T, md string) string {
	t.Helper()
	var b bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.Table),
		goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := gm.Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// jsonStrings collects every string value of a decoded JSON document.
func jsonStrings(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		*out = append(*out, v)
	case []any:
		for _, e := range v {
			jsonStrings(e, out)
		}
	case map[string]any:
		for _, e := range v {
			jsonStrings(e, out)
		}
	}
}

func otlpLine(spans ...map[string]any) []byte {
	doc := map[string]any{"resourceSpans": []any{map[string]any{
		"resource":   map[string]any{"attributes": []any{attr("service.name", "shop")}},
		"scopeSpans": []any{map[string]any{"spans": spans}},
	}}}
	b, _ := json.Marshal(doc) // encoding/json writes the controls as \u escapes: the decoder gives them back raw
	return append(b, '\n')
}

func attr(k, v string) map[string]any {
	return map[string]any{"key": k, "value": map[string]any{"stringValue": v}}
}

// plantedCase is one hostile input: the files (or URLs) it needs and the
// destinations the planted text must reach (marker visible there).
type plantedCase struct {
	name    string
	inputs  func(t *testing.T, dir string) []string
	reaches []string // of "stderr", "text", "md", "json"
	// jsonHas is a string the JSON report must hold exactly as the input
	// gave it (controls and all): the escaping changes bytes, not values.
	jsonHas string
}

func plantedCases(t *testing.T) []plantedCase {
	write := func(t *testing.T, path string, b []byte) {
		t.Helper()
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []plantedCase{
		{
			name: "file name in a directory input",
			inputs: func(t *testing.T, dir string) []string {
				in := filepath.Join(dir, "logs")
				if err := os.Mkdir(in, 0o755); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(in, planted+".log"), []byte("not any format hotpath reads\n"))
				write(t, filepath.Join(in, "ok "+planted+".folded"), []byte("main.main;main.work 10\n"))
				return []string{in}
			},
			reaches: []string{"stderr", "text", "md", "json"},
			jsonHas: planted + ".log",
		},
		{
			name: "OTLP parse error bytes",
			inputs: func(t *testing.T, dir string) []string {
				// A pretty-printed document with an unknown enum value: the
				// JSON reader's error quotes the raw bytes around it (C1 and
				// bidi characters are legal raw in a JSON string).
				raw := "\u009b2J \u009d52;c;cm0g\u009c \u202e<script>alert(1)"
				pretty := `{
"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","startTimeUnixNano":"1","endTimeUnixNano":"2","kind":"` + raw + `"}]}]}]}
`
				write(t, filepath.Join(dir, "spans.json"), []byte(pretty))
				// Jaeger's query API answering with an error: its message
				// (\u001b escapes, raw once decoded) is quoted in the error.
				answer, _ := json.Marshal(map[string]any{"error": map[string]any{"httpCode": 500, "message": planted}})
				write(t, filepath.Join(dir, "jaeger.json"), append([]byte(`{"result": {"resourceSpans": []}}`+"\n"), answer...))
				return []string{filepath.Join(dir, "spans.json"), filepath.Join(dir, "jaeger.json")}
			},
			reaches: []string{"stderr", "text", "md", "json"},
		},
		{
			name: "HTTP error body",
			inputs: func(t *testing.T, dir string) []string {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(http.StatusInternalServerError)
					fmt.Fprint(w, planted)
				}))
				t.Cleanup(srv.Close)
				return []string{srv.URL + "/debug/pprof/profile?seconds=1"}
			},
			reaches: []string{"stderr", "text", "md", "json"},
		},
		{
			name: "SQL statement text",
			inputs: func(t *testing.T, dir string) []string {
				var b strings.Builder
				for i := range 30 {
					fmt.Fprintf(&b, "2026-11-27 12:00:%02d.000 UTC [%d] LOG:  duration: 800.000 ms  statement: SELECT * FROM \"%s\" WHERE note = '%s' AND id = %d\n",
						i, 100+i%3, planted, planted, i)
				}
				write(t, filepath.Join(dir, "postgres.log"), []byte(b.String()))
				return []string{filepath.Join(dir, "postgres.log")}
			},
			reaches: []string{"text", "md", "json"},
			jsonHas: planted,
		},
		{
			name: "span names and attributes",
			inputs: func(t *testing.T, dir string) []string {
				var b bytes.Buffer
				for i := range 12 {
					tid := fmt.Sprintf("%032x", i+1)
					start := int64(1_800_000_000_000_000_000) + int64(i)*1e9
					b.Write(otlpLine(
						map[string]any{"traceId": tid, "spanId": fmt.Sprintf("%016x", 2*i+1), "name": "GET " + planted, "kind": 2,
							"startTimeUnixNano": fmt.Sprint(start), "endTimeUnixNano": fmt.Sprint(start + 300e6),
							"attributes": []any{attr("http.route", "/"+planted), attr("http.method", "GET")}},
						map[string]any{"traceId": tid, "spanId": fmt.Sprintf("%016x", 2*i+2), "parentSpanId": fmt.Sprintf("%016x", 2*i+1),
							"name": planted, "kind": 3,
							"startTimeUnixNano": fmt.Sprint(start + 10e6), "endTimeUnixNano": fmt.Sprint(start + 250e6),
							"attributes": []any{attr("db.system", "postgresql"), attr("db.statement", "SELECT 1 FROM \""+planted+"\"")}},
					))
				}
				write(t, filepath.Join(dir, "spans.otlp.jsonl"), b.Bytes())
				return []string{filepath.Join(dir, "spans.otlp.jsonl")}
			},
			reaches: []string{"text", "md", "json"},
			jsonHas: "/" + planted,
		},
		{
			name: "function names",
			inputs: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "stacks.folded"), []byte("main.main;"+planted+";leaf"+planted+" 900\nmain.main;main.idle 100\n"))
				var pb bytes.Buffer
				p := tuitest.Profile([]tuitest.Stack{{Frames: []string{"main.main", "pkg." + planted}, Value: 9e8}, {Frames: []string{"main.main"}, Value: 1e8}})
				if err := p.Write(&pb); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(dir, "cpu.pprof"), pb.Bytes())
				return []string{filepath.Join(dir, "stacks.folded"), filepath.Join(dir, "cpu.pprof")}
			},
			reaches: []string{"text", "md", "json"},
			jsonHas: "pkg." + planted,
		},
	}
}

// TestPlantedEscapesNeverLeave plants escape sequences, C1 and bidi
// controls and HTML in every kind of input text and checks each destination
// hotpath writes to: stderr (the report's, and the one printed after the
// TUI), the text, Markdown and JSON reports. The planted text must arrive
// (its visible part) and arrive clean; the JSON keeps the exact values.
func TestPlantedEscapesNeverLeave(t *testing.T) {
	var table []string
	for _, tc := range plantedCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			paths := tc.inputs(t, t.TempDir())
			outs := map[string][]byte{}
			for _, format := range []string{"text", "md", "json"} {
				var out, errb bytes.Buffer
				run(append([]string{"report", "-format", format, "-timeout", "10"}, paths...), strings.NewReader(""), &out, &errb)
				outs[format] = out.Bytes()
				outs["stderr"] = append(outs["stderr"], errb.Bytes()...)
			}
			// stderr after the TUI: the same failures, printed by runTUI
			var after bytes.Buffer
			collector := views.NewStandardCollector(views.DefaultOptions())
			inputs := parse.Expand(paths, strings.NewReader(""))
			loadAll(context.Background(), inputs, collector, func(ctx context.Context, in *parse.Input) error {
				return parse.Load(ctx, in, formats(), collector, parse.Options{HTTPTimeout: 10 * time.Second})
			}, &bytes.Buffer{})
			printLoadFailures(inputs, &after) // unwrapped: printErr alone must suffice
			outs["stderr after the TUI"] = after.Bytes()

			for _, dest := range []string{"stderr", "stderr after the TUI", "text", "md", "json"} {
				b := outs[dest]
				verdict := "clean"
				if d := dirty(b); d != "" {
					verdict = "DIRTY: " + d
					t.Errorf("%s holds %s:\n%q", dest, d, b)
				}
				want := dest
				if dest == "stderr after the TUI" {
					want = "stderr"
				}
				if contains(tc.reaches, want) && !bytes.Contains(b, []byte(marker)) {
					verdict = "NOT REACHED"
					t.Errorf("%s does not show the planted text %q at all (the test proves nothing):\n%s", dest, marker, b)
				} else if !contains(tc.reaches, want) && verdict == "clean" {
					verdict = "clean (this input's text does not go there)"
				}
				table = append(table, fmt.Sprintf("| %s | %s | %s |", dest, tc.name, verdict))
			}
			for _, line := range strings.Split(strings.TrimSuffix(string(outs["stderr"]), "\n"), "\n") {
				if line != "" && !strings.HasPrefix(line, "hotpath: ") {
					t.Errorf("stderr line not one message: %q", line)
				}
			}
			// Markdown: a permissive renderer shows the HTML as text
			html := mdHTML(t, string(outs["md"]))
			if m := regexp.MustCompile(`(?i)<(script|img)\b`).FindString(html); m != "" {
				t.Errorf("Markdown renders an element of the input: %s\n%s", m, html)
			}
			if bytes.Contains(outs["md"], []byte("<script>")) && !inCodeOnly(string(outs["md"]), "<script>") {
				t.Errorf("Markdown holds a raw <script> outside code spans:\n%s", outs["md"])
			}
			// JSON: valid, and the values are the input's exactly
			var doc any
			if err := json.Unmarshal(outs["json"], &doc); err != nil {
				t.Fatalf("JSON report does not decode: %v", err)
			}
			if tc.jsonHas != "" {
				var ss []string
				jsonStrings(doc, &ss)
				found := false
				for _, s := range ss {
					found = found || strings.Contains(s, tc.jsonHas)
				}
				if !found {
					t.Errorf("no JSON value holds %q as the input wrote it", tc.jsonHas)
				}
			}
		})
	}
	t.Logf("destination × planted input:\n| destination | planted in | result |\n| --- | --- | --- |\n%s", strings.Join(table, "\n"))
}

// inCodeOnly reports whether every occurrence of s in md is inside an
// inline code span (where Markdown shows it as text).
func inCodeOnly(md, s string) bool {
	for _, line := range strings.Split(md, "\n") {
		outside := regexp.MustCompile("(`+)[^`].*?[^`]?(`+)").ReplaceAllString(line, "")
		if strings.Contains(outside, s) {
			return false
		}
	}
	return true
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestPlantedEscapesNeverReachTerminalOrClipboard opens the TUI on the
// same hostile inputs, copies (y) in every pane and view through the real
// OSC 52 writer, and checks every frame written to the terminal and every
// clipboard payload (base64-decoded, as the terminal does).
func TestPlantedEscapesNeverReachTerminalOrClipboard(t *testing.T) {
	var paths []string
	for _, tc := range plantedCases(t) {
		if tc.name == "HTTP error body" {
			continue // a failed input; its text is in Sources, as the OTLP case's is
		}
		paths = append(paths, tc.inputs(t, t.TempDir())...)
	}
	collector := views.NewStandardCollector(views.DefaultOptions())
	inputs := parse.Expand(paths, strings.NewReader(""))
	loadAll(context.Background(), inputs, collector, func(ctx context.Context, in *parse.Input) error {
		return parse.Load(ctx, in, formats(), collector, parse.Options{})
	}, &bytes.Buffer{})
	var osc bytes.Buffer
	cp := clipboard.OSC52(&osc)
	st := tuitest.Styles("dark")
	m := tui.New(tui.Config{Collector: collector, Renderer: st.Renderer, Styles: st, Copy: cp, Title: planted,
		Load: func(context.Context, *parse.Input) error { return nil }})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(140, 40))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Findings")) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	time.Sleep(300 * time.Millisecond) // the views are built
	for _, k := range []string{"1", "y", "j", "y", "j", "y", "2", "y", "j", "y", "f", "y", "esc", "3", "y", "enter", "y", "esc",
		"4", "y", "enter", "y", "j", "y", "esc", "5", "y", "j", "y", "j", "y", "?", "esc"} {
		tm.Send(tuitest.Key(k))
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the copies run as commands
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	out, _ := readAll(tm.FinalOutput(t))
	if v := tm.FinalModel(t).(*tui.Model).View(); strings.Contains(v, "\r") || dirty([]byte(regexp.MustCompile("\x1b\\[[0-9;:]*m").ReplaceAllString(v, ""))) != "" {
		t.Errorf("the final frame holds a control besides its styles: %q", v)
	}

	// the terminal: the renderer's own CSI sequences and carriage returns
	// only (it moves with them; View never draws a CR, see below)
	noCSI := regexp.MustCompile("\x1b\\[[0-9;:?]*[ -/]*[@-~]").ReplaceAll(out, nil)
	noCSI = bytes.ReplaceAll(noCSI, []byte("\r"), nil)
	verdicts := map[string]string{}
	verdicts["terminal (every frame)"] = "clean"
	if d := dirty(noCSI); d != "" {
		verdicts["terminal (every frame)"] = "DIRTY: " + d
		t.Errorf("terminal output holds %s outside the renderer's CSI sequences", d)
	}
	if !bytes.Contains(out, []byte(marker)) && !bytes.Contains(out, []byte("alert")) {
		t.Errorf("the planted text was never drawn: the test proves nothing")
	}
	// the clipboard: each OSC 52 sequence's payload, decoded
	seqs := regexp.MustCompile("\x1b\\]52;c;([A-Za-z0-9+/=]*)\x07").FindAllSubmatch(osc.Bytes(), -1)
	if rest := regexp.MustCompile("\x1b\\]52;c;[A-Za-z0-9+/=]*\x07").ReplaceAll(osc.Bytes(), nil); len(rest) > 0 {
		t.Errorf("the clipboard writer wrote more than OSC 52 sequences: %q", rest)
	}
	if len(seqs) < 8 {
		t.Errorf("only %d copies made", len(seqs))
	}
	verdicts["clipboard (OSC 52 payloads)"] = "clean"
	reached := false
	for _, s := range seqs {
		payload, err := base64.StdEncoding.DecodeString(string(s[1]))
		if err != nil {
			t.Fatalf("OSC 52 payload is not base64: %v", err)
		}
		if d := dirty(payload); d != "" {
			verdicts["clipboard (OSC 52 payloads)"] = "DIRTY: " + d
			t.Errorf("clipboard payload holds %s: %q", d, payload)
		}
		reached = reached || bytes.Contains(payload, []byte("alert"))
	}
	if !reached {
		t.Errorf("no copy holds the planted text: the test proves nothing")
	}
	t.Logf("| destination | planted in | result |\n| --- | --- | --- |\n| terminal (every frame) | all but HTTP | %s |\n| clipboard (OSC 52 payloads, %d copies) | all but HTTP | %s |",
		verdicts["terminal (every frame)"], len(seqs), verdicts["clipboard (OSC 52 payloads)"])
}

func readAll(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// The files -pprof-out writes are named after their inputs: a planted name
// must not put an escape sequence into whoever lists the directory.
func TestPprofOutNamesAreClean(t *testing.T) {
	for _, in := range []string{planted, "trace\u202e.out", "a/b\\c\x00d", "plain-name_1.trace"} {
		got := sanitizeName(in)
		if d := dirty([]byte(got)); d != "" || strings.ContainsAny(got, "/\\\x00") {
			t.Errorf("sanitizeName(%q) = %q (%s)", in, got, d)
		}
		if in == "plain-name_1.trace" && got != in {
			t.Errorf("a plain name changed: %q", got)
		}
	}
}
