package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// action is what one step does, resolved once when the graph is built, as cmd/go
// turns each node into an Action with an Actor: validation, memo keys, the
// executor and the report ask the action, never which field of [Step] is set.
// [resolve] is the only place that looks at the kind.
type action interface {
	// kind is KindAgent, KindTool, KindSQL or KindReport.
	kind() string
	// describe names what the step does, e.g. "agent competitive_analyst".
	describe() string
	// agentName is the agent of an agent step, else "".
	agentName() string
	// needsTools reports whether validation must check the step against the
	// dataset's tools.
	needsTools() bool
	// isData reports whether the step's result is data the report renders.
	isData() bool
	// isReport reports whether the step's result is the run's report.
	isReport() bool
	// check reports the problems of the step's own definition; name is `step "id"`.
	check(name string, c checkContext) []string
	// checkData reports what only the dataset's tools can tell (e.g. tool arguments).
	checkData(name string, infos map[string]tools.Info) []string
	// checkRun reports what the run's settings leave undecided (e.g. no model).
	checkRun(name string, spec *runSpec) []string
	// memo adds what the step's result depends on besides its upstream keys.
	memo(in *memoInput, spec *runSpec)
	// run executes the step; the executor adds memoization, status and events.
	run(ctx context.Context, sc *stepContext) outcome
	// handOff lists the handles a finished step hands its dependents.
	handOff(o outcome) []string
}

// checkContext is what validating a step's own definition needs.
type checkContext struct {
	agents    map[string]agent.Definition
	tools     map[string]bool
	hasDeps   bool
	templates *agent.Templates // parsed task templates (nil: parse each time)
}

// resolve turns a step into its action; a step with no kind or several is an error
// naming them.
func resolve(s Step) (action, error) {
	var acts []action
	if s.Agent != nil {
		acts = append(acts, agentAction{*s.Agent})
	}
	if s.Report != nil {
		acts = append(acts, reportAction{*s.Report})
	}
	if s.SQL != nil {
		acts = append(acts, sqlAction{*s.SQL})
	}
	if s.Tool != nil {
		acts = append(acts, toolAction{*s.Tool})
	}
	switch len(acts) {
	case 0:
		return nil, fmt.Errorf("no kind set (want one of agent, tool, sql, report)")
	case 1:
		return acts[0], nil
	}
	kinds := make([]string, len(acts))
	for i, a := range acts {
		kinds[i] = a.kind()
	}
	return nil, fmt.Errorf("several kinds set (%s); want exactly one", strings.Join(kinds, ", "))
}

// Kind returns "agent", "tool", "sql" or "report"; "" when no kind or several are set.
func (s Step) Kind() string {
	a, err := resolve(s)
	if err != nil {
		return ""
	}
	return a.kind()
}

// outcome is what executing one step produced.
type outcome struct {
	status       StepStatus
	summary      string
	findings     []agent.Finding
	handles      []string
	resultHandle string
	results      []store.Summary // summaries handed to dependents
	toolCalls    int
	claims       *ClaimCounts // a report step's claim check
	llm, sql     time.Duration
	err          error
}

// output is the text a step shows: an agent's summary and findings with the
// handles they cite, or a tool or SQL result's summary.
func (o outcome) output() string {
	if len(o.findings) == 0 {
		return o.summary
	}
	s := o.summary
	for _, f := range o.findings {
		s += "\n- " + f.Text
		if len(f.Handles) > 0 {
			s += fmt.Sprintf(" [%s]", joinHandles(f.Handles))
		}
	}
	return s
}

// resultOutcome is the outcome of a step that produced one stored result.
func resultOutcome(sum store.Summary, d time.Duration, calls int) outcome {
	return outcome{summary: sum.Text, resultHandle: sum.Handle, handles: []string{sum.Handle},
		results: []store.Summary{sum}, sql: d, toolCalls: calls}
}

// joinHandles formats handles for text, e.g. "res_1, res_2".
func joinHandles(hs []string) string { return strings.Join(hs, ", ") }
