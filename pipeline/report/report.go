// Package report renders a run's markdown report: a pure function from the
// results of the steps before the report step (agents' summaries and findings,
// data steps' handles, and the rows of those handles) to named sections. The
// pipeline gathers the input, fetches the rows and stores the sections; adding
// a section touches only this package.
//
// The report reads: title and run inputs; an executive summary of facts written
// from the tool results without the LLM, then the agents' summaries; one
// section per agent with its findings (each marked by the claim check) and the
// tables it rests on, each result rendered once; the data steps' results;
// recommendations from the final agent; an appendix with the method, the
// handles and the execution profile.
package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/report/chart"
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
	Inputs                                       []string // "name: value" of the run's inputs that are set
	Model, ModelOptions                          string   // the agents' model and its options
	RandomModel                                  bool     // the model is the generated test model: its prose is random
	Missing                                      []string // what a partial report lacks (steps that did not succeed)
	Method                                       []string // one line per step: what it ran, with arguments or SQL
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

// Tables lists the handles the report renders, in order: per agent those its
// findings cite and the tool results it looked at (never its own findings
// table, which its section renders as text), then the data steps' results.
func Tables(r Run) []string {
	var hs []string
	for _, a := range r.Agents {
		hs = append(hs, agentTables(a)...)
	}
	return uniq(append(hs, r.Data...))
}

// agentTables are the handles an agent's section rests on.
func agentTables(a Agent) []string {
	var hs []string
	for _, f := range a.Findings {
		hs = append(hs, f.Handles...)
	}
	for _, h := range a.Handles {
		if h != a.Own {
			hs = append(hs, h)
		}
	}
	return uniq(hs)
}

// Render returns the report's sections: tables holds the results of
// [Tables](r) in order, with their pages, and profile the execution profile.
func Render(r Run, tables []Result, profile Result) []Section {
	d := newDoc(r, tables)
	return []Section{
		{"title", header(r)},
		{"executive_summary", d.executiveSummary()},
		{"analysis", d.analysis()},
		{"data", d.data()},
		{"recommendations", d.recommendations()},
		{"appendix", d.appendix(profile)},
	}
}

// doc renders the sections; it remembers which tables are already rendered.
type doc struct {
	r        Run
	byHandle map[string]Result
	checks   Checks
	rendered map[string]bool
}

func newDoc(r Run, tables []Result) *doc {
	d := &doc{r: r, byHandle: map[string]Result{}, rendered: map[string]bool{}}
	for _, t := range tables {
		d.byHandle[t.Handle] = t
	}
	d.checks = CheckRun(r, tables)
	return d
}

func header(r Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n_Run `%s` · pipeline `%s` · dataset `%s` (fingerprint `%.12s`) · generated %s._\n\n",
		r.Title, r.RunID, r.Pipeline, r.Dataset, r.Fingerprint, r.Generated.UTC().Format(time.RFC3339))
	if r.Model != "" {
		fmt.Fprintf(&b, "Model: `%s`", r.Model)
		if r.ModelOptions != "" {
			fmt.Fprintf(&b, " (%s)", r.ModelOptions)
		}
		b.WriteString(".\n\n")
	}
	if r.RandomModel {
		b.WriteString("> **Test model.** The agents ran on the generated test model, whose weights are random: " +
			"their prose is noise. Only the facts from the data and the tables are meaningful.\n\n")
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "> **Partial report.** Missing: %s.\n\n", strings.Join(r.Missing, "; "))
	}
	if len(r.Inputs) > 0 {
		b.WriteString("Inputs:\n\n")
		for _, in := range r.Inputs {
			b.WriteString("- " + in + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("Every table below is rendered from a stored result handle; the handles are listed in the appendix.\n\n")
	return b.String()
}

func (d *doc) executiveSummary() string {
	var b strings.Builder
	b.WriteString("## Executive summary\n\n")
	if facts := Facts(d.ordered()); len(facts) > 0 {
		b.WriteString("Facts computed from the data (no LLM):\n\n")
		for _, f := range facts {
			fmt.Fprintf(&b, "- %s (%s, `%s`)\n", f.Text, f.Tool, f.Handle)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Claim check: %s.\n\n", d.checks.Counts)
	n := 0
	for _, final := range []bool{true, false} {
		for i, a := range d.r.Agents {
			if a.Final == final && a.Summary != "" {
				fmt.Fprintf(&b, "- **%s**: %s\n", a.Name, d.checks.Agents[i].Summary.Marked(oneLine(a.Summary)))
				n++
			}
		}
	}
	if n == 0 {
		b.WriteString("No agent summary; see the facts above and the tables below.\n")
	}
	return b.String() + "\n"
}

// ordered is the fetched tables in report order.
func (d *doc) ordered() []Result {
	var out []Result
	for _, h := range Tables(d.r) {
		if res, ok := d.byHandle[h]; ok {
			out = append(out, res)
		}
	}
	return out
}

func (d *doc) analysis() string {
	var b strings.Builder
	b.WriteString("## Analysis by agent\n\n")
	if len(d.r.Agents) == 0 {
		b.WriteString("No agent took part in this analysis.\n\n")
	}
	for i, a := range d.r.Agents {
		fmt.Fprintf(&b, "### %s (step `%s`)\n\n", a.Name, a.Step)
		if a.Summary != "" {
			b.WriteString(d.checks.Agents[i].Summary.Marked(a.Summary) + "\n\n")
		}
		d.writeFindings(&b, i)
		for _, h := range agentTables(a) {
			b.WriteString(d.table(h))
		}
	}
	return b.String()
}

func (d *doc) writeFindings(b *strings.Builder, agent int) {
	a := d.r.Agents[agent]
	if len(a.Findings) == 0 {
		b.WriteString("_No findings._\n\n")
		return
	}
	for j, f := range a.Findings {
		c := d.checks.Agents[agent].Findings[j]
		fmt.Fprintf(b, "- [%s] %s", c.Mark(), c.Marked(oneLine(f.Text)))
		if len(f.Handles) > 0 {
			fmt.Fprintf(b, " (source: %s)", links(f.Handles))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func (d *doc) data() string {
	var b strings.Builder
	b.WriteString("## Data steps\n\n")
	n := 0
	for _, h := range d.r.Data {
		if d.rendered[h] {
			fmt.Fprintf(&b, "- %s is shown above.\n", links([]string{h}))
			continue
		}
		b.WriteString(d.table(h))
		n++
	}
	if len(d.r.Data) == 0 {
		b.WriteString("No tool or SQL step ran on its own; the agents' tables are above.\n")
	}
	return b.String() + "\n"
}

func (d *doc) recommendations() string {
	var b strings.Builder
	b.WriteString("## Recommendations\n\n")
	n := 0
	for i, a := range d.r.Agents {
		if a.Final && len(a.Findings) > 0 {
			fmt.Fprintf(&b, "From **%s**:\n\n", a.Name)
			d.writeFindings(&b, i)
			n++
		}
	}
	if n == 0 {
		b.WriteString("None: no final agent reported findings.\n\n")
	}
	return b.String()
}

// table renders handle h once; later calls link to it.
func (d *doc) table(h string) string {
	if d.rendered[h] {
		return fmt.Sprintf("- %s: see above.\n\n", links([]string{h}))
	}
	res, ok := d.byHandle[h]
	if !ok || len(d.rendered) >= MaxTables {
		return fmt.Sprintf("- %s: not rendered (table limit %d); listed in the appendix.\n\n", links([]string{h}), MaxTables)
	}
	d.rendered[h] = true
	anchor := fmt.Sprintf("<a id=\"%s\"></a>\n", h)
	if res.PageErr != nil {
		return fmt.Sprintf("%s#### `%s`\n\n_not available: %v_\n\n", anchor, h, res.PageErr)
	}
	return fmt.Sprintf("%s#### %s (`%s`)\n\n%s\n%s", anchor, Label(res), h, MarkdownTable(res.Page), chartLine(res))
}

// chartLine links the chart that fits a result best ("" when none fits): a
// link, not an image, so that a markdown viewer without access to the server
// shows no broken image; the HTML export draws the chart in its place.
func chartLine(res Result) string {
	ks := chart.Kinds(chart.Input{Tool: toolName(res), Page: res.Page})
	if len(ks) == 0 {
		return ""
	}
	return fmt.Sprintf("[%s chart of %s](%s)\n\n", ks[0], res.Handle, ChartLink(res.Handle, ks[0]))
}

// Label names what made a result: "tool market_share", "SQL query", "agent
// findings" or "execution profile".
func Label(res Result) string {
	if res.Summary == nil {
		return "result"
	}
	switch src := res.Summary.Source; {
	case toolName(res) != "":
		return "tool " + toolName(res)
	case src == "sql":
		return "SQL query"
	case strings.HasPrefix(src, "step:"):
		return "agent findings"
	case src == "report":
		return "report"
	default:
		return src
	}
}

// links renders handles as links to their tables.
func links(hs []string) string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = fmt.Sprintf("[`%s`](#%s)", h, h)
	}
	return strings.Join(out, ", ")
}

func (d *doc) appendix(profile Result) string {
	var b strings.Builder
	b.WriteString("## Appendix\n\n### Method\n\n")
	for _, m := range d.r.Method {
		b.WriteString("- " + m + "\n")
	}
	b.WriteString("\n### Handles\n\n")
	for _, res := range d.ordered() {
		writeHandle(&b, res, Label(res))
	}
	writeHandle(&b, profile, "execution profile")
	b.WriteString("\n### Tokens and execution profile\n\nTimes in milliseconds, tokens as the LLM server counted them.\n\n")
	if profile.PageErr != nil {
		fmt.Fprintf(&b, "_not available: %v_\n", profile.PageErr)
	} else {
		fmt.Fprintf(&b, "<a id=\"%s\"></a>\n%s", profile.Handle, MarkdownTable(profile.Page))
	}
	return b.String() + "\n"
}

func writeHandle(b *strings.Builder, res Result, label string) {
	if res.Summary == nil {
		fmt.Fprintf(b, "- `%s`: not available\n", res.Handle)
		return
	}
	fmt.Fprintf(b, "- `%s`: %s, %s rows\n", res.Handle, label, Int(float64(res.Summary.Rows)))
}

// MarkdownTable renders a page's first MaxRows rows and MaxColumns columns,
// formatted for people, and says what it leaves out.
func MarkdownTable(p store.Page) string {
	ncol := min(len(p.Columns), MaxColumns)
	nrow := min(len(p.Rows), MaxRows)
	var b strings.Builder
	b.WriteString("|")
	for _, c := range p.Columns[:ncol] {
		b.WriteString(" " + Cell(c.Name) + " |")
	}
	b.WriteString("\n|" + strings.Repeat(" --- |", ncol) + "\n")
	for _, row := range p.Rows[:nrow] {
		b.WriteString("|")
		for i, v := range row[:min(ncol, len(row))] {
			b.WriteString(" " + Cell(FormatCell(p.Columns[i].Name, v)) + " |")
		}
		b.WriteString("\n")
	}
	if int64(nrow) < p.TotalRows {
		fmt.Fprintf(&b, "\n_Top %s of %s rows; the full result is handle `%s`._\n", Int(float64(nrow)), Int(float64(p.TotalRows)), p.Handle)
	} else {
		fmt.Fprintf(&b, "\n_%s rows._\n", Int(float64(p.TotalRows)))
	}
	if len(p.Columns) > ncol {
		var hidden []string
		for _, c := range p.Columns[ncol:] {
			hidden = append(hidden, c.Name)
		}
		fmt.Fprintf(&b, "_Hidden columns: %s._\n", strings.Join(hidden, ", "))
	}
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

// uniq removes repeated and empty strings, keeping the first occurrence.
func uniq(xs []string) []string {
	seen := map[string]bool{}
	return slices.DeleteFunc(slices.Clone(xs), func(s string) bool {
		dup := seen[s] || s == ""
		seen[s] = true
		return dup
	})
}
