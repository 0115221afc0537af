package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// BenchmarkReportProfile loads a profile and computes its hotspots, as
// `hotpath report` does. HOTPATH_BENCH_PROFILE names a large profile
// (bench/pprof.sh records one); without it the demo's CPU profile is used.
func BenchmarkReportProfile(b *testing.B) {
	path := os.Getenv("HOTPATH_BENCH_PROFILE")
	if path == "" {
		path = "demo/data/workload/cpu.pprof"
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		if code := run([]string{"report", "-nodecount", "20", path}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
