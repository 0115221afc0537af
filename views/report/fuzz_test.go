package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"hotpath/parse"
	"hotpath/parse/formats"
	"hotpath/views"
	"hotpath/views/detect"
	"hotpath/views/report"
)

// fuzzViews builds views the way hotpath does — a PostgreSQL log whose
// statements carry stmt, folded stacks whose frames are fn, both inputs
// named after file — and adds a finding with every text field taken from
// the three, so each field of each writer sees fuzzed text.
func fuzzViews(stmt, fn, file string, load bool) *views.Views {
	if !load { // the fields alone: fast, so the fuzzer explores the text
		v := &views.Views{Sources: []views.SourceView{{Path: file + ".log", Format: "postgres-stderr", Done: true},
			{Path: file, Err: errors.New("unrecognised " + stmt), Done: true}, {Path: fn, SameAs: file, Done: true}}}
		return addFields(v, stmt, fn, file)
	}
	c := views.NewStandardCollector(views.DefaultOptions())
	oneLine := strings.NewReplacer("\n", " ", "\r", " ").Replace
	var log strings.Builder
	for i := range 12 {
		fmt.Fprintf(&log, "2026-11-27 12:00:%02d.000 UTC [%d] LOG:  duration: 300.000 ms  statement: SELECT %s FROM t WHERE a = '%s' AND id = %d\n",
			i, 100+i%2, stmt, stmt, i)
	}
	folded := "main.main;" + oneLine(strings.ReplaceAll(fn, " ", "_")) + " 90\nmain.main;leaf" + oneLine(fn) + " 10\n"
	for _, in := range []struct{ name, body string }{{file + ".log", log.String()}, {file + ".folded", folded}, {file, "garbage " + stmt}} {
		b := []byte(in.body)
		input := parse.NewInput(in.name, int64(len(b)), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		c.AddSource(input.Src)
		_ = parse.Load(context.Background(), input, formats.All(), c, parse.Options{})
	}
	return addFields(views.Build(c, views.DefaultOptions()), stmt, fn, file)
}

func addFields(v *views.Views, stmt, fn, file string) *views.Views {
	v.Findings = append(v.Findings, &detect.Finding{
		Kind: detect.Kind(fn), Title: stmt, Fingerprint: stmt, Formula: "avoidable = " + fn, Recommendation: file,
		Locations: []detect.Location{{Function: fn, File: file, Line: 3, Route: stmt}},
		Evidence:  []detect.Evidence{{Source: file, What: stmt, Examples: []string{stmt, fn}, Stack: []detect.Frame{{Function: fn, File: file}}, TraceID: fn}},
		Routes:    []detect.RouteShare{{Route: stmt, Avoidable: time.Second, Time: 2 * time.Second, Share: 0.5}},
		Basis:     "request time (" + file + ")", Confidence: fn, Severity: detect.High, Share: 0.2, Avoidable: time.Second, Observed: 5 * time.Second, Rank: 99,
	})
	v.Warnings = append(v.Warnings, "warning about "+file)
	v.HotspotsErr = errors.New("sample type " + fn)
	if len(v.Sources) > 0 {
		v.Sources[0].Warnings = append(v.Sources[0].Warnings, stmt)
		v.Sources[0].Notes = append(v.Sources[0].Notes, fn)
		v.Sources[0].Skipped = append(v.Sources[0].Skipped, parse.Skip{Reason: stmt, Count: 1, FirstLine: 2})
	}
	return v
}

// rawControl is the first byte sequence no report may hold raw: ESC and the
// other C0 controls but newline and tab, DEL, C1 controls, bidi controls, or
// invalid UTF-8.
func rawControl(b []byte) string {
	if !utf8.Valid(b) {
		return "invalid UTF-8"
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || (r >= 0x80 && r < 0xa0) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c {
			return fmt.Sprintf("%U", r)
		}
	}
	return ""
}

var (
	gm = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	tagRE = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)`)
	// the elements the Markdown report itself makes; anything else (a, img,
	// script, em, del …) would be the input's
	ownTags = map[string]bool{"h1": true, "h2": true, "p": true, "table": true, "thead": true, "tbody": true,
		"tr": true, "th": true, "td": true, "code": true, "strong": true, "ul": true, "li": true}
)

// FuzzReportWriters checks the text, Markdown and JSON writers on views
// built by loading fuzzed inputs; FuzzReportFields on views made directly
// (many more executions a second).
func FuzzReportWriters(f *testing.F) { fuzzReport(f, true) }

func FuzzReportFields(f *testing.F) { fuzzReport(f, false) }

func fuzzReport(f *testing.F, load bool) {
	f.Add("note", "main.handler", "app")
	f.Add("\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07", "pkg.\u009b31m\u202e(*T).f", "dir/\x1b]8;;http://evil\x1b\\x")
	f.Add("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[a](javascript:alert(1))")
	f.Add("`` ` ``` | pipe | *x* _y_ ~~z~~", "a|b`c", "\\|`")
	f.Add("bad \xff\xfe utf8 \r\n next", "\u2066\u200f\u061c\u00ad\ufeff", "\u0085\u2028")
	f.Add(strings.Repeat("x", 300), strings.Repeat("é", 200), strings.Repeat("\x1b[", 50))
	f.Fuzz(func(t *testing.T, stmt, fn, file string) {
		if len(stmt)+len(fn)+len(file) > 2000 {
			return // TestReportWritersLargeText takes the large ones
		}
		checkWriters(t, fuzzViews(stmt, fn, file, load), stmt, file)
	})
}

// TestReportWritersLargeText is the fuzz check on text past 1 MiB (a
// statement, a function name, a file name), too slow for the fuzzer's loop.
func TestReportWritersLargeText(t *testing.T) {
	big := strings.Repeat("x\x1b[2J\u009b\u202e<b>|`*", 1<<20/12)
	for _, load := range []bool{false, true} {
		checkWriters(t, fuzzViews(big, big, big[:4000], load), big, big[:4000])
	}
}

// checkWriters writes v in every format and checks the bytes: no raw
// control, C1 or bidi character; JSON that decodes to the input's values;
// Markdown that renders no element of the input's making.
func checkWriters(t *testing.T, v *views.Views, stmt, file string) {
	t.Helper()
	for _, format := range report.Formats {
		var out bytes.Buffer
		if err := report.Write(&out, v, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if c := rawControl(out.Bytes()); c != "" {
			t.Fatalf("%s report holds raw %s:\n%q", format, c, out.Bytes())
		}
		switch format {
		case "json":
			var r report.Report
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("JSON report does not decode: %v\n%s", err, out.Bytes())
			}
			if utf8.ValidString(stmt) && r.Findings[len(r.Findings)-1].Title != stmt {
				t.Fatalf("JSON changed the title %q to %q", stmt, r.Findings[len(r.Findings)-1].Title)
			}
			if utf8.ValidString(file) && r.Sources[0].Path != file+".log" {
				t.Fatalf("JSON changed the path %q to %q", file+".log", r.Sources[0].Path)
			}
		case "md":
			var html bytes.Buffer
			if err := gm.Convert(out.Bytes(), &html); err != nil {
				t.Fatal(err)
			}
			for _, m := range tagRE.FindAllStringSubmatch(html.String(), -1) {
				if !ownTags[strings.ToLower(m[2])] {
					t.Fatalf("Markdown renders the input's <%s>:\n%s\n%s", m[2], out.Bytes(), html.String())
				}
			}
		}
	}
}
