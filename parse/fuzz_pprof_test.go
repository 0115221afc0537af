package parse

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// legacySeeds are the legacy text profiles the Go runtime itself writes
// (debug=1, what /debug/pprof/heap?debug=1 serves), recorded now with
// some blocking and contention so that every kind has samples.
func legacySeeds(f *testing.F) [][]byte {
	f.Helper()
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	defer runtime.SetBlockProfileRate(0)
	defer runtime.SetMutexProfileFraction(0)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				mu.Lock()
				time.Sleep(10 * time.Microsecond)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	keep := make([][]byte, 0, 1000)
	for i := range 1000 {
		keep = append(keep, make([]byte, 512+i))
	}
	runtime.GC()
	var out [][]byte
	for _, name := range []string{"heap", "allocs", "goroutine", "threadcreate", "block", "mutex"} {
		var b bytes.Buffer
		if err := pprof.Lookup(name).WriteTo(&b, 1); err != nil {
			f.Fatal(err)
		}
		out = append(out, b.Bytes())
	}
	runtime.KeepAlive(keep)
	return out
}

// bigProfile is a protobuf profile over 1 MiB (uncompressed): many samples
// of one deep stack.
func bigProfile(f *testing.F, samples, depth int) []byte {
	f.Helper()
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}},
		PeriodType: &profile.ValueType{Type: "samples", Unit: "count"}, Period: 1}
	for i := 1; i <= depth; i++ {
		fn := &profile.Function{ID: uint64(i), Name: "f" + strings.Repeat("x", i%7), Filename: "a.go"}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, &profile.Location{ID: uint64(i), Line: []profile.Line{{Function: fn, Line: int64(i)}}})
	}
	for i := range samples {
		s := &profile.Sample{Value: []int64{int64(i)}}
		for j := range depth - i%3 {
			s.Location = append(s.Location, p.Location[j])
		}
		p.Sample = append(p.Sample, s)
	}
	var b bytes.Buffer
	if err := p.WriteUncompressed(&b); err != nil {
		f.Fatal(err)
	}
	return b.Bytes()
}

func addPprofSeeds(f *testing.F) {
	for _, name := range []string{"cpu", "heap", "block", "mutex", "goroutine"} {
		b, err := os.ReadFile("../cmd/hotpath/demo/data/workload/" + name + ".pprof")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	gperf, err := os.ReadFile("../testdata/profiles/native/gperftools.cpu")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(gperf)
	f.Add(bigProfile(f, 4500, 200))    // 1.2 MiB
	f.Add(bigProfile(f, 2, 30_000))    // one stack 30,000 frames deep
	f.Add([]byte{0x0a, 0x04, 0x08, 1}) // a sample_type field, cut
}

// checkPprof decodes data as the pprof format does and checks what came
// out: a valid profile with the samples it parsed, or an error.
func checkPprof(t *testing.T, data []byte) {
	src := NewSource("fuzz", int64(len(data)))
	sink := &memSink{}
	err := decodePprof(context.Background(), bytes.NewReader(data), src, sink, Options{MaxWholeInput: 8 << 20})
	if err != nil {
		if len(sink.profiles) != 0 {
			t.Fatalf("error %v after emitting a profile", err)
		}
		return
	}
	if len(sink.profiles) != 1 {
		t.Fatalf("no error and %d profiles", len(sink.profiles))
	}
	p := sink.profiles[0]
	if err := p.CheckValid(); err != nil {
		t.Fatalf("emitted an invalid profile: %v", err)
	}
	if len(p.Sample) == 0 || src.Events() != int64(len(p.Sample)) {
		t.Fatalf("%d samples, %d events counted", len(p.Sample), src.Events())
	}
}

// FuzzPprof: the pprof decoder on its own (protobuf, gzipped or not, the
// legacy binary CPU profile, the legacy text forms): no panic, and a
// profile that loads is valid.
func FuzzPprof(f *testing.F) {
	addPprofSeeds(f)
	for _, s := range legacySeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkPprof)
}

// FuzzLegacyText: the legacy text profiles alone, each input made to start
// with one of their headers so that the fuzzer works on their parsers
// (github.com/google/pprof/profile's) rather than on the sniffing.
func FuzzLegacyText(f *testing.F) {
	for _, s := range legacySeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("--- contention:\ncycles/second=3000000000\nsampling period=1\n100 2 @ 0x1 0x2\n"))
	f.Add([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1\n"))
	f.Add([]byte("--- heapz 1 ---\nformat = java\nresolution = ms\n 1 2 @ 0x1\n"))
	f.Add([]byte("--- threadz 1 ---\n--- Thread 1 (name: main) (1 frames)\n  0x1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		legacy := false
		for _, h := range legacyHeads {
			legacy = legacy || bytes.HasPrefix(data, h)
		}
		if !legacy && len(data) > 0 {
			data = append(append([]byte(nil), legacyHeads[int(data[0])%len(legacyHeads)]...), data...)
		}
		checkPprof(t, data)
	})
}
