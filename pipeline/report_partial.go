package pipeline

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/report"
)

// partialReport renders, without storing it, the report of a finished run
// whose report step did not run (the run failed or was canceled): what the
// steps that succeeded produced, and which steps are missing.
func (r *Runner) partialReport(ctx context.Context, run Run) (string, error) {
	title := "Partial report: " + run.Pipeline.Name
	in := report.Run{Title: title, RunID: run.ID, Pipeline: run.Pipeline.Name, Dataset: run.Dataset,
		Generated: time.Now(), Inputs: inputLines(run.Inputs), Model: run.Options.Model}
	if in.Model == "" {
		in.Model = r.cfg.DefaultModel
	}
	for _, s := range run.Steps {
		if s.Status != StepSucceeded && s.Status != StepCached {
			in.Missing = append(in.Missing, fmt.Sprintf("step `%s` %s (run %s)", s.ID, s.Status, run.Status))
			continue
		}
		switch s.Kind {
		case KindAgent:
			sum, fs := parseOutput(s.Output)
			in.Agents = append(in.Agents, report.Agent{Step: s.ID, Name: s.Agent, Summary: sum, Findings: fs,
				Handles: s.Handles, Own: s.ResultHandle})
		case KindTool, KindSQL:
			in.Data = append(in.Data, s.ResultHandle)
		}
		in.Method = append(in.Method, fmt.Sprintf("`%s` (%s): %s", s.ID, s.Status, s.Kind))
	}
	handles := report.Tables(in)
	tables := make([]report.Result, len(handles))
	for i, h := range handles {
		tables[i] = fetchResult(ctx, r.st, h, true)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("partial report: %w", err)
	}
	profile := report.Result{Handle: "(not stored)", PageErr: fmt.Errorf("the run ended %s before its report step", run.Status)}
	var b strings.Builder
	for _, s := range report.Render(in, tables, profile) {
		b.WriteString(s.Markdown)
	}
	return b.String(), nil
}

// findingRE is a finding line of a step's output: "- text [res_a, res_b]".
var findingRE = regexp.MustCompile(`^- (.*?)(?: \[((?:res_[0-9a-f]+(?:, )?)+)\])?$`)

// parseOutput splits an agent step's output (see outcome.output) back into its
// summary and findings.
func parseOutput(out string) (string, []report.Finding) {
	var sum []string
	var fs []report.Finding
	for _, line := range strings.Split(out, "\n") {
		m := findingRE.FindStringSubmatch(line)
		if m == nil {
			sum = append(sum, line)
			continue
		}
		f := report.Finding{Text: m[1]}
		if m[2] != "" {
			f.Handles = strings.Split(m[2], ", ")
		}
		fs = append(fs, f)
	}
	return strings.TrimSpace(strings.Join(sum, "\n")), fs
}

// hasReportStep tells whether p has a report step.
func hasReportStep(p Pipeline) bool {
	for _, s := range p.Steps {
		if s.Report != nil {
			return true
		}
	}
	return false
}
