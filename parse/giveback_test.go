package parse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lineFormat is a test format: its records are lines starting with prefix;
// its sniffer is as loose as a resemblance (the head starts with prefix)
// and its decoder counts records with a LineVerdict, emitting nothing
// before the verdict, then one statement per record.
func lineFormat(name, prefix string) Format {
	return Format{Name: name, Family: "sql", GivesBack: true,
		Sniff: func(head []byte) bool {
			return bytes.HasPrefix(head, []byte(prefix)) || bytes.Contains(head, []byte("\n"+prefix))
		},
		Decode: func(ctx context.Context, r io.Reader, src *Source, sink Sink, _ Options) error {
			sc := NewLineScanner(r, 1<<20)
			v := LineVerdict{Format: name, Want: name + " lines"}
			pending := 0
			for {
				l, ok, err := sc.Next()
				if err != nil {
					return err
				}
				if !ok {
					break
				}
				if !bytes.HasPrefix(l, []byte(prefix)) {
					src.SkipLine(sc.Line(), "not a "+name+" line")
					if err := v.Bad(sc.Line(), sc.Offset(), l); err != nil {
						return err
					}
					continue
				}
				if err := v.Good(sc.Offset()); err != nil {
					return err
				}
				pending++
				if v.Decided() {
					for ; pending > 0; pending-- {
						src.AddEvents(1)
						sink.Statement(src, &Statement{Text: name})
					}
				}
			}
			if err := v.End(); err != nil {
				return err
			}
			for ; pending > 0; pending-- {
				src.AddEvents(1)
				sink.Statement(src, &Statement{Text: name})
			}
			return nil
		}}
}

// anyLines reads every line as a record.
func anyLines(name string) Format {
	return Format{Name: name, Family: "sql",
		Sniff: func([]byte) bool { return true },
		Decode: func(ctx context.Context, r io.Reader, src *Source, sink Sink, _ Options) error {
			sc := NewLineScanner(r, 8<<20)
			for {
				l, ok, err := sc.Next()
				if err != nil {
					return err
				}
				if !ok {
					break
				}
				src.AddEvents(1)
				sink.Statement(src, &Statement{Text: string(l)})
			}
			return nil
		}}
}

type stmtSink struct {
	memSink
	texts []string
}

func (s *stmtSink) Statement(_ *Source, st *Statement) { s.texts = append(s.texts, st.Text) }

func TestGiveBack(t *testing.T) {
	// 3 lines of A, then B lines: A's loose sniffer accepts, its decoder
	// finds most of the first 64 lines broken and gives the input back.
	mixed := strings.Repeat("A record\n", 3) + strings.Repeat("B record\n", 100)
	// A decides only after a 4 MiB line, past what Load keeps of a stream.
	long := "B first\nA record\nB " + strings.Repeat("x", 4<<20) + "\n" + strings.Repeat("B tail\n", 5)
	dir := t.TempDir()
	file := filepath.Join(dir, "long.log")
	if err := os.WriteFile(file, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	a, b, any := lineFormat("A", "A "), lineFormat("B", "B "), anyLines("any")
	for _, tc := range []struct {
		name    string
		in      func() *Input
		formats []Format
		format  string // the format that reads it; "" for an error
		events  int64
		lines   int // of the input, each read once by the format that keeps it
		err     string
	}{
		{"A gives back to B", func() *Input { return memInput("mixed", mixed) }, []Format{a, b}, "B", 100, 0, ""},
		{"A keeps its own", func() *Input { return memInput("a", strings.Repeat("A x\n", 70)+"B y\n") }, []Format{a, b}, "A", 70, 0, ""},
		{"B never sniffs", func() *Input { return memInput("mixed", mixed) }, []Format{a}, "", 0, 0,
			`mixed: unrecognised format: A: only 3 of the first 64 records are A lines (line 4: "B record")`},
		{"the next format sniffs the same head, not what the decoder read on", func() *Input {
			return memInput("hidden", strings.Repeat("A record\n", 3)+strings.Repeat("x", SniffSize)+"\n"+strings.Repeat("B record\n", 100))
		}, []Format{a, b}, "", 0, 0, "hidden: unrecognised format: A: only 3 of the first 64 records"},
		{"replayed bytes are whole", func() *Input { return memInput("mixed", mixed) }, []Format{a, any}, "any", 103, 103, ""},
		{"stream past the replay limit", func() *Input { return Expand([]string{"-"}, strings.NewReader(long))[0] }, []Format{a, any}, "", 0, 0,
			"save the input to a file"},
		{"file past the replay limit is reopened", func() *Input { return Expand([]string{file}, nil)[0] }, []Format{a, any}, "any", 8, 8, ""},
		{"in-memory input past the replay limit is reopened", func() *Input { return memInput("mem", long) }, []Format{a, any}, "any", 8, 8, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in()
			sink := &stmtSink{}
			err := Load(context.Background(), in, tc.formats, sink, Options{})
			if tc.format == "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if !errors.Is(err, ErrNotThisFormat) {
					t.Errorf("error does not wrap ErrNotThisFormat: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.Src.Format() != tc.format || in.Src.Events() != tc.events || int64(len(sink.texts)) != tc.events {
				t.Errorf("format %s events %d (sink %d), want %s %d", in.Src.Format(), in.Src.Events(), len(sink.texts), tc.format, tc.events)
			}
			if tc.format != "A" && (len(in.Src.Notes()) != 1 || !strings.Contains(in.Src.Notes()[0], "read as "+tc.format+" after A: only ")) {
				t.Errorf("notes %q", in.Src.Notes())
			}
			if len(in.Src.Warnings()) != 0 {
				t.Errorf("warnings %q: a give-back is not a problem", in.Src.Warnings())
			}
			if tc.lines > 0 {
				// The format that took the input over saw it from its
				// first byte, each line once.
				want := strings.Split(strings.TrimSuffix(map[bool]string{true: mixed, false: long}[tc.lines == 103], "\n"), "\n")
				if fmt.Sprint(sink.texts) != fmt.Sprint(want) {
					t.Errorf("lines read differ from the input (%d read, %d in input)", len(sink.texts), len(want))
				}
				if in.Src.SkippedTotal() != 0 {
					t.Errorf("the giving-back format's skips are kept: %v", in.Src.Skipped())
				}
			}
		})
	}
}

func memInput(name, data string) *Input {
	return NewInput(name, int64(len(data)), func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(data)), nil
	})
}
