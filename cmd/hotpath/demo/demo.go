// Package demo embeds the data `hotpath demo` opens, all recorded from real
// programs:
//   - "goshop", the default: a Go HTTP service on PostgreSQL with pgx (CPU,
//     block and mutex profiles, an execution trace, OTLP spans, the
//     PostgreSQL log);
//   - "pyshop": a Python asyncio service with aiohttp and SQLAlchemy (the
//     PostgreSQL, SQLAlchemy and asyncio logs, a sampled profile, spans);
//   - "workload": profiles of the small Go workload in ./workload (see its
//     doc comment to re-record).
//
// The two services live in testdata/scenarios with their generators; sync.sh
// copies their artifacts here.
package demo

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"hotpath/parse"
)

//go:embed data
var data embed.FS

// Names lists the demos; the first is the default.
var Names = []string{"goshop", "pyshop", "workload"}

// Inputs returns one input per file of the named demo ("" for the default),
// named "demo/<name>/<file>".
func Inputs(name string) ([]*parse.Input, error) {
	if name == "" {
		name = Names[0]
	}
	found := false
	for _, n := range Names {
		found = found || n == name
	}
	if !found {
		return nil, fmt.Errorf("no demo %q (there are: %s)", name, strings.Join(Names, ", "))
	}
	dir := "data/" + name
	var out []*parse.Input
	err := fs.WalkDir(data, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := data.ReadFile(p)
		if err != nil {
			return err
		}
		prefix := "demo/" + name + "/"
		out = append(out, parse.NewInput(prefix+path.Base(p), int64(len(b)), func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		}))
		return nil
	})
	return out, err
}
