package pipeline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/sql/store"
)

// When the store opens its file in a new DuckDB instance between runs (it
// does so once idle, store.Options.RecycleAfter; here at once), a finished
// run keeps its steps, results, report and event stream, read by a runner
// that never saw it, and the next run goes as any other.
func TestRunsAcrossNewDuckDBInstances(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mrswarm.duckdb")
	st, err := store.Open(context.Background(), path, store.Options{DataRoot: dataRoot(t),
		StagingDir: filepath.Join(t.TempDir(), "staging"), RecycleAfter: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	loadBeverage(t, st)
	m := newScript(nil)
	m.def = behaviour{useTool: true}
	r := newTestRunner(t, st, m, 2)
	req := StartRequest{Dataset: testDataset, Pipeline: campaign(t), Options: Options{Force: true}}

	first, _ := runToEnd(t, r, req)
	if first.Status != RunSucceeded {
		t.Fatalf("first run: %s %v", first.Status, first.Errors)
	}
	if err := r.Wait(t.Context(), first.ID); err != nil {
		t.Fatal(err)
	}
	before := st.Reopens()
	for deadline := time.Now().Add(30 * time.Second); st.Reopens() == before; {
		if time.Now().After(deadline) {
			t.Fatal("the store opened no new DuckDB instance within 30 s of the run, with RecycleAfter 1 byte")
		}
		time.Sleep(50 * time.Millisecond)
	}

	fresh := newTestRunner(t, st, m, 2)
	got, err := fresh.Get(t.Context(), first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != RunSucceeded || len(got.Steps) != len(first.Steps) || got.ReportHandle != first.ReportHandle {
		t.Fatalf("the first run read back: %s, %d steps, report %q; want succeeded, %d steps, report %q",
			got.Status, len(got.Steps), got.ReportHandle, len(first.Steps), first.ReportHandle)
	}
	for _, s := range got.Steps {
		if s.ResultHandle == "" {
			continue
		}
		if _, err := st.GetPage(t.Context(), s.ResultHandle, 0, 10, false); err != nil {
			t.Errorf("step %s's result %s: %v", s.ID, s.ResultHandle, err)
		}
	}
	var last Event
	if err := fresh.Watch(t.Context(), first.ID, 0, func(ev Event) error { last = ev; return nil }); err != nil {
		t.Fatal(err)
	}
	if last.Type != EventRunFinished || last.Run.Status != RunSucceeded {
		t.Errorf("the first run's stream ends with %s (%v)", last.Type, last.Run)
	}

	if second, _ := runToEnd(t, r, req); second.Status != RunSucceeded {
		t.Fatalf("a run in the new instance: %s %v", second.Status, second.Errors)
	}
}
