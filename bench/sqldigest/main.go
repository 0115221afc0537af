// Command sqldigest digests SQL logs with hotpath's parsers and query
// digest, for bench/sql.sh (until `hotpath report` covers it): it prints the
// counts, the top fingerprints and the throughput.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"hotpath/parse"
	"hotpath/parse/applog"
	"hotpath/parse/sqllog"
	"hotpath/views/querydigest"
)

func main() {
	top := flag.Int("top", 10, "fingerprints to list")
	asJSON := flag.Bool("json", false, "print the report's queries and connections sections as JSON")
	fold := flag.Bool("fold-ident-digits", false, "fold digits in identifiers, as pt-query-digest does")
	prefix := flag.String("log-line-prefix", "", "PostgreSQL log_line_prefix (default: inferred)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	repeat := flag.Int("repeat", 1, "digest the inputs this many times over (benchmarks); figures are per run")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var agg *querydigest.Aggregator
	var ins []*parse.Input
	start := time.Now()
	for r := 0; r < *repeat; r++ {
		agg = querydigest.New(querydigest.Options{FoldIdentDigits: *fold})
		ins = parse.Expand(flag.Args(), os.Stdin)
		var wg sync.WaitGroup
		for _, in := range ins {
			wg.Add(1)
			go func(in *parse.Input) {
				defer wg.Done()
				if err := parse.Load(context.Background(), in, append(sqllog.Formats(), applog.Formats()...), agg.Sink(), parse.Options{LogLinePrefix: *prefix}); err != nil {
					fmt.Fprintln(os.Stderr, err)
				}
			}(in)
		}
		wg.Wait()
	}
	elapsed := time.Since(start) / time.Duration(*repeat)
	d := agg.Digest()
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"queries": d.QueriesJSON(), "connections": d.Connections.JSON()})
		return // (the deferred profile stop runs)
	}
	var bytes int64
	for _, in := range ins {
		s := in.Src
		bytes += s.BytesRead()
		fmt.Printf("%s: %s, %d events, %d skipped\n", s.Path, s.Format(), s.Events(), s.SkippedTotal())
		for _, sk := range s.Skipped() {
			fmt.Printf("  skipped %d: %s (first at line %d)\n", sk.Count, sk.Reason, sk.FirstLine)
		}
	}
	c := d.Connections
	fmt.Printf("statements %d (timed %d), fingerprints %d, total %v\n", d.Statements, d.Timed, d.Fingerprints, d.TotalTime)
	fmt.Printf("connections received %d opened %d closed %d reused %d; mean session %v; %.2f statements/session\n",
		c.Received, c.Opened, c.Closed, c.Reused, c.MeanSession, c.StatementsPerSession)
	for i, q := range d.Queries {
		if i == *top {
			break
		}
		fmt.Printf("%3d %8d %10.1fms p95 %8.3fms %s %.100s\n", i+1, q.Count, float64(q.Total)/1e6, float64(q.P95)/1e6, q.ID, q.Fingerprint)
	}
	fmt.Printf("elapsed %v for %.1f MB read (%.1f MB/s)\n", elapsed.Round(time.Millisecond), float64(bytes)/1e6, float64(bytes)/1e6/elapsed.Seconds())
}
