package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

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
func (x *execution) stepRecordLocked(i int) stepRecord {
	return stepRecord{State: x.run.Steps[i], Summary: x.out[i].summary, Findings: x.out[i].findings}
}

// persistCtx is for work that must happen even when the run is canceled.
func persistCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

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
