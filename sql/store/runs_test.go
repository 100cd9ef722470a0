package store

import (
	"context"
	"testing"
	"time"
)

// TestRunBatchKeys writes runs and steps as the run log does — a run's first
// record, then its later ones marked Stored — and then the cases the fast
// path's plain INSERTs cannot take (a step written twice, a first record of
// a stored run, a result stored beside the batch): each batch is stored
// whole, the last record per key winning, and no event is lost.
func TestRunBatchKeys(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	run := func(status string, stored bool) RunRecord {
		return RunRecord{ID: "run_1", Status: status, Dataset: "d", Pipeline: "p", CreatedAt: t0,
			Data: []byte(`{"status":"` + status + `"}`), Stored: stored}
	}
	step := func(status string) StepRecord {
		return StepRecord{RunID: "run_1", StepID: "a", Status: status, UpdatedAt: t0, Data: []byte(`{}`)}
	}
	event := func(seq int64) EventRecord {
		return EventRecord{RunID: "run_1", Seq: seq, Type: "x", Time: t0, Data: []byte(`{}`)}
	}
	_, p, err := s.SaveRowsDeferred(ctx, "test", "d", []Column{{Name: "text", Type: "VARCHAR"}}, [][]any{{"hello"}})
	if err != nil || p == nil {
		t.Fatalf("deferred result: %v %v", p, err)
	}
	if err := s.flushPending(ctx, p.sum.Handle); err != nil { // user SQL read it first
		t.Fatal(err)
	}
	s.pendingMu.Lock()
	s.pending[p.sum.Handle] = p // as if the batch had taken it before the flush
	s.pendingMu.Unlock()
	batches := []RunBatch{
		{Runs: []RunRecord{run("running", false)}, Events: []EventRecord{event(1)}},
		{Runs: []RunRecord{run("running", true)}, Steps: []StepRecord{step("succeeded")}, Events: []EventRecord{event(2)}},
		{Steps: []StepRecord{step("canceled")}, Events: []EventRecord{event(3)}, Results: []*Pending{p}},
		{Runs: []RunRecord{run("interrupted", false)}, Events: []EventRecord{event(4)}},
	}
	for i, b := range batches {
		if err := s.WriteRunBatch(ctx, b); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	r, err := s.Run(ctx, "run_1")
	if err != nil || r.Status != "interrupted" || string(r.Data) != `{"status":"interrupted"}` {
		t.Errorf("run: %+v %v", r, err)
	}
	steps, err := s.Steps(ctx, "run_1")
	if err != nil || len(steps) != 1 || steps[0].Status != "canceled" {
		t.Errorf("steps: %+v %v", steps, err)
	}
	events, err := s.Events(ctx, "run_1", 0)
	if err != nil || len(events) != 4 {
		t.Errorf("events: %d %v, want 4", len(events), err)
	}
	if _, err := s.Result(ctx, p.sum.Handle); err != nil {
		t.Errorf("result: %v", err)
	}
	// An update of a run whose first record never reached storage inserts it.
	lost := RunRecord{ID: "run_2", Status: "succeeded", Dataset: "d", Pipeline: "p", CreatedAt: t0, Data: []byte(`{}`), Stored: true}
	if err := s.WriteRunBatch(ctx, RunBatch{Runs: []RunRecord{lost}}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Run(ctx, "run_2"); err != nil || r.Status != "succeeded" {
		t.Errorf("run_2: %+v %v", r, err)
	}
}
