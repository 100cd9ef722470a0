// Package report renders a run's markdown report: a pure function from the
// results of the steps before the report step (agents' summaries and findings,
// data steps' handles, and the rows of those handles) to named sections. The
// pipeline gathers the input, fetches the rows and stores the sections; adding
// a section touches only this package.
package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/sql/store"
)

// Limits: tables rendered, rows and columns per table.
const (
	MaxTables  = 12
	MaxRows    = 10
	MaxColumns = 10
)

// Run is what a report is made of.
type Run struct {
	Title, RunID, Pipeline, Dataset, Fingerprint string
	Generated                                    time.Time
	Agents                                       []Agent  // agent steps before the report, in pipeline order
	Data                                         []string // result handles of tool and SQL steps before the report
}

// Agent is one agent step's contribution.
type Agent struct {
	Step, Name string
	Final      bool // no agent step after it: its findings are recommendations
	Summary    string
	Findings   []Finding
	Handles    []string // every handle it produced
	Own        string   // its own findings handle, never rendered as a table
}

// Finding is one finding with the handles it cites.
type Finding struct {
	Text    string
	Handles []string
}

// Result is a handle as the report shows it: its summary (nil when the handle no
// longer exists) and, for rendered tables, its first rows (or why not).
type Result struct {
	Handle  string
	Summary *store.Summary
	Page    store.Page
	PageErr error
}

// Section is one named markdown section of the document.
type Section struct {
	Name, Markdown string
}

// Tables lists the handles the report renders, in order: those the findings
// cite, the data steps' results, then the tool results the agents looked at
// (never their own findings tables, which the findings section renders).
func Tables(r Run) []string {
	var hs []string
	for _, a := range r.Agents {
		for _, f := range a.Findings {
			hs = append(hs, f.Handles...)
		}
	}
	hs = append(hs, r.Data...)
	for _, a := range r.Agents {
		for _, h := range a.Handles {
			if h != a.Own {
				hs = append(hs, h)
			}
		}
	}
	return uniq(hs)
}

// Render returns the report's sections: tables holds the results of
// [Tables](r) in order (only the first MaxTables need pages) and profile the
// execution profile table.
func Render(r Run, tables []Result, profile Result) []Section {
	return []Section{
		{"title", header(r)},
		{"executive_summary", executiveSummary(r)},
		{"findings", findings(r)},
		{"recommendations", recommendations(r)},
		{"tables", renderTables(tables)},
		{"handles", handleList(append(slices.Clone(tables), profile))},
		{"profile", "## Execution profile\n\nTimes in milliseconds, tokens as the LLM server counted them.\n\n" +
			renderTables([]Result{profile})},
	}
}

func header(r Run) string {
	return fmt.Sprintf("# %s\n\n_Run `%s` · pipeline `%s` · dataset `%s` (fingerprint `%.12s`) · generated %s._\n\n"+
		"Every table below is rendered from a stored result handle; the handles are listed at the end.\n\n",
		r.Title, r.RunID, r.Pipeline, r.Dataset, r.Fingerprint, r.Generated.UTC().Format(time.RFC3339))
}

func executiveSummary(r Run) string {
	var b strings.Builder
	b.WriteString("## Executive summary\n\n")
	for _, final := range []bool{true, false} {
		for _, a := range r.Agents {
			if a.Final == final && a.Summary != "" {
				fmt.Fprintf(&b, "- **%s**: %s\n", a.Name, oneLine(a.Summary))
			}
		}
	}
	if len(r.Agents) == 0 {
		b.WriteString("No agent took part in this analysis; see the tables below.\n")
	}
	return b.String() + "\n"
}

func findings(r Run) string {
	var b strings.Builder
	b.WriteString("## Findings by agent\n\n")
	for _, a := range r.Agents {
		fmt.Fprintf(&b, "### %s (step `%s`)\n\n", a.Name, a.Step)
		if a.Summary != "" {
			b.WriteString(a.Summary + "\n\n")
		}
		writeFindings(&b, a)
	}
	return b.String()
}

func writeFindings(b *strings.Builder, a Agent) {
	for _, f := range a.Findings {
		fmt.Fprintf(b, "- %s", oneLine(f.Text))
		if len(f.Handles) > 0 {
			fmt.Fprintf(b, " (source: `%s`)", strings.Join(f.Handles, "`, `"))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func recommendations(r Run) string {
	var b strings.Builder
	b.WriteString("## Recommendations\n\n")
	n := 0
	for _, a := range r.Agents {
		if a.Final && len(a.Findings) > 0 {
			fmt.Fprintf(&b, "From **%s**:\n\n", a.Name)
			writeFindings(&b, a)
			n++
		}
	}
	if n == 0 {
		b.WriteString("No recommendations: no final agent reported findings.\n\n")
	}
	return b.String()
}

// renderTables renders the first rows of each result as a markdown table;
// results without rows are named as not available.
func renderTables(rs []Result) string {
	var b strings.Builder
	for n, res := range rs {
		if n == MaxTables {
			fmt.Fprintf(&b, "_%d more handles are listed below but not rendered._\n\n", len(rs)-n)
			break
		}
		if res.PageErr != nil {
			fmt.Fprintf(&b, "### `%s`\n\n_not available: %v_\n\n", res.Handle, res.PageErr)
			continue
		}
		title := "`" + res.Handle + "`"
		if res.Summary != nil && res.Summary.Source != "" {
			title = fmt.Sprintf("%s (`%s`)", res.Summary.Source, res.Handle)
		}
		fmt.Fprintf(&b, "### %s\n\n%s\n", title, MarkdownTable(res.Page))
	}
	return b.String()
}

// MarkdownTable renders a page as a markdown table with a row count note.
func MarkdownTable(p store.Page) string {
	ncol := min(len(p.Columns), MaxColumns)
	var b strings.Builder
	b.WriteString("|")
	for _, c := range p.Columns[:ncol] {
		b.WriteString(" " + Cell(c.Name) + " |")
	}
	b.WriteString("\n|" + strings.Repeat(" --- |", ncol) + "\n")
	for _, row := range p.Rows {
		b.WriteString("|")
		for _, v := range row[:min(ncol, len(row))] {
			b.WriteString(" " + Cell(FormatValue(v)) + " |")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n_%d of %d rows", len(p.Rows), p.TotalRows)
	if len(p.Columns) > ncol {
		fmt.Fprintf(&b, ", %d of %d columns", ncol, len(p.Columns))
	}
	b.WriteString("._\n")
	return b.String()
}

// FormatValue prints a JSON-friendly value; floats keep at most 4 decimals.
func FormatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprint(v)
		}
		return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// Cell escapes a value for a markdown table cell.
func Cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// handleList names every handle the report uses with its source and size.
func handleList(rs []Result) string {
	var b strings.Builder
	b.WriteString("## Handles\n\n")
	for _, res := range rs {
		if res.Summary != nil {
			fmt.Fprintf(&b, "- `%s`: %s, %d rows\n", res.Handle, res.Summary.Source, res.Summary.Rows)
		} else {
			fmt.Fprintf(&b, "- `%s`: not available\n", res.Handle)
		}
	}
	return b.String() + "\n"
}

// uniq removes repeated and empty strings, keeping the first occurrence.
func uniq(xs []string) []string {
	seen := map[string]bool{}
	return slices.DeleteFunc(xs, func(s string) bool {
		dup := seen[s] || s == ""
		seen[s] = true
		return dup
	})
}
