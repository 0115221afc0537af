// Command zipshop is a small Go bookshop API on PostgreSQL through GORM
// (gorm.io/driver/postgres, pgx's database/sql driver underneath), traced
// with the Zipkin Go SDK (openzipkin/zipkin-go) and reporting Zipkin v2 JSON
// over HTTP, with five performance problems planted on purpose next to
// healthy twins (see README.md). Subcommands:
//
//	zipshop api      the API (migrates and seeds its schema first; pprof on -pprof)
//	zipshop pricing  the plain-HTTP pricing service the API calls
//	zipshop zipkin   a Zipkin v2 span collector (POST /api/v2/spans) writing each report as one line
//	zipshop load     the load driver
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	var err error
	switch cmd := append(os.Args, "")[1]; cmd {
	case "api":
		err = api(os.Args[2:])
	case "pricing":
		err = pricing(os.Args[2:])
	case "zipkin":
		err = zipkinCollector(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	default:
		err = fmt.Errorf("usage: zipshop api|pricing|zipkin|load [flags] (got %q)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "zipshop:", err)
		os.Exit(1)
	}
}

func untilSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
}
