package store

import (
	dbsql "database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGeneratorGuard checks, on DuckDB's parse tree alone (nothing runs, so a
// case the guard misses cannot allocate), which generator calls are refused
// under a 256 MiB memory limit: a generated value may take 64 MiB, or 64 MiB
// per vector of 2,048 values when its input varies by row.
func TestGeneratorGuard(t *testing.T) {
	s := newStore(t, Options{MemoryLimit: 256 << 20})
	conn, err := s.db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tests := []struct {
		query   string
		refused bool
	}{
		// The hostile client's queries (issue 11) and their disguises.
		{"SELECT length(list(range(200000000)))", true},
		{"SELECT list(range(100000000))", true},
		{"SELECT length(repeat('x', 2000000000)) AS n", true},
		{"SELECT range(100000 * 2000)", true},
		{"SELECT generate_series(1, 2e8::BIGINT)", true},
		{"SELECT range(-200000000, 0, 1)", true},
		{"SELECT length(repeat(repeat('x', 1000), 1000000))", true},
		{"SELECT length(repeat('abcdefgh', 10000000))", true},
		{"SELECT length(lpad('x', 1500000000, 'y'))", true},
		{"SELECT length(rpad('x', 10 ** 9, 'y'))", true},
		{"SELECT len(list_resize([1], 200000000))", true},
		{"SELECT len(array_resize([1, 2], 20000000))", true},
		{"SELECT length(bitstring('1', 2000000000))", true},
		{"SELECT length(printf('%2000000000d', 1))", true},
		{"SELECT length(format('{:>2000000000}', 'x'))", true},
		{"SELECT len(range(TIMESTAMP '2000-01-01', TIMESTAMP '2100-01-01', INTERVAL 1 SECOND))", true},
		{"SELECT len(range(DATE '2000-01-01', DATE '2100-01-01', INTERVAL 1 MINUTE))", true},
		{"WITH t AS (SELECT range(100000000) AS r) SELECT len(r) FROM t", true},
		{"SELECT (SELECT len(range(100000000)))", true},
		{"SELECT 1 WHERE 3 IN (SELECT unnest(range(100000000)))", true},
		{"SELECT sum(length(repeat(i::VARCHAR, 100000))) FROM range(100000) t(i)", true}, // 2,048 rows at a time
		{"SELECT len(list_resize(list_value(i), 100000)) FROM range(10) t(i)", true},
		// What a data scientist writes keeps working.
		{"SELECT count(*) FROM range(1000000000)", false}, // rows stream
		{"SELECT * FROM generate_series(1, 100000000)", false},
		{"SELECT len(range(1000000))", false},
		{"SELECT range(DATE '2024-01-01', DATE '2025-01-01', INTERVAL 1 DAY)", false},
		{"SELECT repeat('-', 80)", false},
		{"SELECT lpad(i::VARCHAR, 10, '0') FROM range(100) t(i)", false},
		{"SELECT printf('%10.2f', 3.5), format('{:>12}', 'x')", false},
		{"SELECT 2000000000 * 2 AS big", false},
		{"SELECT '2000000000' AS s", false},
		{"SELECT range(i) FROM range(10) t(i)", false}, // sizes from data: guarded while it runs
	}
	for _, tc := range tests {
		_, err := s.boundGenerators(t.Context(), conn, tc.query)
		switch {
		case tc.refused && !errors.Is(err, ErrLimit):
			t.Errorf("%s: %v, want a refusal wrapping ErrLimit", tc.query, err)
		case tc.refused && !strings.Contains(err.Error(), "memory limit 256 MiB"):
			t.Errorf("%s: the refusal does not name the memory limit: %v", tc.query, err)
		case !tc.refused && err != nil:
			t.Errorf("%s: refused: %v", tc.query, err)
		}
	}
	if s.opts.MemoryLimit = 0; mustBound(t, s, conn, "SELECT range(100000000)") != "SELECT range(100000000)" {
		t.Errorf("without a memory limit there is no bound to derive")
	}
}

// TestGeneratorRefusedBeforeRunning: RunSQL refuses before anything runs (the
// refused value is 160 MB, so a miss stays cheap) and names the function.
func TestGeneratorRefusedBeforeRunning(t *testing.T) {
	s := newStore(t, Options{MemoryLimit: 256 << 20})
	_, err := s.RunSQL(t.Context(), "SELECT len(range(20000000)) AS n")
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "range(…) would build one value of about 153 MiB") {
		t.Fatalf("RunSQL: %v, want ErrLimit naming range and the size", err)
	}
	if sum, err := s.RunSQL(t.Context(), "SELECT len(range(1000000)) AS n"); err != nil || sum.Head[0][0] != int64(1000000) {
		t.Errorf("a million values: %v %v", sum.Head, err)
	}
}

func mustBound(t *testing.T, s *Store, conn *dbsql.Conn, q string) string {
	t.Helper()
	run, err := s.boundGenerators(t.Context(), conn, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return run
}

// Sizes that come from data are checked while the query runs: the guard
// refuses a value over the per-row bound (64 MiB over 2,048 rows: 4,096
// numbers under a 256 MiB limit) with ErrLimit, and leaves the results and
// column names of what passes as they were. The refused values here are at
// most 160 MB, so a miss stays cheap.
func TestGeneratorGuardAtRuntime(t *testing.T) {
	s := newStore(t, Options{MemoryLimit: 256 << 20})
	free := newStore(t, Options{})
	for _, q := range []string{
		"WITH t AS (SELECT 20000000 AS n) SELECT len(range(n)) AS l FROM t",
		"SELECT len(range((SELECT 20000000))) AS l",
		"SELECT range(i, i + 5000) FROM range(3) t(i)",
		"SELECT len(generate_series(1, n, 1)) FROM (VALUES (1), (10000)) v(n)",
		"SELECT length(repeat('x', n)) FROM (VALUES (100000)) v(n)",
		"SELECT len(list_resize([1], n)) FROM (VALUES (100000)) v(n)",
		"SELECT len(range(d, d + INTERVAL 1 YEAR, INTERVAL 1 MINUTE)) FROM (VALUES (TIMESTAMP '2024-01-01')) v(d)",
	} {
		_, err := s.RunSQL(t.Context(), q)
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "in one row, over the bound of one generated value") {
			t.Errorf("%s: %v, want ErrLimit from the guard", q, err)
		}
	}
	for _, q := range []string{
		"SELECT len(range(i)), i + 1 AS j, range(i, 0, -1) FROM range(5) t(i)",
		"WITH t AS (SELECT range(i) FROM range(3) t(i)) SELECT * FROM t",
		"SELECT repeat(brand, 2) AS b, lpad(brand, n, '*') FROM (VALUES ('ab', 5)) v(brand, n)",
		"SELECT x FROM (SELECT len(range(4000)) + i AS x FROM range(2) t(i)) ORDER BY x",
		"SELECT len(range(d, d + INTERVAL 30 DAY, INTERVAL 1 DAY)) AS days FROM (VALUES (DATE '2024-01-01')) v(d)",
	} {
		got, err := s.RunSQL(t.Context(), q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		want, err := free.RunSQL(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.Columns, got.Columns); diff != "" || !cmp.Equal(want.Head, got.Head) {
			t.Errorf("%s: guarded result differs: columns %s head %v, want %v", q, diff, got.Head, want.Head)
		}
	}
}
