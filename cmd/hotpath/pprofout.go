package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"hotpath/views"
	"hotpath/views/termsafe"
)

// writeDerivedProfiles writes the profiles derived from Go execution
// traces (sample types "net/delay", "sync/delay" …) into dir as
// <trace>-<kind>.pb.gz, which `go tool pprof` opens.
func writeDerivedProfiles(dir string, profiles []views.SourceProfile, stderr io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-pprof-out: %w", err)
	}
	n := 0
	used := map[string]int{}
	for _, sp := range profiles {
		if sp.Source.Format() != "go-trace" || len(sp.Profile.SampleType) == 0 {
			continue
		}
		kind, _, _ := strings.Cut(sp.Profile.SampleType[len(sp.Profile.SampleType)-1].Type, "/")
		base := strings.TrimSuffix(filepath.Base(sp.Source.Path), filepath.Ext(sp.Source.Path))
		name := fmt.Sprintf("%s-%s", sanitizeName(base), sanitizeName(kind))
		if used[name]++; used[name] > 1 {
			name = fmt.Sprintf("%s-%d", name, used[name])
		}
		path := filepath.Join(dir, name+".pb.gz")
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("-pprof-out: %w", err)
		}
		err = sp.Profile.Write(f) // gzipped protobuf
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("-pprof-out: writing %s: %w", path, err)
		}
		n++
	}
	if n == 0 {
		fmt.Fprintln(stderr, "hotpath: -pprof-out: no Go execution trace among the inputs, nothing written")
	}
	return nil
}

// sanitizeName makes an input's base name a safe file name: no path
// separators, and nothing termsafe would keep off a terminal (an ESC in a
// file name lands in the listing of whoever opens the directory).
func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || !termsafe.Safe(r) {
			return '_'
		}
		return r
	}, s)
}
