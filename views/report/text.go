package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"hotpath/views"
	"hotpath/views/detect"
	"hotpath/views/termsafe"
	"hotpath/views/units"
)

// textHotspotRows bounds the hotspot table of the text and Markdown reports
// (-nodecount narrows it further).
const textHotspotRows = 25

func writeText(w io.Writer, v *views.Views) error {
	// Each value from an input is made one safe line (termsafe.Line); the
	// writer removes any control a value slipped past that.
	ew := &errWriter{w: termsafe.NewWriter(w)}
	fmt.Fprintln(ew, "Sources")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  path\tformat\tevents\tbytes\tskipped\tstatus")
	for _, s := range v.Sources {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%d\t%s\n", termsafe.Line(s.Path), orDash(s.Format), s.Events,
			units.Bytes(s.Bytes), s.SkippedAll, sourceStatus(s))
	}
	tw.Flush()
	for _, s := range v.Sources {
		for _, sk := range s.Skipped {
			fmt.Fprintf(ew, "  %s: skipped %d (%s), first at line %d\n", termsafe.Line(s.Path), sk.Count, termsafe.Line(sk.Reason), sk.FirstLine)
		}
		for _, wn := range s.Warnings {
			fmt.Fprintf(ew, "  %s: warning: %s\n", termsafe.Line(s.Path), termsafe.Line(wn))
		}
		for _, n := range s.Notes {
			fmt.Fprintf(ew, "  %s: %s\n", termsafe.Line(s.Path), termsafe.Line(n))
		}
	}
	for _, wn := range v.Warnings {
		fmt.Fprintf(ew, "  warning: %s\n", termsafe.Line(wn))
	}
	if len(v.Findings) > 0 {
		fmt.Fprintf(ew, "\nFindings\n")
		for _, f := range v.Findings {
			fmt.Fprintf(ew, "%3d. [%s] %s — avoidable %s (%s), confidence %s\n", f.Rank, f.Severity.Label(), termsafe.Line(f.Title),
				units.Duration(f.Avoidable), units.Share(f.Share), termsafe.Line(f.Confidence))
			for _, l := range f.Locations {
				fmt.Fprintf(ew, "     at %s\n", termsafe.Line(l.String()))
			}
			if rs := detect.RouteShares(f); rs != "" {
				fmt.Fprintf(ew, "     on %s\n", termsafe.Line(rs))
			}
			fmt.Fprintf(ew, "     %s\n     fix: %s\n", termsafe.Line(f.Formula), termsafe.Line(f.Recommendation))
		}
	}
	if h := v.Hotspots; h != nil {
		fmt.Fprintf(ew, "\nHotspots (%s)\n%s\n", termsafe.Line(h.SampleType.String()), termsafe.Line(hotspotSummary(h)))
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "flat\tflat%\tsum%\tcum\tcum%\t\t")
		sum := 0.0
		for i, row := range h.Rows {
			if i == textHotspotRows {
				break
			}
			sum += row.FlatShare
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\t%s\n",
				termsafe.Line(units.Value(row.Flat, h.SampleType.Unit)), units.Share(row.FlatShare), units.Share(sum),
				termsafe.Line(units.Value(row.Cum, h.SampleType.Unit)), units.Share(row.CumShare), funcLabel(row.Func))
		}
		tw.Flush()
	} else if v.HotspotsErr != nil {
		fmt.Fprintf(ew, "\nHotspots: %s\n", termsafe.Line(v.HotspotsErr.Error()))
	}
	writeQueriesText(ew, v)
	writeTracesText(ew, v)
	return ew.err
}

// writeMarkdown writes every value from an input through termsafe's
// Markdown forms: text HTML- and Markdown-escaped, code as code spans whose
// fence cannot be closed early; the writer removes any control left.
func writeMarkdown(w io.Writer, v *views.Views) error {
	ew := &errWriter{w: termsafe.NewWriter(w)}
	fmt.Fprintln(ew, "# Performance analysis (hotpath)")
	writeSummaryMarkdown(ew, v)
	var major, minor []*detect.Finding
	for _, f := range v.Findings {
		if f.Severity >= detect.Medium {
			major = append(major, f)
		} else {
			minor = append(minor, f)
		}
	}
	if len(major) > 0 {
		fmt.Fprintln(ew, "\n## Performance bottlenecks\n\n| # | Bottleneck | Severity | Evidence (measured) | Avoidable | Recommendation |\n| ---: | --- | --- | --- | ---: | --- |")
		for _, f := range major {
			where := ""
			if len(f.Locations) > 0 {
				where = " at " + termsafe.MarkdownCodeCell(f.Locations[0].String())
			}
			fmt.Fprintf(ew, "| %d | **%s**%s: %s | %s | %s | %s (%s of %s; %s) | %s |\n", f.Rank, mdCell(string(f.Kind)), where, mdCell(f.Title),
				f.Severity.Label(), mdCell(evidenceLine(f)), units.Duration(f.Avoidable), units.Share(f.Share),
				mdCell(f.Basis), mdCell(f.Formula), mdCell(f.Recommendation))
		}
	}
	if len(minor) > 0 {
		fmt.Fprint(ew, "\n## Optimisation opportunities\n\n")
		for _, f := range minor {
			where := ""
			if len(f.Locations) > 0 {
				where = " (" + termsafe.MarkdownCode(f.Locations[0].String()) + ")"
			}
			fmt.Fprintf(ew, "- **%s**%s, %s: %s — avoidable %s. %s\n", mdCell(string(f.Kind)), where, f.Severity.Label(),
				mdCell(f.Title), units.Duration(f.Avoidable), mdCell(f.Recommendation))
		}
	}
	fmt.Fprintln(ew, "\n## Sources\n\n| path | format | events | bytes | skipped | status |\n| --- | --- | ---: | ---: | ---: | --- |")
	for _, s := range v.Sources {
		fmt.Fprintf(ew, "| %s | %s | %d | %s | %d | %s |\n", mdCell(s.Path), orDash(s.Format), s.Events,
			units.Bytes(s.Bytes), s.SkippedAll, mdCell(sourceStatus(s)))
	}
	if h := v.Hotspots; h != nil {
		fmt.Fprintf(ew, "\n## Hotspots (%s)\n\n%s\n\n", mdCell(h.SampleType.String()), mdCell(hotspotSummary(h)))
		fmt.Fprintln(ew, "| flat | flat% | cum | cum% | function | file |\n| ---: | ---: | ---: | ---: | --- | --- |")
		for i, row := range h.Rows {
			if i == textHotspotRows {
				break
			}
			fmt.Fprintf(ew, "| %s | %s | %s | %s | %s | %s |\n",
				mdCell(units.Value(row.Flat, h.SampleType.Unit)), units.Share(row.FlatShare),
				mdCell(units.Value(row.Cum, h.SampleType.Unit)), units.Share(row.CumShare),
				termsafe.MarkdownCodeCell(row.Func.Name), mdCell(row.Func.File))
		}
	}
	writeQueriesMarkdown(ew, v)
	writeTracesMarkdown(ew, v)
	return ew.err
}

func hotspotSummary(h *views.Hotspots) string {
	s := fmt.Sprintf("Showing %d functions, %s (%s) of %s total",
		len(h.Rows), units.Value(h.Shown, h.SampleType.Unit), units.Share(ratio(h.Shown, h.Total)),
		units.Value(h.Total, h.SampleType.Unit))
	if h.Dropped > 0 {
		s += fmt.Sprintf("; %d more functions dropped by -nodecount", h.Dropped)
	}
	return s
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func funcLabel(f views.Func) string {
	if f.File == "" {
		return termsafe.Line(f.Name)
	}
	return termsafe.Line(f.Name) + "  " + termsafe.Line(f.File)
}

func sourceStatus(s views.SourceView) string {
	switch {
	case s.Err != nil:
		return "error: " + termsafe.Line(s.Err.Error())
	case !s.Done:
		return "loading"
	case s.SameAs != "":
		return "same events as " + termsafe.Line(s.SameAs)
	}
	return "ok"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mdCell is a value from an input as Markdown text: it stays inside its
// table cell, and HTML or Markdown in it stays text.
func mdCell(s string) string { return termsafe.Markdown(s) }

// errWriter remembers the first write error so the renderers can write
// freely and report once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// writeSummaryMarkdown is the executive summary: what was read, what was
// found, how much time is at stake.
func writeSummaryMarkdown(w io.Writer, v *views.Views) {
	loaded, events := 0, int64(0)
	formats := map[string]bool{}
	for _, s := range v.Sources {
		if s.Err == nil && s.Done {
			loaded++
			events += s.Events
			formats[s.Format] = true
		}
	}
	var fs []string
	for f := range formats {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	fmt.Fprintf(w, "\n## Executive summary\n\nMeasured from %d sources (%s), %d events.", loaded, mdCell(strings.Join(fs, ", ")), events)
	if len(v.Findings) == 0 {
		fmt.Fprintln(w, " No finding.")
		return
	}
	count := map[detect.Severity]int{}
	for _, f := range v.Findings {
		count[f.Severity]++
	}
	var parts []string
	for sv := detect.Critical; sv >= detect.Info; sv-- {
		if count[sv] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[sv], sv))
		}
	}
	f0 := v.Findings[0]
	fmt.Fprintf(w, " %d findings (%s). The largest: %s — %s avoidable, %s of the %s %s.",
		len(v.Findings), strings.Join(parts, ", "), mdCell(f0.Title), units.Duration(f0.Avoidable),
		units.Share(f0.Share), units.Duration(f0.Observed), mdCell(f0.Basis))
	fmt.Fprintf(w, " Estimates may overlap (one slow request can show several problems); each states its formula.\n")
}

// evidenceLine lists each source's testimony once.
func evidenceLine(f *detect.Finding) string {
	seen := map[string]bool{}
	var out []string
	for _, e := range f.Evidence {
		line := e.Source + ": " + e.What
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	return strings.Join(out, "; ")
}
