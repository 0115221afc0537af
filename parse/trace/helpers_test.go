package trace

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"

	"github.com/google/pprof/profile"

	"hotpath/parse"
)

type ioReadCloser = io.ReadCloser

func nopCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

// collect is a parse.Sink that keeps everything.
type collect struct {
	mu         sync.Mutex
	profiles   []*profile.Profile
	spans      []*parse.Span
	stalls     []*parse.Stall
	goroutines []parse.GoroutineStat
}

func (c *collect) Profile(_ *parse.Source, p *profile.Profile) {
	c.mu.Lock()
	c.profiles = append(c.profiles, p)
	c.mu.Unlock()
}
func (c *collect) Statement(*parse.Source, *parse.Statement) {}
func (c *collect) Conn(*parse.Source, *parse.ConnEvent)      {}
func (c *collect) Span(_ *parse.Source, sp *parse.Span) {
	c.mu.Lock()
	c.spans = append(c.spans, sp)
	c.mu.Unlock()
}
func (c *collect) Stall(_ *parse.Source, st *parse.Stall) {
	c.mu.Lock()
	c.stalls = append(c.stalls, st)
	c.mu.Unlock()
}
func (c *collect) Goroutines(_ *parse.Source, gs []parse.GoroutineStat) {
	c.mu.Lock()
	c.goroutines = append(c.goroutines, gs...)
	c.mu.Unlock()
}

func jsonIndent(dst *bytes.Buffer, src []byte) error { return json.Indent(dst, src, "", "  ") }
