package accesslog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hotpath/parse"
	"hotpath/parse/accesslog"
)

// awk programs that count the requests of a log and sum their durations in
// seconds, written from each server's documented log format, not from the
// reader's code.
const (
	awkLast   = `awk '/"(GET|POST) / {n++; s+=$NF%s} END {printf "%%d %%.6f", n, s}' %s`
	goDurAwk  = `{n++; d=%s; if (d ~ /µs$/) {sub(/µs$/,"",d); s+=d/1e6} else if (d ~ /ms$/) {sub(/ms$/,"",d); s+=d/1e3} else {sub(/s$/,"",d); s+=d}} END {printf "%%d %%.6f", n, s}`
	noDurAwk  = `awk '/"(GET|POST) / {n++} END {printf "%%d %%.6f", n, 0}' %s`
	jsonCount = `grep -cE '"(request_)?method":"(GET|POST)"' %s | awk '{printf "%%d %%.6f", $1, 0}'`
)

func TestRecordedLogs(t *testing.T) {
	want := readSent(t)
	for _, tc := range []struct {
		file   string
		awk    string // prints "requests seconds"
		layout string // in the layout Sources shows
		ids    string // "client": the X-Request-ID sent; "own": the server's ids; "": none
		start  bool   // the logged time is the request's start
		noTime bool   // the layout logs no time
	}{
		{"nginx-combined.log", fmt.Sprintf(noDurAwk, "nginx-combined.log"), "no duration", "", true, false},
		{"nginx-timed.log", fmt.Sprintf(awkLast, "", "nginx-timed.log"), "duration at request+5 (decimal seconds", "", false, false},
		{"nginx-upstream.log", `awk '/"(GET|POST) / {n++; for (i=1; i<=NF; i++) if ($i ~ /^rt=/) {sub(/^rt=/, "", $i); s+=$i}} END {printf "%d %.6f", n, s}' nginx-upstream.log`,
			"duration at rt= (decimal seconds", "own", false, false},
		{"nginx-first.log", `awk '/"(GET|POST) / {n++; s+=$1} END {printf "%d %.6f", n, s}' nginx-first.log`, "duration at request-4 (decimal seconds", "client", false, false},
		{"nginx.jsonl", `grep -E '"request_method":"(GET|POST)"' nginx.jsonl | grep -oE '"request_time":[0-9.]+' | awk -F: '{n++; s+=$2} END {printf "%d %.6f", n, s}'`,
			"request_time", "client", false, false},
		{"apache-combined-D.log", fmt.Sprintf(awkLast, "/1e6", "apache-combined-D.log"), "duration at request+5 (integers, median", "", true, false},
		{"apache-common-ms.log", `awk '/"(GET|POST) / {n++; s+=$(NF-1)/1000} END {printf "%d %.6f", n, s}' apache-common-ms.log`,
			"milliseconds, as Apache %{ms}T", "client", true, false},
		{"apache-vhost.log", `awk '/"(GET|POST) / {n++; split($(NF-1), a, "/"); s+=a[2]/1e6} END {printf "%d %.6f", n, s}' apache-vhost.log`,
			"Apache %T/%D", "own", true, false},
		{"gunicorn-default.log", fmt.Sprintf(noDurAwk, "gunicorn-default.log"), "no duration", "", true, false},
		{"gunicorn-timed.log", `awk '/"(GET|POST) / {n++; s+=$(NF-1)} END {printf "%d %.6f", n, s}' gunicorn-timed.log`, "decimal seconds", "client", false, false},
		// gunicorn writes %(t)s at the end, but its integer %(D)s
		// looks like Apache's %D, whose %t is the start: the reader
		// cannot tell them apart and takes Apache's (README).
		{"gunicorn-D.log", fmt.Sprintf(awkLast, "/1e6", "gunicorn-D.log"), "microseconds", "", true, false},
		{"aiohttp-default.log", fmt.Sprintf(noDurAwk, "aiohttp-default.log"), "no duration", "", true, false},
		{"aiohttp-Tf.log", `awk '/"(GET|POST) / {n++; s+=$(NF-1)} END {printf "%d %.6f", n, s}' aiohttp-Tf.log`, "decimal seconds", "client", true, false},
		{"aiohttp-D.log", fmt.Sprintf(awkLast, "/1e6", "aiohttp-D.log"), "microseconds", "", true, false},
		{"caddy.jsonl", `grep -oE '"duration":[0-9.e-]+' caddy.jsonl | awk -F: '{n++; s+=$2} END {printf "%d %.6f", n, s}'`, "duration", "client", false, false},
		{"uvicorn.log", fmt.Sprintf(noDurAwk, "uvicorn.log"), "no duration", "", true, true},
		{"uvicorn-asctime.log", fmt.Sprintf(noDurAwk, "uvicorn-asctime.log"), "no duration", "", true, false},
		{"chi.log", `awk '/"(GET|POST) / ` + fmt.Sprintf(goDurAwk, "$NF") + `' chi.log`, "middleware.Logger", "", false, false},
		{"chi-reqid.log", `awk '/"(GET|POST) / ` + fmt.Sprintf(goDurAwk, "$NF") + `' chi-reqid.log`, "middleware.Logger", "client", false, false},
		{"gorilla-combined.log", fmt.Sprintf(noDurAwk, "gorilla-combined.log"), "no duration", "", true, false},
		{"gorilla-common.log", fmt.Sprintf(noDurAwk, "gorilla-common.log"), "no duration", "", true, false},
		{"go-slog.jsonl", `grep -oE '"duration":[0-9]+' go-slog.jsonl | awk -F: '{n++; s+=$2/1e9} END {printf "%d %.6f", n, s}'`, "duration", "client", false, false},
		{"go-slog.logfmt", `grep -oE ' duration=[^ ]+' go-slog.logfmt | awk -F= '` + fmt.Sprintf(goDurAwk, "$2") + `'`, "duration", "client", false, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			src, s, err := loadFile(t, filepath.Join(dir, "out", tc.file), allFormats(), parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if src.Format() != "access-log" {
				t.Fatalf("format %q", src.Format())
			}
			var n int
			var sum float64
			if _, err := fmt.Sscanf(shell(t, tc.awk), "%d %f", &n, &sum); err != nil {
				t.Fatal(err)
			}
			if len(s.spans) != n || n != len(want) {
				t.Fatalf("%d requests read, awk counts %d, the client sent %d", len(s.spans), n, len(want))
			}
			var got time.Duration
			for _, sp := range s.spans {
				got += sp.Duration
			}
			// Each value is rounded to the ns once; awk adds floats.
			if diff := got.Seconds() - sum; diff > 1e-6*float64(n) || diff < -1e-6*float64(n) {
				t.Errorf("summed duration %.6f s, awk says %.6f s", got.Seconds(), sum)
			}
			layout := strings.Join(src.Notes(), " | ")
			if !strings.Contains(layout, "layout: ") || !strings.Contains(layout, tc.layout) {
				t.Errorf("Sources says %q, want the layout to mention %q", layout, tc.layout)
			}
			// Method, path and status of every request, as the client
			// sent them (as multisets: servers log in completion order).
			var gotReq, wantReq []string
			for _, sp := range s.spans {
				p := sp.HTTPURL
				if i := strings.Index(p, "://"); i >= 0 {
					p = p[i+3:]
					p = p[strings.IndexByte(p, '/'):]
				}
				gotReq = append(gotReq, fmt.Sprintf("%s %s %d", sp.HTTPMethod, p, sp.HTTPStatus))
				if sp.Kind != "server" || sp.Category != parse.CatHTTPServer || sp.Attrs[parse.AttrRecord] != parse.RecordAccessLog {
					t.Fatalf("not a server span by the convention: %+v", sp)
				}
				if sp.HTTPStatus >= 500 && sp.Status != "error" {
					t.Errorf("status %d not an error", sp.HTTPStatus)
				}
				if strings.Contains(tc.layout, "no duration") != (sp.Attrs[parse.AttrNoDuration] == "true") {
					t.Errorf("no-duration attribute %q with layout %q", sp.Attrs[parse.AttrNoDuration], tc.layout)
				}
			}
			for _, w := range want {
				// aiohttp, gunicorn and nginx log the query as sent; the
				// client sends "q=&page" for an empty search.
				wantReq = append(wantReq, fmt.Sprintf("%s %s %s", w.method, w.path, w.status))
			}
			slices.Sort(gotReq)
			slices.Sort(wantReq)
			if !slices.Equal(gotReq, wantReq) {
				t.Errorf("requests differ from the client's:\n got %q\nwant %q", gotReq, wantReq)
			}
			// Request ids.
			var ids []string
			for _, sp := range s.spans {
				if sp.TraceID != "" {
					ids = append(ids, sp.TraceID)
				}
			}
			slices.Sort(ids)
			switch tc.ids {
			case "client":
				var sentIDs []string
				for _, w := range want {
					sentIDs = append(sentIDs, w.id)
				}
				slices.Sort(sentIDs)
				if !slices.Equal(ids, sentIDs) {
					t.Errorf("request ids %q, the client sent %q", ids, sentIDs)
				}
			case "own":
				if len(slices.Compact(ids)) != len(want) {
					t.Errorf("%d distinct request ids, want %d", len(slices.Compact(ids)), len(want))
				}
			default:
				if len(ids) != 0 {
					t.Errorf("request ids %q in a layout without them", ids)
				}
			}
			// Time: the span starts at the logged time, or the logged
			// time less the duration.
			first, last := src.TimeRange()
			if tc.noTime != first.IsZero() {
				t.Fatalf("time range %v–%v", first, last)
			}
			if !tc.noTime && last.Sub(first) > time.Minute {
				t.Errorf("time range %v–%v is longer than the recording", first, last)
			}
			slow := 0
			for _, sp := range s.spans {
				if sp.Duration > 300*time.Millisecond {
					slow++
					subsec := slices.Contains([]string{"caddy.jsonl", "chi-reqid.log", "go-slog.jsonl", "go-slog.logfmt", "uvicorn-asctime.log"}, tc.file)
					if !tc.noTime && !tc.start && !subsec && (sp.Start.Add(sp.Duration).Nanosecond() != 0 || sp.Start.Nanosecond() == 0) {
						t.Errorf("a log written at the end should have start = time − duration: %v + %v", sp.Start, sp.Duration)
					}
					if tc.start && sp.Start.Nanosecond() != 0 {
						t.Errorf("start %v is not the logged (whole-second) time", sp.Start)
					}
				}
			}
			if !strings.Contains(tc.layout, "no duration") && slow != 4 {
				t.Errorf("%d requests over 300 ms, the mix has 4 /slow/ ones", slow)
			}
		})
	}
}

// A Parser fed the lines one at a time (as the reader of mixed application
// logs hands over access records' messages) reads what Decode reads.
func TestParserMatchesDecode(t *testing.T) {
	logs, _ := filepath.Glob(filepath.Join(dir, "out", "*"))
	for _, f := range logs {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, s, err := loadFile(t, f, allFormats(), parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var p accesslog.Parser
			var got []string
			for _, l := range strings.Split(string(b), "\n") {
				if rec, ok := p.Parse([]byte(l)); ok {
					sp := rec.Span()
					got = append(got, fmt.Sprintf("%s %s %d %v %s %v", sp.HTTPMethod, sp.HTTPURL, sp.HTTPStatus, sp.Duration, sp.TraceID, sp.Start))
				}
			}
			var want []string
			for _, sp := range s.spans {
				want = append(want, fmt.Sprintf("%s %s %d %v %s %v", sp.HTTPMethod, sp.HTTPURL, sp.HTTPStatus, sp.Duration, sp.TraceID, sp.Start))
			}
			if !slices.Equal(got, want) {
				t.Errorf("Parser and Decode differ:\n%q\n%q", got, want)
			}
			if p.Layout() == "" {
				t.Error("no layout")
			}
		})
	}
}

// -access-duration-unit overrides the inferred unit of bare numbers.
func TestDurationUnitOverride(t *testing.T) {
	sum := func(opt parse.Options) (d time.Duration, layout string) {
		src, s, err := loadFile(t, filepath.Join(dir, "out", "apache-combined-D.log"), allFormats(), opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range s.spans {
			d += sp.Duration
		}
		return d, strings.Join(src.Notes(), " ")
	}
	us, _ := sum(parse.Options{})
	ms, layout := sum(parse.Options{AccessLogDurationUnit: time.Millisecond})
	if ms != 1000*us || !strings.Contains(layout, "-access-duration-unit") {
		t.Errorf("µs %v, ms %v (%s)", us, ms, layout)
	}
}
