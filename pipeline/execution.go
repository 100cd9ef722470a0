package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// Causes of a run's cancellation.
var (
	errCanceled = errors.New("pipeline: run canceled")
	errClosing  = errors.New("pipeline: runner closing")
)

// runSpec is what one run is about, fixed before it starts and read-only after.
type runSpec struct {
	id           string
	req          StartRequest
	g            *graph
	agents       map[string]agent.Definition
	ds           store.Dataset
	tools        *tools.Env // nil when the dataset cannot serve tools (no step needs them)
	st           *store.Store
	llm          llm.Client
	llmOptions   llm.Options
	defaultModel string
	randomModels []string // Config.RandomModels
	created      time.Time
	memo         []string         // memo key of each step
	templates    *agent.Templates // the runner's parsed task templates
	toolDefs     *agent.ToolDefs  // the runner's built tool definitions
}

// model resolves the model of an agent step: the step's, the agent's, the run's,
// then the runner's default.
func (spec *runSpec) model(a AgentStep) string {
	for _, m := range []string{a.Model, spec.agents[a.Agent].Model, spec.req.Options.Model, spec.defaultModel} {
		if m != "" {
			return m
		}
	}
	return ""
}

// checkModels reports agent steps that resolve to no model.
func (spec *runSpec) checkModels() error {
	var problems []string
	for _, n := range spec.g.nodes {
		problems = append(problems, n.act.checkRun(fmt.Sprintf("step %q", n.step.ID), spec)...)
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// summaries returns the summaries of up to maxUpstreamResults handles that exist.
func (spec *runSpec) summaries(ctx context.Context, handles []string) []store.Summary {
	var out []store.Summary
	for _, h := range handles {
		if len(out) == maxUpstreamResults {
			break
		}
		if sum, err := spec.st.Result(ctx, h); err == nil {
			out = append(out, sum)
		}
	}
	return out
}

// execution is one run in progress: the scheduler drives the graph, each step's
// action runs, the recorder keeps the state, the event log numbers and fans out
// events and the run log stores them.
type execution struct {
	spec   *runSpec
	sched  *scheduler
	events *eventLog
	rec    *recorder
	tokens *tracker
	runs   *runLog
	proc   processUsage
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the run is final and persisted

	holdMu   sync.Mutex // guards releases
	releases []func()   // end the holds on the run's results (see hold)
	logger   *slog.Logger
	forget   func() // removes the run from the runner's active runs
}

// execute runs the whole pipeline and finishes the run.
func (x *execution) execute(ctx context.Context) {
	if !x.spec.req.Options.Force {
		// A run finishes before its records are stored: wait for those queued
		// so far, so a step an earlier run finished is found as a memo.
		if err := x.runs.flush(ctx); err != nil {
			x.logger.Warn("wait for stored runs", "run", x.spec.id, "err", err)
		}
	}
	x.sched.run(ctx, x.spec.req.Options.MaxParallel, x.handle)
	x.finish(ctx)
}

// handle moves step i from ready to final: it runs it, or skips it when a
// dependency did not succeed, or cancels it when the run is canceled.
func (x *execution) handle(ctx context.Context, i int, readyAt time.Time) {
	status, reason := x.rec.start(ctx, i, readyAt)
	if status != StepRunning {
		x.rec.complete(i, outcome{status: status, err: reason})
		return
	}
	o := x.executeStep(ctx, i)
	x.hold(o.handles...)
	if o.err != nil {
		o.status = StepFailed
		if ctx.Err() != nil {
			o.status = StepCanceled
		}
	}
	x.rec.complete(i, o)
}

// executeStep produces step i's outcome: a memoized one when allowed, else by
// running its action.
func (x *execution) executeStep(ctx context.Context, i int) outcome {
	n := x.spec.g.nodes[i]
	if !x.spec.req.Options.Force {
		if o, ok := x.memoized(ctx, i); ok {
			return o
		}
	}
	ctx, endSession := llm.WithSession(ctx) // the step's LLM calls are one conversation
	defer endSession()
	o := n.act.run(ctx, &stepContext{spec: x.spec, i: i, events: x.events, rec: x.rec, tokens: x.tokens, proc: x.proc,
		keep: x.runs.result, hold: x.hold})
	if o.err == nil {
		o.status = StepSucceeded
	}
	return o
}

// memoized returns the stored outcome of a step with step i's memo key whose
// handles all still exist, with the summaries dependents read.
func (x *execution) memoized(ctx context.Context, i int) (outcome, bool) {
	key := x.spec.memo[i]
	sr, ok, err := x.runs.memo(ctx, key)
	if err != nil {
		x.logger.Warn("memo lookup", "key", key, "err", err)
	}
	if !ok {
		return outcome{}, false
	}
	for _, h := range sr.State.Handles {
		if _, err := x.spec.st.Result(ctx, h); err != nil {
			return outcome{}, false
		}
	}
	o := outcome{status: StepCached, summary: sr.Summary, findings: sr.Findings,
		handles: slices.Clone(sr.State.Handles), resultHandle: sr.State.ResultHandle,
		toolCalls: sr.State.ToolCalls}
	if n := x.spec.g.nodes[i]; len(n.dependents) > 0 {
		o.results = x.spec.summaries(ctx, n.act.handOff(o))
	}
	return o, true
}

// finish decides the run's final status and emits run_finished, then waits
// until the run log has stored the run before the run leaves the active set.
// Watchers see run_finished as soon as the run is final, without waiting for
// storage; until it is stored, Get, List and Watch answer from the active
// run, so anyone reading storage after the run leaves the active set finds
// the whole run and its events stored.
func (x *execution) finish(ctx context.Context) {
	run := x.rec.finish(ctx, x.proc.Usage())
	x.runs.run(run)
	x.events.emit(Event{Type: EventRunFinished, Run: &run, Message: fmt.Sprintf("run %s %s in %v",
		run.ID, run.Status, run.Profile.Wall.Round(time.Millisecond))})
	x.proc.end() // after run_finished: ending the last window wakes the sampler to stop it
	if err := x.runs.flush(persistCtx(ctx)); err != nil {
		x.logger.Error("store run", "run", run.ID, "err", err)
	}
	x.release()
	x.forget()
	close(x.done)
}

// hold keeps handles the run made from the store's retention until the run
// is stored: retention keeps the results stored runs cite, and the run log
// stores a step's record (and the run's) only after the fact.
func (x *execution) hold(handles ...string) {
	if len(handles) == 0 {
		return
	}
	release := x.spec.st.Hold(handles...)
	x.holdMu.Lock()
	x.releases = append(x.releases, release)
	x.holdMu.Unlock()
}

// release ends the run's holds: its records, which cite its results, are stored.
func (x *execution) release() {
	x.holdMu.Lock()
	defer x.holdMu.Unlock()
	for _, f := range x.releases {
		f()
	}
	x.releases = nil
}

// stepContext is what a step's action may use while it runs: the run's spec,
// its upstream results, and the run's events and token tracker.
type stepContext struct {
	spec   *runSpec
	i      int
	events *eventLog
	rec    *recorder
	tokens *tracker
	proc   processUsage
	keep   func(*store.Pending) // queues a deferred result for storage with the step
	hold   func(...string)      // keeps handles from retention until the run is stored
}

func (sc *stepContext) id() string          { return sc.spec.g.nodes[sc.i].step.ID }
func (sc *stepContext) hasDependents() bool { return len(sc.spec.g.nodes[sc.i].dependents) > 0 }

// upstream is what the step's dependencies hand it, in DependsOn order.
func (sc *stepContext) upstream() []agent.Upstream { return sc.rec.upstream(sc.i) }

// emit emits an event of the step.
func (sc *stepContext) emit(ev Event) {
	ev.StepID, ev.Stage = sc.id(), sc.spec.g.nodes[sc.i].stage
	sc.events.emit(ev)
}

// emitTool emits a tool_call event of the step.
func (sc *stepContext) emitTool(tool, args, handle string, d time.Duration, err error) {
	tc := &ToolCall{Tool: tool, Args: args, Handle: handle, Duration: d}
	msg := fmt.Sprintf("%s → %s in %v", tool, handle, d.Round(time.Microsecond))
	if err != nil {
		tc.Error, msg = err.Error(), fmt.Sprintf("%s failed: %v", tool, err)
	}
	sc.emit(Event{Type: EventToolCall, Message: msg, Tool: tc})
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
