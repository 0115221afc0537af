package parse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"testing"
	"unicode/utf8"
)

// The fuzz targets call the decoders directly: Load recovers from panics
// (one bad source must not kill the program), which would hide them here.

func addProfileSeeds(f *testing.F) {
	for _, name := range []string{"app.folded", "app.speedscope.json"} {
		b, err := os.ReadFile("../testdata/profiles/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	demo, _ := os.ReadFile("../cmd/hotpath/demo/data/workload/mutex.pprof")
	f.Add(demo)
	for _, name := range []string{"gperftools.cpu", "perf-kernel.folded"} {
		b, err := os.ReadFile("../testdata/profiles/native/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("# a comment\n// another\na;b_[k];c_[j] 3\n"))
	f.Add([]byte{0xff, 0xfe, 'a', 0, ';', 0, 'b', 0, ' ', 0, '1', 0, '\n', 0})
	f.Add([]byte{0xfe, 0xff, 0, 'a', 0, ';', 0xd8, 0x35, 0xdd, 0x23, 0, ' ', 0, '2'})
	f.Add([]byte("a;b;c 1\n"))
	f.Add([]byte(`{"shared":{"frames":[{"name":"x"}]},"profiles":[{"type":"evented","unit":"none","events":[{"type":"O","at":0,"frame":0},{"type":"C","at":1,"frame":0}]}]}`))
	f.Add([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1\n"))
}

// FuzzSniff checks that no format's sniffer panics or claims an input that
// its decoder then panics on.
func FuzzSniff(f *testing.F) {
	addProfileSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		head := data
		if len(head) > SniffSize {
			head = head[:SniffSize]
		}
		for _, fm := range ProfileFormats() {
			if fm.Sniff(head) {
				src := NewSource("fuzz", int64(len(data)))
				_ = fm.Decode(context.Background(), bytes.NewReader(data), src, &memSink{}, Options{MaxWholeInput: 1 << 20})
				break
			}
		}
	})
}

// FuzzFolded: the folded decoder never panics; what it builds is a valid
// profile whose identical stacks are merged, whose values are never
// negative and add up to at most 2^63-1, and it stays within its memory
// budget (refusing with a *BudgetError past it).
func FuzzFolded(f *testing.F) {
	addProfileSeeds(f)
	max := strconv.FormatInt(math.MaxInt64, 10)
	f.Add([]byte("main;a;b " + max + "\nmain;a;b " + max + "\n"))
	f.Add([]byte("main;a 99999999999999999999999999\nmain;b 1\nmain;a +7\n"))
	f.Add([]byte("a;b " + max + "\nc;d " + max + "\ne " + max + "\n"))
	f.Add([]byte("x;;y 3\n;;; 4\nx;y 5\n"))
	f.Add(bytes.Repeat([]byte("python3;<module> (app.py:1);serve (server.py:12);handle (h.py:7) 3\n"), 20000)) // > 1 MiB
	var distinct bytes.Buffer
	for i := range 30000 {
		fmt.Fprintf(&distinct, "main;serve;handle_%d %d\n", i, i%5)
	}
	f.Add(distinct.Bytes()) // > 1 MiB of distinct stacks: past the budget below
	f.Fuzz(func(t *testing.T, data []byte) {
		src := NewSource("fuzz", int64(len(data)))
		sink := &memSink{}
		budget := NewBudget(1 << 20)
		err := decodeFolded(context.Background(), bytes.NewReader(data), src, sink, Options{Budget: budget})
		if budget.InUse() > budget.Limit() {
			t.Fatalf("%d bytes reserved of a %d budget", budget.InUse(), budget.Limit())
		}
		if err != nil {
			return
		}
		if len(sink.profiles) != 1 {
			t.Fatalf("no error but %d profiles", len(sink.profiles))
		}
		p := sink.profiles[0]
		if verr := p.CheckValid(); verr != nil {
			t.Fatalf("invalid profile: %v", verr)
		}
		sum := new(big.Int)
		stacks := map[string]bool{}
		for _, s := range p.Sample {
			if s.Value[0] < 0 {
				t.Fatalf("negative value %d", s.Value[0])
			}
			sum.Add(sum, big.NewInt(s.Value[0]))
			key := fmt.Sprint(s.Location)
			if stacks[key] {
				t.Fatalf("stack %s twice", key)
			}
			stacks[key] = true
		}
		if sum.Cmp(big.NewInt(math.MaxInt64)) > 0 {
			t.Fatalf("values add up to %v", sum)
		}
	})
}

func FuzzSpeedscope(f *testing.F) {
	addProfileSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		src := NewSource("fuzz", int64(len(data)))
		sink := &memSink{}
		err := decodeSpeedscope(context.Background(), bytes.NewReader(data), src, sink, Options{MaxWholeInput: 1 << 20})
		if err == nil {
			if verr := sink.profiles[0].CheckValid(); verr != nil {
				t.Fatalf("invalid profile: %v", verr)
			}
		}
	})
}

// FuzzUndoBOM: whatever the bytes, the text layer ends, and what it makes
// of UTF-16 is valid UTF-8.
func FuzzUndoBOM(f *testing.F) {
	addProfileSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := io.ReadAll(undoBOM(bytes.NewReader(data)))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) {
			if !utf8.Valid(out) {
				t.Fatalf("invalid UTF-8 from UTF-16 input %q", data)
			}
			if len(out) > 3*len(data) {
				t.Fatalf("%d bytes from %d", len(out), len(data))
			}
		}
	})
}

// FuzzJSONMembers: the sniffers' walk over a document's top level never
// panics and reports only keys the document has.
func FuzzJSONMembers(f *testing.F) {
	addProfileSeeds(f)
	f.Add([]byte(`{"a":1,"traceEvents":[{"ph":"X"}],"b":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		JSONMembers(data, func(key string, v json.RawMessage) bool {
			if !json.Valid(v) {
				t.Fatalf("member %q: invalid value %q", key, v)
			}
			return true
		})
	})
}
