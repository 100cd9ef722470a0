package tools

import (
	"context"
	"fmt"

	"github.com/mrswarm/mrswarm/sql/store"
)

// runProfile runs dataset_profile: one query reads every aggregate in one
// row (up to exactLimit rows this file's own template, above it
// profile_sampled), which profileRows turns into one row per column (a result
// of a few typed rows, which the store keeps without a table). Unfiltered
// above exactLimit, the minimum and maximum of numeric and date columns and
// which columns hold no NULLs come from the store's column statistics (set in
// r.bounds, kept by the catalog per content fingerprint) instead of the full
// scan; they are exact either way (TestDatasetProfileBounds).
func runProfile(ctx context.Context, st *store.Store, t *tool, e *env, a args) (store.Summary, error) {
	r := &render{e: e, a: a}
	where, err := (&render{e: e, a: a}).Where()
	if err != nil {
		return store.Summary{}, err
	}
	name := t.Name + ".sql"
	if !r.Exact() {
		name = "profile_sampled"
		if where == "TRUE" {
			r.bounds, err = e.c.columnBounds(ctx, e.ds.Name)
		}
	}
	var agg map[string]any
	if err == nil {
		agg, err = aggregates(ctx, st, r, name)
	}
	if err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s on %q: %w", t.Name, e.ds.Name, err)
	}
	return saveRows(ctx, st, t, e, profileSchema, profileRows(r.Columns(), r.Exact(), agg))
}

// aggregates renders template name with r and reads its one row of
// aggregates by column name.
func aggregates(ctx context.Context, st *store.Store, r *render, name string) (map[string]any, error) {
	q, params, err := renderTemplate(name, r)
	if err != nil {
		return nil, err
	}
	names, vals, err := st.QueryValues(ctx, q, params...)
	if err == nil && len(vals) != 1 {
		err = fmt.Errorf("%s: %d rows of aggregates, want 1", name, len(vals))
	}
	if err != nil {
		return nil, err
	}
	agg := make(map[string]any, len(names))
	for i, n := range names {
		agg[n] = vals[0][i]
	}
	return agg, nil
}

// profileSchema is dataset_profile's result: one row per column.
var profileSchema = []store.Column{{Name: "position", Type: "INTEGER"}, {Name: "column_name", Type: "VARCHAR"},
	{Name: "type", Type: "VARCHAR"}, {Name: "role", Type: "VARCHAR"}, {Name: "rows", Type: "BIGINT"},
	{Name: "non_null", Type: "BIGINT"}, {Name: "nulls", Type: "BIGINT"}, {Name: "null_pct", Type: "DOUBLE"},
	{Name: "distinct_values", Type: "BIGINT"}, {Name: "min", Type: "VARCHAR"}, {Name: "max", Type: "VARCHAR"},
	{Name: "mean", Type: "DOUBLE"}, {Name: "duplicate_rows", Type: "BIGINT"}, {Name: "distinct_exact", Type: "BOOLEAN"},
	{Name: "sample_rows", Type: "BIGINT"}}

// profileRows turns the aggregates of dataset_profile.sql (by column name)
// into one row per profiled column, in profileSchema's order. A column's
// non-NULL count and bounds that the SQL leaves out come from the column
// statistics (NoNulls, Ranged).
func profileRows(cols []profileColumn, exact bool, agg map[string]any) [][]any {
	n, _ := agg["n"].(int64)
	rows := make([][]any, len(cols))
	for i, c := range cols {
		k := fmt.Sprint(i)
		nn, _ := agg["nn"+k].(int64)
		if c.NoNulls {
			nn = n
		}
		var nullPct any
		if n != 0 {
			nullPct = float64(n-nn) / float64(n) * 100
		}
		lo, hi := agg["lo"+k], agg["hi"+k]
		if c.Ranged {
			lo, hi = textOrNil(c.Lo), textOrNil(c.Hi)
		}
		rows[i] = []any{int32(i + 1), c.Name, c.Type, c.Role, n, nn, n - nn, nullPct,
			agg["nd"+k], lo, hi, agg["mean"+k], agg["duplicate_rows"], exact, agg["sample_rows"]}
	}
	return rows
}

// textOrNil is *p, or nil (SQL NULL) for a nil p.
func textOrNil(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}
