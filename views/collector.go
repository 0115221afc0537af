// Package views turns what parse decoded into the things a person looks at:
// hotspots, query digests, traces, findings. Everything here is a pure
// function of the collected data: no I/O, no terminal.
package views

import (
	"sync"

	"github.com/google/pprof/profile"

	"hotpath/parse"
	"hotpath/views/detect"
	"hotpath/views/querydigest"
)

// QueryAggregator digests statements and connection events as they stream
// past, in bounded memory.
type QueryAggregator interface {
	Statement(src *parse.Source, st *parse.Statement)
	Conn(src *parse.Source, ev *parse.ConnEvent)
}

// SourceProfile is a profile and the source it came from.
type SourceProfile struct {
	Source  *parse.Source
	Profile *profile.Profile
}

// Collector is the Dataset: it receives everything the sources yield and is
// safe for concurrent use by several loading sources.
type Collector struct {
	mu         sync.Mutex
	sources    []*parse.Source
	profiles   []SourceProfile
	spans      []*parse.Span
	spanSrc    map[*parse.Span]*parse.Source
	stalls     []*parse.Stall
	goroutines []parse.GoroutineStat
	queries    []QueryAggregator
	finders    []FindingSource
}

// FindingSource is a streaming detector whose findings Build collects.
type FindingSource interface {
	Findings() []*detect.Finding
}

// NewStandardCollector is the collector hotpath runs with: statements go to
// the query digest, which hands each one, fingerprinted, to the SQL
// detectors (one fingerprint per statement, not one per consumer).
func NewStandardCollector(opt Options) *Collector {
	digest := querydigest.New(querydigest.Options{})
	if opt.NoDetect {
		return NewCollector(digest)
	}
	sqlDet := detect.NewSQLDetector(opt.SQL)
	digest.AddObserver(sqlDet)
	c := NewCollector(digest)
	c.finders = append(c.finders, sqlDet)
	return c
}

// NewCollector returns an empty collector that streams statements to each
// of qs (the digest, the SQL detectors); nil entries are ignored.
func NewCollector(qs ...QueryAggregator) *Collector {
	c := &Collector{}
	for _, q := range qs {
		if q != nil {
			c.queries = append(c.queries, q)
		}
	}
	return c
}

// AddSource registers a source so that it is listed even if it fails to load.
func (c *Collector) AddSource(src *parse.Source) {
	c.mu.Lock()
	c.sources = append(c.sources, src)
	c.mu.Unlock()
}

// Profile implements parse.Sink.
func (c *Collector) Profile(src *parse.Source, p *profile.Profile) {
	c.mu.Lock()
	c.profiles = append(c.profiles, SourceProfile{src, p})
	c.mu.Unlock()
}

// Statement implements parse.Sink.
func (c *Collector) Statement(src *parse.Source, st *parse.Statement) {
	for _, q := range c.queries {
		q.Statement(src, st)
	}
}

// Conn implements parse.Sink.
func (c *Collector) Conn(src *parse.Source, ev *parse.ConnEvent) {
	for _, q := range c.queries {
		q.Conn(src, ev)
	}
}

// Span implements parse.Sink.
func (c *Collector) Span(src *parse.Source, sp *parse.Span) {
	c.mu.Lock()
	c.spans = append(c.spans, sp)
	if c.spanSrc == nil {
		c.spanSrc = map[*parse.Span]*parse.Source{}
	}
	c.spanSrc[sp] = src
	c.mu.Unlock()
}

// spanSources maps each collected span to the source it came from.
func (c *Collector) spanSources() map[*parse.Span]*parse.Source {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[*parse.Span]*parse.Source, len(c.spanSrc))
	for k, v := range c.spanSrc {
		out[k] = v
	}
	return out
}

// Stall implements parse.Sink.
func (c *Collector) Stall(_ *parse.Source, st *parse.Stall) {
	c.mu.Lock()
	c.stalls = append(c.stalls, st)
	c.mu.Unlock()
}

// Goroutines implements parse.Sink.
func (c *Collector) Goroutines(_ *parse.Source, gs []parse.GoroutineStat) {
	c.mu.Lock()
	c.goroutines = append(c.goroutines, gs...)
	c.mu.Unlock()
}

// Sources lists every registered source in registration order.
func (c *Collector) Sources() []*parse.Source {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*parse.Source(nil), c.sources...)
}

// Profiles lists the profiles collected so far.
func (c *Collector) Profiles() []SourceProfile {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]SourceProfile(nil), c.profiles...)
}

// Spans lists the spans collected so far.
func (c *Collector) Spans() []*parse.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*parse.Span(nil), c.spans...)
}

// Stalls lists the event-loop stalls collected so far.
func (c *Collector) Stalls() []*parse.Stall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*parse.Stall(nil), c.stalls...)
}

// GoroutineStats lists the goroutine summaries collected so far.
func (c *Collector) GoroutineStats() []parse.GoroutineStat {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]parse.GoroutineStat(nil), c.goroutines...)
}
