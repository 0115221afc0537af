// Package demo embeds the data `hotpath demo` opens: profiles recorded from
// the real workload in ./workload (see its doc comment to re-record).
package demo

import (
	"bytes"
	"embed"
	"io"
	"io/fs"
	"path"

	"hotpath/parse"
)

//go:embed data
var data embed.FS

// Inputs returns one input per embedded file, named "demo/<file>".
func Inputs() []*parse.Input {
	var out []*parse.Input
	_ = fs.WalkDir(data, "data", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := data.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, parse.NewInput("demo/"+path.Base(p), int64(len(b)), func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		}))
		return nil
	})
	return out
}
