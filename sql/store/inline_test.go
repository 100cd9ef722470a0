package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// inlineCases are text results as agents and reports save them.
func inlineCases() map[string]struct {
	cols []Column
	rows [][]any
} {
	many := make([][]any, 40)
	for i := range many {
		many[i] = []any{fmt.Sprint("finding ", i), strings.Repeat("é", i*9)}
	}
	return map[string]struct {
		cols []Column
		rows [][]any
	}{
		"findings": {[]Column{{Name: "kind", Type: "VARCHAR"}, {Name: "text", Type: "VARCHAR"}, {Name: "handles", Type: "VARCHAR"}},
			[][]any{{"summary", "Premium brands grow", ""}, {"finding", "North leads", "res_0123abcd, res_4567cdef"}}},
		"nulls, long and multi-line text": {[]Column{{Name: "section"}, {Name: "markdown"}},
			[][]any{{"intro", strings.Repeat("x", 500)}, {nil, "line\nbreak, \"quoted\""}, {"end", nil}}},
		"more rows than the head": {[]Column{{Name: "a"}, {Name: "b"}}, many},
		"no rows":                 {[]Column{{Name: "a"}}, nil},
		// Typed rows as tools build them (dataset_profile, response curves).
		"typed": {[]Column{{Name: "position", Type: "INTEGER"}, {Name: "column_name", Type: "VARCHAR"},
			{Name: "rows", Type: "BIGINT"}, {Name: "share", Type: "DOUBLE"}, {Name: "exact", Type: "BOOLEAN"}, {Name: "note"}},
			[][]any{{int32(1), "revenue", int64(10), 0.1, true, nil},
				{int32(2), "brand", int64(4611686018427387904), 0.2, false, "Zürich"},
				{int32(3), nil, int64(4611686018427387905), 0.3, nil, ""},
				{int32(-7), "units", int64(-1), nil, true, "x"},
				{int32(5), "price", nil, -1.7976931348623157e308, false, strings.Repeat("y", 300)},
				{int32(6), "cost", int64(3), 5e-324, true, nil}}},
		"typed, all NULL and int64 in INTEGER": {[]Column{{Name: "i", Type: "INTEGER"}, {Name: "d", Type: "DOUBLE"}, {Name: "b", Type: "BIGINT"}},
			[][]any{{int64(1), nil, nil}, {int64(2147483647), nil, nil}, {int64(2), nil, nil}}},
		"typed, values the table casts": {[]Column{{Name: "d", Type: "DOUBLE"}, {Name: "b", Type: "BIGINT"}},
			[][]any{{"1.5", 2.0}, {int64(3), "4"}}},
	}
}

// TestInlineResultsMatchTables: a small text result saved inline reads back
// exactly as the same rows saved as a table — summary, pages (JSON and CSV),
// streams — and user SQL reads it as results.<handle>.
func TestInlineResultsMatchTables(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	for name, tc := range inlineCases() {
		t.Run(name, func(t *testing.T) {
			in, err := s.SaveRows(ctx, "report", "sales", tc.cols, tc.rows)
			if err != nil {
				t.Fatal(err)
			}
			if !isInline(t, s, in.Handle) {
				t.Fatal("saved as a table, want inline")
			}
			tab, err := s.saveTable(ctx, "save rows", "report", "sales", tc.cols, tc.rows)
			if err != nil {
				t.Fatal(err)
			}
			ignore := cmpopts.IgnoreFields(Summary{}, "Handle", "CreatedAt", "Text")
			if diff := cmp.Diff(tab, in, ignore); diff != "" {
				t.Errorf("summary (-table +inline):\n%s", diff)
			}
			if got, want := in.Text, strings.ReplaceAll(tab.Text, tab.Handle, in.Handle); got != want {
				t.Errorf("text %q, want %q", got, want)
			}
			stored, err := s.Result(ctx, in.Handle)
			if diff := cmp.Diff(in, stored); diff != "" || err != nil {
				t.Errorf("stored summary err %v (-saved +stored):\n%s", err, diff)
			}
			for _, page := range [][2]int{{0, 3}, {2, 100}, {int(in.Rows), 5}} {
				for _, asCSV := range []bool{false, true} {
					a, errA := s.GetPage(ctx, tab.Handle, int64(page[0]), page[1], asCSV)
					b, errB := s.GetPage(ctx, in.Handle, int64(page[0]), page[1], asCSV)
					if diff := cmp.Diff(a, b, cmpopts.IgnoreFields(Page{}, "Handle")); diff != "" || errA != nil || errB != nil {
						t.Errorf("page %v csv %v: errs %v %v (-table +inline):\n%s", page, asCSV, errA, errB, diff)
					}
				}
			}
			if diff := cmp.Diff(streamed(t, s, tab.Handle), streamed(t, s, in.Handle)); diff != "" {
				t.Errorf("stream (-table +inline):\n%s", diff)
			}
			q, err := s.RunSQL(ctx, "SELECT * FROM results."+in.Handle)
			if err != nil {
				t.Fatalf("user SQL over the inline result: %v", err)
			}
			if diff := cmp.Diff(tab.Head, q.Head); diff != "" || q.Rows != tab.Rows {
				t.Errorf("user SQL read %d rows (-table head +read head):\n%s", q.Rows, diff)
			}
			again, err := s.GetPage(ctx, in.Handle, 0, 100, false)
			if want, _ := s.GetPage(ctx, tab.Handle, 0, 100, false); err != nil || !cmp.Equal(want.Rows, again.Rows) {
				t.Errorf("pages after the result became a table: %v, %v", again.Rows, err)
			}
		})
	}
}

// TestInlineResultsLifecycle: inline results survive a restart, and deletion
// and retention remove them as they remove tables.
func TestInlineResultsLifecycle(t *testing.T) {
	ctx := t.Context()
	s, restart := fileStore(t)
	tc := inlineCases()["findings"]
	saved, err := s.SaveRows(ctx, "step:run_1/a", "sales", tc.cols, tc.rows)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := s.SaveRows(ctx, "step:run_1/b", "sales", tc.cols, tc.rows)
	if err != nil {
		t.Fatal(err)
	}
	s = restart(s, Options{Retention: Retention{MaxBytes: 1}})
	got, err := s.Result(ctx, saved.Handle)
	if diff := cmp.Diff(saved, got); diff != "" || err != nil {
		t.Errorf("after restart err %v (-saved +read):\n%s", err, diff)
	}
	if p, err := s.GetPage(ctx, saved.Handle, 0, 10, false); err != nil || !cmp.Equal(tc.rows, p.Rows) {
		t.Errorf("rows after restart: %v, %v", p.Rows, err)
	}
	if err := s.DeleteResult(ctx, gone.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPage(ctx, gone.Handle, 0, 10, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("page of a deleted result: %v, want not found", err)
	}
	// Over a 1-byte budget, the next save evicts the older result.
	if _, err := s.SaveRows(ctx, "step:run_2/a", "sales", tc.cols, tc.rows); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Result(ctx, saved.Handle); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "evicted") {
		t.Errorf("result over the budget: %v, want evicted", err)
	}
}

// TestSaveRowsTablesWhenNotInline: rows that are too many, or of a type
// without an exact inline form, keep the table path.
func TestSaveRowsTablesWhenNotInline(t *testing.T) {
	s := newStore(t, Options{})
	big := make([][]any, maxInlineRows+1)
	for i := range big {
		big[i] = []any{"r"}
	}
	for name, tc := range map[string]struct {
		cols []Column
		rows [][]any
	}{
		"a list":    {[]Column{{Name: "l", Type: "VARCHAR[]"}}, [][]any{{[]any{"a"}}}},
		"many rows": {[]Column{{Name: "s"}}, big},
		"a blob":    {[]Column{{Name: "b", Type: "BLOB"}}, [][]any{{"ab"}}},
	} {
		t.Run(name, func(t *testing.T) {
			sum, err := s.SaveRows(t.Context(), "report", "", tc.cols, tc.rows)
			if err != nil {
				t.Fatal(err)
			}
			if isInline(t, s, sum.Handle) {
				t.Error("kept inline, want a table")
			}
		})
	}
}

func isInline(t *testing.T, s *Store, h string) bool {
	t.Helper()
	var inline bool
	if err := s.db.QueryRowContext(t.Context(), `SELECT inline_rows IS NOT NULL FROM mrswarm.results WHERE handle = ?`, h).Scan(&inline); err != nil {
		t.Fatal(err)
	}
	return inline
}

func streamed(t *testing.T, s *Store, h string) []Page {
	t.Helper()
	var pages []Page
	err := s.StreamRows(t.Context(), h, 7, true, func(p Page) error {
		p.Handle = ""
		pages = append(pages, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// TestInlineResultsStayWithTheirTenant: another tenant finds an inline result
// nowhere — summary, pages, streams, user SQL — as with a result table.
func TestInlineResultsStayWithTheirTenant(t *testing.T) {
	s := newStore(t, Options{})
	tc := inlineCases()["findings"]
	acme := WithTenant(t.Context(), "acme")
	sum, err := s.SaveRows(acme, "step:run_1/a", "sales", tc.cols, tc.rows)
	if err != nil {
		t.Fatal(err)
	}
	beta := WithTenant(t.Context(), "beta")
	if _, err := s.Result(beta, sum.Handle); !errors.Is(err, ErrNotFound) {
		t.Errorf("Result for another tenant: %v, want not found", err)
	}
	if _, err := s.GetPage(beta, sum.Handle, 0, 10, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetPage for another tenant: %v, want not found", err)
	}
	if err := s.StreamRows(beta, sum.Handle, 10, false, func(Page) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("StreamRows for another tenant: %v, want not found", err)
	}
	if _, err := s.RunSQL(beta, "SELECT * FROM results."+sum.Handle); !errors.Is(err, ErrNotFound) {
		t.Errorf("user SQL of another tenant: %v, want not found", err)
	}
	if !isInline(t, s, sum.Handle) {
		t.Error("another tenant's query made the result a table")
	}
	if p, err := s.GetPage(acme, sum.Handle, 0, 10, false); err != nil || !cmp.Equal(tc.rows, p.Rows) {
		t.Errorf("the owner's page: %v, %v", p.Rows, err)
	}
}
