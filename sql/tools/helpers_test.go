package tools

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/internal/repo"
	"github.com/mrswarm/mrswarm/sql/store"
)

// realCSV is <module root>/data/beverage_sales.csv.
func realCSV(t testing.TB) string {
	t.Helper()
	p, err := repo.BeverageCSV()
	if err != nil {
		t.Fatalf("real data set missing: %v", err)
	}
	return p
}

// openStore opens a fresh store in a temp folder whose data root is dataRoot.
func openStore(t testing.TB, dataRoot string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db.duckdb"), store.Options{DataRoot: dataRoot})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// loadCSV writes content to a temp file and loads it as dataset name.
func loadCSV(t testing.TB, name, content string) *store.Store {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name+".csv"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, dir)
	if _, err := st.LoadFile(context.Background(), name, name+".csv", store.FormatCSV, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

// loadReal loads the real beverage data set as dataset "sales".
func loadReal(t testing.TB) *store.Store {
	t.Helper()
	p := realCSV(t)
	st := openStore(t, filepath.Dir(p))
	res, err := st.LoadFile(context.Background(), "sales", filepath.Base(p), store.FormatCSV, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dataset.Rows != 15000 {
		t.Fatalf("real data set has %d rows, want 15000", res.Dataset.Rows)
	}
	return st
}

// call runs a tool and returns its rows as maps from column name to value.
func call(t testing.TB, st *store.Store, dataset, tool, args string) []map[string]any {
	t.Helper()
	sum, err := Call(context.Background(), st, dataset, tool, json.RawMessage(args))
	if err != nil {
		t.Fatalf("%s %s: %v", tool, args, err)
	}
	return pageRows(t, st, sum.Handle)
}

// pageRows returns the first 10,000 rows of result handle as maps from column
// name to value.
func pageRows(t testing.TB, st *store.Store, handle string) []map[string]any {
	t.Helper()
	page, err := st.GetPage(context.Background(), handle, 0, 10000, false)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, len(page.Rows))
	for i, r := range page.Rows {
		m := map[string]any{}
		for j, c := range page.Columns {
			m[c.Name] = r[j]
		}
		out[i] = m
	}
	return out
}

// num reads a numeric cell; NaN for NULL.
func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int:
		return float64(x)
	case nil:
		return math.NaN()
	}
	panic("not a number")
}

// str reads a string cell ("" for NULL).
func str(v any) string {
	s, _ := v.(string)
	return s
}

// near reports whether a and b agree to a relative 1e-9 (or absolute 1e-6 near zero).
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-6 || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// csvOf joins lines into a CSV body.
func csvOf(lines ...string) string { return strings.Join(lines, "\n") + "\n" }
