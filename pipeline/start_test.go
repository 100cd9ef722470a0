package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestStartWaitsWhileStorageIsBehind: runs that finish faster than storage
// keeps up do not queue records without bound: Start waits until at most
// maxBacklog records of earlier runs wait. Right after it returns, the new
// run may have queued records of its own already (it starts at once): its run
// record and, for each of its events so far, at most the event, a step record
// and a result.
func TestStartWaitsWhileStorageIsBehind(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(nil), 8)
	r.runs.maxBacklog = 2
	var steps []Step
	for i := range 8 {
		steps = append(steps, Step{ID: fmt.Sprintf("q%d", i), SQL: &SQLStep{SQL: "SELECT brand, count(*) AS n FROM beverage GROUP BY brand"}})
	}
	req := StartRequest{Dataset: testDataset, Pipeline: Pipeline{Name: "quick", Steps: steps},
		Options: Options{Force: true, MaxParallel: 8}}
	var others []int64 // records of earlier runs waiting right after each Start
	for range 20 {
		run, err := r.Start(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		r.runs.mu.Lock()
		waiting := r.runs.queued - r.runs.stored
		r.runs.mu.Unlock()
		if x := r.lookup(run.ID); x != nil { // else it finished already: nothing to tell apart
			x.events.mu.Lock()
			own := 1 + 3*int64(len(x.events.events))
			x.events.mu.Unlock()
			others = append(others, waiting-own)
		}
		if err := r.Watch(t.Context(), run.ID, 0, func(Event) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if len(others) == 0 {
		t.Fatal("every run finished before it could be measured")
	}
	if worst := slices.Max(others); worst > r.runs.maxBacklog {
		t.Errorf("records of earlier runs waiting right after each Start: at most %v; want at most %d", others, r.runs.maxBacklog)
	}
}

// TestAdmitEndsWithItsContext: a Start that finds storage behind and gives up
// says why and what to do, with the context's error.
func TestAdmitEndsWithItsContext(t *testing.T) {
	l := newRunLog(nil, nil)
	l.maxBacklog, l.queued = 3, 5
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := l.admit(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "5 records of earlier runs are waiting to be stored") {
		t.Fatalf("admit over the bound: %v; want the backlog and context.DeadlineExceeded", err)
	}
	admitted := make(chan error)
	go func() { admitted <- l.admit(t.Context()) }()
	l.mu.Lock()
	l.stored = 2 // what the writer does after a batch
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	if err := <-admitted; err != nil {
		t.Errorf("admit once storage caught up: %v", err)
	}
}
