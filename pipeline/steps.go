package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// maxUpstreamResults bounds the result summaries one step hands to a dependent.
const maxUpstreamResults = 8

// executeStep produces step i's outcome: a memoized one when allowed, else by
// running it.
func (x *execution) executeStep(ctx context.Context, i int) outcome {
	if !x.req.Options.Force {
		if o, ok := x.r.memoized(ctx, x.memo[i], len(x.g.dependents[i]) > 0); ok {
			return o
		}
	}
	s := x.g.steps[i]
	var o outcome
	switch {
	case s.Agent != nil:
		o = x.runAgent(ctx, i)
	case s.Tool != nil:
		o = x.runTool(ctx, i)
	case s.SQL != nil:
		o = x.runSQL(ctx, i)
	case s.Report != nil:
		o = x.runReport(ctx, i)
	}
	if o.err == nil {
		o.status = StepSucceeded
	}
	return o
}

// upstream is what step i's dependencies hand it, in DependsOn order.
func (x *execution) upstream(i int) []agent.Upstream {
	x.mu.Lock()
	defer x.mu.Unlock()
	var ups []agent.Upstream
	for _, j := range x.g.deps[i] {
		s, o := x.g.steps[j], x.out[j]
		up := agent.Upstream{StepID: s.ID, Results: o.results}
		if s.Agent != nil {
			up.Agent, up.Output = s.Agent.Agent, o.output()
		}
		ups = append(ups, up)
	}
	return ups
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

// observer feeds step i's LLM and tool calls to the tracker, the meter and the events.
func (x *execution) observer(ctx context.Context, i int, m *stepMeter) agent.Observer {
	s := x.g.steps[i]
	stage := x.g.stage[i]
	return agent.Observer{
		OnLLMCall: func(c agent.Call) {
			x.tokens.add(s.ID, s.Agent.Agent, c.Usage)
			m.addLLM(c.Usage.Wall)
			x.r.saver.tokens(store.TokenRecord{RunID: x.run.ID, StepID: s.ID, Agent: s.Agent.Agent,
				Model: c.Model, Turn: c.Turn, PromptTokens: c.Usage.PromptTokens,
				CompletionTokens: c.Usage.CompletionTokens, Wall: c.Usage.Wall, Time: time.Now()})
			u := c.Usage
			x.emit(Event{Type: EventLLMCall, StepID: s.ID, Stage: stage,
				Message: fmt.Sprintf("%s turn %d: %d prompt + %d completion tokens in %v", c.Model, c.Turn,
					u.PromptTokens, u.CompletionTokens, u.Wall.Round(time.Millisecond)),
				LLM: &LLMCall{Model: c.Model, PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens,
					Total: u.TotalDuration, Load: u.LoadDuration, PromptEval: u.PromptEvalDuration,
					Eval: u.EvalDuration, Wall: u.Wall, Turn: c.Turn}})
		},
		OnToolCall: func(u agent.ToolUse) {
			m.addTool(u.Duration)
			x.emitTool(i, u.Tool, string(u.Args), u.Handle, u.Duration, u.Err)
		},
	}
}

// emitTool emits a tool_call event of step i.
func (x *execution) emitTool(i int, tool, args, handle string, d time.Duration, err error) {
	tc := &ToolCall{Tool: tool, Args: args, Handle: handle, Duration: d}
	msg := fmt.Sprintf("%s → %s in %v", tool, handle, d.Round(time.Microsecond))
	if err != nil {
		tc.Error, msg = err.Error(), fmt.Sprintf("%s failed: %v", tool, err)
	}
	x.emit(Event{Type: EventToolCall, StepID: x.g.steps[i].ID, Stage: x.g.stage[i], Message: msg, Tool: tc})
}

// runAgent runs an agent step through the agent loop.
func (x *execution) runAgent(ctx context.Context, i int) outcome {
	s := x.g.steps[i]
	task := agent.Task{Def: x.g.agents[s.Agent.Agent], Prompt: s.Agent.Task, Dataset: x.ds.Name,
		Inputs: x.req.Inputs, Upstream: x.upstream(i), Context: x.req.Options.Context,
		ToolMode: x.req.Options.ToolMode, Model: x.model(s), Options: x.r.cfg.LLMOptions,
		MinToolCalls: minToolCalls(x.g.agents[s.Agent.Agent])}
	var m stepMeter
	res, err := agent.Run(ctx, x.r.model, x.r.st, task, x.observer(ctx, i, &m))
	m.mu.Lock()
	o := outcome{summary: res.Summary, findings: res.Findings, handles: res.Handles,
		toolCalls: m.toolCalls, llm: m.llm, sql: m.sql}
	m.mu.Unlock()
	if err != nil {
		o.err = fmt.Errorf("agent %s: %w", s.Agent.Agent, err)
		return o
	}
	if err := x.saveFindings(ctx, i, &o); err != nil {
		o.err = err
		return o
	}
	if len(x.g.dependents[i]) > 0 { // only dependents read the summaries
		o.results = x.r.summaries(ctx, upstreamHandles(KindAgent, o))
	}
	return o
}

// saveFindings stores an agent's summary and findings as a result handle.
func (x *execution) saveFindings(ctx context.Context, i int, o *outcome) error {
	cols := []store.Column{{Name: "kind", Type: "VARCHAR"}, {Name: "text", Type: "VARCHAR"},
		{Name: "handles", Type: "VARCHAR"}}
	rows := [][]any{{"summary", o.summary, ""}}
	for _, f := range o.findings {
		rows = append(rows, []any{"finding", f.Text, joinHandles(f.Handles)})
	}
	sum, err := x.r.st.SaveRows(ctx, fmt.Sprintf("step:%s/%s", x.run.ID, x.g.steps[i].ID), x.ds.Name, cols, rows)
	if err != nil {
		return fmt.Errorf("save findings: %w", err)
	}
	o.resultHandle = sum.Handle
	o.handles = append(o.handles, sum.Handle)
	return nil
}

// upstreamHandles lists the handles a step hands its dependents: an agent's
// (citedFirst), or a tool or SQL step's result.
func upstreamHandles(kind string, o outcome) []string {
	if kind == KindAgent {
		return citedFirst(o)
	}
	return []string{o.resultHandle}
}

// citedFirst lists an agent's handles: those its findings cite, then the others it
// produced, without its own findings handle.
func citedFirst(o outcome) []string {
	var hs []string
	for _, f := range o.findings {
		hs = append(hs, f.Handles...)
	}
	hs = append(hs, o.handles...)
	hs = slices.DeleteFunc(hs, func(h string) bool { return h == o.resultHandle })
	return uniq(hs)
}

// runTool calls a tool directly.
func (x *execution) runTool(ctx context.Context, i int) outcome {
	t := x.g.steps[i].Tool
	start := time.Now()
	sum, err := tools.Call(ctx, x.r.st, x.ds.Name, t.Tool, t.Args)
	d := time.Since(start)
	x.emitTool(i, t.Tool, string(t.Args), sum.Handle, d, err)
	if err != nil {
		return outcome{sql: d, toolCalls: 1, err: fmt.Errorf("tool %s: %w", t.Tool, err)}
	}
	return resultOutcome(sum, d, 1)
}

// runSQL runs a read-only SQL cell.
func (x *execution) runSQL(ctx context.Context, i int) outcome {
	start := time.Now()
	sum, err := x.r.st.RunSQL(ctx, x.g.steps[i].SQL.SQL)
	d := time.Since(start)
	if err != nil {
		return outcome{sql: d, err: fmt.Errorf("sql: %w", err)}
	}
	return resultOutcome(sum, d, 0)
}

// resultOutcome is the outcome of a step that produced one stored result.
func resultOutcome(sum store.Summary, d time.Duration, calls int) outcome {
	return outcome{summary: sum.Text, resultHandle: sum.Handle, handles: []string{sum.Handle},
		results: []store.Summary{sum}, sql: d, toolCalls: calls}
}

// summaries returns the summaries of up to maxUpstreamResults handles that exist.
func (r *Runner) summaries(ctx context.Context, handles []string) []store.Summary {
	var out []store.Summary
	for _, h := range handles {
		if len(out) == maxUpstreamResults {
			break
		}
		if sum, err := r.st.Result(ctx, h); err == nil {
			out = append(out, sum)
		}
	}
	return out
}

// memoized returns the stored outcome of a step with memo key key whose handles all
// still exist, with the summaries dependents read when withResults.
func (r *Runner) memoized(ctx context.Context, key string, withResults bool) (outcome, bool) {
	rec, err := r.st.MemoStep(ctx, key, string(StepSucceeded), string(StepCached))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			r.cfg.Logger.Warn("memo lookup", "key", key, "err", err)
		}
		return outcome{}, false
	}
	var sr stepRecord
	if err := json.Unmarshal(rec.Data, &sr); err != nil {
		return outcome{}, false
	}
	for _, h := range sr.State.Handles {
		if _, err := r.st.Result(ctx, h); err != nil {
			return outcome{}, false
		}
	}
	o := outcome{status: StepCached, summary: sr.Summary, findings: sr.Findings,
		handles: slices.Clone(sr.State.Handles), resultHandle: sr.State.ResultHandle,
		toolCalls: sr.State.ToolCalls}
	if withResults {
		o.results = r.summaries(ctx, upstreamHandles(sr.State.Kind, o))
	}
	return o, true
}

// joinHandles formats handles for text, e.g. "res_1, res_2".
func joinHandles(hs []string) string { return strings.Join(hs, ", ") }

// uniq removes repeated and empty strings, keeping the first occurrence.
func uniq(xs []string) []string {
	seen := map[string]bool{}
	return slices.DeleteFunc(xs, func(s string) bool {
		dup := seen[s] || s == ""
		seen[s] = true
		return dup
	})
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
