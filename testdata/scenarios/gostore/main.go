// Command gostore is a small Go store API on PostgreSQL through database/sql
// and lib/pq, traced with OpenTelemetry (otelhttp, otelsql, otelhttptrace)
// and exported over OTLP/gRPC, with seven performance problems planted on
// purpose next to healthy twins (see README.md). Subcommands:
//
//	gostore serve     the API: migrates and bulk-loads its schema, then serves;
//	                  records CPU/block/mutex/goroutine profiles and a flight-recorder trace
//	gostore carriers  the shipping carriers' TLS API (a second process) that the API calls
//	gostore collector an OTLP/gRPC trace receiver writing OTLP JSON lines, as the Collector's file exporter does
//	gostore load      the load driver (a fixed, shuffled request plan)
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gostore serve|carriers|collector|load [flags]")
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{
		"serve": serve, "carriers": carriers, "collector": collector, "load": load,
	}
	run, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "gostore: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "gostore:", err)
		os.Exit(1)
	}
}
