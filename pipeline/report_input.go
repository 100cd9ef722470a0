package pipeline

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/report"
)

// inputLines are the run's inputs that are set, as "name: value" lines.
func inputLines(in agent.Inputs) []string {
	var out []string
	add := func(name, v string) {
		if v != "" {
			out = append(out, name+": "+v)
		}
	}
	add("target audience", in.TargetAudience)
	if in.Budget != 0 {
		add("budget", report.Num(in.Budget))
	}
	add("duration", in.Duration)
	add("campaign goals", in.CampaignGoals)
	add("analysis focus", in.AnalysisFocus)
	add("brands", strings.Join(in.Brands, ", "))
	keys := make([]string, 0, len(in.Extra))
	for k := range in.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, in.Extra[k])
	}
	return out
}

// agentModels names the models of the agent steps among nodes and whether any
// of them is a random-weight test model.
func (spec *runSpec) agentModels(nodes []int) (string, bool) {
	var ms []string
	random := false
	for _, j := range nodes {
		if a := spec.g.nodes[j].step.Agent; a != nil {
			m := spec.model(*a)
			ms = append(ms, m)
			random = random || slices.Contains(spec.randomModels, m)
		}
	}
	slices.Sort(ms)
	return strings.Join(slices.Compact(ms), ", "), random
}

// optionsText prints the LLM options that are set, e.g. "temperature 0, seed 1".
func optionsText(o llm.Options) string {
	var out []string
	if o.Temperature != nil {
		out = append(out, fmt.Sprintf("temperature %g", *o.Temperature))
	}
	if o.Seed != nil {
		out = append(out, fmt.Sprintf("seed %d", *o.Seed))
	}
	if o.NumCtx != nil {
		out = append(out, fmt.Sprintf("context %d tokens", *o.NumCtx))
	}
	if o.NumPredict != nil {
		out = append(out, fmt.Sprintf("at most %d tokens per answer", *o.NumPredict))
	}
	return strings.Join(out, ", ")
}

// methodLine says what a step ran: a tool with its arguments, a SQL query, or
// an agent with the tools it called.
func methodLine(s Step, st StepState) string {
	head := fmt.Sprintf("`%s` (%s): ", s.ID, st.Status)
	switch {
	case s.Tool != nil:
		args := string(s.Tool.Args)
		if args == "" {
			args = "{}"
		}
		return head + fmt.Sprintf("tool `%s` with arguments `%s`", s.Tool.Tool, args)
	case s.SQL != nil:
		return head + "SQL `" + strings.Join(strings.Fields(s.SQL.SQL), " ") + "`"
	case s.Agent != nil:
		return head + fmt.Sprintf("agent `%s`, %d tool calls, results %s", s.Agent.Agent, st.ToolCalls, handleList(st.Handles))
	}
	return head + st.Kind
}

func handleList(hs []string) string {
	if len(hs) == 0 {
		return "none"
	}
	return "`" + strings.Join(hs, "`, `") + "`"
}
