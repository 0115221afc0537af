package accesslog_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hotpath/parse"
	"hotpath/parse/accesslog"
	"hotpath/parse/applog"
)

// ReadMessage as the application-log reader's AccessReader: every access
// logger's record of the recorded Python logs becomes a request —
// gunicorn.access's combined lines too, which the default reader leaves —
// as many as the recorder counted from its LogRecords.
func TestReadMessageInApplicationLogs(t *testing.T) {
	access := func(r *applog.AccessRecord, sp *parse.Span) bool {
		return accesslog.ReadMessage(r.Message, r.Time, sp) || applog.DefaultAccess(r, sp)
	}
	formats := append(append(append(parse.ProfileFormats(), parseTrace()...), parseSQL()...), applog.FormatsWith(access)...)
	logs, _ := filepath.Glob("../../testdata/applog/*.log.gz")
	if len(logs) < 10 {
		t.Fatalf("%d application logs", len(logs))
	}
	for _, f := range logs {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(strings.TrimSuffix(f, ".log.gz") + ".truth.json")
			if err != nil {
				t.Fatal(err)
			}
			var truth struct {
				Layout string
				Counts map[string]int
			}
			if err := json.Unmarshal(b, &truth); err != nil {
				t.Fatal(err)
			}
			_, s, err := loadFile(t, f, formats, parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := truth.Counts["aiohttp.access"] + truth.Counts["uvicorn.access"] + truth.Counts["gunicorn.access"]
			if len(s.spans) != want || truth.Counts["gunicorn.access"] == 0 {
				t.Errorf("%d requests, the recorder logged %d (%v)", len(s.spans), want, truth.Counts)
			}
			// basicConfig's and the syslog-ish layout have no time, and
			// uvicorn's message none either.
			untimed := truth.Layout == "basic" || truth.Layout == "syslog"
			for _, sp := range s.spans {
				if sp.HTTPMethod == "" || sp.HTTPStatus == 0 || !strings.HasPrefix(sp.HTTPURL, "/") || sp.Start.IsZero() && !untimed {
					t.Errorf("span %+v", sp)
					break
				}
			}
		})
	}
}
