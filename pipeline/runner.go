package pipeline

import (
	"context"
	"errors"
	"log/slog"

	"github.com/mrswarm/mrswarm/clients/llm"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
)

var errUnimplemented = errors.New("pipeline: unimplemented")

// Config configures a Runner.
type Config struct {
	MaxParallel  int    // default LLM slots (e.g. OLLAMA_NUM_PARALLEL); default 2
	DefaultModel string // model for agent steps that name none
	LLMOptions   llm.Options
	Logger       *slog.Logger
}

// Runner starts, tracks and persists pipeline runs.
type Runner struct {
	st    *store.Store
	model agent.LLM
	cfg   Config
}

// NewRunner returns a Runner over st that calls model for agent steps.
func NewRunner(st *store.Store, model agent.LLM, cfg Config) *Runner {
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = 2
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Runner{st: st, model: model, cfg: cfg}
}

// Validate checks p on dataset and returns its stages; the error lists every problem.
func (r *Runner) Validate(ctx context.Context, dataset string, p Pipeline, agents []agent.Definition) ([]Stage, error) {
	return nil, errUnimplemented
}

// Start validates req and starts a run in the background; it returns at once.
// The run is not bound to ctx: use [Runner.Cancel] to stop it.
func (r *Runner) Start(ctx context.Context, req StartRequest) (Run, error) {
	return Run{}, errUnimplemented
}

// Watch calls fn with every event of run runID whose Seq > afterSeq, first the stored
// ones, then live ones, and returns nil after delivering run_finished.
func (r *Runner) Watch(ctx context.Context, runID string, afterSeq int64, fn func(Event) error) error {
	return errUnimplemented
}

// Get returns one run.
func (r *Runner) Get(ctx context.Context, runID string) (Run, error) { return Run{}, errUnimplemented }

// List returns up to limit runs, newest first.
func (r *Runner) List(ctx context.Context, limit int) ([]Run, error) { return nil, errUnimplemented }

// Cancel stops a run, including its in-flight LLM calls.
func (r *Runner) Cancel(ctx context.Context, runID string) (Run, error) {
	return Run{}, errUnimplemented
}

// Report returns the report handle and markdown of a finished run.
func (r *Runner) Report(ctx context.Context, runID string) (handle, markdown string, err error) {
	return "", "", errUnimplemented
}

// Recover marks runs left running by a previous process as interrupted.
func (r *Runner) Recover(ctx context.Context) error { return errUnimplemented }

// Close cancels active runs and waits for them, bounded by ctx.
func (r *Runner) Close(ctx context.Context) error { return errUnimplemented }

// Presets returns the built-in pipelines.
func Presets() []Pipeline { return nil }

// Preset returns the built-in pipeline called name.
func Preset(name string) (Pipeline, bool) { return Pipeline{}, false }
