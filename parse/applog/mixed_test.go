package applog

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"hotpath/parse"
)

// TestMixedLogAgainstGrep: one application log holds the records of a
// dozen loggers; it reads as statements + connection events + stalls +
// requests, each count what a grep over the file finds, and Sources says
// what each kind of record yielded.
func TestMixedLogAgainstGrep(t *testing.T) {
	// A record's first line: prefix up to the logger, then the message.
	for _, tc := range []struct {
		file string
		pre  string // regexp of a record's prefix before the logger name
		post string // between the logger name and the message
	}{
		{"threadtask.log.gz", `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ `, ` \[[^\]/]+/[^\]]+\] `},
		{"basic.log.gz", `^[A-Z]+:`, `:`},
		{"syslog.log.gz", `^`, `\[\d+\]: [A-Z]+ `},
	} {
		t.Run(tc.file, func(t *testing.T) {
			text := raw(t, repo("testdata", "applog", tc.file))
			grep := func(logger, msg string) int {
				re := regexp.MustCompile(tc.pre + logger + tc.post + msg)
				n := 0
				for _, l := range bytes.Split(text, []byte{'\n'}) {
					if re.Match(l) {
						n++
					}
				}
				return n
			}
			engine := `sqlalchemy\.engine\.Engine(\.orders)?`
			params := `(\[req-[0-9a-f]+\] )?\[(generated in|cached since|raw sql|no key)`
			want := map[string]int{
				// every engine record that is not a parameter line is a statement
				"statements": grep(engine, ``) - grep(engine, params) + grep(`django\.db\.backends`, `\(\d+\.\d{3}\) `),
				"params":     grep(engine, params),
				"opened":     grep(`sqlalchemy\.pool\.\S+`, `Created new connection <`),
				"closed":     grep(`sqlalchemy\.pool\.\S+`, `Closing connection <`),
				"slow":       grep(`asyncio`, `Executing <.* took [0-9.]+ seconds$`),
				"sessions":   grep(`asyncio`, `Unclosed client session$`),
				"connectors": grep(`asyncio`, `Unclosed connector$`),
				"aiohttp":    grep(`aiohttp\.access`, `\S+ \[[^\]]+\] "GET `),
				"uvicorn":    grep(`uvicorn\.access`, `\S+ - "GET `),
				"gunicorn":   grep(`gunicorn\.access`, ``),
				"warnings":   grep(`py\.warnings`, `.*ResourceWarning: Unclosed `),
			}
			for k, v := range want {
				if v == 0 && k != "params" {
					t.Fatalf("grep found no %s: the pattern is wrong", k)
				}
			}
			src, s, err := loadFile(t, repo("testdata", "applog", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{
				"statements": len(s.stmts), "opened": s.conns[parse.ConnOpened], "closed": s.conns[parse.ConnClosed],
				"slow": s.stalls[parse.StallSlowCallback], "sessions": s.stalls[parse.StallUnclosedClient],
				"connectors": s.stalls[parse.StallUnclosedConn], "aiohttp": 0, "uvicorn": 0,
			}
			for _, sp := range s.spans {
				got[sp.Service[:strings.IndexByte(sp.Service, '.')]]++
			}
			for _, k := range []string{"statements", "opened", "closed", "slow", "sessions", "connectors", "aiohttp", "uvicorn"} {
				if got[k] != want[k] {
					t.Errorf("%s: read %d, grep says %d", k, got[k], want[k])
				}
			}
			// Each ResourceWarning is the twin of an asyncio record.
			if want["warnings"] != want["sessions"]+want["connectors"] {
				t.Errorf("grep: %d warnings for %d+%d unclosed", want["warnings"], want["sessions"], want["connectors"])
			}
			w := notes(src)
			for _, line := range []string{
				fmt.Sprintf("%d statements, %d parameter lines", len(s.stmts)-s.timed(), want["params"]),
				fmt.Sprintf("%d connections opened, %d closed", want["opened"], want["closed"]),
				fmt.Sprintf("django.db.backends records: %d timed statements", s.timed()),
				fmt.Sprintf("%d slow callbacks, %d unclosed", want["slow"], want["sessions"]+want["connectors"]),
				fmt.Sprintf("(%d py.warnings ResourceWarnings about the same objects counted once)", want["warnings"]),
				fmt.Sprintf("aiohttp.access records: %d requests", want["aiohttp"]),
				fmt.Sprintf("uvicorn.access records: %d requests", want["uvicorn"]),
				fmt.Sprintf("gunicorn.access records: %d, of which 0 read", want["gunicorn"]),
				"records not read (no SQL, event-loop or access content): shop ",
			} {
				if !strings.Contains(w, line) {
					t.Errorf("Sources lack %q:\n%s", line, w)
				}
			}
		})
	}
}
