package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
)

// TestRetentionKeepsRunningRunsHandles: the store's retention keeps the
// results runs cite, but it learns of them from the stored run records, which
// the run log writes after the fact. A result an agent's tool call made, or a
// finished step's, must survive a retention pass before its record is stored,
// or the agent's answer cites a handle that no longer exists.
func TestRetentionKeepsRunningRunsHandles(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "", store.Options{DataRoot: dataRoot(t), StagingDir: filepath.Join(t.TempDir(), "staging"),
		Retention: store.Retention{MaxBytes: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loadBeverage(t, st)
	answering, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	m := newScript(nil)
	m.def = behaviour{useTool: true, opens: func() {
		if calls.Add(1) == 2 { // the tool has run: its result is stored, no record cites it yet
			close(answering)
			<-release
		}
	}}
	r := newTestRunner(t, st, m, 2)
	run, err := r.Start(ctx, StartRequest{Dataset: testDataset, Pipeline: chain("a:data_analyst")})
	if err != nil {
		t.Fatal(err)
	}
	<-answering
	before := handlesOf(t, st)
	for i := range 40 { // ~15 KB each: far over the budget
		if _, err := st.SaveQuery(ctx, "test", testDataset, fmt.Sprintf(
			"SELECT sale_date, brand, region, %d AS i FROM %s LIMIT 500", i, testDataset)); err != nil {
			t.Fatal(err)
		}
	}
	if st.Evictions() == 0 {
		t.Fatal("no result was evicted: the test does not exercise retention")
	}
	for _, h := range before {
		if _, err := st.Result(ctx, h); err != nil {
			t.Errorf("the running agent's tool result %s: %v", h, err)
		}
	}
	close(release)
	if err := r.Watch(ctx, run.ID, 0, func(Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	final, err := r.Get(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.Status != RunSucceeded {
		t.Fatalf("run %s: %v", final.Status, final.Errors)
	}
	for _, s := range final.Steps {
		for _, h := range s.Handles {
			if _, err := st.Result(ctx, h); err != nil {
				t.Errorf("step %s's result %s: %v", s.ID, h, err)
			}
		}
	}
}

// handlesOf lists the store's results.
func handlesOf(t *testing.T, st *store.Store) []string {
	t.Helper()
	sums, err := st.Results(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var hs []string
	for _, s := range sums {
		hs = append(hs, s.Handle)
	}
	if len(hs) == 0 {
		t.Fatal("the agent's tool call stored no result")
	}
	return slices.Clip(hs)
}
