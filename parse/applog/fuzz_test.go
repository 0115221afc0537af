package applog

import (
	"bufio"
	"bytes"
	"context"
	"testing"

	"hotpath/parse"
)

// checkSink asserts the invariants the decoder keeps whatever its input.
type checkSink struct {
	recSink
	t *testing.T
}

func (c *checkSink) Statement(_ *parse.Source, st *parse.Statement) {
	if len(st.Text) > maxMessage || st.Text == "" {
		c.t.Fatalf("statement of %d bytes", len(st.Text))
	}
	if st.HasDuration && st.Duration < 0 {
		c.t.Fatalf("negative duration %v", st.Duration)
	}
}

func (c *checkSink) Stall(_ *parse.Source, st *parse.Stall) {
	if len(st.Message) > 2*maxStallMessage || len(st.Traceback) > maxTraceback || st.Duration < 0 {
		c.t.Fatalf("stall %d bytes, %d frames, %v", len(st.Message), len(st.Traceback), st.Duration)
	}
}

func (c *checkSink) Span(_ *parse.Source, sp *parse.Span) {
	if sp.Attrs[parse.AttrRecord] != parse.RecordAccessLog || sp.Kind != "server" {
		c.t.Fatalf("span %+v", sp)
	}
}

func (c *checkSink) Conn(*parse.Source, *parse.ConnEvent) {}

func seeds(f *testing.F) {
	for _, p := range []string{"testdata/applog/threadtask.log.gz", "testdata/applog/basic.log.gz", "testdata/applog/syslog.log.gz",
		"testdata/applog/djangoverbose.log.gz", "testdata/applog/json.log.gz", "testdata/applog/structlog.log.gz",
		"testdata/trace/asyncio.log", "testdata/sql/django-debug.log.gz"} {
		b := raw(f, repo(p))
		if len(b) > 6<<10 {
			b = b[:6<<10]
		}
		f.Add(b)
	}
	f.Add([]byte("Executing <Handle f() at a.py:1> took 1e400 seconds\nUnclosed connector\n  File \"x\", line 9, in y\n"))
	f.Add([]byte("INFO:sqlalchemy.engine.Engine:[req-1] SELECT 1\nINFO:sqlalchemy.engine.Engine:[req-1] [raw sql] ()\nINFO:sqlalchemy.engine.Engine:{'a': 1}\n"))
	f.Add([]byte("{\"name\": \"asyncio\", \"message\": \"Unclosed client session\", \"created\": 1e300}\n{\"logger\": 3}\n"))
	f.Add([]byte("23:59:59 INFO [T] django.db.backends: (0.1) SELECT 1; args=()\n00:00:01 INFO [T] django.db.backends: (9999999999999999.5) x; args=\n"))
	f.Add([]byte{})
}

func FuzzAppLog(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range Formats() {
			format.Sniff(data)
		}
		src := parse.NewSource("fuzz", int64(len(data)))
		_ = decode(context.Background(), bufio.NewReaderSize(bytes.NewReader(data), parse.SniffSize), src, &checkSink{recSink: *newRecSink(), t: t}, DefaultAccess)
	})
}

// FuzzLayoutMatch: whatever layout a head infers, matching any line with
// it ends, within bounds, with a message inside the line.
func FuzzLayoutMatch(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		info := analyzeHead(data)
		if info == nil || info.json || info.ly.bare {
			return
		}
		var fl fields
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			if info.ly.match(l, &fl, 2026) && (len(fl.msg) > len(l) || len(fl.name) > maxField) {
				t.Fatalf("line %q: message %q", l, fl.msg)
			}
		}
	})
}
