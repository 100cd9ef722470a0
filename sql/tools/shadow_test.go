package tools

import (
	"testing"
)

// TestToolsIgnoreTemporaryTables: tool SQL names datasets fully qualified, so
// a temporary table of the same name on the connection (what a hostile
// read_csv once left behind) does not change a tool's numbers (issue 11,
// defect 1).
func TestToolsIgnoreTemporaryTables(t *testing.T) {
	st := loadReal(t)
	ctx := t.Context()
	before, err := Call(ctx, st, "sales", "kpi_summary", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	db.SetMaxOpenConns(1) // every statement below runs on the one connection
	defer db.SetMaxOpenConns(0)
	if _, err := db.ExecContext(ctx, "CREATE TEMP TABLE sales AS SELECT 1 AS x, 2 AS y"); err != nil {
		t.Fatal(err)
	}
	defer db.ExecContext(ctx, "DROP TABLE temp.main.sales")
	after, err := Call(ctx, st, "sales", "kpi_summary", nil)
	if err != nil {
		t.Fatalf("kpi_summary with a temporary table named sales: %v", err)
	}
	if before.Head[0][0] != after.Head[0][0] || before.Head[0][1] != after.Head[0][1] {
		t.Errorf("kpi_summary changed: %v, then %v", before.Head[0], after.Head[0])
	}
}
