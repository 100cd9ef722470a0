package store

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDeferredResults: a result saved with SaveRowsDeferred reads like any
// other at once (summary, listing, pages, streams, user SQL) for its tenant
// only, is written by the RunBatch that carries it and then survives a
// restart; one deleted before its batch is never written.
func TestDeferredResults(t *testing.T) {
	ctx := t.Context()
	s, restart := fileStore(t)
	tc := inlineCases()["findings"]
	sum, p, err := s.SaveRowsDeferred(ctx, "step:run_1/a", "sales", tc.cols, tc.rows)
	if err != nil || p == nil {
		t.Fatalf("SaveRowsDeferred: %v, pending %v", err, p)
	}
	gone, pg, err := s.SaveRowsDeferred(ctx, "step:run_1/b", "sales", tc.cols, tc.rows)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := s.saveTable(ctx, "save rows", "step:run_1/a", "sales", tc.cols, tc.rows)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Result(ctx, sum.Handle); err != nil || !cmp.Equal(sum, got) {
		t.Errorf("Result before the write: %v (-saved +read):\n%s", err, cmp.Diff(sum, got))
	}
	if list, err := s.Results(ctx); err != nil || len(list) != 3 {
		t.Errorf("Results lists %d, %v; want 3", len(list), err)
	}
	if _, err := s.Result(WithTenant(ctx, "beta"), sum.Handle); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant reads the pending result: %v", err)
	}
	if diff := cmp.Diff(streamed(t, s, tab.Handle), streamed(t, s, sum.Handle)); diff != "" {
		t.Errorf("stream before the write (-table +pending):\n%s", diff)
	}
	if err := s.DeleteResult(ctx, gone.Handle); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRunBatch(ctx, RunBatch{Results: []*Pending{p, pg}}); err != nil {
		t.Fatal(err)
	}
	s = restart(s, Options{})
	if got, err := s.Result(ctx, sum.Handle); err != nil || !cmp.Equal(sum, got) {
		t.Errorf("Result after the write and a restart: %v (-saved +read):\n%s", err, cmp.Diff(sum, got))
	}
	if p, err := s.GetPage(ctx, sum.Handle, 0, 10, false); err != nil || !cmp.Equal(tc.rows, p.Rows) {
		t.Errorf("rows after a restart: %v, %v", p.Rows, err)
	}
	if _, err := s.Result(ctx, gone.Handle); !errors.Is(err, ErrNotFound) {
		t.Errorf("a result deleted before its batch: %v, want not found", err)
	}
}

// TestDeferredResultInUserSQL: user SQL naming a pending result reads it (the
// result is written first), and the batch that carries it later writes nothing twice.
func TestDeferredResultInUserSQL(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	tc := inlineCases()["findings"]
	sum, p, err := s.SaveRowsDeferred(ctx, "step:run_1/a", "sales", tc.cols, tc.rows)
	if err != nil {
		t.Fatal(err)
	}
	q, err := s.RunSQL(ctx, "SELECT count(*) AS n FROM results."+sum.Handle)
	if err != nil || q.Head[0][0] != int64(len(tc.rows)) {
		t.Fatalf("user SQL over a pending result: %v, %v", q.Head, err)
	}
	if err := s.WriteRunBatch(ctx, RunBatch{Results: []*Pending{p}}); err != nil {
		t.Fatalf("the batch after the result was written: %v", err)
	}
	if p, err := s.GetPage(ctx, sum.Handle, 0, 10, false); err != nil || !cmp.Equal(tc.rows, p.Rows) {
		t.Errorf("rows: %v, %v", p.Rows, err)
	}
}

// TestPinPendingResult: pinning a result that its run log's batch has not yet
// written (a step's findings, in the millisecond after the step) holds once
// the batch writes it, and across a restart; unpinning it before then too.
func TestPinPendingResult(t *testing.T) {
	ctx := t.Context()
	s, restart := fileStore(t)
	tc := inlineCases()["findings"]
	pinned, p, err := s.SaveRowsDeferred(ctx, "step:run_1/a", "sales", tc.cols, tc.rows)
	if err != nil || p == nil {
		t.Fatalf("SaveRowsDeferred: %v, pending %v", err, p)
	}
	unpinned, pu, err := s.SaveRowsDeferred(ctx, "step:run_1/b", "sales", tc.cols, tc.rows)
	if err != nil || pu == nil {
		t.Fatalf("SaveRowsDeferred: %v, pending %v", err, pu)
	}
	if err := s.SetPinned(ctx, pinned.Handle, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPinned(ctx, unpinned.Handle, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPinned(ctx, unpinned.Handle, false); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		if got, err := s.Result(ctx, pinned.Handle); err != nil || !got.Pinned {
			t.Errorf("%s: pinned %v, %v; want pinned", when, got.Pinned, err)
		}
		if got, err := s.Result(ctx, unpinned.Handle); err != nil || got.Pinned {
			t.Errorf("%s: unpinned result reads pinned %v, %v", when, got.Pinned, err)
		}
	}
	check("before the batch")
	if err := s.WriteRunBatch(ctx, RunBatch{Results: []*Pending{p, pu}}); err != nil {
		t.Fatal(err)
	}
	check("after the batch")
	s = restart(s, Options{})
	check("after a restart")
}
