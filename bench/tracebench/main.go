// Command tracebench times hotpath's derivation of the four blocking
// profiles from a Go execution trace against `go tool trace -pprof=TYPE`
// for net, sync, syscall and sched on the same file, interleaved in one
// run, and checks that the totals agree. bench/trace.sh drives it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/google/pprof/profile"

	"hotpath/parse/trace"
)

func cpuSelf() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	only := flag.Bool("only-hotpath", false, "time hotpath alone (for memory figures under /usr/bin/time -v)")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: tracebench [-rounds N] file.trace")
	}
	path := flag.Arg(0)
	fi, err := os.Stat(path)
	if err != nil {
		log.Fatal(err)
	}
	toolPath, err := exec.Command("go", "tool", "-n", "trace").Output()
	if err != nil {
		log.Fatalf("locating go tool trace: %v", err)
	}
	tool := strings.TrimSpace(string(toolPath))
	fmt.Printf("trace %s: %.1f MB\n", path, float64(fi.Size())/1e6)

	var bestRatio, bestCPURatio float64
	var ours *trace.GoTraceResult
	var theirs = map[string]*profile.Profile{}
	for r := 1; r <= *rounds; r++ {
		// hotpath: one pass, all four profiles (plus goroutines and spans).
		c0, t0 := cpuSelf(), time.Now()
		f, err := os.Open(path)
		if err != nil {
			log.Fatal(err)
		}
		res, err := trace.DeriveGoTrace(context.Background(), bufio.NewReaderSize(f, 1<<20))
		f.Close()
		if err != nil {
			log.Fatal(err)
		}
		hpWall, hpCPU := time.Since(t0), cpuSelf()-c0
		ours = res
		if *only {
			fmt.Printf("round %d: hotpath %7.2fs wall %7.2fs cpu (%d events, %d goroutines, %d spans)\n",
				r, hpWall.Seconds(), hpCPU.Seconds(), res.Events, len(res.Goroutines), len(res.Spans))
			continue
		}

		// go tool trace, once per profile kind.
		var gtWall, gtCPU time.Duration
		for _, kind := range trace.ProfileKinds {
			cmd := exec.Command(tool, "-pprof="+kind, path)
			var out bytes.Buffer
			cmd.Stdout = &out
			t := time.Now()
			if err := cmd.Run(); err != nil {
				log.Fatalf("go tool trace -pprof=%s: %v", kind, err)
			}
			gtWall += time.Since(t)
			gtCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			p, err := profile.ParseData(out.Bytes())
			if err != nil {
				log.Fatal(err)
			}
			theirs[kind] = p
		}
		ratio := gtWall.Seconds() / hpWall.Seconds()
		cpuRatio := gtCPU.Seconds() / hpCPU.Seconds()
		bestRatio = max(bestRatio, ratio)
		bestCPURatio = max(bestCPURatio, cpuRatio)
		fmt.Printf("round %d: hotpath %7.2fs wall %7.2fs cpu | go tool trace x4 %7.2fs wall %7.2fs cpu | ratio %.1fx wall, %.1fx cpu\n",
			r, hpWall.Seconds(), hpCPU.Seconds(), gtWall.Seconds(), gtCPU.Seconds(), ratio, cpuRatio)
	}
	if *only {
		return
	}
	fmt.Printf("best ratio: %.1fx wall, %.1fx cpu (target >= 2x)\n", bestRatio, bestCPURatio)

	ok := true
	for i, kind := range trace.ProfileKinds {
		oc, od := totals(ours.Profiles[i])
		tc, td := totals(theirs[kind])
		diff := 0.0
		if td != 0 {
			diff = float64(od-td) / float64(td) * 100
		}
		fmt.Printf("%-7s hotpath %8d contentions %14d ns | go tool trace %8d contentions %14d ns | %+.3f%%\n", kind, oc, od, tc, td, diff)
		if diff > 1 || diff < -1 {
			ok = false
		}
	}
	if !ok {
		fmt.Println("DISAGREEMENT with go tool trace")
		os.Exit(1)
	}
}

func totals(p *profile.Profile) (count, delay int64) {
	for _, s := range p.Sample {
		count += s.Value[0]
		delay += s.Value[1]
	}
	return
}
