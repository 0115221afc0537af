package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"512MiB", 512 << 20, false},
		{"512 MiB", 512 << 20, false},
		{"4G", 4 << 30, false},
		{"4gb", 4 << 30, false},
		{"1.5GiB", 3 << 29, false},
		{"64k", 64 << 10, false},
		{"2TiB", 2 << 40, false},
		{"1.5", 0, true}, // a fraction of a byte
		{"MiB", 0, true},
		{"12 parsecs", 0, true},
		{"-1GiB", 0, true},
		{"99999999TiB", 0, true},
	} {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	var s sizeFlag
	if err := s.Set("3GiB"); err != nil || s.String() != "3GiB" || s.n != 3<<30 {
		t.Errorf("-max-memory 3GiB: %v, %s", err, s.String())
	}
}

// -max-memory bounds the run: a pprof gzip bomb (a string of 64 MiB of
// zeros in 64 KB) fails on one line saying so, the real profile beside it
// is reported, the exit status is 0.
func TestMaxMemoryFlag(t *testing.T) {
	dir := t.TempDir()
	var raw bytes.Buffer
	raw.Write([]byte{0x0a, 0x04, 0x08, 0x01, 0x10, 0x02, 0x32, 0x00, 0x32})
	raw.Write(binary.AppendUvarint(nil, 64<<20))
	raw.Write(make([]byte, 64<<20))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw.Bytes())
	zw.Close()
	bomb := filepath.Join(dir, "bomb.pb.gz")
	if err := os.WriteFile(bomb, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	good := "demo/data/workload/cpu.pprof"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"budget", []string{"report", "-max-memory", "16MiB", bomb, good}, 0,
			"MiB so far) would need more than the 16 MiB memory budget (-max-memory)"},
		{"no budget", []string{"report", "-max-memory", "0", "-max-input", "32MiB", bomb, good}, 0,
			"bomb.pb.gz: pprof: input is larger than 33554432 bytes"},
		{"bad size", []string{"report", "-max-memory", "lots", good}, 2, `invalid value "lots" for flag -max-memory`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runHotpath(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
			if tc.code == 0 && (!strings.Contains(stdout, "cpu.pprof") || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "hotpath: "+bomb+": pprof: ")) {
				t.Errorf("the real profile is not in the report:\n%s", stdout)
			}
		})
	}
}
