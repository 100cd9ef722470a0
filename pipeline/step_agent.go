package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// maxUpstreamResults bounds the result summaries one step hands to a dependent.
const maxUpstreamResults = 8

// agentAction runs an agent through the agent loop.
type agentAction struct{ AgentStep }

func (agentAction) needsTools() bool                                 { return false } // an agent reports missing tools when it runs
func (agentAction) isData() bool                                     { return false }
func (agentAction) isReport() bool                                   { return false }
func (agentAction) kind() string                                     { return KindAgent }
func (a agentAction) describe() string                               { return "agent " + a.Agent }
func (a agentAction) agentName() string                              { return a.Agent }
func (agentAction) checkData(string, map[string]tools.Info) []string { return nil }

// check reports an unknown agent or a task override that is not a valid template.
func (a agentAction) check(name string, c checkContext) []string {
	def, ok := c.agents[a.Agent]
	if !ok {
		return []string{fmt.Sprintf("%s: unknown agent %q", name, a.Agent)}
	}
	if a.Task != "" {
		def.Task = a.Task
		if err := c.templates.Validate(def); err != nil {
			return []string{fmt.Sprintf("%s: task: %v", name, err)}
		}
	}
	return nil
}

// checkRun reports an agent step that resolves to no model.
func (a agentAction) checkRun(name string, spec *runSpec) []string {
	if spec.model(a.AgentStep) == "" {
		return []string{name + ": no model (set the step's, the agent's or the run's model)"}
	}
	return nil
}

func (a agentAction) memo(in *memoInput, spec *runSpec) {
	def := spec.agents[a.Agent]
	in.Agent, in.Task, in.Model = &def, a.Task, spec.model(a.AgentStep)
	in.LLMOptions, in.Inputs = &spec.llmOptions, &spec.req.Inputs
	in.Context, in.ToolMode = spec.req.Options.Context, spec.req.Options.ToolMode
}

// handOff lists the handles its findings cite, then the others it produced,
// without its own findings handle.
func (agentAction) handOff(o outcome) []string {
	var hs []string
	for _, f := range o.findings {
		hs = append(hs, f.Handles...)
	}
	hs = append(hs, o.handles...)
	hs = slices.DeleteFunc(hs, func(h string) bool { return h == o.resultHandle })
	return uniq(hs)
}

func (a agentAction) run(ctx context.Context, sc *stepContext) outcome {
	spec := sc.spec
	def := spec.agents[a.Agent]
	task := agent.Task{Def: def, Prompt: a.Task, Dataset: spec.ds.Name,
		Inputs: spec.req.Inputs, Upstream: sc.upstream(), Context: spec.req.Options.Context,
		ToolMode: spec.req.Options.ToolMode, Model: spec.model(a.AgentStep), Options: spec.llmOptions,
		MinToolCalls: minToolCalls(def), Templates: spec.templates, ToolDefs: spec.toolDefs}
	if !slices.Contains(spec.randomModels, task.Model) { // a random-weight model's prose cannot be repaired
		task.Verify = sc.verifyClaims
	}
	if spec.tools != nil { // else the agent builds them and reports why it cannot
		task.Tools = spec.tools
	}
	var m stepMeter
	res, err := agent.Run(ctx, spec.llm, spec.st, task, sc.observer(a.Agent, &m))
	m.mu.Lock()
	o := outcome{summary: res.Summary, findings: res.Findings, handles: res.Handles,
		toolCalls: m.toolCalls, llm: max(m.llm, res.LLMTime), sql: m.sql} // LLMTime counts failed and canceled calls too
	m.mu.Unlock()
	if err != nil {
		o.err = fmt.Errorf("agent %s: %w", a.Agent, err)
		return o
	}
	if err := sc.saveFindings(ctx, &o); err != nil {
		o.err = err
		return o
	}
	if sc.hasDependents() { // only dependents read the summaries
		o.results = spec.summaries(ctx, a.handOff(o))
	}
	return o
}

// saveFindings stores an agent's summary and findings as a result handle.
func (sc *stepContext) saveFindings(ctx context.Context, o *outcome) error {
	cols := []store.Column{{Name: "kind", Type: "VARCHAR"}, {Name: "text", Type: "VARCHAR"},
		{Name: "handles", Type: "VARCHAR"}}
	rows := [][]any{{"summary", o.summary, ""}}
	for _, f := range o.findings {
		rows = append(rows, []any{"finding", f.Text, joinHandles(f.Handles)})
	}
	// Stored with the step's record, in the run log's next batch; readable at once.
	sum, pending, err := sc.spec.st.SaveRowsDeferred(ctx, "step:"+sc.spec.id+"/"+sc.id(), sc.spec.ds.Name, cols, rows)
	if err != nil {
		return fmt.Errorf("save findings: %w", err)
	}
	if pending != nil {
		sc.keep(pending)
	}
	o.resultHandle = sum.Handle
	o.handles = append(o.handles, sum.Handle)
	return nil
}

// stepMeter accumulates one step's LLM and SQL time and tool calls from observer
// callbacks, which may come from several goroutines.
type stepMeter struct {
	mu        sync.Mutex // guards the fields below
	llm, sql  time.Duration
	toolCalls int
}

func (m *stepMeter) addLLM(d time.Duration) { m.mu.Lock(); m.llm += d; m.mu.Unlock() }
func (m *stepMeter) addTool(d time.Duration) {
	m.mu.Lock()
	m.sql += d
	m.toolCalls++
	m.mu.Unlock()
}

// observer feeds the step's LLM and tool calls to the tracker, the meter and the events.
func (sc *stepContext) observer(agentName string, m *stepMeter) agent.Observer {
	return agent.Observer{
		OnLLMCall: func(c agent.Call) {
			sc.tokens.add(sc.id(), agentName, c.Usage)
			m.addLLM(c.Usage.Wall)
			u := c.Usage
			repair := ""
			if c.Repair {
				repair = " (repair of unverified numbers)"
			}
			sc.emit(Event{Type: EventLLMCall,
				Message: c.Model + " turn " + strconv.Itoa(c.Turn) + repair + ": " + strconv.FormatInt(u.PromptTokens, 10) +
					" prompt + " + strconv.FormatInt(u.CompletionTokens, 10) + " completion tokens in " + u.Wall.Round(time.Millisecond).String(),
				LLM: &LLMCall{Agent: agentName, Model: c.Model, PromptTokens: u.PromptTokens,
					CompletionTokens: u.CompletionTokens, Total: u.TotalDuration, Load: u.LoadDuration,
					PromptEval: u.PromptEvalDuration, Eval: u.EvalDuration, Wall: u.Wall, Turn: c.Turn, Host: c.Host}})
		},
		OnToolCall: func(u agent.ToolUse) {
			if u.Handle != "" {
				sc.hold(u.Handle) // the agent may cite it: no stored record does yet
			}
			m.addTool(u.Duration)
			sc.emitTool(u.Tool, string(u.Args), u.Handle, u.Duration, u.Err)
		},
	}
}

// minToolCalls makes an agent that has tools look at the data at least once
// before it answers, so its findings can cite a handle rather than the model's
// imagination.
func minToolCalls(d agent.Definition) int {
	if len(d.Tools) > 0 && d.MaxSteps > 0 {
		return 1
	}
	return 0
}
