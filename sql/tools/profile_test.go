package tools

import (
	"fmt"
	"math"
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
)

// TestDatasetProfileMatchesReference checks dataset_profile above exactLimit
// (300k generated beverage rows, several row groups) against straightforward
// SQL over every row: count(*), count(col), min(col), max(col) and avg(col)
// per column, unfiltered (where the column statistics answer min, max and
// NULLs) and filtered (where the values are scanned). Counts and numeric or
// date bounds must be equal, means equal to 1e-12 (DuckDB sums doubles in
// parallel, so the last bits of a mean differ between two runs of one query).
// What comes from the sample must lie within what the whole table holds.
func TestDatasetProfileMatchesReference(t *testing.T) {
	const rows = 300_000
	st := benchStore(t, rows)
	if rows <= exactLimit {
		t.Fatalf("%d rows do not reach the sampled path (exactLimit %d)", rows, exactLimit)
	}
	ds, err := st.Dataset(t.Context(), "sales")
	if err != nil {
		t.Fatal(err)
	}
	var region string
	if err := queryRow(t.Context(), st, "SELECT min(region) FROM "+st.TableRef(t.Context(), "sales"), nil, &region); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, args, where string }{
		{"unfiltered", `{}`, "TRUE"},
		{"filtered", fmt.Sprintf(`{"regions":[%q]}`, region), "region = '" + region + "'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := byKey(call(t, st, "sales", "dataset_profile", c.args), "column_name")
			if len(got) != len(ds.Columns) {
				t.Fatalf("%d profile rows for %d columns", len(got), len(ds.Columns))
			}
			for _, col := range ds.Columns {
				want := referenceProfile(t, st, col, c.where)
				checkProfileColumn(t, col, got[col.Name], want)
			}
		})
	}
}

// profileRef is one column's profile computed over every row.
type profileRef struct {
	rows, nonNull int64
	lo, hi        *string
	mean          *float64
}

func referenceProfile(t *testing.T, st *store.Store, col store.Column, where string) profileRef {
	t.Helper()
	q := quoteIdent(col.Name)
	mean := "NULL::DOUBLE"
	if isNumericType(col.Type) {
		mean = "avg(" + q + ")::DOUBLE"
	}
	var r profileRef
	err := queryRow(t.Context(), st, fmt.Sprintf("SELECT count(*), count(%[1]s), min(%[1]s)::VARCHAR, max(%[1]s)::VARCHAR, %[2]s FROM %[3]s WHERE %[4]s",
		q, mean, st.TableRef(t.Context(), "sales"), where), nil, &r.rows, &r.nonNull, &r.lo, &r.hi, &r.mean)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func checkProfileColumn(t *testing.T, col store.Column, got map[string]any, want profileRef) {
	t.Helper()
	name := col.Name
	for k, w := range map[string]float64{"rows": float64(want.rows), "non_null": float64(want.nonNull),
		"nulls": float64(want.rows - want.nonNull), "null_pct": float64(want.rows-want.nonNull) / float64(want.rows) * 100} {
		if num(got[k]) != w {
			t.Errorf("%s %s = %v, every row gives %v", name, k, got[k], w)
		}
	}
	lo, hi := str(got["min"]), str(got["max"])
	if isNumericType(col.Type) || isTemporalType(col.Type) {
		if lo != textOr(want.lo) || hi != textOr(want.hi) {
			t.Errorf("%s min/max = %q/%q, every row gives %q/%q", name, lo, hi, textOr(want.lo), textOr(want.hi))
		}
	} else if lo < textOr(want.lo) || hi > textOr(want.hi) || lo > hi {
		t.Errorf("%s sample min/max %q/%q outside the table's %q/%q", name, lo, hi, textOr(want.lo), textOr(want.hi))
	}
	wantMean := math.NaN()
	if want.mean != nil {
		wantMean = *want.mean
	}
	if g := num(got["mean"]); math.IsNaN(g) != math.IsNaN(wantMean) || math.Abs(g-wantMean) > 1e-12*math.Abs(wantMean) {
		t.Errorf("%s mean = %v, every row gives %v", name, got["mean"], wantMean)
	}
	sample, distinct := num(got["sample_rows"]), num(got["distinct_values"])
	if got["distinct_exact"] != false || sample <= 0 || sample > float64(want.rows) ||
		distinct < 1 || distinct > min(sample, float64(want.nonNull)) {
		t.Errorf("%s: distinct %v of a %v-row sample (exact %v) of %d rows", name, distinct, sample, got["distinct_exact"], want.rows)
	}
	if d := num(got["duplicate_rows"]); d < 0 || d >= sample {
		t.Errorf("%s: %v duplicate rows in a %v-row sample", name, d, sample)
	}
}

// textOr is *p, or "NULL" for nil.
func textOr(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}
