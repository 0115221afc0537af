package parse

import (
	"bytes"
	"context"
	"os"
	"testing"
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
