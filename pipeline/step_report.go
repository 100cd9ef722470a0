package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/report"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// reportAction assembles the markdown report from the steps before it.
type reportAction struct{ ReportStep }

func (reportAction) checkRun(string, *runSpec) []string               { return nil }
func (reportAction) needsTools() bool                                 { return false }
func (reportAction) isData() bool                                     { return false }
func (reportAction) isReport() bool                                   { return true }
func (reportAction) kind() string                                     { return KindReport }
func (reportAction) describe() string                                 { return KindReport }
func (reportAction) agentName() string                                { return "" }
func (reportAction) checkData(string, map[string]tools.Info) []string { return nil }
func (reportAction) handOff(o outcome) []string                       { return []string{o.resultHandle} }

func (a reportAction) check(name string, c checkContext) []string {
	if !c.hasDeps {
		return []string{name + ": a report step needs at least one dependency"}
	}
	return nil
}

func (a reportAction) memo(in *memoInput, spec *runSpec) {
	in.Title, in.Inputs = a.Title, &spec.req.Inputs
}

// run renders the report with pipeline/report, one row per section, and stores
// it (with the execution profile table it renders) as handles.
func (a reportAction) run(ctx context.Context, sc *stepContext) outcome {
	start := time.Now()
	in, steps := sc.reportInput(a.Title)
	st := sc.spec.st
	prof, err := sc.saveProfile(ctx, steps)
	if err != nil {
		return outcome{err: fmt.Errorf("report: %w", err)}
	}
	handles := report.Tables(in)
	tables := make([]report.Result, len(handles))
	for i, h := range handles {
		tables[i] = fetchResult(ctx, st, h, true)
	}
	profile := fetchResult(ctx, st, prof, true)
	if err := ctx.Err(); err != nil {
		return outcome{err: fmt.Errorf("report: %w", err)}
	}
	var rows [][]any
	for _, s := range report.Render(in, tables, profile) {
		rows = append(rows, []any{s.Name, s.Markdown})
	}
	cols := []store.Column{{Name: "section", Type: "VARCHAR"}, {Name: "markdown", Type: "VARCHAR"}}
	sum, err := st.SaveRows(ctx, "report", sc.spec.ds.Name, cols, rows)
	if err != nil {
		return outcome{err: fmt.Errorf("report: save: %w", err)}
	}
	n := report.CheckRun(in, tables).Counts
	return outcome{summary: "report " + sum.Handle, resultHandle: sum.Handle, handles: []string{sum.Handle, prof},
		claims: &ClaimCounts{n.Verified, n.Partly, n.Unverified, n.NoNumbers}, sql: time.Since(start)}
}

// fetchResult reads a handle's summary and, when withPage, its first rows.
func fetchResult(ctx context.Context, st *store.Store, h string, withPage bool) report.Result {
	res := report.Result{Handle: h}
	if sum, err := st.Result(ctx, h); err == nil {
		res.Summary = &sum
	}
	if withPage {
		res.Page, res.PageErr = st.GetPage(ctx, h, 0, report.FactRows, false)
	}
	return res
}

// reportInput gathers what the report reads from the steps before it, and
// their states for the profile.
func (sc *stepContext) reportInput(title string) (report.Run, []StepState) {
	spec := sc.spec
	if title == "" {
		title = "Marketing analysis: " + spec.req.Pipeline.Name
	}
	in := report.Run{Title: title, RunID: spec.id, Pipeline: spec.req.Pipeline.Name, Dataset: spec.ds.Name,
		Fingerprint: spec.ds.Fingerprint, Generated: time.Now()}
	anc := spec.g.ancestors(sc.i)
	steps, outs := sc.rec.results(anc)
	in.Inputs = inputLines(spec.req.Inputs)
	in.Model, in.RandomModel = spec.agentModels(anc)
	in.ModelOptions = optionsText(spec.llmOptions)
	for k, j := range anc {
		n, o := spec.g.nodes[j], outs[k]
		in.Method = append(in.Method, methodLine(n.step, steps[k]))
		if steps[k].Status != StepSucceeded {
			in.Missing = append(in.Missing, fmt.Sprintf("step `%s` %s", n.step.ID, steps[k].Status))
		}
		switch {
		case n.act.agentName() != "":
			in.Agents = append(in.Agents, report.Agent{Step: n.step.ID, Name: n.act.agentName(),
				Final: spec.g.finalAgent(j, anc), Summary: o.summary, Findings: reportFindings(o),
				Handles: o.handles, Own: o.resultHandle})
		case n.act.isData():
			in.Data = append(in.Data, o.resultHandle)
		}
	}
	return in, steps
}

func reportFindings(o outcome) []report.Finding {
	out := make([]report.Finding, len(o.findings))
	for i, f := range o.findings {
		out[i] = report.Finding{Text: f.Text, Handles: f.Handles}
	}
	return out
}

// saveProfile stores the profile of the steps before the report, plus the run so
// far with process CPU time and peak RSS, as a handle.
func (sc *stepContext) saveProfile(ctx context.Context, steps []StepState) (string, error) {
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
	rp := runProfile(time.Since(sc.spec.created), steps)
	u := sc.proc.Usage()
	tok, _ := sc.tokens.totals()
	rows = append(rows, []any{"(run so far)", fmt.Sprintf("cpu user %.0f ms, system %.0f ms, peak RSS %.1f MiB",
		ms(u.CPUUser), ms(u.CPUSystem), float64(u.PeakRSS)/(1<<20)), ms(rp.Wall), nil, ms(rp.LLM), ms(rp.SQL),
		ms(rp.Overhead), tok.PromptTokens, tok.CompletionTokens, int64(tok.LLMCalls)})
	sum, err := sc.spec.st.SaveRows(ctx, "report", sc.spec.ds.Name, cols, rows)
	if err != nil {
		return "", fmt.Errorf("save profile: %w", err)
	}
	return sum.Handle, nil
}
