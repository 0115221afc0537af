package parse

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// heapDelta runs f and reports how much the live heap grew while what f
// returned is kept (after a GC), and how much f allocated in all: what the
// Go runtime measures, to hold the budget's estimates against.
func heapDelta(f func() any) (live, allocated int64) {
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	v := f()
	runtime.GC()
	runtime.ReadMemStats(&b)
	runtime.KeepAlive(v)
	return int64(b.HeapAlloc) - int64(a.HeapAlloc), int64(b.TotalAlloc - a.TotalAlloc)
}

// wantBudgetError checks err is the budget's clear error, naming the limit.
func wantBudgetError(t *testing.T, err error, limit int64) {
	t.Helper()
	var be *BudgetError
	if !errors.As(err, &be) {
		t.Fatalf("error %v, want a *BudgetError", err)
	}
	want := fmt.Sprintf("would need more than the %s memory budget (-max-memory)", mib(limit))
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

// Reservations from many goroutines never pass the limit together, and
// what is released comes back; one past the limit is refused.
func TestBudgetConcurrent(t *testing.T) {
	const limit = 1000
	b := NewBudget(limit)
	var wg sync.WaitGroup
	var over sync.Map
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				n := int64(1 + (g*31+i*17)%300)
				if err := b.Reserve(n); err != nil {
					continue
				}
				if u := b.InUse(); u > limit {
					over.Store(g, u)
				}
				b.Release(n)
			}
		}()
	}
	wg.Wait()
	over.Range(func(k, v any) bool { t.Errorf("goroutine %v saw %v bytes in use, over %d", k, v, limit); return true })
	if b.InUse() != 0 {
		t.Errorf("%d bytes still in use after every release", b.InUse())
	}
	if err := b.Reserve(limit); err != nil {
		t.Fatal(err)
	}
	var be *BudgetError
	if err := b.Reserve(1); !errors.As(err, &be) || be.Need != 1 || be.InUse != limit {
		t.Errorf("a byte past the limit: %v", err)
	}
	var nilBudget *Budget
	if nilBudget.Reserve(1<<62) != nil || NewBudget(0) != nil {
		t.Error("no budget refused a reservation")
	}
}

// The default budget is a quarter of MemTotal (or of the cgroup's limit),
// at most 4 GiB; MemTotal is read in kB as the kernel writes it.
func TestDefaultMaxMemory(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		text string
		want int64
	}{
		{"MemTotal:       24587172 kB\nMemFree:  1 kB\n", 24587172 << 10},
		{"MemFree: 3 kB\nMemTotal: 2048 kB\n", 2048 << 10},
		{"MemFree: 3 kB\n", 0},
		{"MemTotal: lots kB\n", 0},
	} {
		p := filepath.Join(dir, "meminfo")
		if err := os.WriteFile(p, []byte(tc.text), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := memTotalFrom(p); got != tc.want {
			t.Errorf("%q: MemTotal %d, want %d", tc.text, got, tc.want)
		}
	}
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		if runtime.GOOS == "linux" {
			t.Fatal(err)
		}
		return
	}
	var kb int64
	for _, l := range strings.Split(string(data), "\n") {
		if _, err := fmt.Sscanf(l, "MemTotal: %d kB", &kb); err == nil {
			break
		}
	}
	want := kb << 10
	if c := cgroupLimit(); c > 0 && c < want {
		want = c
	}
	want = min(want/4, 4<<30)
	if got := DefaultMaxMemory(); got != want {
		t.Errorf("DefaultMaxMemory %d, want %d (MemTotal %d kB)", got, want, kb)
	}
}

// distinctFolded writes n folded lines of distinct stacks, in py-spy's frame
// layout, with counts 1..7; it returns their sum as awk would add them.
func distinctFolded(n, salt int) ([]byte, int64) {
	var b bytes.Buffer
	var sum int64
	for i := range n {
		c := int64(i%7 + 1)
		fmt.Fprintf(&b, "python3;<module> (app.py:1);serve (server.py:%d);handle_%d_%d (handlers.py:%d) %d\n", i%50, salt, i, i%90, c)
		sum += c
	}
	return b.Bytes(), sum
}

func loadWith(t *testing.T, name string, data []byte, opt Options) (*Source, *memSink, error) {
	t.Helper()
	in := bytesInput(name, data)
	sink := &memSink{}
	err := Load(context.Background(), in, ProfileFormats(), sink, opt)
	return in.Src, sink, err
}

func sampleTotal(p *profile.Profile) *big.Int {
	sum := new(big.Int)
	for _, s := range p.Sample {
		sum.Add(sum, big.NewInt(s.Value[0]))
	}
	return sum
}

// One budget is shared by every load of a run: what one source keeps
// counts against the next, in sequence and in parallel.
func TestBudgetSharedByLoads(t *testing.T) {
	data, _ := distinctFolded(20000, 0)
	solo := NewBudget(1 << 40)
	if _, _, err := loadWith(t, "solo.folded", data, Options{Budget: solo}); err != nil {
		t.Fatal(err)
	}
	kept := solo.InUse() // what one copy holds for the run
	if kept == 0 {
		t.Fatal("a loaded folded file holds nothing against the budget")
	}
	t.Run("sequence", func(t *testing.T) {
		b := NewBudget(kept * 3 / 2)
		if _, _, err := loadWith(t, "a.folded", data, Options{Budget: b}); err != nil {
			t.Fatal(err)
		}
		src, sink, err := loadWith(t, "b.folded", data, Options{Budget: b})
		wantBudgetError(t, err, kept*3/2)
		if !strings.HasPrefix(err.Error(), "b.folded: folded: line ") || len(sink.profiles) != 0 || src.Err() == nil {
			t.Errorf("second load: %v, %d profiles", err, len(sink.profiles))
		}
		if b.InUse() != kept {
			t.Errorf("%d bytes in use after one load of %d and one refused", b.InUse(), kept)
		}
	})
	for _, tc := range []struct {
		name   string
		limit  int64
		loaded int // how many of the two load
	}{
		{"both fit", 2*kept + 4096, 2},
		{"one fits", kept * 3 / 2, 1},
	} {
		t.Run("parallel/"+tc.name, func(t *testing.T) {
			b := NewBudget(tc.limit)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			start := make(chan struct{})
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, _, errs[i] = loadWith(t, fmt.Sprintf("p%d.folded", i), data, Options{Budget: b})
				}()
			}
			close(start)
			wg.Wait()
			loaded := 0
			for _, err := range errs {
				if err == nil {
					loaded++
				} else {
					wantBudgetError(t, err, tc.limit)
				}
			}
			if loaded != tc.loaded {
				t.Errorf("%d of 2 loaded in %d bytes (one needs %d): %v", loaded, tc.limit, kept, errs)
			}
			if b.InUse() != int64(loaded)*kept {
				t.Errorf("%d bytes in use after %d loads of %d each", b.InUse(), loaded, kept)
			}
		})
	}
}

// pprofBomb is a profile.proto whose string table holds one string of n
// zero bytes, gzipped: a few bytes of valid profile, then a gzip bomb.
func pprofBomb(t testing.TB, n int) []byte {
	var raw bytes.Buffer
	raw.Write([]byte{0x0a, 0x04, 0x08, 0x01, 0x10, 0x02}) // sample_type {type: 1, unit: 2}
	raw.Write([]byte{0x32, 0x00})                         // string_table[0] = ""
	raw.WriteByte(0x32)
	raw.Write(binary.AppendUvarint(nil, uint64(n)))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw.Bytes())
	zero := make([]byte, 1<<20)
	for left := n; left > 0; left -= len(zero) {
		zw.Write(zero[:min(left, len(zero))])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return gz.Bytes()
}

// A gzip bomb stops at the budget with the clear error, having read (and
// allocated) about the budget and not its decompressed size, while a real
// profile loading beside it loads; the cap of whole documents
// (-max-input) counts decompressed bytes too.
func TestGzipBombOverBudget(t *testing.T) {
	const limit = 16 << 20
	bomb := pprofBomb(t, 96<<20)
	if len(bomb) > 200<<10 {
		t.Fatalf("the bomb is %d bytes gzipped", len(bomb))
	}
	good, err := os.ReadFile("../cmd/hotpath/demo/data/workload/cpu.pprof")
	if err != nil {
		t.Fatal(err)
	}
	b := NewBudget(limit)
	errs := make([]error, 2)
	sinks := []*memSink{{}, {}}
	_, allocated := heapDelta(func() any {
		var wg sync.WaitGroup
		for i, data := range [][]byte{bomb, good} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = Load(context.Background(), bytesInput([]string{"bomb.pprof", "cpu.pprof"}[i], data), ProfileFormats(), sinks[i], Options{Budget: b})
			}()
		}
		wg.Wait()
		return nil
	})
	wantBudgetError(t, errs[0], limit)
	if !strings.Contains(errs[0].Error(), "bomb.pprof: pprof: reading the document (") {
		t.Errorf("bomb: %v", errs[0])
	}
	if errs[1] != nil || len(sinks[1].profiles) != 1 || len(sinks[1].profiles[0].Sample) == 0 {
		t.Fatalf("the profile beside the bomb: %v", errs[1])
	}
	if allocated > 2*limit {
		t.Errorf("loading a 96 MiB bomb beside a %d-byte profile allocated %d MiB, budget %d MiB", len(good), allocated>>20, limit>>20)
	}
	if b.InUse() <= 0 || b.InUse() > 1<<20 {
		t.Errorf("%d bytes in use afterwards: want the real profile's, a few hundred KB", b.InUse())
	}
	_, _, err = loadWith(t, "bomb.pprof", bomb, Options{MaxWholeInput: 8 << 20})
	if err == nil || !strings.Contains(err.Error(), "input is larger than 8388608 bytes") {
		t.Errorf("-max-input 8 MiB, a bomb of 96 MiB decompressed: %v", err)
	}
}

// recordedProfiles are real profiles: the ones committed under testdata,
// the demo's, and a heap profile of this test with every allocation
// recorded (thousands of distinct stacks).
func recordedProfiles(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	for _, g := range []string{"../testdata/scenarios/*/*.pprof", "../testdata/scenarios/*/artifacts/*.pprof", "../cmd/hotpath/demo/data/*/*.pprof"} {
		m, _ := filepath.Glob(g)
		for _, f := range m {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[f] = b
		}
	}
	if len(out) < 10 {
		t.Fatalf("%d profiles under testdata", len(out))
	}
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	for i := range 12000 {
		allocAt(4, i*7919)
	}
	var buf bytes.Buffer
	err := pprof.Lookup("allocs").WriteTo(&buf, 0)
	runtime.MemProfileRate = old
	if err != nil {
		t.Fatal(err)
	}
	out["recorded allocs"] = buf.Bytes()
	for k, b := range out {
		if len(b) > 1 && b[0] == 0x1f {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if out[k], err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

var allocSink [][]byte

// allocAt allocates at the end of one of 16^depth call paths.
//
//go:noinline
func allocAt(depth, path int) {
	if depth == 0 {
		allocSink = append(allocSink, make([]byte, 16), make([]byte, 48))
		return
	}
	switch path % 16 {
	case 0:
		allocAt(depth-1, path/16)
	case 1:
		allocAt(depth-1, path/16)
	case 2:
		allocAt(depth-1, path/16)
	case 3:
		allocAt(depth-1, path/16)
	case 4:
		allocAt(depth-1, path/16)
	case 5:
		allocAt(depth-1, path/16)
	default:
		allocAt(depth-1, path/16)
	}
}

// What a pprof profile reserves before it is parsed is what the parsed
// profile holds on the heap, or a little more.
func TestPprofCost(t *testing.T) {
	profiles := recordedProfiles(t)
	defer func() { allocSink = nil }()
	for name, data := range profiles {
		live, _, _, ok := pprofCost(data)
		if !ok {
			t.Errorf("%s: not walked as a protobuf", name)
			continue
		}
		// Small profiles are parsed many times over, kept together, so
		// that they weigh more than the heap's noise.
		copies := max(1, (1<<20)/len(data))
		measured, _ := heapDelta(func() any {
			ps := make([]*profile.Profile, copies)
			for i := range ps {
				p, err := profile.ParseData(data)
				if err != nil {
					t.Fatal(err)
				}
				ps[i] = p
			}
			return ps
		})
		measured = (measured - int64(8*copies)) / int64(copies)
		if r := float64(live) / float64(measured); r < 1 || r > 1.5 {
			t.Errorf("%s (%d bytes): reserves %d for a profile of %d bytes on the heap (%.2f×)", name, len(data), live, measured, r)
		}
	}
}

// Identical folded stacks cost one sample, however many lines repeat
// them; distinct ones what they are on the heap, reserved before they are.
func TestFoldedCostsItsDistinctStacks(t *testing.T) {
	app := readTestdata(t, "app.folded")
	line := string(app[:bytes.IndexByte(app, '\n')+1]) // a real py-spy stack
	fields := strings.Fields(line)
	count, err := strconv.ParseInt(fields[len(fields)-1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	const repeats = 200000
	identical := bytes.Repeat([]byte(line), repeats)
	distinct, distinctSum := distinctFolded(100000, 1)
	for _, tc := range []struct {
		name    string
		data    []byte
		samples int
		sum     int64
	}{
		{"identical", identical, 1, repeats * count},
		{"distinct", distinct, 100000, distinctSum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBudget(1 << 40)
			var sink *memSink
			live, allocated := heapDelta(func() any {
				var err error
				var src *Source
				src, sink, err = loadWith(t, tc.name+".folded", tc.data, Options{Budget: b})
				if err != nil {
					t.Fatal(err)
				}
				if src.Events() != int64(bytes.Count(tc.data, []byte{'\n'})) {
					t.Errorf("%d events from %d lines", src.Events(), bytes.Count(tc.data, []byte{'\n'}))
				}
				return sink
			})
			p := sink.profiles[0]
			if len(p.Sample) != tc.samples || sampleTotal(p).Int64() != tc.sum {
				t.Errorf("%d samples summing to %v, want %d summing to %d", len(p.Sample), sampleTotal(p), tc.samples, tc.sum)
			}
			reserved := b.InUse()
			switch tc.name {
			case "identical":
				if reserved > 16<<10 || live > 64<<10 {
					t.Errorf("%d MB of one stack repeated: %d bytes reserved, %d on the heap", len(tc.data)>>20, reserved, live)
				}
				// Streaming: the buffers of Load, nothing per line.
				_, allocatedQuarter := heapDelta(func() any {
					_, sink, _ := loadWith(t, "quarter.folded", tc.data[:len(tc.data)/4], Options{Budget: NewBudget(1 << 40)})
					return sink
				})
				if d := allocated - allocatedQuarter; d > 1<<20 {
					t.Errorf("%d MB of one stack repeated allocated %d MB, a quarter of it %d MB", len(tc.data)>>20, allocated>>20, allocatedQuarter>>20)
				}
			case "distinct":
				// Less what is reserved for the views of each function.
				parsed := reserved - viewsFunctionCost*int64(len(p.Function))
				if r := float64(parsed) / float64(live); r < 0.9 || r > 1.5 {
					t.Errorf("reserved %d for %d bytes on the heap (%.2f×)", parsed, live, r)
				}
			}
		})
	}
}

// Counts and weights saturate: no sample value is negative, and the
// values of one profile add up to at most 2^63-1, so no sum a view takes
// overflows; the source says where the values were cut.
func TestCountsSaturate(t *testing.T) {
	max := strconv.FormatInt(math.MaxInt64, 10)
	for _, tc := range []struct {
		name, data string
		want       []int64 // sample values, in order
		warn       string
	}{
		{"folded: two 2^63-1 on one stack", "main;a;b " + max + "\nmain;a;b " + max + "\n", []int64{math.MaxInt64}, "from line 2 on"},
		{"folded: past int64", "main;a 99999999999999999999999\nmain;c 5\n", []int64{math.MaxInt64}, "from line 1 on"},
		{"folded: two stacks of 2^63-1", "main;a " + max + "\nmain;b " + max + "\nmain;c 1\n", []int64{math.MaxInt64}, "from line 2 on"},
		{"folded: within int64", "main;a " + strconv.FormatInt(math.MaxInt64/2, 10) + "\nmain;a " + strconv.FormatInt(math.MaxInt64/2, 10) + "\n", []int64{math.MaxInt64 - 1}, ""},
		{"speedscope: huge weights", `{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"}]},"profiles":[{"type":"sampled","name":"t","unit":"none","samples":[[0,1],[0],[0,1]],"weights":[1e300,1e300,-5]}]}`,
			[]int64{math.MaxInt64}, "from profile 0, sample 0 on"},
		{"speedscope: evented, far apart", `{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"}]},"profiles":[{"type":"evented","name":"t","unit":"seconds","startValue":0,"events":[{"type":"O","at":0,"frame":0},{"type":"C","at":1e12,"frame":0}]}]}`,
			[]int64{math.MaxInt64}, "from profile 0, event 1 on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, sink, err := loadBytes(t, "x", []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			p := sink.profiles[0]
			var got []int64
			for _, s := range p.Sample {
				got = append(got, s.Value[0])
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("values %v, want %v", got, tc.want)
			}
			for _, v := range got {
				if v < 0 {
					t.Errorf("negative value %d", v)
				}
			}
			if sampleTotal(p).Cmp(big.NewInt(math.MaxInt64)) > 0 {
				t.Errorf("values add up to %v, past int64", sampleTotal(p))
			}
			w := strings.Join(src.Warnings(), "; ")
			if tc.warn == "" && w != "" || !strings.Contains(w, tc.warn) {
				t.Errorf("warnings %q, want one saying %q", w, tc.warn)
			}
		})
	}
}

// Identical speedscope samples merge, keeping every weight: the real
// sampled profile repeated 50 times gives the same stacks, 50 times heavier,
// summed here from the JSON itself.
func TestSpeedscopeMergesStacks(t *testing.T) {
	data := readTestdata(t, "app.speedscope.json")
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var sampled map[string]any
	for _, p := range doc["profiles"].([]any) {
		if p.(map[string]any)["type"] == "sampled" {
			sampled = p.(map[string]any)
			doc["profiles"] = []any{sampled}
			break
		}
	}
	if sampled == nil {
		t.Fatal("no sampled profile in app.speedscope.json")
	}
	samples, weights := sampled["samples"].([]any), sampled["weights"].([]any)
	distinct := map[string]bool{}
	var want float64
	for i, s := range samples {
		distinct[fmt.Sprint(s)] = true
		want += weights[i].(float64)
	}
	const times = 50
	var rs, rw []any
	for range times {
		rs, rw = append(rs, samples...), append(rw, weights...)
	}
	sampled["samples"], sampled["weights"] = rs, rw
	repeated, _ := json.Marshal(doc)
	_, _, scale := speedscopeScale(sampled["unit"].(string))
	b := NewBudget(1 << 40)
	src, sink, err := loadWith(t, "x.speedscope.json", repeated, Options{Budget: b})
	if err != nil {
		t.Fatal(err)
	}
	p := sink.profiles[0]
	if len(p.Sample) != len(distinct) || src.Events() != int64(len(rs)) {
		t.Errorf("%d samples, %d events from %d samples of %d distinct stacks", len(p.Sample), src.Events(), len(rs), len(distinct))
	}
	if got, w := sampleTotal(p).Int64(), int64(want*times*scale); got < w-int64(len(rs)) || got > w {
		t.Errorf("total %d, want %d (the weights summed, truncated per sample)", got, w)
	}
	if b.InUse() == 0 || b.InUse() > 1<<20 {
		t.Errorf("%d bytes reserved for %d distinct stacks", b.InUse(), len(distinct))
	}
}

// An endless folded body over HTTP stops at the budget when its stacks are
// distinct, and at the HTTP size cap when they repeat, in a fraction of a
// second either way.
func TestEndlessFoldedOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		for i := 0; r.Context().Err() == nil; i++ {
			line := "main;serve;handle 1\n"
			if r.URL.Path == "/distinct" {
				line = fmt.Sprintf("main;serve;handle_%d 1\n", i)
			}
			if _, err := io.WriteString(w, line); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		path string
		opt  Options
		want string
	}{
		{"/distinct", Options{Budget: NewBudget(4 << 20)}, "would need more than the 4.0 MiB memory budget (-max-memory)"},
		{"/same", Options{Budget: NewBudget(4 << 20), MaxHTTPBody: 8 << 20}, "response is larger than 8388608 bytes"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			start := time.Now()
			ins := Expand([]string{srv.URL + tc.path}, nil)
			err := Load(context.Background(), ins[0], ProfileFormats(), &memSink{}, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %s", d)
			}
			if u := tc.opt.Budget.InUse(); u != 0 {
				t.Errorf("%d bytes still reserved after the source failed", u)
			}
		})
	}
}
