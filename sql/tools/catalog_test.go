package tools

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
)

// brandEnum returns the brands a tool's schema offers as filter values.
func brandEnum(t *testing.T, schema json.RawMessage) []string {
	t.Helper()
	var doc struct {
		Properties struct {
			Brands struct {
				Items struct {
					Enum []string `json:"enum"`
				} `json:"items"`
			} `json:"brands"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(schema, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Properties.Brands.Items.Enum
}

// A catalog keeps enums by content fingerprint: replacing a dataset changes
// what the next environment offers, and an Env built before keeps its values.
func TestCatalogSeesReplacedDataset(t *testing.T) {
	ctx := t.Context()
	st := loadCSV(t, "fx", fixtureCSV(fixture))
	c := NewCatalog(st)
	before, err := c.Env(ctx, "fx")
	if err != nil {
		t.Fatal(err)
	}
	s, err := before.Schema("market_share")
	if err != nil {
		t.Fatal(err)
	}
	old := brandEnum(t, s)
	if len(old) == 0 || slices.Contains(old, "Zeta") {
		t.Fatalf("brands before the reload: %v", old)
	}
	replaceFixture(t, ctx, st, append(slices.Clone(fixture), sale{"2024-01-05", "North", "US", "Zeta", "Soda", 1, 2, 2, 1}))
	s, err = c.Schema(ctx, "fx", "market_share")
	if err != nil {
		t.Fatal(err)
	}
	if got := brandEnum(t, s); !slices.Contains(got, "Zeta") || len(got) != len(old)+1 {
		t.Errorf("brands after the reload: %v, want %v plus Zeta", got, old)
	}
	s, _ = before.Schema("market_share")
	if got := brandEnum(t, s); slices.Contains(got, "Zeta") {
		t.Errorf("an Env changed under its user: %v", got)
	}
	if _, err := c.Env(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown dataset: %v, want ErrNotFound", err)
	}
}

// replaceFixture reloads dataset fx of st with sales.
func replaceFixture(t *testing.T, ctx context.Context, st *store.Store, sales []sale) {
	t.Helper()
	if _, err := st.LoadReader(ctx, "fx", "fx.csv", store.FormatCSV, strings.NewReader(fixtureCSV(sales)), nil); err != nil {
		t.Fatal(err)
	}
}

// A catalog keeps dataset_profile's column statistics by content fingerprint
// too: after a reload, an unfiltered profile above exactLimit (min/max and
// NULL-free columns from the statistics) reports the new data's bounds, as
// the exact path computes them from the values.
func TestCatalogProfileSeesReplacedDataset(t *testing.T) {
	ctx := t.Context()
	st := loadCSV(t, "fx", fixtureCSV(fixture))
	c := NewCatalog(st)
	profile := func(cat *Catalog, limit int64) map[string]map[string]any {
		t.Helper()
		defer func(old int64) { exactLimit = old }(exactLimit)
		exactLimit = limit
		sum, err := cat.Call(ctx, "fx", "dataset_profile", nil)
		if err != nil {
			t.Fatal(err)
		}
		return byKey(pageRows(t, st, sum.Handle), "column_name")
	}
	before := profile(c, 0)
	replaceFixture(t, ctx, st, append(slices.Clone(fixture), sale{"2025-03-01", "North", "US", "Zeta", "Soda", 1000, 2, 2000, 500}))
	got, want := profile(c, 0), profile(NewCatalog(st), 1<<40)
	for _, col := range []string{"sale_date", "units_sold", "total_revenue", "total_cost"} {
		if got[col]["min"] != want[col]["min"] || got[col]["max"] != want[col]["max"] || got[col]["nulls"] != want[col]["nulls"] {
			t.Errorf("%s after the reload: min/max/nulls %v/%v/%v, exact %v/%v/%v", col, got[col]["min"], got[col]["max"],
				got[col]["nulls"], want[col]["min"], want[col]["max"], want[col]["nulls"])
		}
		if got[col]["max"] == before[col]["max"] {
			t.Errorf("%s: max %v unchanged by the reload", col, got[col]["max"])
		}
	}
	if len(c.bounds) != 2 {
		t.Errorf("cached bounds of %d datasets, want 2 (one per fingerprint)", len(c.bounds))
	}
	// Concurrent calls share the cache (run with -race).
	defer func(old int64) { exactLimit = old }(exactLimit)
	exactLimit = 0
	fresh := NewCatalog(st)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := fresh.Call(ctx, "fx", "dataset_profile", nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
