package pipeline

import (
	"context"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/report"
)

// verifyClaims checks an agent's final answer as the report will: every number
// of a finding against the rows of the handles it cites, the summary against
// all of them and the tool results the agent produced. It returns the
// discrepancies the agent's one repair turn is asked to fix.
func (sc *stepContext) verifyClaims(ctx context.Context, res agent.Result) []string {
	a := report.Agent{Step: sc.id(), Summary: res.Summary, Handles: res.Handles}
	for _, f := range res.Findings {
		a.Findings = append(a.Findings, report.Finding{Text: f.Text, Handles: f.Handles})
	}
	handles := report.Tables(report.Run{Agents: []report.Agent{a}})
	tables := make([]report.Result, len(handles))
	for i, h := range handles {
		tables[i] = fetchResult(ctx, sc.spec.st, h, true)
	}
	if ctx.Err() != nil {
		return nil
	}
	return report.Discrepancies(a, tables)
}
