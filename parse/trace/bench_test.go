package trace

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"hotpath/parse"
)

// countSink counts spans and drops them (reading speed without the cost
// of keeping them).
type countSink struct {
	collect
	n int
}

func (c *countSink) Span(*parse.Source, *parse.Span) { c.n++ }

// BenchmarkDeriveGoTrace derives the four blocking profiles, goroutine
// summary and spans. HOTPATH_GOTRACE names a big trace (bench/trace.sh
// records one); otherwise a trace is recorded here.
func BenchmarkDeriveGoTrace(b *testing.B) {
	path := os.Getenv("HOTPATH_GOTRACE")
	if path == "" {
		path = recordBlockingTrace(b, 400)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := DeriveGoTrace(context.Background(), bufio.NewReader(bytes.NewReader(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func otlpBenchInput(b *testing.B, copies int) []byte {
	one, err := os.ReadFile(testdata("otlp.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Repeat(one, copies)
}

// BenchmarkOTLP reports spans/s reading OTLP JSON lines (run it with
// -cpu 1 for the one-core figure).
func BenchmarkOTLP(b *testing.B) {
	data := otlpBenchInput(b, 50)
	b.SetBytes(int64(len(data)))
	var spans int
	var elapsed time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		t0 := time.Now()
		sink := &countSink{}
		src := parse.NewSource("bench", int64(len(data)))
		if err := decodeOTLP(context.Background(), bufio.NewReader(bytes.NewReader(data)), src, sink, parse.Options{}); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(t0)
		spans += sink.n
	}
	b.ReportMetric(float64(spans)/elapsed.Seconds(), "spans/s")
	// On a shared machine wall time depends on the neighbours; CPU time
	// (user+system of the process, GOMAXPROCS=1) does much less.
	b.ReportMetric(float64(spans)/(cpuTime()-cpu0).Seconds(), "spans/cpu-s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOTLPPdata reads the same input through pdata's unmarshaler only
// (what the fast path replaces), for a ratio measured in the same run.
func BenchmarkOTLPPdata(b *testing.B) {
	data := otlpBenchInput(b, 50)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	b.SetBytes(int64(len(data)))
	var spans int
	cpu0 := cpuTime()
	var elapsed time.Duration
	for b.Loop() {
		t0 := time.Now()
		for _, l := range lines {
			out, err := viaPdata(l)
			if err != nil {
				b.Fatal(err)
			}
			spans += len(out)
		}
		elapsed += time.Since(t0)
	}
	b.ReportMetric(float64(spans)/elapsed.Seconds(), "spans/s")
	b.ReportMetric(float64(spans)/(cpuTime()-cpu0).Seconds(), "spans/cpu-s")
}
