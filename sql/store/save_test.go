package store

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// legacySummary summarises a committed result table the way the store did
// before saves ran in one transaction: columns from information_schema, one
// stats query, then the head through readRows. Text is rendered with sum's
// source, dataset and time, so the whole Summary must match.
func legacySummary(t *testing.T, s *Store, sum Summary) Summary {
	t.Helper()
	ctx := t.Context()
	if err := s.materialize(ctx, sum.Handle); err != nil { // a small result is kept inline: read its table
		t.Fatal(err)
	}
	cols, err := tableColumns(ctx, s.db, "results", sum.Handle)
	if err != nil {
		t.Fatal(err)
	}
	old := Summary{Handle: sum.Handle, Source: sum.Source, Dataset: sum.Dataset, CreatedAt: sum.CreatedAt, Columns: cols,
		Bytes: sum.Bytes} // the size estimate is newer than the legacy summary
	sel := []string{"count(*)"}
	var numeric []string
	for _, c := range cols {
		if isNumeric(c.Type) && len(numeric) < maxStatsColumns {
			numeric = append(numeric, c.Name)
			q := quoteIdent(c.Name)
			sel = append(sel, fmt.Sprintf("min(%[1]s)::DOUBLE, max(%[1]s)::DOUBLE, avg(%[1]s)::DOUBLE, sum(%[1]s)::DOUBLE, count(*) - count(%[1]s)", q))
		}
	}
	vals := make([]dbsql.NullFloat64, 4*len(numeric))
	nulls := make([]int64, len(numeric))
	dest := []any{&old.Rows}
	for i := range numeric {
		dest = append(dest, &vals[4*i], &vals[4*i+1], &vals[4*i+2], &vals[4*i+3], &nulls[i])
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + s.ResultTable(sum.Handle)
	if err := s.db.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		t.Fatal(err)
	}
	for i, name := range numeric {
		old.Stats = append(old.Stats, ColumnStats{Column: name, Min: vals[4*i].Float64,
			Max: vals[4*i+1].Float64, Mean: vals[4*i+2].Float64, Sum: vals[4*i+3].Float64, Nulls: nulls[i]})
	}
	if old.Head, err = s.readRows(ctx, sum.Handle, cols, 0, s.opts.HeadRows); err != nil {
		t.Fatal(err)
	}
	old.Text = renderText(old)
	return old
}

// manyTypes selects one value of many DuckDB types, including those whose
// names differ between DuckDB and the Go driver (TIMESTAMP WITH TIME ZONE,
// STRUCT, ENUM, UNION).
const manyTypes = `SELECT 1::TINYINT a, 2::SMALLINT b, 3::INTEGER c, 4::BIGINT d, 5::HUGEINT e,
	6::UTINYINT f, 7::UHUGEINT g, 1::USMALLINT g1, 1::UINTEGER g2, 1::UBIGINT g3,
	1.5::FLOAT h, 2.5::DOUBLE i, 1.234::DECIMAL(18,3) j, 1.2::DECIMAL(4,1) k, 3.3::DECIMAL(38,10) l,
	'x' m, ['a']::VARCHAR[] n, [1, 2]::INTEGER[] o, [1, 2, 3]::INTEGER[3] o3,
	{'a': 1, 'b c': 'x'} p, MAP {'k': 1} q, 'ok'::mood r, DATE '2024-01-01' s, TIME '10:00' tt,
	TIMESTAMP '2024-01-01 10:00' u, '2024-01-01 10:00:00+00'::TIMESTAMPTZ v, '10:00:00+02'::TIMETZ w,
	INTERVAL 3 DAY x, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID y, 'ab'::BLOB z, '101'::BIT z1,
	TIMESTAMP_NS '2024-01-01' z2, TIMESTAMP_MS '2024-01-01' z3, TIMESTAMP_S '2024-01-01' z4,
	union_value(num := 2)::UNION(num INTEGER, str VARCHAR) z5, true z6, [{'a': [1]}] z7, NULL z8`

func TestSaveMatchesLegacySummary(t *testing.T) {
	ctx := t.Context()
	s := salesStore(t, Options{HeadRows: 3})
	if _, err := s.db.ExecContext(ctx, `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`); err != nil {
		t.Fatal(err)
	}
	wide := make([]string, 30)
	for i := range wide {
		wide[i] = fmt.Sprintf("range * %d AS \"c%d\"", i, i)
	}
	queries := []struct{ name, query string }{
		{"many types", manyTypes + " UNION ALL " + manyTypes},
		{"empty", "SELECT region, units FROM sales WHERE units < 0"},
		{"more rows than the head", "SELECT range AS i, range / 3 AS third, 'r' || range AS s FROM range(100)"},
		{"numeric columns beyond the stats bound", "SELECT " + strings.Join(wide, ", ") + " FROM range(7)"},
		{"column named rowid", "SELECT range + 10 AS rowid, range AS v FROM range(5) UNION ALL SELECT 1, 99"},
		{"awkward names", `SELECT 1 AS "count_star()", 2 AS "a""b", 'x' AS "line
break", NULL::DOUBLE AS "all null"`},
	}
	check := func(t *testing.T, sum Summary, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(legacySummary(t, s, sum), sum); diff != "" {
			t.Errorf("summary (-legacy +new):\n%s", diff)
		}
		if stored, err := s.Result(ctx, sum.Handle); err != nil || stored.Text != sum.Text {
			t.Errorf("stored text %q, err %v", stored.Text, err)
		}
	}
	for _, q := range queries {
		t.Run("SaveQuery/"+q.name, func(t *testing.T) {
			sum, err := s.SaveQuery(ctx, "tool:test", "sales", q.query)
			check(t, sum, err)
		})
		t.Run("RunSQL/"+q.name, func(t *testing.T) {
			sum, err := s.RunSQL(ctx, q.query)
			check(t, sum, err)
		})
	}
	t.Run("SaveRows", func(t *testing.T) {
		sum, err := s.SaveRows(ctx, "report", "sales",
			[]Column{{Name: "finding"}, {Name: "value", Type: "DOUBLE"}, {Name: "day", Type: "date"},
				{Name: "amount", Type: "decimal(18,3)"}, {Name: "at", Type: "timestamptz"}, {Name: "tags", Type: "varchar[]"}},
			[][]any{{"top", 20.5, "2024-01-02", "1.5", "2024-01-01 10:00:00+00", []any{"a", "b"}},
				{"low", nil, nil, nil, nil, nil}, {"mid", 1.0, "2024-02-01", "2", nil, []any{}}, {"last", 3.0, nil, "7.125", nil, nil}})
		check(t, sum, err)
		if sum.Columns[4].Type != "TIMESTAMP WITH TIME ZONE" || sum.Columns[3].Type != "DECIMAL(18,3)" {
			t.Errorf("column types %+v", sum.Columns)
		}
		want := [][]any{{"top", 20.5, "2024-01-02", 1.5, "2024-01-01T10:00:00Z", []any{"a", "b"}},
			{"low", nil, nil, nil, nil, nil}, {"mid", 1.0, "2024-02-01", 2.0, nil, []any{}}}
		if diff := cmp.Diff(want, sum.Head); diff != "" || sum.Rows != 4 {
			t.Errorf("rows %d, head (-want +got):\n%s", sum.Rows, diff)
		}
	})
	t.Run("SaveRows/several batches", func(t *testing.T) {
		rows := make([][]any, 2*insertBatch+3)
		for i := range rows {
			rows[i] = []any{int64(i), fmt.Sprint("r", i)}
		}
		sum, err := s.SaveRows(ctx, "report", "", []Column{{Name: "i", Type: "BIGINT"}, {Name: "s"}}, rows)
		check(t, sum, err)
		p, err := s.GetPage(ctx, sum.Handle, 0, len(rows), false)
		if diff := cmp.Diff(rows, p.Rows); diff != "" || err != nil {
			t.Errorf("page err %v (-saved +read):\n%s", err, diff)
		}
	})
	t.Run("SaveRows/no rows", func(t *testing.T) {
		sum, err := s.SaveRows(ctx, "report", "", []Column{{Name: "a", Type: "INTEGER"}}, nil)
		check(t, sum, err)
	})
}

// TestSaveHeadIsFirstPage checks that the head read inside the saving
// transaction (provisional rowids) is the first page read after commit, for a
// result large enough to be written by several threads.
func TestSaveHeadIsFirstPage(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{HeadRows: 5})
	sum, err := s.SaveQuery(ctx, "tool:test", "", "SELECT range AS i, hash(range) AS h FROM range(500000) ORDER BY h DESC")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.GetPage(ctx, sum.Handle, 0, 5, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Rows, sum.Head); diff != "" || len(sum.Head) != 5 || sum.Rows != 500000 {
		t.Errorf("rows %d, head (-first page +head):\n%s", sum.Rows, diff)
	}
}

// resultState counts result tables and result metadata rows.
// resultState counts the stored results (tables and inline rows) and the metadata rows.
func resultState(t *testing.T, s *Store) (tables, rows int64) {
	t.Helper()
	err := s.db.QueryRowContext(t.Context(), `SELECT
		(SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'results') +
		(SELECT count(*) FROM mrswarm.results WHERE inline_rows IS NOT NULL),
		(SELECT count(*) FROM mrswarm.results)`).Scan(&tables, &rows)
	if err != nil {
		t.Fatal(err)
	}
	return tables, rows
}

func TestSaveFailuresLeaveNothing(t *testing.T) {
	s := salesStore(t, Options{StatementTimeout: time.Second})
	if _, err := s.SaveQuery(t.Context(), "tool:ok", "sales", "SELECT * FROM sales"); err != nil {
		t.Fatal(err)
	}
	slow := "SELECT sum(a.range * b.range) AS x FROM range(1000000) a, range(1000000) b"
	tests := []struct {
		name string
		save func(ctx context.Context) error
		want error
	}{
		{"invalid sql", func(ctx context.Context) error {
			_, err := s.SaveQuery(ctx, "tool:bad", "sales", "SELECT nope FROM sales")
			return err
		}, ErrInvalid},
		{"timeout", func(ctx context.Context) error {
			_, err := s.SaveQuery(ctx, "tool:slow", "sales", slow)
			return err
		}, ErrTimeout},
		{"canceled", func(ctx context.Context) error {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(50*time.Millisecond, cancel)
			_, err := s.SaveQuery(ctx, "tool:slow", "sales", slow)
			return err
		}, context.Canceled},
		{"ragged rows", func(ctx context.Context) error {
			_, err := s.SaveRows(ctx, "report", "", []Column{{Name: "a"}}, [][]any{{"x"}, {"y", "z"}})
			return err
		}, ErrInvalid},
		{"bad value", func(ctx context.Context) error {
			_, err := s.SaveRows(ctx, "report", "", []Column{{Name: "a", Type: "INTEGER"}}, [][]any{{1}, {"not a number"}})
			return err
		}, ErrInvalid},
		{"bad type", func(ctx context.Context) error {
			_, err := s.SaveRows(ctx, "report", "", []Column{{Name: "a", Type: "NOPE"}}, [][]any{{1}})
			return err
		}, ErrInvalid},
		{"failure after the table exists", func(ctx context.Context) error {
			ctx, cancel := context.WithCancel(ctx)
			_, err := s.saveResult(ctx, "test", "test", "", func(tx *dbsql.Tx, table string) error {
				_, err := tx.ExecContext(ctx, "CREATE TABLE "+table+" AS SELECT 1 AS a")
				cancel() // the summary and the metadata insert fail
				return err
			})
			return err
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.save(t.Context()); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if tables, rows := resultState(t, s); tables != 1 || rows != 1 {
				t.Errorf("%d result tables and %d metadata rows, want the 1 saved before", tables, rows)
			}
		})
	}
}

func TestSavedResultsSurviveRestart(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(t.TempDir(), "store.duckdb")
	s, err := Open(ctx, path, Options{DataRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	q, err := s.SaveQuery(ctx, "tool:test", "", "SELECT range AS i, range * 1.5 AS x FROM range(12)")
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.SaveRows(ctx, "report", "", []Column{{Name: "k"}, {Name: "v", Type: "BIGINT"}}, [][]any{{"a", 1}, {"b", 2}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, Options{DataRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, want := range []Summary{q, r} {
		got, err := s.Result(ctx, want.Handle)
		if diff := cmp.Diff(want, got); diff != "" || err != nil {
			t.Errorf("after restart (-saved +read) err %v:\n%s", err, diff)
		}
		p, err := s.GetPage(ctx, want.Handle, 0, 5, false)
		if diff := cmp.Diff(want.Head, p.Rows); diff != "" || err != nil {
			t.Errorf("first page after restart (-head +page) err %v:\n%s", err, diff)
		}
	}
}

func TestConcurrentSaves(t *testing.T) {
	ctx := t.Context()
	s := salesStore(t, Options{})
	const workers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				var err error
				if (w+i)%2 == 0 {
					_, err = s.SaveQuery(ctx, "tool:test", "sales", "SELECT region, sum(units) AS u FROM sales GROUP BY ALL")
				} else {
					_, err = s.SaveRows(ctx, "report", "sales", []Column{{Name: "w", Type: "INTEGER"}}, [][]any{{w}, {i}})
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if tables, rows := resultState(t, s); tables != workers*each || rows != workers*each {
		t.Errorf("%d result tables, %d metadata rows, want %d", tables, rows, workers*each)
	}
}
