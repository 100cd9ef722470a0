package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/sql/store"
)

// TestRestartMidRun closes the store under a running run (as a killed server
// would leave it), reopens it with a new Runner, recovers, and re-runs.
func TestRestartMidRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mrswarm.duckdb")
	st1 := openStore(t, path)
	loadBeverage(t, st1)
	m := newScript(map[string]behaviour{"market_research_analyst": {block: true}})
	m.def = behaviour{useTool: true}
	r1 := NewRunner(st1, m, Config{DefaultModel: "scripted", Logger: quietLogger()})
	p := chain("fast:data_analyst", "slow:market_research_analyst", "after:campaign_optimizer<fast,slow")
	run, err := r1.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: p})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the fast step is stored as finished, then "kill" the server.
	err = r1.Watch(t.Context(), run.ID, 0, func(ev Event) error {
		if ev.Type == EventStepFinished && ev.StepID == "fast" {
			return errStop
		}
		return nil
	})
	if err != errStop {
		t.Fatalf("watch: %v", err)
	}
	waitStored(t, st1, run.ID, "fast", StepSucceeded)
	if err := st1.Close(); err != nil {
		t.Fatal(err)
	}
	defer func() { // let the old runner's goroutines end; its writes fail on the closed store
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r1.Close(ctx)
	}()

	st2 := openStore(t, path)
	defer st2.Close()
	m2 := newScript(nil)
	m2.def = behaviour{useTool: true}
	r2 := newTestRunner(t, st2, m2, 2)
	if err := r2.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := r2.Get(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != RunInterrupted {
		t.Errorf("status %s, want interrupted", got.Status)
	}
	fast := step(t, got, "fast")
	if fast.Status != StepSucceeded || fast.ResultHandle == "" {
		t.Errorf("completed step: %s %q", fast.Status, fast.ResultHandle)
	}
	if _, err := st2.Result(t.Context(), fast.ResultHandle); err != nil {
		t.Errorf("completed step's handle lost: %v", err)
	}
	if s := step(t, got, "slow").Status; s != StepCanceled {
		t.Errorf("in-flight step %s, want canceled", s)
	}
	// Its event stream is closed by a run_finished event.
	var last Event
	if err := r2.Watch(t.Context(), run.ID, 0, func(ev Event) error { last = ev; return nil }); err != nil {
		t.Fatal(err)
	}
	if last.Type != EventRunFinished || last.Run.Status != RunInterrupted {
		t.Errorf("last event %s (%v)", last.Type, last.Run)
	}

	// Re-running reuses the completed step.
	again, _ := runToEnd(t, r2, StartRequest{Pipeline: p})
	want := map[string]StepStatus{"fast": StepCached, "slow": StepSucceeded, "after": StepSucceeded}
	for id, w := range want {
		if s := step(t, again, id).Status; s != w {
			t.Errorf("re-run step %s %s, want %s", id, s, w)
		}
	}
	if m2.callsBy()["data_analyst"] != 0 {
		t.Error("the completed step called the model again")
	}
}

// waitStored waits until step id of run is stored with status want.
func waitStored(t *testing.T, st *store.Store, runID, id string, want StepStatus) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		recs, err := st.Steps(t.Context(), runID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.StepID == id && r.Status == string(want) {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("step %s never stored as %s", id, want)
}

// TestCloseInterruptsRuns: shutting the Runner down ends active runs as interrupted
// and refuses new ones.
func TestCloseInterruptsRuns(t *testing.T) {
	st := newStore(t)
	m := newScript(map[string]behaviour{"data_analyst": {block: true}})
	m.started = make(chan string, 1)
	r := NewRunner(st, m, Config{DefaultModel: "scripted", Logger: quietLogger()})
	run, err := r.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: chain("a:data_analyst", "b:campaign_optimizer<a")})
	if err != nil {
		t.Fatal(err)
	}
	<-m.started
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := r.Get(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != RunInterrupted || step(t, got, "a").Status != StepCanceled || step(t, got, "b").Status != StepCanceled {
		t.Errorf("after Close: run %s, steps %v", got.Status, statuses(got))
	}
	if _, err := r.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: chain("a:data_analyst")}); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
}
