package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
)

// stepRecord is what is stored for a step: its state plus what dependents and a
// memoized re-run need.
type stepRecord struct {
	State    StepState       `json:"state"`
	Summary  string          `json:"summary,omitempty"`
	Findings []agent.Finding `json:"findings,omitempty"`
}

// stepRecordLocked returns the storage form of step i. x.mu must be held.
func (x *execution) stepRecordLocked(i int) store.StepRecord {
	st := x.run.Steps[i]
	sr := stepRecord{State: st, Summary: x.out[i].summary, Findings: x.out[i].findings}
	data, _ := json.Marshal(sr) // plain data: cannot fail
	return store.StepRecord{RunID: x.run.ID, StepID: st.ID, Status: string(st.Status),
		MemoKey: st.MemoKey, UpdatedAt: time.Now(), Data: data}
}

// persistCtx is for writes that must happen even when the run is canceled.
func persistCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// persistStep stores a step; a failure is logged: the run goes on.
func (r *Runner) persistStep(ctx context.Context, rec store.StepRecord) {
	if err := r.st.SaveStep(persistCtx(ctx), rec); err != nil {
		r.cfg.Logger.Error("persist step", "run", rec.RunID, "step", rec.StepID, "err", err)
	}
}

// persistRun stores a run.
func (r *Runner) persistRun(ctx context.Context, run Run) {
	data, err := json.Marshal(run)
	if err == nil {
		err = r.st.SaveRun(persistCtx(ctx), store.RunRecord{ID: run.ID, Status: string(run.Status),
			Dataset: run.Dataset, Pipeline: run.Pipeline.Name, CreatedAt: run.CreatedAt,
			FinishedAt: run.FinishedAt, Data: data})
	}
	if err != nil {
		r.cfg.Logger.Error("persist run", "run", run.ID, "err", err)
	}
}

// saveTokens stores the token usage of one LLM call.
func (r *Runner) saveTokens(ctx context.Context, t store.TokenRecord) {
	if err := r.st.SaveTokens(persistCtx(ctx), t); err != nil {
		r.cfg.Logger.Error("persist tokens", "run", t.RunID, "step", t.StepID, "err", err)
	}
}

// loadRun reads a stored run with its latest stored step states.
func (r *Runner) loadRun(ctx context.Context, id string) (Run, error) {
	rec, err := r.st.Run(ctx, id)
	if err != nil {
		return Run{}, r.notFound(id, err)
	}
	run, err := decodeRun(rec)
	if err != nil {
		return Run{}, err
	}
	steps, err := r.st.Steps(ctx, id)
	if err != nil {
		return Run{}, err
	}
	for _, s := range steps {
		var sr stepRecord
		if err := json.Unmarshal(s.Data, &sr); err != nil {
			return Run{}, fmt.Errorf("pipeline: decode step %q of run %q: %w", s.StepID, id, err)
		}
		for i := range run.Steps {
			if run.Steps[i].ID == sr.State.ID {
				run.Steps[i] = sr.State
			}
		}
	}
	return run, nil
}

// decodeRun decodes a stored run.
func decodeRun(rec store.RunRecord) (Run, error) {
	var run Run
	if err := json.Unmarshal(rec.Data, &run); err != nil {
		return Run{}, fmt.Errorf("pipeline: decode run %q: %w", rec.ID, err)
	}
	return run, nil
}

// notFound maps the store's not-found error of a run to ErrNotFound.
func (r *Runner) notFound(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("run %q: %w", id, ErrNotFound)
	}
	return err
}
