package parse

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// The profiles here were written by real programs: testdata/profiles/native
// (gperftools' libprofiler, perf + perf's stackcollapse script); see its
// record.sh.

func readNative(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/profiles/native/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// needTool fails under CI (a test that cannot run must say so there) and
// skips with the reason elsewhere.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not on PATH: cannot compare with the peer tool", name)
		}
		t.Skipf("%s is not on PATH: cannot compare with the peer tool", name)
	}
	return p
}

// pprofRaw runs `go tool pprof -raw` and returns the sample count, the
// total of each sample type and the total by leaf address.
func pprofRaw(t *testing.T, path string) (samples int, totals []int64, leaf map[uint64]int64) {
	t.Helper()
	goBin := needTool(t, "go")
	out, err := exec.Command(goBin, "tool", "pprof", "-raw", path).Output()
	if err != nil {
		t.Fatalf("go tool pprof -raw: %v", err)
	}
	lines := strings.Split(string(out), "\n")
	locAddr := map[string]uint64{}
	locRE := regexp.MustCompile(`^\s+(\d+): 0x([0-9a-f]+) `)
	for _, l := range lines {
		if m := locRE.FindStringSubmatch(l); m != nil {
			a, _ := strconv.ParseUint(m[2], 16, 64)
			locAddr[m[1]] = a
		}
	}
	sampleRE := regexp.MustCompile(`^\s+(-?\d+(?:\s+-?\d+)*): ([\d ]+)$`)
	leaf = map[uint64]int64{}
	in := false
	for _, l := range lines {
		switch {
		case l == "Samples:":
			in = true
			continue
		case strings.HasPrefix(l, "Locations"):
			in = false
		}
		m := sampleRE.FindStringSubmatch(l)
		if !in || m == nil {
			continue
		}
		vals := strings.Fields(m[1])
		if totals == nil {
			totals = make([]int64, len(vals))
		}
		for i, v := range vals {
			n, _ := strconv.ParseInt(v, 10, 64)
			totals[i] += n
		}
		n, _ := strconv.ParseInt(vals[len(vals)-1], 10, 64)
		leaf[locAddr[strings.Fields(m[2])[0]]] += n
		samples++
	}
	return samples, totals, leaf
}

// TestLegacyCPUProfile: gperftools' legacy binary CPU profile is read, with
// the samples, totals and per-address self time go tool pprof reports.
func TestLegacyCPUProfile(t *testing.T) {
	const path = "../testdata/profiles/native/gperftools.cpu"
	src, sink, err := loadBytes(t, "gperftools.cpu", readNative(t, "gperftools.cpu"))
	if err != nil {
		t.Fatal(err)
	}
	if src.Format() != "pprof" || len(sink.profiles) != 1 {
		t.Fatalf("format %q, %d profiles", src.Format(), len(sink.profiles))
	}
	p := sink.profiles[0]
	samples, totals, leaf := pprofRaw(t, path)
	got := make([]int64, len(p.SampleType))
	gotLeaf := map[uint64]int64{}
	for _, s := range p.Sample {
		for i, v := range s.Value {
			got[i] += v
		}
		gotLeaf[s.Location[0].Address] += s.Value[len(s.Value)-1]
	}
	if len(p.Sample) != samples || len(got) != len(totals) || samples == 0 {
		t.Fatalf("%d samples of %d types, go tool pprof: %d of %d", len(p.Sample), len(got), samples, len(totals))
	}
	for i := range got {
		if got[i] != totals[i] {
			t.Errorf("%s total %d, go tool pprof says %d", p.SampleType[i].Type, got[i], totals[i])
		}
	}
	for addr, v := range leaf {
		if gotLeaf[addr] != v {
			t.Errorf("leaf %#x: %d, go tool pprof says %d", addr, gotLeaf[addr], v)
		}
	}
}

func TestSniffLegacyCPUHeaders(t *testing.T) {
	header := func(size int, order binary.AppendByteOrder, words ...uint64) []byte {
		var b []byte
		for _, w := range words {
			if size == 4 {
				b = order.AppendUint32(b, uint32(w))
			} else {
				b = order.AppendUint64(b, w)
			}
		}
		return append(b, make([]byte, 64)...)
	}
	for _, tc := range []struct {
		name string
		head []byte
		want bool
	}{
		{"64-bit little-endian C++", header(8, binary.LittleEndian, 0, 3, 0, 10000, 0), true},
		{"64-bit big-endian", header(8, binary.BigEndian, 0, 3, 0, 2000, 0), true},
		{"32-bit Java", header(4, binary.LittleEndian, 0, 3, 1, 10000, 0), true},
		{"period 0", header(8, binary.LittleEndian, 0, 3, 0, 0, 0), false},
		{"version 2", header(8, binary.LittleEndian, 0, 3, 2, 100, 0), false},
		{"zeros", make([]byte, 80), false},
		{"short", []byte{0, 0, 0, 0, 3}, false},
	} {
		if got := looksLikeLegacyCPU(tc.head); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// foldedReference reads folded stacks as flamegraph.pl does, without the
// decoder: comment lines out, the count after the last space, the leaf's
// "_[x]" annotation off its name.
func foldedReference(data []byte) (total int64, comments int, leaf map[string]int64, annotated map[string]bool) {
	leaf, annotated = map[string]int64{}, map[string]bool{}
	ann := regexp.MustCompile(`_\[[a-z0-9]\]$`)
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.HasPrefix(l, "#") {
			comments++
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			continue
		}
		n, err := strconv.ParseInt(l[i+1:], 10, 64)
		if err != nil {
			continue
		}
		frames := strings.Split(l[:i], ";")
		for _, f := range frames {
			if ann.MatchString(f) {
				annotated[f] = true
			}
		}
		leaf[ann.ReplaceAllString(frames[len(frames)-1], "")] += n
		total += n
	}
	return
}

// TestFoldedPerfKernel: perf's stackcollapse --kernel output with a comment
// line on top: the comment is passed over, kernel frames keep their place
// in the stack under their function name, and the annotation stays in the
// system name.
func TestFoldedPerfKernel(t *testing.T) {
	data := readNative(t, "perf-kernel.folded")
	total, comments, wantLeaf, annotated := foldedReference(data)
	src, sink, err := loadBytes(t, "perf-kernel.folded", data)
	if err != nil {
		t.Fatal(err)
	}
	if src.Format() != "folded" || len(sink.profiles) != 1 {
		t.Fatalf("format %q profiles %d", src.Format(), len(sink.profiles))
	}
	if src.SkippedTotal() != int64(comments) || comments == 0 {
		t.Errorf("skipped %d, the file has %d comment lines", src.SkippedTotal(), comments)
	}
	p := sink.profiles[0]
	var got int64
	for _, s := range p.Sample {
		got += s.Value[0]
	}
	if got != total {
		t.Errorf("total %d, the file's counts add up to %d", got, total)
	}
	for fn, v := range leafTotals(p, 0) {
		if wantLeaf[fn] != v {
			t.Errorf("leaf %s: %d, want %d", fn, v, wantLeaf[fn])
		}
	}
	sys := map[string]bool{}
	for _, fn := range p.Function {
		if strings.HasSuffix(fn.Name, "]") && strings.Contains(fn.Name, "_[") {
			t.Errorf("function %q keeps its annotation in its name", fn.Name)
		}
		if fn.SystemName != fn.Name {
			sys[fn.SystemName] = true
			if !strings.HasPrefix(fn.SystemName, fn.Name+"_[") {
				t.Errorf("system name %q of %q", fn.SystemName, fn.Name)
			}
		}
	}
	if len(sys) != len(annotated) || len(annotated) == 0 {
		t.Errorf("%d annotated system names, the file has %d annotated frames", len(sys), len(annotated))
	}
}

func utf16With(bom []byte, order binary.AppendByteOrder, s string) []byte {
	out := append([]byte(nil), bom...)
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

// TestUTF16Text: the same folded file written as UTF-16 (either byte
// order, with its byte-order mark) or with a UTF-8 BOM reads as the UTF-8
// original.
func TestUTF16Text(t *testing.T) {
	orig := string(readTestdata(t, "app.folded")) + "ünïcödé;𝔣𝔯𝔞𝔪𝔢 3\n"
	total, _, _, _ := foldedReference([]byte(orig))
	for name, data := range map[string][]byte{
		"utf-16le": utf16With([]byte{0xff, 0xfe}, binary.LittleEndian, orig),
		"utf-16be": utf16With([]byte{0xfe, 0xff}, binary.BigEndian, orig),
		"utf-8bom": append([]byte{0xef, 0xbb, 0xbf}, orig...),
	} {
		src, sink, err := loadBytes(t, name, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got int64
		names := map[string]bool{}
		for _, s := range sink.profiles[0].Sample {
			got += s.Value[0]
		}
		for _, fn := range sink.profiles[0].Function {
			names[fn.Name] = true
		}
		if src.Format() != "folded" || got != total || !names["𝔣𝔯𝔞𝔪𝔢"] || !names["ünïcödé"] {
			t.Errorf("%s: format %q total %d (want %d), surrogate pairs and accents kept: %v %v", name, src.Format(), got, total, names["𝔣𝔯𝔞𝔪𝔢"], names["ünïcödé"])
		}
	}
}

// TestUTF16Broken: a lone surrogate and an odd last byte become U+FFFD.
func TestUTF16Broken(t *testing.T) {
	in := []byte{0xff, 0xfe, 'a', 0, 0x00, 0xd8, 'b', 0, 0x00, 0xdc, 'c'}
	var out bytes.Buffer
	if _, err := out.ReadFrom(undoBOM(bytes.NewReader(in))); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "a\ufffdb\ufffd\ufffd" {
		t.Errorf("%q", got)
	}
}

// TestSniffSpeedscopeStructure: speedscope is told by its top-level keys,
// not by the word: a Chrome trace whose script path says speedscope is not
// a speedscope file.
func TestSniffSpeedscopeStructure(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want bool
	}{
		{`{"traceEvents":[{"ph":"X","name":"x","ts":1,"dur":1,"args":{"url":"file:///speedscope/a.js"}}],"metadata":{"source":"DevTools"}}`, false},
		{`{"$schema":"https://www.speedscope.app/file-format-schema.json","profiles":[],"shared":{"frames":[]}}`, true},
		{`{"exporter":"x","shared":{"frames":[]},"profiles":[]}`, true},
		{`{"name":"speedscope","profiles":1}`, false},
		{`["speedscope"]`, false},
	} {
		if got := sniffSpeedscope([]byte(tc.doc)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.doc, got, tc.want)
		}
	}
}
