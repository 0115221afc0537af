package accesslog_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"hotpath/parse"
	"hotpath/parse/accesslog"
)

func addSeeds(f *testing.F) {
	logs, _ := filepath.Glob(filepath.Join(dir, "out", "*"))
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// The first lines: a seed per layout, small enough to mutate.
		lines := bytes.SplitAfter(b, []byte{'\n'})
		f.Add(bytes.Join(lines[:min(len(lines), 6)], nil))
	}
	for _, s := range []string{
		`127.0.0.1 - - [01/Dec/2026:15:28:49 +0000] "GET /x HTTP/1.1" 200 5 "-" "a \"b\" [c]" 0.001 "0.004, 0.008" 0/12 rt=0.1 rid=abc`,
		`"GET http://h/x HTTP/1.1" from 1.2.3.4:5 - 200 12B in 1m2.5s`,
		`{"request":{"method":"GET","uri":"/x","headers":{"X-Request-Id":["a"]}},"status":200,"duration":1e-3,"ts":1.7e9}`,
		`time="x" method=GET path="/a b" status=200 latency=-1ms`,
		"[\x00\"\"\" 200 -\n\n\r\n",
		`1796138934.078 "GET / HTTP/1.1" 599 18446744073709551615 99999999999999999999.5`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzDecode: no panic, no hang, and every span it yields is a request
// record by the convention (a method, a status, a non-negative duration).
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		src := parse.NewSource("fuzz", int64(len(data)))
		s := &sink{}
		_ = accesslog.Decode(context.Background(), bytes.NewReader(data), src, s, parse.Options{})
		for _, sp := range s.spans {
			if sp.HTTPMethod == "" || sp.HTTPStatus < 100 || sp.HTTPStatus > 599 || sp.Duration < 0 || sp.Kind != "server" {
				t.Fatalf("bad span %+v", sp)
			}
		}
		if int64(len(s.spans)) != src.Events() {
			t.Fatalf("%d spans, %d events", len(s.spans), src.Events())
		}
	})
}

// FuzzParseLine: ParseLine and a Parser agree on what is a record, and
// neither panics.
func FuzzParseLine(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p accesslog.Parser
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			r1, ok1 := accesslog.ParseLine(l)
			r2, ok2 := p.Parse(l)
			if ok1 && (r1.Method == "" || r1.Status < 100) || ok2 && (r2.Method == "" || r2.Status < 100) {
				t.Fatalf("record without method or status: %+v %+v", r1, r2)
			}
			if r1.Duration < 0 || r2.Duration < 0 {
				t.Fatalf("negative duration: %v %v", r1.Duration, r2.Duration)
			}
		}
	})
}
