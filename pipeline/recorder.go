package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"sync"

	"github.com/mrswarm/mrswarm/pipeline/agent"
)

// recorder keeps one run's state: the snapshot clients read, each step's
// outcome and the stages' progress. Every state change emits its event while
// the state is held, so the event stream and the snapshot agree, and each final
// step is queued for storage once.
type recorder struct {
	spec   *runSpec
	log    *eventLog
	tokens *tracker
	save   func(stepRecord) // queues a final step for storage

	mu         sync.Mutex // guards run, out, stageLeft and stageBegun
	run        Run
	out        []outcome
	stageLeft  []int  // steps of each stage not yet final
	stageBegun []bool // stage_started emitted
}

func newRecorder(spec *runSpec, log *eventLog, tokens *tracker, save func(stepRecord)) *recorder {
	g := spec.g
	n := len(g.nodes)
	rec := &recorder{spec: spec, log: log, tokens: tokens, save: save, out: make([]outcome, n),
		stageLeft: make([]int, len(g.stages)), stageBegun: make([]bool, len(g.stages))}
	rec.run = Run{ID: spec.id, Tenant: spec.ds.Tenant, Status: RunRunning, Dataset: spec.ds.Name, Pipeline: spec.req.Pipeline,
		Inputs: spec.req.Inputs, Options: spec.req.Options, Stages: g.stages, CreatedAt: spec.created,
		Steps: make([]StepState, n)}
	for i, nd := range g.nodes {
		rec.stageLeft[nd.stage]++
		rec.run.Steps[i] = StepState{ID: nd.step.ID, Kind: nd.act.kind(), Agent: nd.act.agentName(),
			Stage: nd.stage, Status: StepPending, MemoKey: spec.memo[i]}
	}
	return rec
}

// start decides what happens to ready step i and, when it runs, marks it running.
func (rec *recorder) start(ctx context.Context, i int, readyAt time.Time) (StepStatus, error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if ctx.Err() != nil {
		return StepCanceled, fmt.Errorf("canceled before it started: %w", context.Cause(ctx))
	}
	for _, j := range rec.spec.g.nodes[i].deps {
		if st := rec.run.Steps[j]; !st.Status.Done() {
			return StepSkipped, fmt.Errorf("skipped: dependency %q %s", st.ID, st.Status)
		}
	}
	now := time.Now()
	st := &rec.run.Steps[i]
	st.Status, st.StartedAt = StepRunning, now.UTC()
	st.Profile.QueueWait = now.Sub(readyAt)
	rec.beginStageLocked(st.Stage)
	rec.log.emit(Event{Type: EventStepStarted, StepID: st.ID, Stage: st.Stage, Step: ptr(*st),
		Message: "step " + st.ID + " (" + rec.spec.g.nodes[i].act.describe() + ") started"})
	return StepRunning, nil
}

// beginStageLocked emits stage_started for the first step of stage k to be handled.
func (rec *recorder) beginStageLocked(k int) {
	if rec.stageBegun[k] {
		return
	}
	rec.stageBegun[k] = true
	rec.log.emit(Event{Type: EventStageStarted, Stage: k,
		Message: fmt.Sprintf("stage %d started: %v", k, rec.spec.g.stages[k].StepIDs)})
}

// complete records the final outcome of step i, emits its event (and
// stage_finished for the last step of its stage) and queues it for storage.
func (rec *recorder) complete(i int, o outcome) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.out[i] = o
	st := &rec.run.Steps[i]
	rec.beginStageLocked(st.Stage) // a stage of skipped or canceled steps starts too
	if o.status != StepSkipped && o.status != StepCanceled || !st.StartedAt.IsZero() {
		st.FinishedAt = time.Now().UTC()
	}
	st.Status, st.Output, st.ToolCalls = o.status, o.output(), o.toolCalls
	st.ResultHandle, st.Handles = o.resultHandle, o.handles
	st.Tokens = rec.tokens.step(st.ID)
	if o.err != nil {
		st.Error = o.err.Error()
	}
	if !st.StartedAt.IsZero() {
		st.Profile.Wall = st.FinishedAt.Sub(st.StartedAt)
		st.Profile.LLM, st.Profile.SQL = o.llm, o.sql
		st.Profile = st.Profile.finish()
	}
	rec.log.emit(stepEvent(*st))
	rec.save(stepRecord{State: *st, Summary: o.summary, Findings: o.findings})
	if rec.stageLeft[st.Stage]--; rec.stageLeft[st.Stage] == 0 {
		rec.log.emit(Event{Type: EventStageFinished, Stage: st.Stage,
			Message: fmt.Sprintf("stage %d finished", st.Stage)})
	}
}

// stepEvent is the event of a step that became final.
func stepEvent(st StepState) Event {
	ev := Event{Type: EventStepFinished, StepID: st.ID, Stage: st.Stage, Step: &st,
		Message: "step " + st.ID + " " + string(st.Status) + " in " + st.Profile.Wall.Round(time.Millisecond).String()}
	switch st.Status {
	case StepFailed, StepCanceled:
		ev.Type, ev.Message = EventStepFailed, fmt.Sprintf("step %s %s: %s", st.ID, st.Status, st.Error)
	case StepSkipped:
		ev.Type, ev.Message = EventStepSkipped, fmt.Sprintf("step %s %s", st.ID, st.Error)
	}
	return ev
}

// upstream is what step i's dependencies hand it, in DependsOn order.
func (rec *recorder) upstream(i int) []agent.Upstream {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var ups []agent.Upstream
	for _, j := range rec.spec.g.nodes[i].deps {
		nd, o := rec.spec.g.nodes[j], rec.out[j]
		up := agent.Upstream{StepID: nd.step.ID, Results: o.results}
		if name := nd.act.agentName(); name != "" {
			up.Agent, up.Output = name, o.output()
		}
		ups = append(ups, up)
	}
	return ups
}

// results returns the states and outcomes of the steps idx.
func (rec *recorder) results(idx []int) ([]StepState, []outcome) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	states, outs := make([]StepState, len(idx)), make([]outcome, len(idx))
	for k, i := range idx {
		states[k], outs[k] = rec.run.Steps[i], rec.out[i]
	}
	return states, outs
}

// finish decides the run's final status and totals and returns the final run.
func (rec *recorder) finish(ctx context.Context, proc procUsage) Run {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := &rec.run
	r.FinishedAt = time.Now().UTC()
	r.Status, r.Errors = rec.finalStatusLocked(ctx)
	r.Tokens, r.AgentTokens = rec.tokens.totals()
	r.Profile = runProfile(r.FinishedAt.Sub(r.CreatedAt), r.Steps)
	r.Profile.CPUUser, r.Profile.CPUSystem, r.Profile.PeakRSS = proc.CPUUser, proc.CPUSystem, proc.PeakRSS
	for i, st := range r.Steps {
		if rec.spec.g.nodes[i].act.isReport() && st.Status.Done() {
			r.ReportHandle = st.ResultHandle
			if c := rec.out[i].claims; c != nil {
				r.Claims = *c
			}
		}
	}
	return rec.snapshotLocked()
}

// finalStatusLocked returns the run's status and every error, step by step.
func (rec *recorder) finalStatusLocked(ctx context.Context) (RunStatus, []string) {
	var errs []string
	var ok, failed, canceled int
	for i, st := range rec.run.Steps {
		switch st.Status {
		case StepSucceeded, StepCached:
			ok++
		case StepFailed:
			failed++
			errs = append(errs, fmt.Sprintf("step %q (%s) failed: %s", st.ID, rec.spec.g.nodes[i].act.describe(), st.Error))
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
	case ok == len(rec.run.Steps):
		return RunSucceeded, errs
	case ok > 0:
		return RunPartiallyFailed, errs
	}
	return RunFailed, errs
}

// snapshot returns a deep copy of the run with live token totals.
func (rec *recorder) snapshot() Run {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.snapshotLocked()
}

func (rec *recorder) snapshotLocked() Run {
	run := rec.run
	run.Steps = slices.Clone(rec.run.Steps)
	for i := range run.Steps {
		run.Steps[i].Handles = slices.Clone(run.Steps[i].Handles)
		if run.Steps[i].Status == StepRunning {
			run.Steps[i].Tokens = rec.tokens.step(run.Steps[i].ID)
		}
	}
	run.Stages = slices.Clone(rec.run.Stages)
	run.Errors = slices.Clone(rec.run.Errors)
	run.Tokens, run.AgentTokens = rec.tokens.totals()
	return run
}

func ptr[T any](v T) *T { return &v }
