package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/internal/procstat"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// ErrClosed is returned by [Runner.Start] after [Runner.Close].
var ErrClosed = errors.New("pipeline: runner closed")

// DefaultMaxParallel is how many steps of a run run at once unless told otherwise.
const DefaultMaxParallel = 2

// Config configures a Runner.
type Config struct {
	MaxParallel  int    // default LLM slots (e.g. OLLAMA_NUM_PARALLEL); 0 → DefaultMaxParallel
	DefaultModel string // model for agent steps that name none
	LLMOptions   llm.Options
	Logger       *slog.Logger
	// Tools is the tool catalog (and its enum cache) shared with other users of
	// the store; nil: one of the runner's own.
	Tools *tools.Catalog
	// Process measures the process's CPU time and peak RSS for run profiles;
	// nil: a sampler of the runner's own.
	Process ProcessMeter
	// OnEvent, when set, is called with every event of every run of this
	// runner, in order per run, as the event is published and before any
	// watcher sees it (storage follows in the background). It runs under the
	// run's event lock: it must be quick and must not call the Runner.
	OnEvent func(Event)
	// RandomModels names models whose prose is random (the generated test
	// model); a report whose agents ran on one says so in a banner, and its
	// agents get no repair turn for unverified numbers (their marks stay).
	RandomModels []string
}

// Runner starts, tracks and persists pipeline runs. It is safe for concurrent use.
type Runner struct {
	st    *store.Store
	model llm.Client
	tools *tools.Catalog
	cfg   Config
	runs  *runLog
	// templates holds the task templates validated and rendered so far, so
	// that a definition sent with every run is parsed once.
	templates *agent.Templates
	// toolDefs holds the agents' tools with their schemas compiled, so that
	// each is built once per dataset content rather than at every step.
	toolDefs *agent.ToolDefs

	mu     sync.Mutex // guards active and closed
	active map[string]*execution
	closed bool
}

// NewRunner returns a Runner over st that calls model for agent steps, asking
// it for each model's capabilities once.
func NewRunner(st *store.Store, model llm.Client, cfg Config) *Runner {
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = DefaultMaxParallel
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Tools == nil {
		cfg.Tools = tools.NewCatalog(st)
	}
	if cfg.Process == nil {
		cfg.Process = procstat.New(0)
	}
	return &Runner{st: st, model: llm.NewCapabilityCache(model), tools: cfg.Tools, cfg: cfg,
		active: map[string]*execution{}, runs: newRunLog(st, cfg.Logger.Error), templates: agent.NewTemplates(),
		toolDefs: agent.NewToolDefs()}
}

// Validate checks p on dataset with the custom agents and returns its stages. The
// error lists every problem and wraps ErrInvalid (an unknown dataset alone wraps
// store.ErrNotFound).
func (r *Runner) Validate(ctx context.Context, dataset string, p Pipeline, agents []agent.Definition) ([]Stage, error) {
	g, _, _, err := r.validate(ctx, dataset, p, agents)
	if err != nil {
		return nil, err
	}
	return g.stages, nil
}

// plan validates req and returns what the run will be.
func (r *Runner) plan(ctx context.Context, id string, req StartRequest) (*runSpec, error) {
	g, ds, env, err := r.validate(ctx, req.Dataset, req.Pipeline, req.Agents)
	if err != nil {
		return nil, err
	}
	if req.Options.MaxParallel <= 0 {
		req.Options.MaxParallel = r.cfg.MaxParallel
	}
	if env == nil {
		// Built once for every agent of the run; a dataset that cannot serve
		// tools fails the agents that need them when they run.
		env, _ = r.tools.EnvOf(ctx, ds)
	}
	spec := &runSpec{id: id, req: req, templates: r.templates, toolDefs: r.toolDefs, g: g, agents: g.agents, ds: ds, tools: env, st: r.st, llm: r.model,
		llmOptions: r.cfg.LLMOptions, defaultModel: r.cfg.DefaultModel, randomModels: r.cfg.RandomModels,
		created: time.Now().UTC()}
	if err := spec.checkModels(); err != nil {
		return nil, err
	}
	spec.memo = spec.memoKeys()
	return spec, nil
}

// Start validates req and starts a run in the background; it returns at once with
// the run as it begins. The run is not bound to ctx: use [Runner.Cancel] to stop it.
// While storage is far behind (records of earlier runs are stored in the
// background), Start first waits for it to catch up, or for ctx to end.
func (r *Runner) Start(ctx context.Context, req StartRequest) (Run, error) {
	spec, err := r.plan(ctx, newRunID(), req)
	if err != nil {
		return Run{}, err
	}
	if err := r.runs.admit(ctx); err != nil {
		return Run{}, err
	}
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	x := r.newExecution(spec, cancel)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		cancel(errClosing)
		return Run{}, ErrClosed
	}
	r.active[spec.id] = x
	r.mu.Unlock()

	run := x.rec.snapshot()
	r.runs.run(run)
	x.events.emit(Event{Type: EventRunStarted, Message: fmt.Sprintf("run %s of %s on %s: %d steps in %d stages",
		run.ID, req.Pipeline.Name, spec.ds.Name, len(spec.g.nodes), len(spec.g.stages))})
	usage, end := r.cfg.Process.Begin()
	x.proc = processUsage{usage: usage, end: end}
	go x.execute(runCtx)
	// Start returns once the run is accepted: its record is stored in the
	// background, and Get, List and Watch see an active run without storage.
	return run, nil
}

// newExecution wires the parts of one run.
func (r *Runner) newExecution(spec *runSpec, cancel context.CancelCauseFunc) *execution {
	tokens := newTracker()
	events := newEventLog(spec.id, r.runs.event, r.cfg.OnEvent)
	rec := newRecorder(spec, events, tokens, func(sr stepRecord) { r.runs.step(spec.id, sr) })
	return &execution{spec: spec, sched: newScheduler(spec.g), events: events, rec: rec, tokens: tokens,
		runs: r.runs, cancel: cancel, done: make(chan struct{}), logger: r.cfg.Logger,
		forget: func() { r.forget(spec.id) }}
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
		return x.events.watch(ctx, afterSeq, fn)
	}
	return r.runs.events(ctx, runID, afterSeq, fn)
}

// Get returns one run; an unknown id wraps ErrNotFound.
func (r *Runner) Get(ctx context.Context, runID string) (Run, error) {
	if x := r.lookup(runID); x != nil {
		return x.rec.snapshot(), nil
	}
	return r.runs.load(ctx, runID)
}

// List returns up to limit runs (all when limit <= 0), newest first: the
// stored ones, with active runs as they are now (stored yet or not); with a
// tenant in ctx, only that tenant's.
func (r *Runner) List(ctx context.Context, limit int) ([]Run, error) {
	active := r.activeRuns() // before storage: a run forgotten since was stored first
	active = slices.DeleteFunc(active, func(run Run) bool { return !store.RunVisible(ctx, run.Tenant) })
	runs, err := r.runs.list(ctx, limit)
	if err != nil {
		return nil, err
	}
	listed := make(map[string]bool, len(runs))
	for i := range runs {
		listed[runs[i].ID] = true
		if x := r.lookup(runs[i].ID); x != nil {
			runs[i] = x.rec.snapshot()
		}
	}
	for _, run := range active {
		if !listed[run.ID] {
			runs = append(runs, run)
		}
	}
	slices.SortStableFunc(runs, newestFirst)
	if limit > 0 && len(runs) > limit {
		runs = runs[:limit]
	}
	return runs, nil
}

// activeRuns returns snapshots of the active runs.
func (r *Runner) activeRuns() []Run {
	r.mu.Lock()
	xs := make([]*execution, 0, len(r.active))
	for _, x := range r.active {
		xs = append(xs, x)
	}
	r.mu.Unlock()
	runs := make([]Run, len(xs))
	for i, x := range xs {
		runs[i] = x.rec.snapshot()
	}
	return runs
}

// newestFirst orders runs as storage lists them: by creation (to the
// microsecond storage keeps), newest first, then by id.
func newestFirst(a, b Run) int {
	ta, tb := a.CreatedAt.Truncate(time.Microsecond), b.CreatedAt.Truncate(time.Microsecond)
	if c := tb.Compare(ta); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// Cancel stops a run, including its in-flight LLM calls, and returns it once it is
// final (or as it is when ctx ends first). Canceling a finished run returns it
// unchanged.
func (r *Runner) Cancel(ctx context.Context, runID string) (Run, error) {
	x := r.lookup(runID)
	if x == nil {
		return r.runs.load(ctx, runID)
	}
	x.cancel(errCanceled)
	select {
	case <-x.done:
	case <-ctx.Done():
	}
	return r.Get(ctx, runID)
}

// Wait returns once run runID is final and stored (at once for a run that is
// not active), or when ctx ends. Watchers see run_finished before its records
// are stored; Get, List and Watch of this Runner answer the same either way,
// so only a reader of the store itself needs Wait.
func (r *Runner) Wait(ctx context.Context, runID string) error {
	x := r.lookup(runID)
	if x == nil {
		return nil
	}
	select {
	case <-x.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
	if run.ReportHandle == "" && hasReportStep(run.Pipeline) && run.Status != RunSucceeded {
		md, err := r.partialReport(ctx, run)
		return "", md, err
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
	runs, err := r.runs.list(ctx, 0, RunRunning, RunPending)
	if err != nil {
		return fmt.Errorf("recover runs: %w", err)
	}
	var errs []error
	for _, run := range runs {
		if r.lookup(run.ID) != nil {
			continue
		}
		if err := r.interrupt(ctx, run.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// interrupt marks one stored run interrupted and appends its run_finished event.
func (r *Runner) interrupt(ctx context.Context, id string) error {
	run, err := r.runs.load(ctx, id)
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
		r.runs.step(id, stepRecord{State: *st})
	}
	run.Status, run.FinishedAt = RunInterrupted, now
	run.Errors = append(run.Errors, "run interrupted: the server stopped while it ran")
	run.Profile.Wall = now.Sub(run.CreatedAt)
	r.runs.storedRun(run)
	seq, err := r.runs.lastSeq(ctx, id)
	if err != nil {
		return err
	}
	ev := Event{Seq: seq + 1, RunID: id, Time: now, Type: EventRunFinished, Run: &run,
		Message: fmt.Sprintf("run %s interrupted", id)}
	r.runs.event(ev)
	if err := r.runs.flush(ctx); err != nil {
		return err
	}
	if r.cfg.OnEvent != nil {
		r.cfg.OnEvent(ev)
	}
	return nil
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
	return r.runs.flush(ctx)
}
