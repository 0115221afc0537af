package report

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"hotpath/views"
	"hotpath/views/querydigest"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// textQueryRows bounds the query profile of the text and Markdown reports.
const textQueryRows = 20

// queriesJSON fills the report's "queries" and "connections" sections.
func queriesJSON(r *Report, v *views.Views) {
	d := v.Queries
	if d == nil {
		return
	}
	for _, q := range d.Queries {
		j := q.JSON()
		r.Queries = append(r.Queries, Query{ID: j.ID, Fingerprint: j.Fingerprint, Count: j.Count,
			TotalMS: j.TotalMs, MeanMS: j.MeanMs, P50MS: j.P50Ms, P95MS: j.P95Ms, P99MS: j.P99Ms,
			MaxMS: j.MaxMs, Rows: j.Rows, DistinctParams: j.DistinctParams, Example: j.Example})
	}
	c := d.Connections.JSON()
	r.Connections = Connections{Opened: c.Opened, Closed: c.Closed, MeanSessionMS: c.MeanSessionMs}
}

func dur(d time.Duration) string { return units.Duration(d) }

// share is a query's part of all statement time.
func share(q querydigest.Query, d *querydigest.Digest) string {
	if d.TotalTime <= 0 {
		return "-"
	}
	return units.Share(float64(q.Total) / float64(d.TotalTime))
}

func timedDur(q querydigest.Query, d time.Duration) string {
	if q.Timed == 0 {
		return "-"
	}
	return dur(d)
}

func querySummary(d *querydigest.Digest) string {
	s := fmt.Sprintf("%d statements (%d timed), %d fingerprints, %s of statement time", d.Statements, d.Timed, d.Fingerprints, dur(d.TotalTime))
	if d.Overflow > 0 {
		s += fmt.Sprintf("; %d statements of fingerprints past the limit counted as \"other\"", d.Overflow)
	}
	return s
}

func connSummary(c querydigest.Connections) string {
	s := fmt.Sprintf("Connections: %d opened, %d closed", c.Opened, c.Closed)
	if c.Reused > 0 {
		s += fmt.Sprintf(", %d pool checkouts reused", c.Reused)
	}
	if c.SessionsTimed > 0 {
		s += fmt.Sprintf("; sessions last %s on average (p95 %s)", dur(c.MeanSession), dur(c.P95Session))
	}
	if c.Sessions > 0 {
		s += fmt.Sprintf("; %.1f statements per session", c.StatementsPerSession)
	}
	return s
}

// writeQueriesText prints a pt-query-digest-like profile.
func writeQueriesText(w io.Writer, v *views.Views) {
	d := v.Queries
	if d == nil {
		return
	}
	fmt.Fprintf(w, "\nQueries\n%s\n%s\n", querySummary(d), connSummary(d.Connections))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rank\ttotal\tshare\tcalls\tmean\tp95\tid\t\t")
	for i, q := range d.Queries {
		if i == textQueryRows {
			break
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t\t%s\n", i+1, timedDur(q, q.Total), share(q, d), q.Count,
			timedDur(q, q.Mean), timedDur(q, q.P95), q.ID, termsafe.Line(cut(q.Fingerprint, 100)))
	}
	tw.Flush()
	if n := len(d.Queries) - textQueryRows; n > 0 {
		fmt.Fprintf(w, "  … %d more fingerprints (JSON report lists all)\n", n)
	}
}

func writeQueriesMarkdown(w io.Writer, v *views.Views) {
	d := v.Queries
	if d == nil {
		return
	}
	fmt.Fprintf(w, "\n## Queries\n\n%s. %s.\n\n", querySummary(d), connSummary(d.Connections))
	fmt.Fprintln(w, "| rank | total | share | calls | mean | p95 | fingerprint |\n| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for i, q := range d.Queries {
		if i == textQueryRows {
			break
		}
		fmt.Fprintf(w, "| %d | %s | %s | %d | %s | %s | %s |\n", i+1, timedDur(q, q.Total), share(q, d), q.Count,
			timedDur(q, q.Mean), timedDur(q, q.P95), termsafe.MarkdownCodeCell(cut(q.Fingerprint, 160)))
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
