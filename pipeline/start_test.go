package pipeline

import (
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
)

// TestStartedRunIsListed: Start returns once the run is accepted, without
// waiting for storage, and the run is listed, readable and watchable at once,
// newest first among stored runs.
func TestStartedRunIsListed(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(map[string]behaviour{"market_research_analyst": {block: true}}), 2)
	done, _ := runToEnd(t, r, StartRequest{Pipeline: chain("a:data_analyst")})
	run, err := r.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: chain("slow:market_research_analyst")})
	if err != nil {
		t.Fatal(err)
	}
	runs, err := r.List(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != run.ID || runs[1].ID != done.ID {
		t.Fatalf("List right after Start: %v; want [%s %s]", ids(runs), run.ID, done.ID)
	}
	if runs[0].Status != RunRunning {
		t.Errorf("the started run is %s, want running", runs[0].Status)
	}
	if one, err := r.List(t.Context(), 1); err != nil || len(one) != 1 || one[0].ID != run.ID {
		t.Errorf("List(1) = %v, %v; want the started run", ids(one), err)
	}
	if other, err := r.List(store.WithTenant(t.Context(), "beta"), 0); err != nil || len(other) != 0 {
		t.Errorf("another tenant lists %v, %v; want none", ids(other), err)
	}
	if own, err := r.List(store.WithTenant(t.Context(), store.DefaultTenant), 0); err != nil || len(own) != 2 {
		t.Errorf("the default tenant lists %v, %v; want both runs", ids(own), err)
	}
	if _, err := r.Cancel(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
	stored, err := r.runs.load(t.Context(), run.ID)
	if err != nil || stored.Status != RunCanceled {
		t.Errorf("stored after cancel: %s, %v; want canceled", stored.Status, err)
	}
}

func ids(runs []Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}
