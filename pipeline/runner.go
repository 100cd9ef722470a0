package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
)

// ErrClosed is returned by [Runner.Start] after [Runner.Close].
var ErrClosed = errors.New("pipeline: runner closed")

// Config configures a Runner.
type Config struct {
	MaxParallel  int    // default LLM slots (e.g. OLLAMA_NUM_PARALLEL); default 2
	DefaultModel string // model for agent steps that name none
	LLMOptions   llm.Options
	Logger       *slog.Logger
}

// Runner starts, tracks and persists pipeline runs. It is safe for concurrent use.
type Runner struct {
	st    *store.Store
	model llm.Client
	cfg   Config
	saver *saver

	mu     sync.Mutex // guards active and closed
	active map[string]*execution
	closed bool
}

// NewRunner returns a Runner over st that calls model for agent steps, asking
// it for each model's capabilities once.
func NewRunner(st *store.Store, model llm.Client, cfg Config) *Runner {
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = 2
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Runner{st: st, model: llm.NewCapabilityCache(model), cfg: cfg, active: map[string]*execution{},
		saver: newSaver(st, cfg.Logger.Error)}
}

// Validate checks p on dataset with the custom agents and returns its stages. The
// error lists every problem and wraps ErrInvalid (an unknown dataset alone wraps
// store.ErrNotFound).
func (r *Runner) Validate(ctx context.Context, dataset string, p Pipeline, agents []agent.Definition) ([]Stage, error) {
	g, _, err := r.validate(ctx, dataset, p, agents)
	if err != nil {
		return nil, err
	}
	return g.stages, nil
}

// Start validates req and starts a run in the background; it returns at once with
// the run as it begins. The run is not bound to ctx: use [Runner.Cancel] to stop it.
func (r *Runner) Start(ctx context.Context, req StartRequest) (Run, error) {
	g, ds, err := r.validate(ctx, req.Dataset, req.Pipeline, req.Agents)
	if err != nil {
		return Run{}, err
	}
	if req.Options.MaxParallel <= 0 {
		req.Options.MaxParallel = r.cfg.MaxParallel
	}
	x := newExecution(r, newRunID(), req, g, ds)
	if err := x.checkModels(); err != nil {
		return Run{}, err
	}
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	x.cancel = cancel
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		cancel(errClosing)
		return Run{}, ErrClosed
	}
	r.active[x.run.ID] = x
	r.mu.Unlock()

	x.mu.Lock()
	run := x.snapshotLocked()
	r.saver.run(run)
	for i := range g.steps {
		r.saver.step(run.ID, x.stepRecordLocked(i))
	}
	x.emitLocked(Event{Type: EventRunStarted, Message: fmt.Sprintf("run %s of %s on %s: %d steps in %d stages",
		run.ID, req.Pipeline.Name, ds.Name, len(g.steps), len(g.stages))})
	x.mu.Unlock()
	go x.execute(runCtx)
	// The run is listed (List reads storage) once Start returns; the run itself
	// does not wait for storage.
	_ = r.saver.flush(ctx) // ctx ended: the caller is gone, the run goes on
	return run, nil
}

// checkModels reports agent steps that resolve to no model.
func (x *execution) checkModels() error {
	var problems []string
	for _, s := range x.g.steps {
		if s.Agent != nil && x.model(s) == "" {
			problems = append(problems, fmt.Sprintf("step %q: no model (set the step's, the agent's or the run's model)", s.ID))
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// newRunID returns a fresh run id such as "run_3f9a1c2e5b7d".
func newRunID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "run_" + hex.EncodeToString(b)
}

// lookup returns the active execution of runID, or nil.
func (r *Runner) lookup(runID string) *execution {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active[runID]
}

// forget removes a finished execution from the active runs.
func (r *Runner) forget(runID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.active, runID)
}

// Watch calls fn with every event of run runID whose Seq > afterSeq, first the
// stored ones, then live ones, and returns nil after delivering run_finished (or,
// for a run that is not active, after the last stored event). An error from fn
// stops the watch and is returned.
func (r *Runner) Watch(ctx context.Context, runID string, afterSeq int64, fn func(Event) error) error {
	if x := r.lookup(runID); x != nil {
		return x.watch(ctx, afterSeq, fn)
	}
	return r.storedEvents(ctx, runID, afterSeq, fn)
}

// Get returns one run; an unknown id wraps ErrNotFound.
func (r *Runner) Get(ctx context.Context, runID string) (Run, error) {
	if x := r.lookup(runID); x != nil {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.snapshotLocked(), nil
	}
	return r.loadRun(ctx, runID)
}

// List returns up to limit runs (all when limit <= 0), newest first.
func (r *Runner) List(ctx context.Context, limit int) ([]Run, error) {
	recs, err := r.st.Runs(ctx, limit)
	if err != nil {
		return nil, err
	}
	runs := make([]Run, 0, len(recs))
	for _, rec := range recs {
		if x := r.lookup(rec.ID); x != nil {
			x.mu.Lock()
			runs = append(runs, x.snapshotLocked())
			x.mu.Unlock()
			continue
		}
		run, err := decodeRun(rec)
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// Cancel stops a run, including its in-flight LLM calls, and returns it once it is
// final (or as it is when ctx ends first). Canceling a finished run returns it
// unchanged.
func (r *Runner) Cancel(ctx context.Context, runID string) (Run, error) {
	x := r.lookup(runID)
	if x == nil {
		return r.loadRun(ctx, runID)
	}
	x.cancel(errCanceled)
	select {
	case <-x.done:
	case <-ctx.Done():
	}
	return r.Get(ctx, runID)
}

// Report returns the report handle and markdown of a finished run. A run that is
// not final wraps ErrNotFinished; one without a report wraps ErrNotFound.
func (r *Runner) Report(ctx context.Context, runID string) (handle, markdown string, err error) {
	run, err := r.Get(ctx, runID)
	if err != nil {
		return "", "", err
	}
	if !run.Status.Final() {
		return "", "", fmt.Errorf("report of run %q (%s): %w", runID, run.Status, ErrNotFinished)
	}
	if run.ReportHandle == "" {
		return "", "", fmt.Errorf("report of run %q: %w: the run produced no report", runID, ErrNotFound)
	}
	md, err := r.reportMarkdown(ctx, run.ReportHandle)
	if err != nil {
		return "", "", fmt.Errorf("report of run %q: %w", runID, err)
	}
	return run.ReportHandle, md, nil
}

// reportMarkdown reads a stored report back as one markdown document.
func (r *Runner) reportMarkdown(ctx context.Context, handle string) (string, error) {
	var b strings.Builder
	err := r.st.StreamRows(ctx, handle, 100, false, func(p store.Page) error {
		col := -1
		for i, c := range p.Columns {
			if c.Name == "markdown" {
				col = i
			}
		}
		if col < 0 {
			return fmt.Errorf("handle %s has no markdown column", handle)
		}
		for _, row := range p.Rows {
			if s, ok := row[col].(string); ok {
				b.WriteString(s)
			}
		}
		return nil
	})
	return b.String(), err
}

// Recover marks runs a previous process left running as interrupted, keeping their
// completed steps, and closes their event streams. Call it at startup.
func (r *Runner) Recover(ctx context.Context) error {
	recs, err := r.st.Runs(ctx, 0, string(RunRunning), string(RunPending))
	if err != nil {
		return fmt.Errorf("recover runs: %w", err)
	}
	var errs []error
	for _, rec := range recs {
		if r.lookup(rec.ID) != nil {
			continue
		}
		if err := r.interrupt(ctx, rec.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// interrupt marks one stored run interrupted and appends its run_finished event.
func (r *Runner) interrupt(ctx context.Context, id string) error {
	run, err := r.loadRun(ctx, id)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	for i := range run.Steps {
		st := &run.Steps[i]
		if st.Status != StepRunning && st.Status != StepPending {
			continue
		}
		st.Status, st.Error = StepCanceled, "interrupted: the server stopped"
		if !st.StartedAt.IsZero() {
			st.FinishedAt = now
		}
		r.saver.step(id, stepRecord{State: *st})
	}
	run.Status, run.FinishedAt = RunInterrupted, now
	run.Errors = append(run.Errors, "run interrupted: the server stopped while it ran")
	run.Profile.Wall = now.Sub(run.CreatedAt)
	r.saver.run(run)
	seq, err := r.st.LastEventSeq(ctx, id)
	if err != nil {
		return err
	}
	r.saver.event(Event{Seq: seq + 1, RunID: id, Time: now, Type: EventRunFinished, Run: &run,
		Message: fmt.Sprintf("run %s interrupted", id)})
	return r.saver.flush(ctx)
}

// Close cancels active runs (they end interrupted) and waits for them and for
// pending event writes, bounded by ctx. Start fails with ErrClosed afterwards.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	var xs []*execution
	for _, x := range r.active {
		xs = append(xs, x)
	}
	r.mu.Unlock()
	for _, x := range xs {
		x.cancel(errClosing)
	}
	for _, x := range xs {
		select {
		case <-x.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return r.saver.flush(ctx)
}
