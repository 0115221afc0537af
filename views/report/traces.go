package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"hotpath/views"
	"hotpath/views/termsafe"
)

// textRouteRows caps the per-route table of the text and Markdown reports.
const textRouteRows = 15

func traceSummaryLine(v *views.Views) string {
	s := v.TraceSummary
	line := fmt.Sprintf("%d traces, %d spans, %d requests", s.Traces, s.Spans, s.Requests)
	if s.MissingParents > 0 || s.Cycles > 0 {
		line += fmt.Sprintf(" (%d spans with a missing parent, %d parent cycles cut)", s.MissingParents, s.Cycles)
	}
	return line
}

func writeTracesText(w io.Writer, v *views.Views) {
	s := v.TraceSummary
	if s.Spans == 0 {
		return
	}
	fmt.Fprintf(w, "\nTraces\n%s\n", traceSummaryLine(v))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "requests\tp50 ms\tp95 ms\tstmts/req\tdb ms\tcalls\tconns\terrors\t\troute")
	for i, r := range s.Routes {
		if i == textRouteRows {
			break
		}
		fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d\t\t%s\n", r.Count, r.P50Ms, r.P95Ms, r.StmtsPerReq, r.DBMs,
			r.Outbound, r.ConnSetups, r.Errors, termsafe.Line(r.Route))
	}
	tw.Flush()
	if n := len(s.Routes) - textRouteRows; n > 0 {
		fmt.Fprintf(w, "  … %d more routes (JSON report lists all)\n", n)
	}
}

func writeTracesMarkdown(w io.Writer, v *views.Views) {
	s := v.TraceSummary
	if s.Spans == 0 {
		return
	}
	fmt.Fprintf(w, "\n## Traces\n\n%s.\n\n", traceSummaryLine(v))
	fmt.Fprintln(w, "| route | requests | p50 ms | p95 ms | statements/request | db ms | outbound calls | new connections | errors |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for i, r := range s.Routes {
		if i == textRouteRows {
			break
		}
		fmt.Fprintf(w, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %d | %d | %d |\n", mdCell(r.Route), r.Count, r.P50Ms, r.P95Ms,
			r.StmtsPerReq, r.DBMs, r.Outbound, r.ConnSetups, r.Errors)
	}
}
