package parse

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func guardAll(t testing.TB, in []byte, mode JSONMode, oneByte bool) ([]byte, *Source, error) {
	t.Helper()
	src := NewSource("t", 0)
	var r io.Reader = bytes.NewReader(in)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	g, report := GuardJSON(r, src, mode)
	out, err := io.ReadAll(g)
	report()
	return out, src, err
}

// TestGuardJSONStrings: a string longer than MaxJSONString comes out cut
// to it, at a character boundary, still valid JSON decoding to a prefix
// of the original, and counted once; short strings come out unchanged.
func TestGuardJSONStrings(t *testing.T) {
	long := func(unit string) string { return strings.Repeat(unit, 2*MaxJSONString/len(unit)+7) }
	b64 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfa, 0x01, 0x7f}, MaxJSONString))
	cases := []struct {
		name    string
		content string // the string's JSON text, between the quotes
		cut     bool
	}{
		{"short", "hello \\\"world\\\" \\u00e9", false},
		{"exactly the limit", strings.Repeat("a", MaxJSONString), false},
		{"ascii", long("a"), true},
		{"two-byte utf-8", long("é"), true},
		{"three-byte utf-8 after one ascii", "x" + long("€"), true},
		{"four-byte utf-8", long("😀"), true},
		{"escapes", long(`\u00e9`), true},
		{"surrogate pairs", long(`\ud83d\ude00`), true},
		{"short escapes", long(`\n\"`), true},
		{"base64", b64, true},
	}
	for _, c := range cases {
		for _, oneByte := range []bool{false, true} {
			doc := []byte(`{"k":"` + c.content + `","n":[1,2]}`)
			out, src, err := guardAll(t, doc, JSONDocument, oneByte)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var want, got struct {
				K string
				N []int
			}
			if err := json.Unmarshal(doc, &want); err != nil {
				t.Fatalf("%s: the test's own document: %v", c.name, err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%s (one byte %v): guarded output is not JSON: %v", c.name, oneByte, err)
			}
			if !c.cut {
				if !bytes.Equal(out, doc) || len(src.Warnings()) != 0 {
					t.Errorf("%s: changed without need (warnings %v)", c.name, src.Warnings())
				}
				continue
			}
			if !strings.HasPrefix(want.K, got.K) || !utf8.ValidString(got.K) || strings.ContainsRune(got.K, utf8.RuneError) {
				t.Errorf("%s: cut string is not a clean prefix of the original", c.name)
			}
			// The cut falls at the first boundary at or past the limit, in
			// the input's bytes: at most one escape or character over.
			rawLen := bytes.Index(out[6:], []byte(`","n"`))
			if rawLen < MaxJSONString || rawLen > MaxJSONString+12 {
				t.Errorf("%s: %d bytes kept of the string, want the limit %d (+ one character)", c.name, rawLen, MaxJSONString)
			}
			if len(got.N) != 2 {
				t.Errorf("%s: what follows the cut string was lost", c.name)
			}
			w := src.Warnings()
			if len(w) != 1 || !strings.HasPrefix(w[0], "1 strings longer than 64 KiB cut") {
				t.Errorf("%s: warnings %v", c.name, w)
			}
			if c.name == "base64" {
				if _, err := base64.StdEncoding.DecodeString(got.K); err != nil {
					t.Errorf("base64 cut is no longer base64: %v", err)
				}
			}
		}
	}
}

// TestGuardJSONDepth: nesting deeper than MaxJSONDepth stops a document
// at the byte that opens level MaxJSONDepth+1, whatever the depth behind
// it; JSON lines are left to CheckJSONDepth, line by line.
func TestGuardJSONDepth(t *testing.T) {
	for _, depth := range []int{MaxJSONDepth, MaxJSONDepth + 1, 1_000_000} {
		prefix := `{"a":` // 5 bytes per level
		doc := strings.Repeat(prefix, depth) + "1" + strings.Repeat("}", depth)
		_, _, err := guardAll(t, []byte(doc), JSONDocument, false)
		if depth <= MaxJSONDepth {
			if err != nil {
				t.Errorf("depth %d: %v", depth, err)
			}
		} else {
			wantAt := "byte " + strconv.Itoa(MaxJSONDepth*len(prefix))
			if !errors.Is(err, ErrJSONTooDeep) || !strings.Contains(err.Error(), wantAt) || !strings.Contains(err.Error(), "line 1,") {
				t.Errorf("depth %d: %v, want ErrJSONTooDeep at line 1, %s", depth, err, wantAt)
			}
		}
		cerr := CheckJSONDepth([]byte(doc))
		if (cerr != nil) != (depth > MaxJSONDepth) || cerr != nil && !strings.Contains(cerr.Error(), "byte "+strconv.Itoa(MaxJSONDepth*len(prefix))) {
			t.Errorf("CheckJSONDepth at depth %d: %v", depth, cerr)
		}
		// Brackets inside strings are not nesting.
		if err := CheckJSONDepth([]byte(`["` + strings.Repeat("[", 5000) + `\"[["]`)); err != nil {
			t.Errorf("brackets in a string counted: %v", err)
		}
		lines := "[1]\n" + doc + "\n[2]\n"
		out, _, err := guardAll(t, []byte(lines), JSONLines, false)
		if err != nil || !bytes.Equal(out, []byte(lines)) {
			t.Errorf("lines mode at depth %d: err %v, changed %v", depth, err, !bytes.Equal(out, []byte(lines)))
		}
	}
}

// TestGuardJSONLinesRestart: a line broken inside a string does not make
// the next lines part of it.
func TestGuardJSONLinesRestart(t *testing.T) {
	in := `{"a":"` + strings.Repeat("x", 3*MaxJSONString) + "\n" + `{"b":"ok"}` + "\n"
	out, src, err := guardAll(t, []byte(in), JSONLines, false)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(out, []byte("\n"))
	if len(lines) != 3 || string(lines[1]) != `{"b":"ok"}` || len(lines[0]) != 6+MaxJSONString {
		t.Errorf("lines %d, second %q, first %d bytes", len(lines), lines[1], len(lines[0]))
	}
	if len(src.Warnings()) != 1 {
		t.Errorf("warnings %v", src.Warnings())
	}
}

// TestGuardJSONTokensAndSpace: a 1 MB number is an error; a 1 MB run of
// white space is squeezed to 4 KiB and the document still reads.
func TestGuardJSONTokensAndSpace(t *testing.T) {
	_, _, err := guardAll(t, []byte(`{"a":`+strings.Repeat("9", 1<<20)+`}`), JSONDocument, false)
	if err == nil || !strings.Contains(err.Error(), "byte "+strconv.Itoa(5+maxJSONToken)) {
		t.Errorf("long number: %v", err)
	}
	doc := `{"a":` + strings.Repeat(" ", 1<<20) + "1,\n" + strings.Repeat("\n", 1<<20) + `"b":2}`
	out, src, err := guardAll(t, []byte(doc), JSONDocument, false)
	var v map[string]int
	if err != nil || json.Unmarshal(out, &v) != nil || v["a"] != 1 || v["b"] != 2 {
		t.Fatalf("squeezed document: err %v, %v", err, v)
	}
	if len(out) > 3*maxJSONSpace || len(src.Warnings()) != 1 {
		t.Errorf("%d bytes out, warnings %v", len(out), src.Warnings())
	}
}

// FuzzGuardJSON: the guard never changes a document within its limits,
// never makes valid JSON invalid, and reads the same in any chunking.
func FuzzGuardJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,"x\u00e9\"",{"b":null}]}`))
	f.Add([]byte("[1]\n[2]\n"))
	f.Add([]byte(`"` + strings.Repeat(`\ud83d\ude00`, MaxJSONString/6+3) + `"`))
	f.Add([]byte(strings.Repeat("[", 2000)))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mode := range []JSONMode{JSONDocument, JSONLines} {
			out, src, err := guardAll(t, data, mode, false)
			out1, _, err1 := guardAll(t, data, mode, true)
			if !bytes.Equal(out, out1) || (err == nil) != (err1 == nil) {
				t.Fatalf("mode %d: chunking changed the output", mode)
			}
			if err != nil {
				continue
			}
			if len(src.Warnings()) == 0 && !bytes.Equal(out, data) {
				t.Fatalf("mode %d: changed without a warning", mode)
			}
			if mode == JSONDocument && json.Valid(data) && !json.Valid(out) {
				t.Fatalf("valid JSON made invalid")
			}
		}
	})
}

// BenchmarkGuardJSON: the guard's cost per byte, on the committed OTLP
// sample (the JSON every trace reader sees most).
func BenchmarkGuardJSON(b *testing.B) {
	one, err := os.ReadFile("../testdata/trace/otlp.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat(one, 20)
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		g, _ := GuardJSON(bytes.NewReader(data), NewSource("b", 0), JSONLines)
		for {
			if _, err := g.Read(buf); err != nil {
				break
			}
		}
	}
}
