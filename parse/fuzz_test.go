package parse

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
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

func FuzzFolded(f *testing.F) {
	addProfileSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		src := NewSource("fuzz", int64(len(data)))
		sink := &memSink{}
		err := decodeFolded(context.Background(), bytes.NewReader(data), src, sink, Options{})
		if err == nil {
			if len(sink.profiles) != 1 {
				t.Fatalf("no error but %d profiles", len(sink.profiles))
			}
			if verr := sink.profiles[0].CheckValid(); verr != nil {
				t.Fatalf("invalid profile: %v", verr)
			}
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
