package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
)

// Causes of a run's cancellation.
var (
	errCanceled = errors.New("pipeline: run canceled")
	errClosing  = errors.New("pipeline: runner closing")
)

// execution is one run in progress. The scheduler has the shape of cmd/go's
// (*Builder).Do: pending-dependency counts, a ready queue, N workers, and a step
// whose dependency did not succeed is skipped instead of run.
type execution struct {
	r      *Runner
	req    StartRequest
	g      *graph
	ds     store.Dataset
	memo   []string
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the run is final and persisted
	tokens *tracker
	prof   *profiler

	// mu guards the run snapshot (run), the steps' outputs (out), the scheduler's
	// pending counts, ready queue and ready times, the stage counters, the event log
	// and its change signal.
	mu         sync.Mutex
	run        Run
	out        []outcome
	pending    []int       // dependencies of each step not yet final
	ready      []int       // steps whose dependencies are final, FIFO
	readyAt    []time.Time // when each step became ready
	left       int         // steps not yet final
	stageLeft  []int       // steps of each stage not yet final
	stageBegun []bool      // stage_started emitted
	events     []Event     // events[k].Seq == k+1
	changed    chan struct{}
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
	llm, sql     time.Duration
	err          error
}

// newExecution prepares run id of req over the validated graph g.
func newExecution(r *Runner, id string, req StartRequest, g *graph, ds store.Dataset) *execution {
	n := len(g.steps)
	x := &execution{r: r, req: req, g: g, ds: ds, done: make(chan struct{}), tokens: newTracker(),
		out: make([]outcome, n), pending: make([]int, n), readyAt: make([]time.Time, n), left: n,
		stageLeft: make([]int, len(g.stages)), stageBegun: make([]bool, len(g.stages)),
		changed: make(chan struct{})}
	x.memo = x.memoKeys()
	x.run = Run{ID: id, Status: RunRunning, Dataset: ds.Name, Pipeline: req.Pipeline,
		Inputs: req.Inputs, Options: req.Options, Stages: g.stages, CreatedAt: time.Now().UTC(),
		Steps: make([]StepState, n)}
	for i, s := range g.steps {
		x.pending[i] = len(g.deps[i])
		x.stageLeft[g.stage[i]]++
		x.run.Steps[i] = StepState{ID: s.ID, Kind: s.Kind(), Stage: g.stage[i], Status: StepPending,
			MemoKey: x.memo[i]}
		if s.Agent != nil {
			x.run.Steps[i].Agent = s.Agent.Agent
		}
	}
	return x
}

// model resolves the model of an agent step: the step's, the agent's, the run's,
// then the runner's default.
func (x *execution) model(s Step) string {
	for _, m := range []string{s.Agent.Model, x.g.agents[s.Agent.Agent].Model,
		x.req.Options.Model, x.r.cfg.DefaultModel} {
		if m != "" {
			return m
		}
	}
	return ""
}

// execute runs the whole pipeline and finishes the run.
func (x *execution) execute(ctx context.Context) {
	x.prof = startProfiler()
	n := len(x.g.steps)
	// readySema has room for every step and each step is made ready exactly once,
	// so a send never blocks (and must not be dropped on cancellation: every step,
	// even a canceled one, passes through a worker to become final).
	readySema := make(chan struct{}, n)
	x.mu.Lock()
	now := time.Now()
	for i := range x.g.steps {
		if x.pending[i] == 0 {
			x.ready, x.readyAt[i] = append(x.ready, i), now
			readySema <- struct{}{}
		}
	}
	x.mu.Unlock()
	var wg sync.WaitGroup
	for range min(x.req.Options.MaxParallel, n) {
		wg.Go(func() {
			for range readySema { // receiving entitles a worker to pop the ready queue
				x.mu.Lock()
				i := x.ready[0]
				x.ready = x.ready[1:]
				x.mu.Unlock()
				x.handle(ctx, i, readySema)
			}
		})
	}
	wg.Wait()
	x.finish(ctx)
}

// handle moves step i from ready to final: it runs it, or skips it when a
// dependency did not succeed, or cancels it when the run is canceled.
func (x *execution) handle(ctx context.Context, i int, readySema chan struct{}) {
	status, reason := x.begin(ctx, i)
	if status != StepRunning {
		x.complete(i, outcome{status: status, err: reason}, readySema)
		return
	}
	o := x.executeStep(ctx, i)
	if o.err != nil {
		o.status = StepFailed
		if ctx.Err() != nil {
			o.status = StepCanceled
		}
	}
	x.complete(i, o, readySema)
}

// begin decides what happens to ready step i and, when it runs, marks it running.
func (x *execution) begin(ctx context.Context, i int) (StepStatus, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if ctx.Err() != nil {
		return StepCanceled, fmt.Errorf("canceled before it started: %w", context.Cause(ctx))
	}
	for _, j := range x.g.deps[i] {
		if st := x.run.Steps[j]; !st.Status.Done() {
			return StepSkipped, fmt.Errorf("skipped: dependency %q %s", st.ID, st.Status)
		}
	}
	now := time.Now()
	st := &x.run.Steps[i]
	st.Status, st.StartedAt = StepRunning, now.UTC()
	st.Profile.QueueWait = now.Sub(x.readyAt[i])
	x.beginStageLocked(st.Stage)
	x.r.saver.step(x.run.ID, x.stepRecordLocked(i))
	x.emitLocked(Event{Type: EventStepStarted, StepID: st.ID, Stage: st.Stage, Step: ptr(*st),
		Message: fmt.Sprintf("step %s (%s) started", st.ID, x.describe(i))})
	return StepRunning, nil
}

// describe names what step i does, e.g. "agent competitive_analyst".
func (x *execution) describe(i int) string {
	s := x.g.steps[i]
	switch {
	case s.Agent != nil:
		return "agent " + s.Agent.Agent
	case s.Tool != nil:
		return "tool " + s.Tool.Tool
	}
	return s.Kind()
}

// beginStageLocked emits stage_started for the first step of stage k to be handled.
func (x *execution) beginStageLocked(k int) {
	if x.stageBegun[k] {
		return
	}
	x.stageBegun[k] = true
	x.emitLocked(Event{Type: EventStageStarted, Stage: k,
		Message: fmt.Sprintf("stage %d started: %v", k, x.g.stages[k].StepIDs)})
}

// complete records the final outcome of step i, persists it, and makes its
// dependents whose dependencies are now all final ready.
func (x *execution) complete(i int, o outcome, readySema chan struct{}) {
	x.mu.Lock()
	defer x.mu.Unlock()
	st := x.recordLocked(i, o)
	x.r.saver.step(x.run.ID, x.stepRecordLocked(i))
	now := time.Now()
	for _, j := range x.g.dependents[i] {
		if x.pending[j]--; x.pending[j] == 0 {
			x.ready, x.readyAt[j] = append(x.ready, j), now
			readySema <- struct{}{} // never blocks: see execute
		}
	}
	if x.stageLeft[st.Stage]--; x.stageLeft[st.Stage] == 0 {
		x.emitLocked(Event{Type: EventStageFinished, Stage: st.Stage,
			Message: fmt.Sprintf("stage %d finished", st.Stage)})
	}
	if x.left--; x.left == 0 {
		close(readySema)
	}
}

// recordLocked stores o as step i's state and emits its event.
func (x *execution) recordLocked(i int, o outcome) StepState {
	x.out[i] = o
	st := &x.run.Steps[i]
	x.beginStageLocked(st.Stage) // a stage of skipped or canceled steps starts too
	if o.status != StepSkipped && o.status != StepCanceled || !st.StartedAt.IsZero() {
		st.FinishedAt = time.Now().UTC()
	}
	st.Status, st.Output, st.ToolCalls = o.status, o.output(), o.toolCalls
	st.ResultHandle, st.Handles = o.resultHandle, o.handles
	st.Tokens = x.tokens.step(st.ID)
	if o.err != nil {
		st.Error = o.err.Error()
	}
	if !st.StartedAt.IsZero() {
		st.Profile.Wall = st.FinishedAt.Sub(st.StartedAt)
		st.Profile.LLM, st.Profile.SQL = o.llm, o.sql
		st.Profile = st.Profile.finish()
	}
	ev := Event{Type: EventStepFinished, StepID: st.ID, Stage: st.Stage,
		Message: fmt.Sprintf("step %s %s in %v", st.ID, st.Status, st.Profile.Wall.Round(time.Millisecond))}
	switch o.status {
	case StepFailed, StepCanceled:
		ev.Type, ev.Message = EventStepFailed, fmt.Sprintf("step %s %s: %s", st.ID, st.Status, st.Error)
	case StepSkipped:
		ev.Type, ev.Message = EventStepSkipped, fmt.Sprintf("step %s %s", st.ID, st.Error)
	}
	ev.Step = ptr(*st)
	x.emitLocked(ev)
	return *st
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

// finish decides the run's final status, persists it and emits run_finished.
func (x *execution) finish(ctx context.Context) {
	x.prof.stop()
	user, sys, peak := x.prof.snapshot()
	x.mu.Lock()
	x.run.FinishedAt = time.Now().UTC()
	x.run.Status, x.run.Errors = x.finalStatusLocked(ctx)
	x.run.Tokens, x.run.AgentTokens = x.tokens.totals()
	x.run.Profile = runProfile(x.run.FinishedAt.Sub(x.run.CreatedAt), x.run.Steps)
	x.run.Profile.CPUUser, x.run.Profile.CPUSystem, x.run.Profile.PeakRSS = user, sys, peak
	for _, st := range x.run.Steps {
		if st.Kind == KindReport && st.Status.Done() {
			x.run.ReportHandle = st.ResultHandle
		}
	}
	run := x.snapshotLocked()
	x.mu.Unlock()
	x.r.saver.run(run)
	x.publishFinished(ctx, &run)
	x.r.forget(run.ID)
	close(x.done)
}

// publishFinished stores run_finished after every earlier event, then publishes
// it: a watcher that sees it, and anyone reading storage after the run leaves the
// active set, finds the whole stream stored.
func (x *execution) publishFinished(ctx context.Context, run *Run) {
	x.mu.Lock()
	ev := x.numberLocked(Event{Type: EventRunFinished, Run: run, Message: fmt.Sprintf("run %s %s in %v",
		run.ID, run.Status, run.Profile.Wall.Round(time.Millisecond))})
	x.mu.Unlock()
	x.r.saver.event(ev)
	if err := x.r.saver.flush(persistCtx(ctx)); err != nil {
		x.r.cfg.Logger.Error("store run", "run", run.ID, "err", err)
	}
	x.mu.Lock()
	x.publishLocked(ev)
	x.mu.Unlock()
}

// finalStatusLocked returns the run's status and every error, step by step.
func (x *execution) finalStatusLocked(ctx context.Context) (RunStatus, []string) {
	var errs []string
	var ok, failed, canceled int
	for _, st := range x.run.Steps {
		switch st.Status {
		case StepSucceeded, StepCached:
			ok++
		case StepFailed:
			failed++
			errs = append(errs, fmt.Sprintf("step %q (%s) failed: %s", st.ID, x.describe(x.g.index[st.ID]), st.Error))
		case StepCanceled:
			canceled++
		case StepSkipped:
			errs = append(errs, fmt.Sprintf("step %q %s", st.ID, st.Error))
		}
	}
	switch {
	case canceled > 0 && errors.Is(context.Cause(ctx), errClosing):
		return RunInterrupted, append(errs, "run interrupted: the server stopped")
	case canceled > 0:
		return RunCanceled, append(errs, "run canceled")
	case ok == len(x.run.Steps):
		return RunSucceeded, errs
	case ok > 0:
		return RunPartiallyFailed, errs
	}
	return RunFailed, errs
}

// snapshotLocked returns a deep copy of the run with live token totals.
func (x *execution) snapshotLocked() Run {
	run := x.run
	run.Steps = slices.Clone(x.run.Steps)
	for i := range run.Steps {
		run.Steps[i].Handles = slices.Clone(run.Steps[i].Handles)
		if run.Steps[i].Status == StepRunning {
			run.Steps[i].Tokens = x.tokens.step(run.Steps[i].ID)
		}
	}
	run.Stages = slices.Clone(x.run.Stages)
	run.Errors = slices.Clone(x.run.Errors)
	run.Tokens, run.AgentTokens = x.tokens.totals()
	return run
}

func ptr[T any](v T) *T { return &v }
