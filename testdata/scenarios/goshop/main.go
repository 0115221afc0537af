// Command goshop is a small Go shop service on PostgreSQL (pgx) with six
// performance problems planted on purpose next to healthy twins, plus the
// helpers that record it (see README.md and record.sh):
//
//	goshop serve    the service (records CPU/block/mutex profiles, an execution trace, OTLP spans)
//	goshop upstream a local TLS upstream (httptest) for the outbound calls
//	goshop receiver a tiny OTLP/HTTP receiver writing what it gets as OTLP JSON lines
//	goshop load     the load driver (fixed request counts per endpoint)
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: goshop serve|upstream|receiver|load [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "upstream":
		err = upstream(os.Args[2:])
	case "receiver":
		err = receiver(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "goshop:", err)
		os.Exit(1)
	}
}
