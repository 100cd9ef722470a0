package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckUserSQL(t *testing.T) {
	tests := []struct {
		q       string
		refused bool
	}{
		{"SELECT 1", false},
		{"  with x as (select 1) select * from x", false},
		{"SELECT 'rejects_table' AS s", true}, // words in strings are refused too: the guard errs on refusing
		{"SELECT * FROM read_csv('a.csv', header = true)", false},
		{"SELECT * FROM read_csv('a.csv', REJECTS_TABLE = 't')", true},
		{`SELECT * FROM read_csv('a.csv', "store_rejects" = true)`, true},
		{"SELECT * FROM query ('SELECT 1')", true},
		{"SELECT * FROM main.query_table('t')", true},
		{"SELECT * FROM query/* a /* nested */ comment */('x')", true},
		{"SELECT * FROM query--c\n('x')", true},
		{"SELECT query FROM t", false}, // a column named query is no call
		{"SELECT enable_profiling()", true},
		{"SELECT * FROM U&\"\\0071uery\"('x')", true},
		{"SELECT menu&1 FROM t", false},
		{"EXPORT DATABASE 'x'", true},
		{"CREATE TEMPORARY SECRET s (TYPE s3)", true},
		{"PRAGMA version", true},
		{"", true},
		{"SELECT '\xff'", true},
	}
	for _, tt := range tests {
		err := CheckUserSQL(tt.q)
		if (err != nil) != tt.refused || err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckUserSQL(%q) = %v, want refused %v (ErrInvalid)", tt.q, err, tt.refused)
		}
	}
}

// TestLoadsOfOtherDatasetsDoNotWait: a load holding one dataset's lock does
// not block a load of another; a second load of the same dataset waits.
func TestLoadsOfOtherDatasetsDoNotWait(t *testing.T) {
	s := newStore(t, Options{})
	unlock := s.names.lock("busy")
	if _, err := s.LoadReader(t.Context(), "other", "o.csv", FormatAuto, strings.NewReader("a\n1\n"), nil); err != nil {
		t.Fatalf("load of another dataset while one is busy: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.LoadReader(t.Context(), "busy", "b.csv", FormatAuto, strings.NewReader("a\n2\n"), nil)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a load of the busy dataset did not wait (%v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestTableRefIgnoresTemporaryTables: trusted SQL (tools, internals) names
// datasets by TableRef, so a temporary table of the same name on the
// connection (what a hostile read_csv once left behind) changes nothing,
// while an unqualified name would read the temporary table (issue 11, defect 1).
func TestTableRefIgnoresTemporaryTables(t *testing.T) {
	s := salesStore(t, Options{})
	ctx := t.Context()
	s.db.SetMaxOpenConns(1) // every statement below runs on the one connection
	defer s.db.SetMaxOpenConns(0)
	if _, err := s.db.ExecContext(ctx, "CREATE TEMP TABLE sales AS SELECT 1 AS x"); err != nil {
		t.Fatal(err)
	}
	defer s.db.ExecContext(ctx, "DROP TABLE temp.main.sales")
	var shadowed, qualified int64
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM sales").Scan(&shadowed); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+s.TableRef(ctx, "sales")).Scan(&qualified); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Dataset(ctx, "sales")
	if err != nil {
		t.Fatal(err)
	}
	if shadowed != 1 || qualified != ds.Rows {
		t.Errorf("unqualified count %d (want the temporary table's 1), qualified %d (want %d)", shadowed, qualified, ds.Rows)
	}
}
