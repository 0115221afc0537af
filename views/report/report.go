// Package report renders the views without a terminal: JSON (the stable
// schema of README.md's "JSON report"), plain text and Markdown.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"hotpath/views"
	"hotpath/views/detect"
	"hotpath/views/termsafe"
	"hotpath/views/traces"
)

// Report is the JSON document. Field names and meanings are a contract:
// fields may be added, none may change meaning. Sections without data are
// empty, never missing.
type Report struct {
	Sources     []Source    `json:"sources"`
	Findings    []Finding   `json:"findings"`
	Queries     []Query     `json:"queries"`
	Hotspots    []Hotspot   `json:"hotspots"`
	Connections Connections `json:"connections"`
	Traces      Traces      `json:"traces"`
}

// Source is one input and what reading it found.
type Source struct {
	Path        string   `json:"path"`
	Format      string   `json:"format"`
	Events      int64    `json:"events"`
	Bytes       int64    `json:"bytes"`
	Skipped     int64    `json:"skipped"`
	Warnings    []string `json:"warnings"`
	Compression string   `json:"compression,omitempty"`
	// ConnectionEvents counts a SQL log's connection lifecycle events
	// (received, authorized, closed), which "events" (statements) leaves out.
	ConnectionEvents int64        `json:"connection_events,omitempty"`
	SkipReasons      []SkipReason `json:"skip_reasons,omitempty"`
	Error            string       `json:"error,omitempty"`
	// Notes say how the source was used ("same events as …: used once");
	// SameAs names the input whose events this one repeats.
	Notes  []string `json:"notes,omitempty"`
	SameAs string   `json:"same_as,omitempty"`
}

// SkipReason counts records skipped for one reason.
type SkipReason struct {
	Reason    string `json:"reason"`
	Count     int64  `json:"count"`
	FirstLine int64  `json:"first_line"`
}

// Location anchors a finding in code or traffic.
type Location struct {
	Function string `json:"function,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Route    string `json:"route,omitempty"`
}

// Finding is one detected problem.
type Finding struct {
	Rank            int        `json:"rank"`
	ID              string     `json:"id"`
	Kind            string     `json:"kind"`
	Severity        string     `json:"severity"`
	Confidence      string     `json:"confidence"`
	Title           string     `json:"title"`
	AvoidableMS     float64    `json:"avoidable_ms"`
	Share           float64    `json:"share"`
	Formula         string     `json:"formula"`
	EvidenceSources []string   `json:"evidence_sources"`
	Locations       []Location `json:"locations"`
	Fingerprint     string     `json:"fingerprint,omitempty"`
	Count           int64      `json:"count"`
	Recommendation  string     `json:"recommendation"`
	// Added fields: the denominator of share, and each source's testimony.
	ObservedMS    float64    `json:"observed_ms"`
	ObservedBasis string     `json:"observed_basis,omitempty"`
	Evidence      []Evidence `json:"evidence,omitempty"`
	// Cause is what the finding is keyed by (one finding per cause);
	// Estimate says how its avoidable time was measured (measured,
	// indirect, weak, assumed); Routes the share of each affected route's
	// request time.
	Cause    string       `json:"cause,omitempty"`
	Estimate string       `json:"estimate,omitempty"`
	Routes   []RouteShare `json:"routes,omitempty"`
}

// RouteShare is what a fix saves on one route.
type RouteShare struct {
	Route       string  `json:"route"`
	AvoidableMS float64 `json:"avoidable_ms"`
	RequestMS   float64 `json:"request_ms,omitempty"`
	Share       float64 `json:"share,omitempty"`
}

// Evidence is one source's testimony for a finding.
type Evidence struct {
	Source   string     `json:"source"`
	What     string     `json:"what"`
	Count    int64      `json:"count,omitempty"`
	TimeMS   float64    `json:"time_ms,omitempty"`
	Examples []string   `json:"examples,omitempty"`
	Stack    []Location `json:"stack,omitempty"`
	TraceID  string     `json:"trace_id,omitempty"`
}

// Query is one fingerprint's digest.
type Query struct {
	ID             string  `json:"id"`
	Fingerprint    string  `json:"fingerprint"`
	Count          int64   `json:"count"`
	TotalMS        float64 `json:"total_ms"`
	MeanMS         float64 `json:"mean_ms"`
	P50MS          float64 `json:"p50_ms"`
	P95MS          float64 `json:"p95_ms"`
	P99MS          float64 `json:"p99_ms"`
	MaxMS          float64 `json:"max_ms"`
	Rows           int64   `json:"rows"`
	DistinctParams int64   `json:"distinct_params"`
	Example        string  `json:"example"`
}

// Hotspot is one function's share of one sample type.
type Hotspot struct {
	Function   string  `json:"function"`
	File       string  `json:"file"`
	SampleType string  `json:"sample_type"`
	Flat       int64   `json:"flat"`
	FlatShare  float64 `json:"flat_share"`
	Cum        int64   `json:"cum"`
	CumShare   float64 `json:"cum_share"`
}

// Connections summarises database connection churn.
type Connections struct {
	Opened        int64   `json:"opened"`
	Closed        int64   `json:"closed"`
	MeanSessionMS float64 `json:"mean_session_ms"`
}

// Traces summarises the spans read: "traces" and "spans" as README.md
// fixes them, then requests (outermost server spans, or roots), per-route
// aggregates and the slowest requests.
type Traces struct {
	Traces         int64               `json:"traces"`
	Spans          int64               `json:"spans"`
	Requests       int64               `json:"requests"`
	MissingParents int64               `json:"missing_parents"`
	Cycles         int64               `json:"cycles"`
	Routes         []traces.RouteJSON  `json:"routes"`
	Slowest        []traces.RequestRef `json:"slowest"`
}

// Build assembles the report of v.
func Build(v *views.Views) *Report {
	r := &Report{
		Sources:  []Source{},
		Findings: []Finding{},
		Queries:  []Query{},
		Hotspots: []Hotspot{},
	}
	ts := v.TraceSummary
	r.Traces = Traces{Traces: int64(ts.Traces), Spans: int64(ts.Spans), Requests: int64(ts.Requests),
		MissingParents: int64(ts.MissingParents), Cycles: int64(ts.Cycles),
		Routes: append([]traces.RouteJSON{}, ts.Routes...), Slowest: append([]traces.RequestRef{}, ts.Slowest...)}
	for _, s := range v.Sources {
		rs := Source{Path: s.Path, Format: s.Format, Events: s.Events, Bytes: s.Bytes,
			Skipped: s.SkippedAll, Warnings: append([]string{}, s.Warnings...), Compression: s.Compression,
			ConnectionEvents: s.ConnEvents, Notes: s.Notes, SameAs: s.SameAs}
		for _, sk := range s.Skipped {
			rs.SkipReasons = append(rs.SkipReasons, SkipReason{Reason: sk.Reason, Count: sk.Count, FirstLine: sk.FirstLine})
		}
		if s.Err != nil {
			rs.Error = s.Err.Error()
		}
		r.Sources = append(r.Sources, rs)
	}
	for _, f := range v.Findings {
		r.Findings = append(r.Findings, finding(f))
	}
	if h := v.Hotspots; h != nil {
		for _, row := range h.Rows {
			r.Hotspots = append(r.Hotspots, Hotspot{Function: row.Func.Name, File: row.Func.File,
				SampleType: h.SampleType.String(), Flat: row.Flat, FlatShare: row.FlatShare, Cum: row.Cum, CumShare: row.CumShare})
		}
	}
	queriesJSON(r, v)
	return r
}

func finding(f *detect.Finding) Finding {
	out := Finding{
		Rank: f.Rank, ID: f.ID(), Kind: string(f.Kind), Severity: f.Severity.String(), Confidence: f.Confidence,
		Title: f.Title, AvoidableMS: ms(f.Avoidable), Share: f.Share, Formula: f.Formula,
		EvidenceSources: f.Sources(), Locations: []Location{}, Fingerprint: f.Fingerprint, Count: f.Count,
		Recommendation: f.Recommendation, ObservedMS: ms(f.Observed), ObservedBasis: f.Basis,
	}
	for _, l := range f.Locations {
		out.Locations = append(out.Locations, Location{Function: l.Function, File: l.File, Line: l.Line, Route: l.Route})
	}
	out.Cause, out.Estimate = f.Cause, f.Quality.String()
	for _, r := range f.Routes {
		out.Routes = append(out.Routes, RouteShare{Route: r.Route, AvoidableMS: ms(r.Avoidable), RequestMS: ms(r.Time), Share: r.Share})
	}
	for _, e := range f.Evidence {
		ev := Evidence{Source: e.Source, What: e.What, Count: e.Count, TimeMS: ms(e.Time), Examples: e.Examples, TraceID: e.TraceID}
		for _, fr := range e.Stack {
			ev.Stack = append(ev.Stack, Location{Function: fr.Function, File: fr.File, Line: fr.Line})
		}
		out.Evidence = append(out.Evidence, ev)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// Formats lists the output formats Write accepts.
var Formats = []string{"text", "md", "json"}

// Write renders r in format ("text", "md" or "json").
func Write(w io.Writer, v *views.Views, format string) error {
	switch format {
	case "json":
		// encoding/json escapes C0 controls and <, >, & but leaves C1
		// controls and bidi overrides raw; termsafe.JSON escapes those too,
		// so a report shown with cat or in an editor cannot act on it.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(Build(v)); err != nil {
			return err
		}
		_, err := w.Write(termsafe.JSON(buf.Bytes()))
		return err
	case "text", "":
		return writeText(w, v)
	case "md", "markdown":
		return writeMarkdown(w, v)
	}
	return fmt.Errorf("unknown report format %q (want text, md or json)", format)
}
