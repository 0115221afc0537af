// Package demo embeds the data `hotpath demo` opens, all recorded from real
// programs:
//   - the default: profiles of the Go workload in ./workload (see its doc
//     comment to re-record);
//   - "goshop": a Go HTTP service on PostgreSQL with pgx (CPU, block and
//     mutex profiles, an execution trace, OTLP spans, the PostgreSQL log);
//   - "pyshop": a Python asyncio service with aiohttp and SQLAlchemy (the
//     PostgreSQL, SQLAlchemy and asyncio logs, a sampled profile, spans).
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

// Names lists the demos besides the default one.
var Names = []string{"goshop", "pyshop"}

// Inputs returns one input per file of the named demo ("" for the default),
// named "demo/<file>".
func Inputs(name string) ([]*parse.Input, error) {
	dir := "data"
	if name != "" {
		found := false
		for _, n := range Names {
			found = found || n == name
		}
		if !found {
			return nil, fmt.Errorf("no demo %q (there are: the default, %s)", name, strings.Join(Names, ", "))
		}
		dir = "data/" + name
	}
	var out []*parse.Input
	err := fs.WalkDir(data, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir {
				return fs.SkipDir // the named demos live in subdirectories
			}
			return nil
		}
		b, err := data.ReadFile(p)
		if err != nil {
			return err
		}
		prefix := "demo/"
		if name != "" {
			prefix += name + "/"
		}
		out = append(out, parse.NewInput(prefix+path.Base(p), int64(len(b)), func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		}))
		return nil
	})
	return out, err
}
