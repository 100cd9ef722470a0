package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestResultSummaryFollowsChanges: a summary read once (and so kept by the
// store) follows every change of the stored one: pinning, unpinning, deletion
// and eviction, and stays its tenant's and the store's own.
func TestResultSummaryFollowsChanges(t *testing.T) {
	s := newStore(t, Options{Retention: Retention{MaxBytes: 4 << 10}})
	ctx := t.Context()
	save := func(i int) Summary {
		t.Helper()
		sum, err := s.SaveQuery(ctx, "test", "", fmt.Sprintf("SELECT range AS n, %d AS i, repeat('x', 40) AS pad FROM range(200)", i))
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	read := func(h string) (Summary, error) {
		t.Helper()
		return s.Result(ctx, h)
	}
	first := save(0)
	got, err := read(first.Handle)
	if err != nil {
		t.Fatal(err)
	}
	got.Head[0][0], got.Columns[0].Name = "changed", "changed" // a caller's copy
	for _, pinned := range []bool{true, false, true} {
		if err := s.SetPinned(ctx, first.Handle, pinned); err != nil {
			t.Fatal(err)
		}
		got, err := read(first.Handle)
		if err != nil {
			t.Fatal(err)
		}
		if got.Pinned != pinned {
			t.Errorf("after SetPinned(%v), Result says pinned %v", pinned, got.Pinned)
		}
		if got.Head[0][0] == "changed" || got.Columns[0].Name == "changed" {
			t.Errorf("a caller's change of its summary reached the store's: %v %v", got.Head[0], got.Columns[0])
		}
	}
	if _, err := s.Result(WithTenant(ctx, "other"), first.Handle); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant read the result: err %v, want ErrNotFound", err)
	}

	second := save(1)
	if _, err := read(second.Handle); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteResult(ctx, second.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := read(second.Handle); !errors.Is(err, ErrNotFound) {
		t.Errorf("Result of a deleted result: err %v, want ErrNotFound", err)
	}

	// Unpinned, the first result is the least recently used: later saves over
	// the budget evict it.
	if err := s.SetPinned(ctx, first.Handle, false); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 8 && s.Evictions() == 0; i++ {
		if _, err := read(save(i).Handle); err != nil {
			t.Fatal(err)
		}
	}
	if s.Evictions() == 0 {
		t.Fatal("nothing was evicted: the budget does not bind")
	}
	if _, err := read(first.Handle); !errors.Is(err, ErrNotFound) {
		t.Errorf("Result of an evicted result: err %v, want ErrNotFound", err)
	}
}

// TestResultCacheKeepsNoSummaryReadBeforeAChange: a summary read before its
// result changed, put after the change was made known, is not kept.
func TestResultCacheKeepsNoSummaryReadBeforeAChange(t *testing.T) {
	var c resultCache
	key := resultKey{tenant: "default", handle: "res_00000001"}
	_, ok, gen := c.get(key) // a reader misses and asks DuckDB
	if ok {
		t.Fatal("an empty cache had a summary")
	}
	c.forget(key.handle) // meanwhile the result is deleted
	c.put(key, &Summary{Handle: key.handle}, nil, gen)
	if _, ok, _ := c.get(key); ok {
		t.Error("a summary read before its result was deleted was kept")
	}
	_, _, gen = c.get(key)
	c.put(key, &Summary{Handle: key.handle}, nil, gen)
	if _, ok, _ := c.get(key); !ok {
		t.Error("a summary read after the last change was not kept")
	}
}

// TestPagesFollowChanges: pages of a result read once (its metadata kept) stay
// the same when an inline result gets a table of its own for user SQL, and
// end when the result is deleted.
func TestPagesFollowChanges(t *testing.T) {
	s := newStore(t, Options{})
	ctx := t.Context()
	sum, err := s.SaveRows(ctx, "test", "", []Column{{Name: "k", Type: "VARCHAR"}, {Name: "v", Type: "VARCHAR"}},
		[][]any{{"a", "1"}, {"b", "2"}, {"c", "3"}})
	if err != nil {
		t.Fatal(err)
	}
	page := func() Page {
		t.Helper()
		p, err := s.GetPage(ctx, sum.Handle, 1, 2, false)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := page()
	if _, err := s.RunSQL(ctx, "SELECT count(*) FROM results."+sum.Handle); err != nil { // makes it a table
		t.Fatal(err)
	}
	var table bool
	if err := s.db.QueryRowContext(ctx, `SELECT inline_rows IS NULL FROM mrswarm.results WHERE handle = ?`, sum.Handle).Scan(&table); err != nil || !table {
		t.Fatalf("the result did not get a table of its own (err %v)", err)
	}
	if after := page(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("page after the result got a table = %v, want %v", after, before)
	}
	if err := s.DeleteResult(ctx, sum.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPage(ctx, sum.Handle, 0, 2, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("page of a deleted result: err %v, want ErrNotFound", err)
	}
}

// TestStoredResultReadsAsItsRow: what the store keeps of a result it has just
// stored is what reading its row back gives, summary and pages alike, for
// every kind of value a result holds.
func TestStoredResultReadsAsItsRow(t *testing.T) {
	s := newStore(t, Options{})
	ctx := t.Context()
	var handles []string
	for _, q := range []string{
		`SELECT 'a' AS s, 1 AS i, 2.5 AS d, 3.25::DOUBLE AS f, DATE '2024-01-31' AS day, TIMESTAMP '2024-01-31 10:00:00' AS ts,
			NULL::INTEGER AS n, true AS b, 12.345::DECIMAL(18,3) AS dec`,
		`SELECT 'nan'::DOUBLE AS x, 'inf'::DOUBLE AS y, '-inf'::DOUBLE AS z`,
		`SELECT range AS i, range * 0.5 AS x, 'r' || range AS s FROM range(5000)`, // a table of its own
		`SELECT [1, 2] AS list, {'a': 1} AS st`,                                   // no inline form
	} {
		sum, err := s.SaveQuery(ctx, "test", "", q)
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, sum.Handle)
	}
	text, err := s.SaveRows(ctx, "test", "", []Column{{Name: "kind"}, {Name: "text"}}, [][]any{{"summary", "é\n, \"quoted\""}})
	if err != nil {
		t.Fatal(err)
	}
	typed, err := s.SaveRows(ctx, "test", "", []Column{{Name: "n", Type: "BIGINT"}, {Name: "x", Type: "DOUBLE"}}, [][]any{{int64(7), 1.5}})
	if err != nil {
		t.Fatal(err)
	}
	handles = append(handles, text.Handle, typed.Handle)
	keptAsRead(t, s, handles...)
}

// keptAsRead checks that each handle is kept by the result cache, and that
// its kept summary and first page equal those read back from DuckDB.
func keptAsRead(t *testing.T, s *Store, handles ...string) {
	t.Helper()
	ctx := t.Context()
	summaryAndPage := func(h string) (Summary, Page) {
		t.Helper()
		sum, err := s.Result(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		page, err := s.GetPage(ctx, h, 0, 3, false)
		if err != nil {
			t.Fatal(err)
		}
		return sum, page
	}
	for _, h := range handles {
		key := resultKey{tenant: TenantOf(ctx), handle: h}
		if _, ok, _ := s.results.get(key); !ok { // before a read could keep it
			t.Errorf("%s: summary not kept once stored", h)
		}
		if _, ok, _ := s.results.getMeta(key); !ok {
			t.Errorf("%s: page metadata not kept once stored", h)
		}
		kept, keptPage := summaryAndPage(h)
		s.results.forget(h) // read it back from DuckDB
		read, readPage := summaryAndPage(h)
		if diff := cmp.Diff(read, kept, cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("%s: summary kept when stored differs from its row read back (-read +kept):\n%s", h, diff)
		}
		if diff := cmp.Diff(readPage, keptPage, cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("%s: page from what was kept differs from one read back (-read +kept):\n%s", h, diff)
		}
	}
}

// TestWrittenFindingsReadAsTheirRow: a deferred result (a step's findings) is
// kept once a RunBatch or a flush has written it, as reading its row back
// gives it, so the report and the step's dependents read it without asking
// DuckDB.
func TestWrittenFindingsReadAsTheirRow(t *testing.T) {
	s := newStore(t, Options{})
	ctx := t.Context()
	cols := []Column{{Name: "kind"}, {Name: "text"}, {Name: "handles"}}
	var handles []string
	var batch []*Pending
	for _, text := range []string{"é\n, \"quoted\"", "revenue rose 12.5 %"} {
		sum, p, err := s.SaveRowsDeferred(ctx, "step:run_test/a", "", cols,
			[][]any{{"summary", text, ""}, {"finding", "north leads", "res_0123456789ab"}})
		if err != nil {
			t.Fatal(err)
		}
		if p == nil {
			t.Fatalf("%s: saved at once, not deferred", sum.Handle)
		}
		handles, batch = append(handles, sum.Handle), append(batch, p)
	}
	if err := s.WriteRunBatch(ctx, RunBatch{Results: batch[:1]}); err != nil {
		t.Fatal(err)
	}
	if err := s.flushPending(ctx, handles[1]); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.pendingResult(ctx, handles[0]); ok {
		t.Fatal("still pending once written")
	}
	keptAsRead(t, s, handles...)
}
