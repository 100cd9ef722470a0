package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/mrswarm/mrswarm/sql/store"
)

// runProfile runs dataset_profile: up to exactLimit rows one query (this
// file's own template) reads every aggregate in one row, which profileRows
// turns into one row per column (a result of a few typed rows, which the
// store keeps without a table). Above exactLimit one query reads the full
// scan's aggregates and a sample's (profile_sampled). Unfiltered above
// exactLimit, the minimum and maximum of numeric and date columns and which
// columns hold no NULLs come from the store's column statistics instead of
// the full scan. Unfiltered, what is read from every row (up to exactLimit
// every aggregate, above it the statistics and the full scan's) is a fact
// of the content that the catalog keeps in the store: a call on content seen
// before, or prepared after its load, reads at most the sample
// (unfilteredStats). They are exact either way (TestDatasetProfileBounds,
// TestCatalogProfileSeesReplacedDataset, TestNewCatalogReadsKeptFacts).
func runProfile(ctx context.Context, st *store.Store, t *tool, e *env, a args) (store.Summary, error) {
	r := &render{e: e, a: a}
	where, err := (&render{e: e, a: a}).Where()
	if err != nil {
		return store.Summary{}, err
	}
	var agg map[string]any
	switch {
	case r.Exact() && where == "TRUE":
		agg, err = e.c.keptAggregates(ctx, r, profileSQL, func() (map[string]any, error) { return aggregates(ctx, st, r, profileSQL) })
	case r.Exact():
		agg, err = aggregates(ctx, st, r, profileSQL)
	case where != "TRUE":
		agg, err = sampled(ctx, st, r)
	default:
		agg, err = unfilteredStats(ctx, st, r)
	}
	if err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s on %q: %w", t.Name, e.ds.Name, err)
	}
	return saveRows(ctx, st, t, e, profileSchema, profileRows(r.Columns(), r.Exact(), agg))
}

// profileSQL is dataset_profile's own template.
const profileSQL = "dataset_profile.sql"

// unfilteredStats reads the aggregates of an unfiltered profile above
// exactLimit: the column statistics (set in r.bounds) and the full scan's
// through the catalog, and the sample's (when the full scan's are not kept,
// from the same query as theirs).
func unfilteredStats(ctx context.Context, st *store.Store, r *render) (map[string]any, error) {
	if err := r.e.c.loadBounds(ctx, r); err != nil {
		return nil, err
	}
	var agg map[string]any
	full, err := r.e.c.keptAggregates(ctx, r, "profile_full", func() (map[string]any, error) {
		var full map[string]any
		var err error
		agg, full, err = sampledSplit(ctx, st, r)
		return full, err
	})
	if err != nil {
		return nil, err
	}
	if agg == nil {
		if agg, err = aggregates(ctx, st, r, "profile_sample"); err != nil {
			return nil, err
		}
	}
	maps.Copy(agg, full)
	return agg, nil
}

// prepareProfile reads and keeps what an unfiltered dataset_profile on e
// reads from every row above exactLimit (Catalog.Prepare): the column
// statistics and the full scan's aggregates, ~100 ms at 1M rows against a
// load of ~2.6 s. Up to exactLimit it keeps nothing: the exact profile costs
// about as much as the load there (~50 ms at 15k rows, ~200 ms at 200k), so
// the first call reads and keeps it.
func prepareProfile(ctx context.Context, st *store.Store, e *env) error {
	r := &render{e: e}
	if r.Exact() {
		return nil
	}
	if err := e.c.loadBounds(ctx, r); err != nil {
		return err
	}
	_, err := e.c.keptAggregates(ctx, r, "profile_full", func() (map[string]any, error) { return aggregates(ctx, st, r, "profile_full") })
	return err
}

// sampled reads profile_sampled's aggregates: the sample's with the full
// scan's.
func sampled(ctx context.Context, st *store.Store, r *render) (map[string]any, error) {
	agg, full, err := sampledSplit(ctx, st, r)
	if err != nil {
		return nil, err
	}
	maps.Copy(agg, full)
	return agg, nil
}

// sampledSplit reads profile_sampled: the sample's aggregates by name, and
// apart from them the full scan's (its struct column full_scan).
func sampledSplit(ctx context.Context, st *store.Store, r *render) (agg, full map[string]any, err error) {
	if agg, err = aggregates(ctx, st, r, "profile_sampled"); err != nil {
		return nil, nil, err
	}
	full, ok := agg["full_scan"].(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("profile_sampled: full_scan is %T, want a struct", agg["full_scan"])
	}
	delete(agg, "full_scan")
	return agg, full, nil
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

// aggregate is one aggregate as the catalog keeps it, typed: plain JSON
// would read a count back as a float.
type aggregate struct {
	Int   *int64   `json:"i,omitempty"`
	Float *float64 `json:"f,omitempty"`
	Text  *string  `json:"s,omitempty"`
}

// encodeAggregates writes aggregates by name as JSON; a value of another
// type than the scans return (BIGINT, DOUBLE, VARCHAR, NULL) is an error.
func encodeAggregates(agg map[string]any) (string, error) {
	out := make(map[string]aggregate, len(agg))
	for k, v := range agg {
		switch v := v.(type) {
		case int64:
			out[k] = aggregate{Int: &v}
		case float64:
			out[k] = aggregate{Float: &v}
		case string:
			out[k] = aggregate{Text: &v}
		case nil:
			out[k] = aggregate{}
		default:
			return "", fmt.Errorf("aggregate %s: cannot keep a %T", k, v)
		}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// decodeAggregates reads what encodeAggregates wrote.
func decodeAggregates(s string) (map[string]any, error) {
	var in map[string]aggregate
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(in))
	for k, a := range in {
		switch {
		case a.Int != nil:
			out[k] = *a.Int
		case a.Float != nil:
			out[k] = *a.Float
		case a.Text != nil:
			out[k] = *a.Text
		default:
			out[k] = nil
		}
	}
	return out, nil
}
