// Command workload is the real program behind `hotpath demo`: a small
// service-like Go workload whose profiles are recorded with runtime/pprof.
//
// Re-record the demo data (from the repository root):
//
//	go run ./cmd/hotpath/demo/workload -out cmd/hotpath/demo/data/workload
//
// It runs for about -seconds and writes cpu.pprof, heap.pprof, block.pprof,
// mutex.pprof and goroutine.pprof. The workload is deliberately lopsided:
// one handler burns CPU on hashing, one serialises on a mutex held across a
// slow "disk" write, one allocates per request.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	out := flag.String("out", "demo-data", "directory to write the profiles to")
	seconds := flag.Float64("seconds", 4, "how long to run the workload")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	runtime.SetBlockProfileRate(int(10 * time.Microsecond))
	runtime.SetMutexProfileFraction(1)
	runtime.MemProfileRate = 64 << 10

	cpu, err := os.Create(filepath.Join(*out, "cpu.pprof"))
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		log.Fatal(err)
	}
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	srv := newServer()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				srv.handle(fmt.Sprintf("/req/%d/%d", w, i), i)
			}
		}(w)
	}
	wg.Wait()
	pprof.StopCPUProfile()
	cpu.Close()
	for _, name := range []string{"heap", "block", "mutex", "goroutine"} {
		f, err := os.Create(filepath.Join(*out, name+".pprof"))
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	fmt.Println("wrote profiles to", *out, "after", srv.requests, "requests")
}

type server struct {
	mu       sync.Mutex // guards the audit log; held across its "disk" write
	audit    []string
	requests int
	cache    map[string][]byte
}

func newServer() *server { return &server{cache: map[string][]byte{}} }

// handle routes one request the way a small HTTP service would.
func (s *server) handle(path string, i int) {
	switch i % 4 {
	case 0, 1:
		s.renderReport(path)
	case 2:
		s.searchCatalog(path)
	default:
		s.recordAudit(path)
	}
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
}

// renderReport marshals a report and signs it: the CPU hotspot.
func (s *server) renderReport(path string) {
	rows := make([]map[string]any, 200)
	for i := range rows {
		rows[i] = map[string]any{"id": i, "path": path, "amount": float64(i) * 1.5, "tags": []string{"a", "b"}}
	}
	body, _ := json.Marshal(rows)
	sum := sha256.Sum256(body)
	for i := 0; i < 200; i++ {
		sum = sha256.Sum256(sum[:])
	}
	_ = sum
}

var wordRE = regexp.MustCompile(`[a-z]+[0-9]*`)

// searchCatalog scans and sorts: allocation-heavy.
func (s *server) searchCatalog(path string) {
	var words []string
	for i := 0; i < 300; i++ {
		words = append(words, wordRE.FindAllString(strings.Repeat(path+" item"+fmt.Sprint(i)+" ", 3), -1)...)
	}
	sort.Strings(words)
}

// recordAudit appends to the audit log under the lock, including a slow
// write: every other request queues behind it.
func (s *server) recordAudit(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit = append(s.audit, path)
	slowDiskWrite()
}

func slowDiskWrite() { time.Sleep(2 * time.Millisecond) }
