package pipeline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/sql/store"
)

// Report limits: tables rendered, rows and columns per table.
const (
	reportTables  = 12
	reportRows    = 10
	reportColumns = 10
)

// reportInput is what the report step reads from the steps before it.
type reportInput struct {
	title  string
	agents []reportAgent // agent steps among the ancestors, in pipeline order
	data   []string      // handles of tool and SQL steps among the ancestors
	steps  []StepState   // ancestors' states, for the profile
}

// reportAgent is one agent step's contribution.
type reportAgent struct {
	step, agent string
	final       bool // no agent step after it: its findings are recommendations
	o           outcome
}

// ancestors returns every step step i depends on, directly or not, in pipeline order.
func (g *graph) ancestors(i int) []int {
	seen := make([]bool, len(g.steps))
	var walk func(int)
	walk = func(k int) {
		for _, j := range g.deps[k] {
			if !seen[j] {
				seen[j] = true
				walk(j)
			}
		}
	}
	walk(i)
	var out []int
	for j, ok := range seen {
		if ok {
			out = append(out, j)
		}
	}
	return out
}

// reportInput gathers the report step i's input under x.mu.
func (x *execution) reportInput(i int) reportInput {
	anc := x.g.ancestors(i)
	in := reportInput{title: x.g.steps[i].Report.Title}
	if in.title == "" {
		in.title = "Marketing analysis: " + x.req.Pipeline.Name
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, j := range anc {
		s := x.g.steps[j]
		in.steps = append(in.steps, x.run.Steps[j])
		switch {
		case s.Agent != nil:
			final := !slices.ContainsFunc(x.g.dependents[j], func(k int) bool {
				return x.g.steps[k].Agent != nil && slices.Contains(anc, k)
			})
			in.agents = append(in.agents, reportAgent{step: s.ID, agent: s.Agent.Agent, final: final, o: x.out[j]})
		case s.Tool != nil || s.SQL != nil:
			in.data = append(in.data, x.out[j].resultHandle)
		}
	}
	return in
}

// runReport assembles the markdown report, one row per section, and stores it
// (with the execution profile table it renders) as handles.
func (x *execution) runReport(ctx context.Context, i int) outcome {
	start := time.Now()
	in := x.reportInput(i)
	prof, err := x.saveProfile(ctx, in.steps)
	if err != nil {
		return outcome{err: fmt.Errorf("report: %w", err)}
	}
	sections := [][]any{
		{"title", x.reportHeader(in)},
		{"executive_summary", executiveSummary(in)},
		{"findings", findingsSection(in)},
		{"recommendations", recommendations(in)},
	}
	cited := citedHandles(in)
	tables, err := x.r.renderTables(ctx, cited)
	if err != nil {
		return outcome{err: fmt.Errorf("report: %w", err)}
	}
	profTable, err := x.r.renderTables(ctx, []string{prof})
	if err != nil {
		return outcome{err: fmt.Errorf("report: %w", err)}
	}
	sections = append(sections, []any{"tables", tables},
		[]any{"handles", x.r.handleList(ctx, append(cited, prof))},
		[]any{"profile", "## Execution profile\n\nTimes in milliseconds, tokens as the LLM server counted them.\n\n" + profTable})
	cols := []store.Column{{Name: "section", Type: "VARCHAR"}, {Name: "markdown", Type: "VARCHAR"}}
	sum, err := x.r.st.SaveRows(ctx, "report", x.ds.Name, cols, sections)
	if err != nil {
		return outcome{err: fmt.Errorf("report: save: %w", err)}
	}
	return outcome{summary: "report " + sum.Handle, resultHandle: sum.Handle,
		handles: []string{sum.Handle, prof}, sql: time.Since(start)}
}

func (x *execution) reportHeader(in reportInput) string {
	return fmt.Sprintf("# %s\n\n_Run `%s` · pipeline `%s` · dataset `%s` (fingerprint `%.12s`) · generated %s._\n\n"+
		"Every table below is rendered from a stored result handle; the handles are listed at the end.\n\n",
		in.title, x.run.ID, x.req.Pipeline.Name, x.ds.Name, x.ds.Fingerprint, time.Now().UTC().Format(time.RFC3339))
}

func executiveSummary(in reportInput) string {
	var b strings.Builder
	b.WriteString("## Executive summary\n\n")
	for _, final := range []bool{true, false} {
		for _, a := range in.agents {
			if a.final == final && a.o.summary != "" {
				fmt.Fprintf(&b, "- **%s**: %s\n", a.agent, oneLine(a.o.summary))
			}
		}
	}
	if len(in.agents) == 0 {
		b.WriteString("No agent took part in this analysis; see the tables below.\n")
	}
	return b.String() + "\n"
}

func findingsSection(in reportInput) string {
	var b strings.Builder
	b.WriteString("## Findings by agent\n\n")
	for _, a := range in.agents {
		fmt.Fprintf(&b, "### %s (step `%s`)\n\n", a.agent, a.step)
		if a.o.summary != "" {
			b.WriteString(a.o.summary + "\n\n")
		}
		writeFindings(&b, a)
	}
	return b.String()
}

func writeFindings(b *strings.Builder, a reportAgent) {
	for _, f := range a.o.findings {
		fmt.Fprintf(b, "- %s", oneLine(f.Text))
		if len(f.Handles) > 0 {
			fmt.Fprintf(b, " (source: `%s`)", strings.Join(f.Handles, "`, `"))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func recommendations(in reportInput) string {
	var b strings.Builder
	b.WriteString("## Recommendations\n\n")
	n := 0
	for _, a := range in.agents {
		if a.final && len(a.o.findings) > 0 {
			fmt.Fprintf(&b, "From **%s**:\n\n", a.agent)
			writeFindings(&b, a)
			n++
		}
	}
	if n == 0 {
		b.WriteString("No recommendations: no final agent reported findings.\n\n")
	}
	return b.String()
}

// citedHandles lists the handles the findings cite, then the data steps'
// results, then the tool results the agents looked at (never their own
// findings tables, which the findings section already renders).
func citedHandles(in reportInput) []string {
	var hs []string
	for _, a := range in.agents {
		for _, f := range a.o.findings {
			hs = append(hs, f.Handles...)
		}
	}
	hs = append(hs, in.data...)
	for _, a := range in.agents {
		for _, h := range a.o.handles {
			if h != a.o.resultHandle {
				hs = append(hs, h)
			}
		}
	}
	return uniq(hs)
}

// renderTables renders the first rows of each handle as a markdown table; handles
// that no longer exist are named as missing.
func (r *Runner) renderTables(ctx context.Context, handles []string) (string, error) {
	var b strings.Builder
	for n, h := range handles {
		if n == reportTables {
			fmt.Fprintf(&b, "_%d more handles are listed below but not rendered._\n\n", len(handles)-n)
			break
		}
		p, err := r.st.GetPage(ctx, h, 0, reportRows, false)
		if err != nil {
			fmt.Fprintf(&b, "### `%s`\n\n_not available: %v_\n\n", h, err)
			continue
		}
		title := "`" + h + "`"
		if sum, err := r.st.Result(ctx, h); err == nil && sum.Source != "" {
			title = fmt.Sprintf("%s (`%s`)", sum.Source, h)
		}
		fmt.Fprintf(&b, "### %s\n\n%s\n", title, markdownTable(p))
	}
	return b.String(), ctx.Err()
}

// markdownTable renders a page as a markdown table with a row count note.
func markdownTable(p store.Page) string {
	ncol := min(len(p.Columns), reportColumns)
	var b strings.Builder
	b.WriteString("|")
	for _, c := range p.Columns[:ncol] {
		b.WriteString(" " + cell(c.Name) + " |")
	}
	b.WriteString("\n|" + strings.Repeat(" --- |", ncol) + "\n")
	for _, row := range p.Rows {
		b.WriteString("|")
		for _, v := range row[:min(ncol, len(row))] {
			b.WriteString(" " + cell(formatValue(v)) + " |")
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

// formatValue prints a JSON-friendly value; floats keep at most 4 decimals.
func formatValue(v any) string {
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

// cell escapes a value for a markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// handleList names every handle the report uses with its source and size.
func (r *Runner) handleList(ctx context.Context, handles []string) string {
	var b strings.Builder
	b.WriteString("## Handles\n\n")
	for _, h := range handles {
		if sum, err := r.st.Result(ctx, h); err == nil {
			fmt.Fprintf(&b, "- `%s`: %s, %d rows\n", h, sum.Source, sum.Rows)
		} else {
			fmt.Fprintf(&b, "- `%s`: not available\n", h)
		}
	}
	return b.String() + "\n"
}

// saveProfile stores the profile of the steps before the report, plus the run so
// far with process CPU time and peak RSS, as a handle.
func (x *execution) saveProfile(ctx context.Context, steps []StepState) (string, error) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
	cols := []store.Column{{Name: "step", Type: "VARCHAR"}, {Name: "status", Type: "VARCHAR"}}
	for _, c := range []string{"wall_ms", "queue_ms", "llm_ms", "sql_ms", "overhead_ms"} {
		cols = append(cols, store.Column{Name: c, Type: "DOUBLE"})
	}
	cols = append(cols, store.Column{Name: "prompt_tokens", Type: "BIGINT"},
		store.Column{Name: "completion_tokens", Type: "BIGINT"}, store.Column{Name: "llm_calls", Type: "BIGINT"})
	var rows [][]any
	for _, s := range steps {
		p := s.Profile
		rows = append(rows, []any{s.ID, string(s.Status), ms(p.Wall), ms(p.QueueWait), ms(p.LLM), ms(p.SQL),
			ms(p.Overhead), s.Tokens.PromptTokens, s.Tokens.CompletionTokens, int64(s.Tokens.LLMCalls)})
	}
	rp := runProfile(time.Since(x.run.CreatedAt), steps)
	user, sys, peak := x.prof.snapshot()
	tok, _ := x.tokens.totals()
	rows = append(rows, []any{"(run so far)", fmt.Sprintf("cpu user %.0f ms, system %.0f ms, peak RSS %.1f MiB",
		ms(user), ms(sys), float64(peak)/(1<<20)), ms(rp.Wall), nil, ms(rp.LLM), ms(rp.SQL), ms(rp.Overhead),
		tok.PromptTokens, tok.CompletionTokens, int64(tok.LLMCalls)})
	sum, err := x.r.st.SaveRows(ctx, "report", x.ds.Name, cols, rows)
	if err != nil {
		return "", fmt.Errorf("save profile: %w", err)
	}
	return sum.Handle, nil
}
