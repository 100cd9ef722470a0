package tools

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mrswarm/mrswarm/sql/store"
)

// tamper changes dataset fx's table behind the store's back: its content
// fingerprint stays, so only facts kept for that fingerprint show the values
// from before.
func tamper(t *testing.T, st *store.Store, sql string) {
	t.Helper()
	rows, err := st.Query(t.Context(), sql)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
}

// profileJSON runs an unfiltered dataset_profile through c above exactLimit
// (0 for the test) and returns its rows as JSON.
func profileJSON(t *testing.T, st *store.Store, c *Catalog) string {
	t.Helper()
	sum, err := c.Call(t.Context(), "fx", "dataset_profile", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(pageRows(t, st, sum.Handle))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// envValues returns the brands and period labels a new catalog's Env offers.
func envValues(t *testing.T, ctx context.Context, st *store.Store) (brands, labels []string) {
	t.Helper()
	e, err := NewCatalog(st).Env(ctx, "fx")
	if err != nil {
		t.Fatal(err)
	}
	return e.e.enums[store.RoleBrand], e.e.labels
}

// A new catalog over a store (a restarted server) reads what an earlier one
// derived from a dataset's content — the filter values, the period labels
// and what an unfiltered dataset_profile reads from every row (above
// exactLimit the full scan's aggregates and the column statistics, up to it
// all aggregates) — from the store instead of from every row: changed behind
// the store's back, the table's new values do not show. A replaced dataset's
// are derived afresh.
func TestNewCatalogReadsKeptFacts(t *testing.T) {
	for _, c := range []struct {
		name  string
		limit int64
	}{{"sampled", 0}, {"exact", 1 << 40}} {
		t.Run(c.name, func(t *testing.T) {
			defer func(old int64) { exactLimit = old }(exactLimit)
			exactLimit = c.limit
			testNewCatalogReadsKeptFacts(t)
		})
	}
}

func testNewCatalogReadsKeptFacts(t *testing.T) {
	ctx := t.Context()
	st := loadFixture(t)
	want := profileJSON(t, st, NewCatalog(st))
	brands, labels := envValues(t, ctx, st)
	// units_sold shifted: its minimum, maximum and mean change, its distinct
	// count does not.
	tamper(t, st, `UPDATE fx SET units_sold = units_sold + 1000`)
	if got := profileJSON(t, st, NewCatalog(st)); got != want {
		t.Errorf("a new catalog's profile:\n%s\nwant the kept one:\n%s", got, want)
	}
	tamper(t, st, `UPDATE fx SET brand = 'Zeta', sale_date = sale_date + INTERVAL 3 YEAR`)
	gotBrands, gotLabels := envValues(t, ctx, st)
	if diff := cmp.Diff(brands, gotBrands); diff != "" {
		t.Errorf("a new catalog's brands (-kept +got):\n%s", diff)
	}
	if diff := cmp.Diff(labels, gotLabels); diff != "" {
		t.Errorf("a new catalog's period labels (-kept +got):\n%s", diff)
	}

	replaceFixture(t, ctx, st, append(slices.Clone(fixture), sale{"2025-03-01", "North", "US", "Omega", "Soda", 1000, 2, 2000, 500}))
	if gotBrands, _ = envValues(t, ctx, st); !slices.Contains(gotBrands, "Omega") || slices.Contains(gotBrands, "Zeta") {
		t.Errorf("brands after the reload: %v, want the new content's", gotBrands)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(profileJSON(t, st, NewCatalog(st))), &rows); err != nil {
		t.Fatal(err)
	}
	exactLimit = 1 << 40
	exact := byKey(pageRows(t, st, mustCall(t, NewCatalog(st)).Handle), "column_name")
	for col, r := range byKey(rows, "column_name") {
		for _, k := range []string{"min", "max", "rows", "non_null", "mean"} {
			if str(r[k]) != str(exact[col][k]) {
				t.Errorf("%s %s after the reload = %v, exact %v", col, k, r[k], exact[col][k])
			}
		}
	}
	if str(exact["units_sold"]["max"]) != "1000" {
		t.Errorf("units_sold max after the reload = %v, want 1000", exact["units_sold"]["max"])
	}
}

// mustCall runs an unfiltered dataset_profile on fx through c.
func mustCall(t *testing.T, c *Catalog) store.Summary {
	t.Helper()
	sum, err := c.Call(t.Context(), "fx", "dataset_profile", nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// Prepare derives and keeps what a first call needs right after a load: the
// first profile through a new catalog (above exactLimit) reads no row but
// the sample's (the table changed behind the store's back does not show) and
// equals the profile computed without Prepare, byte for byte.
func TestCatalogPrepare(t *testing.T) {
	defer func(old int64) { exactLimit = old }(exactLimit)
	exactLimit = 0
	ctx := t.Context()
	other := loadFixture(t)
	want := profileJSON(t, other, NewCatalog(other))
	brands, labels := envValues(t, ctx, other)

	st := loadFixture(t)
	if err := NewCatalog(st).Prepare(ctx, "fx"); err != nil {
		t.Fatal(err)
	}
	tamper(t, st, `UPDATE fx SET units_sold = units_sold + 1000`)
	if got := profileJSON(t, st, NewCatalog(st)); got != want {
		t.Errorf("the first profile after Prepare:\n%s\nwant:\n%s", got, want)
	}
	tamper(t, st, `UPDATE fx SET brand = 'Zeta', sale_date = sale_date + INTERVAL 3 YEAR`)
	gotBrands, gotLabels := envValues(t, ctx, st)
	if !slices.Equal(gotBrands, brands) || !slices.Equal(gotLabels, labels) {
		t.Errorf("after Prepare: brands %v and labels %v, want %v and %v", gotBrands, gotLabels, brands, labels)
	}
	if err := NewCatalog(st).Prepare(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Prepare of an unknown dataset: %v, want ErrNotFound", err)
	}
}
