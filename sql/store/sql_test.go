package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// salesStore is a store with a small dataset "sales" loaded.
func salesStore(t *testing.T, opts Options) *Store {
	t.Helper()
	s := newStore(t, opts)
	writeFile(t, s.DataRoot(), "sales.csv", "region,units\nEU,10\nUS,20\nEU,5\n")
	if _, err := s.LoadFile(t.Context(), "sales", "sales.csv", FormatAuto, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// duckdbSays names the TestRunSQLRejects cases that DuckDB itself rejects with its own message.
var duckdbSays = map[string]bool{"syntax": true, "unknown table": true, "query function": true}

func TestRunSQLRejects(t *testing.T) {
	s := salesStore(t, Options{})
	root := s.DataRoot()
	tests := []struct {
		name, query string
		want        error
	}{
		{"drop", "DROP TABLE sales", ErrInvalid},
		{"create", "CREATE TABLE x AS SELECT 1", ErrInvalid},
		{"insert", "INSERT INTO sales VALUES ('x', 1)", ErrInvalid},
		{"update", "UPDATE sales SET units = 0", ErrInvalid},
		{"delete", "DELETE FROM sales", ErrInvalid},
		{"alter", "ALTER TABLE sales RENAME TO y", ErrInvalid},
		{"attach", "ATTACH '" + root + "/x.db' AS x", ErrInvalid},
		{"detach", "DETACH x", ErrInvalid},
		{"copy to root", "COPY sales TO '" + root + "/out.csv'", ErrInvalid},
		{"copy from", "COPY sales FROM '" + root + "/sales.csv'", ErrInvalid},
		{"export", "EXPORT DATABASE '" + root + "/exp'", ErrInvalid},
		{"pragma", "PRAGMA version", ErrInvalid},
		{"pragma table info", "PRAGMA table_info('sales')", ErrInvalid},
		{"set", "SET threads = 1", ErrInvalid},
		{"reset", "RESET threads", ErrInvalid},
		{"install", "INSTALL httpfs", ErrInvalid},
		{"load", "LOAD httpfs", ErrInvalid},
		{"call", "CALL pragma_version()", ErrInvalid},
		{"explain", "EXPLAIN SELECT 1", ErrInvalid},
		{"transaction", "BEGIN TRANSACTION", ErrInvalid},
		{"checkpoint", "CHECKPOINT", ErrInvalid},
		{"two selects", "SELECT 1; SELECT 2", ErrInvalid},
		{"select then drop", "SELECT 1; DROP TABLE sales", ErrInvalid},
		{"comment hides nothing", "SELECT 1 -- x\n; DROP TABLE sales", ErrInvalid},
		{"empty", " ;; ", ErrInvalid},
		{"syntax", "SELEC 1", ErrInvalid},
		{"query function", "SELECT * FROM query('DROP TABLE sales')", ErrInvalid},
		{"unknown table", "SELECT * FROM nope", ErrInvalid},
		{"read outside root", "SELECT * FROM read_csv('/etc/passwd')", ErrPermission},
		{"read text outside root", "SELECT * FROM read_text('/etc/hostname')", ErrPermission},
		{"glob outside root", "SELECT * FROM glob('/etc/*')", ErrPermission},
		{"escape root by dot dot", "SELECT * FROM read_csv('" + root + "/../x.csv')", ErrPermission},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.RunSQL(t.Context(), tc.query)
			wantErr(t, err, tc.want)
			// Rejections of a statement kind say what is allowed; DuckDB's own errors speak for themselves.
			if tc.want == ErrInvalid && !duckdbSays[tc.name] &&
				!strings.Contains(err.Error(), "only one read-only SELECT") {
				t.Errorf("rejection does not say what is allowed: %v", err)
			}
		})
	}
	if n := count(t, s, "sales"); n != 3 {
		t.Errorf("sales has %d rows after the attempts", n)
	}
}

func TestRunSQLAccepts(t *testing.T) {
	s := salesStore(t, Options{})
	path := filepath.Join(s.DataRoot(), "sales.csv")
	tests := []struct {
		name, query string
		rows        int64
	}{
		{"select", "SELECT region, sum(units) AS units FROM sales GROUP BY region ORDER BY region;", 2},
		{"with", "WITH t AS (SELECT * FROM sales WHERE units > 5) SELECT * FROM t", 2},
		{"from first", "FROM sales", 3},
		{"values", "VALUES (1), (2)", 2},
		{"comment first", "-- top regions\n/* note */ SELECT * FROM sales LIMIT 1", 1},
		{"read file in root", "SELECT * FROM read_csv('" + path + "')", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := s.RunSQL(t.Context(), tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Rows != tc.rows || sum.Source != "sql" || !handleRE.MatchString(sum.Handle) {
				t.Errorf("summary %+v", sum)
			}
			if p, err := s.GetPage(t.Context(), sum.Handle, 0, 100, false); err != nil || int64(len(p.Rows)) != tc.rows {
				t.Errorf("result has %d rows (err %v)", len(p.Rows), err)
			}
		})
	}
	sum, err := s.RunSQL(t.Context(), "SELECT region, sum(units) AS units FROM sales GROUP BY region ORDER BY region")
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Handle: sum.Handle, Source: "sql", Dataset: "sales", Rows: 2,
		Columns:   []Column{{Name: "region", Type: "VARCHAR"}, {Name: "units", Type: "HUGEINT"}},
		Head:      [][]any{{"EU", int64(15)}, {"US", int64(20)}},
		Stats:     []ColumnStats{{Column: "units", Min: 15, Max: 20, Mean: 17.5, Sum: 35}},
		Bytes:     2*8 + int64(len("EU")+len("US")),
		CreatedAt: sum.CreatedAt, Text: sum.Text}
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	for _, part := range []string{sum.Handle, "2 rows", "region VARCHAR", "EU | 15", "units: min 15 max 20"} {
		if !strings.Contains(sum.Text, part) {
			t.Errorf("text lacks %q:\n%s", part, sum.Text)
		}
	}
	// User SQL can read stored results by handle.
	again, err := s.RunSQL(t.Context(), "SELECT count(*) AS n FROM "+s.ResultTable(sum.Handle))
	if err != nil || again.Head[0][0] != int64(2) {
		t.Errorf("reading a result by handle: %v %v", again.Head, err)
	}
}

func TestRunSQLTimeout(t *testing.T) {
	s := salesStore(t, Options{StatementTimeout: 200 * time.Millisecond})
	_, err := s.RunSQL(t.Context(), "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b")
	wantErr(t, err, ErrTimeout)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = s.RunSQL(ctx, "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Errorf("canceled run: %v", err)
	}
	rows, err := s.Query(t.Context(), "SELECT count(*) FROM sales")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
}

func TestSaveQueryAndRows(t *testing.T) {
	ctx := t.Context()
	s := salesStore(t, Options{HeadRows: 2})
	sum, err := s.SaveQuery(ctx, "tool:by_region", "sales",
		"SELECT region, units FROM sales WHERE units >= ? ORDER BY units DESC", 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]any{{"US", int64(20)}, {"EU", int64(10)}}, sum.Head); diff != "" || sum.Source != "tool:by_region" {
		t.Errorf("source %q head (-want +got):\n%s", sum.Source, diff)
	}
	rows, err := s.SaveRows(ctx, "report", "sales",
		[]Column{{Name: "finding"}, {Name: "value", Type: "DOUBLE"}, {Name: "day", Type: "DATE"}},
		[][]any{{"top region", 20.5, "2024-01-02"}, {"low", nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{{"top region", 20.5, "2024-01-02"}, {"low", nil, nil}}
	if diff := cmp.Diff(want, rows.Head); diff != "" || rows.Rows != 2 || rows.Stats[0].Nulls != 1 {
		t.Errorf("rows %d stats %+v head (-want +got):\n%s", rows.Rows, rows.Stats, diff)
	}
	if _, err := s.SaveRows(ctx, "report", "", []Column{{Name: "a"}}, [][]any{{1, 2}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ragged rows: %v", err)
	}
	got, err := s.Result(ctx, rows.Handle)
	if diff := cmp.Diff(rows, got); diff != "" || err != nil {
		t.Errorf("Result (-saved +read) err %v:\n%s", err, diff)
	}
	list, err := s.Results(ctx)
	if err != nil || len(list) != 2 || list[0].Handle != rows.Handle {
		t.Errorf("Results: %d, err %v", len(list), err)
	}
	if err := s.DeleteResult(ctx, rows.Handle); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{rows.Handle, "res_00000000", "nope", "res_0000000g; DROP"} {
		if _, err := s.Result(ctx, h); !errors.Is(err, ErrNotFound) {
			t.Errorf("Result(%q) = %v", h, err)
		}
		if _, err := s.GetPage(ctx, h, 0, 10, false); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetPage(%q) = %v", h, err)
		}
	}
}

func TestSummaryTextBound(t *testing.T) {
	s := newStore(t, Options{HeadRows: 20})
	long := strings.Repeat("wide text ", 50)
	cols := []string{"range AS id"}
	for i := range 6 {
		cols = append(cols, fmt.Sprintf("range * %d.5 AS measure_with_a_long_name_%d, CASE WHEN range < 50 THEN '%s' END AS label_%d", i, i, long, i))
	}
	sum, err := s.RunSQL(t.Context(), "SELECT "+strings.Join(cols, ", ")+" FROM range(1000000)")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 1000000 || len(sum.Columns) != 13 {
		t.Fatalf("rows %d columns %d", sum.Rows, len(sum.Columns))
	}
	t.Logf("%d bytes:\n%s", len(sum.Text), sum.Text)
	if len(sum.Text) >= 1024 {
		t.Errorf("text is %d bytes:\n%s", len(sum.Text), sum.Text)
	}
	if !strings.Contains(sum.Text, "1000000 rows") {
		t.Errorf("text lacks the row count:\n%s", sum.Text)
	}
}

func TestDatasetsAndRoles(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	writeFile(t, s.DataRoot(), "mine.csv", "Day,Territory,Item,Qty,Revenue (USD),unit_cost,Total Cost\n2024-01-02,EU,x,1,2.5,1,1\n")
	res, err := s.LoadFile(ctx, "mine", "mine.csv", FormatAuto, map[Role]string{RoleBrand: "Item"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Role]string{RoleDate: "Day", RoleRegion: "Territory", RoleBrand: "Item", RoleUnits: "Qty",
		RoleRevenue: "Revenue (USD)", RoleCost: "Total Cost"}
	if diff := cmp.Diff(want, res.Dataset.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	ds, err := s.SetRoles(ctx, "mine", map[Role]string{RoleCost: "unit_cost", RoleRegion: ""})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Roles[RoleCost] != "unit_cost" || ds.Roles[RoleRegion] != "" || ds.Columns[5].Role != RoleCost {
		t.Errorf("after SetRoles: %v %+v", ds.Roles, ds.Columns)
	}
	for _, bad := range []map[Role]string{{"colour": "Item"}, {RoleBrand: "nope"}, {RoleRevenue: "Item"}} {
		_, err := s.SetRoles(ctx, "mine", bad)
		wantErr(t, err, ErrInvalid)
	}
	if _, err := s.SetRoles(ctx, "nope", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetRoles on a missing dataset: %v", err)
	}
	list, err := s.Datasets(ctx)
	if err != nil || len(list) != 1 || list[0].Roles[RoleCost] != "unit_cost" {
		t.Fatalf("Datasets: %+v %v", list, err)
	}
	if err := s.DropDataset(ctx, "mine"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Dataset(ctx, "mine"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after drop: %v", err)
	}
	if _, err := s.RunSQL(ctx, "SELECT * FROM mine"); !errors.Is(err, ErrInvalid) {
		t.Errorf("table still there: %v", err)
	}
	if err := s.DropDataset(ctx, "mine"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second drop: %v", err)
	}
}

func TestInferRoles(t *testing.T) {
	tests := []struct {
		name string
		cols []Column
		want map[Role]string
	}{
		{"prefers totals", []Column{{Name: "cost_per_unit", Type: "DOUBLE"}, {Name: "total_cost", Type: "DOUBLE"},
			{Name: "price", Type: "DOUBLE"}}, map[Role]string{RoleCost: "total_cost", RolePrice: "price"}},
		{"numeric roles need numbers", []Column{{Name: "revenue", Type: "VARCHAR"}, {Name: "units", Type: "BIGINT"}},
			map[Role]string{RoleUnits: "units"}},
		{"date needs a date type", []Column{{Name: "date", Type: "BIGINT"}, {Name: "order_date", Type: "TIMESTAMP"}},
			map[Role]string{RoleDate: "order_date"}},
		{"synonyms", []Column{{Name: "Market", Type: "VARCHAR"}, {Name: "Product Line", Type: "VARCHAR"}, {Name: "COGS", Type: "DECIMAL(10,2)"},
			{Name: "net_sales", Type: "DOUBLE"}, {Name: "margin", Type: "FLOAT"}, {Name: "store", Type: "VARCHAR"}},
			map[Role]string{RoleRegion: "Market", RoleBrand: "Product Line", RoleCost: "COGS",
				RoleRevenue: "net_sales", RoleMargin: "margin", RoleStore: "store"}},
		{"per-unit figures are not totals", []Column{{Name: "revenue_per_unit", Type: "DOUBLE"}}, map[Role]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := infer(newProfiles(tc.cols)); !cmp.Equal(tc.want, got) {
				diff := cmp.Diff(tc.want, got)
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConcurrentRunSQL(t *testing.T) {
	s := salesStore(t, Options{})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			sum, err := s.RunSQL(t.Context(), fmt.Sprintf("SELECT region, units * %d AS u FROM sales", i))
			if err == nil && sum.Rows != 3 {
				err = fmt.Errorf("rows %d", sum.Rows)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestRunSQLDescribe(t *testing.T) {
	s := salesStore(t, Options{})
	for _, q := range []string{"DESCRIBE sales", "SHOW TABLES", "SUMMARIZE sales"} {
		sum, err := s.RunSQL(t.Context(), q)
		if err != nil || sum.Rows < 1 {
			t.Errorf("%s: rows %d err %v", q, sum.Rows, err)
		}
	}
}
