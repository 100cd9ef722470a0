package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// A catalog keeps dataset_profile's column statistics and full-scan
// aggregates by content fingerprint too: after a reload, an unfiltered profile
// above exactLimit (min/max and NULL-free columns from the statistics, row
// counts and means from the cached full scan) reports the new data's, as the
// exact path computes them from the values.
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
		for _, k := range []string{"min", "max", "nulls", "rows", "non_null", "mean"} {
			if fmt.Sprint(got[col][k]) != fmt.Sprint(want[col][k]) {
				t.Errorf("%s %s after the reload = %v, exact %v", col, k, got[col][k], want[col][k])
			}
		}
		changed := []string{"max", "rows"}
		if col != "sale_date" {
			changed = append(changed, "mean")
		}
		for _, k := range changed {
			if fmt.Sprint(got[col][k]) == fmt.Sprint(before[col][k]) {
				t.Errorf("%s: %s %v unchanged by the reload", col, k, got[col][k])
			}
		}
	}
	if len(c.facts) != 2 {
		t.Errorf("facts of %d datasets in memory, want 2 (one per fingerprint)", len(c.facts))
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

// An unfiltered profile read through a catalog's kept facts (above
// exactLimit the column statistics and full-scan aggregates, only the sample
// read again; up to it every aggregate) is the profile that the data gives:
// on the real data (whose sample is every row), the second call (from the
// catalog's memory) and a new catalog's (from the store) equal the first,
// row for row.
func TestCatalogProfileCachedEqualsComputed(t *testing.T) {
	for _, limit := range []int64{0, 1 << 40} {
		t.Run(fmt.Sprint("exactLimit=", limit), func(t *testing.T) {
			ctx := t.Context()
			st := loadReal(t)
			defer func(old int64) { exactLimit = old }(exactLimit)
			exactLimit = limit
			c := NewCatalog(st)
			var got []string
			for _, cat := range []*Catalog{c, c, NewCatalog(st)} {
				sum, err := cat.Call(ctx, "sales", "dataset_profile", nil)
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(pageRows(t, st, sum.Handle))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(b))
			}
			if got[1] != got[0] || got[2] != got[0] {
				t.Errorf("profiles differ:\nfirst  %s\ncached %s\nkept   %s", got[0], got[1], got[2])
			}
			if len(c.facts) != 1 {
				t.Errorf("facts of %d datasets in memory, want 1", len(c.facts))
			}
		})
	}
}

// A catalog builds an Env once per dataset content and role columns: the
// next Env of the same dataset is the one it built (no facts decoded again),
// a change of roles or of content gives a fresh one, and an Env built before
// keeps its values.
func TestCatalogEnvFollowsRolesAndContent(t *testing.T) {
	ctx := t.Context()
	st := loadCSV(t, "fx", fixtureCSV(fixture))
	c := NewCatalog(st)
	brands := func() []string {
		t.Helper()
		e, err := c.Env(ctx, "fx")
		if err != nil {
			t.Fatal(err)
		}
		s, err := e.Schema("market_share")
		if err != nil {
			t.Fatal(err)
		}
		infos, err := e.List() // built once per env and shared: a caller's changes stay its own
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if in.Name == "market_share" && string(in.Schema) != string(s) {
				t.Fatalf("List's schema %s, Schema's %s", in.Schema, s)
			}
			clear(in.Schema)
		}
		return brandEnum(t, s)
	}
	first := brands() // derives the facts and keeps them
	if got := brands(); !slices.Equal(got, first) || len(c.envs) != 1 {
		t.Fatalf("brands %v then %v, %d kept envs, want 1", first, got, len(c.envs))
	}
	e1, _ := c.Env(ctx, "fx")
	e2, _ := c.Env(ctx, "fx")
	if fmt.Sprintf("%p", e1.e.enums) != fmt.Sprintf("%p", e2.e.enums) {
		t.Error("the second Env was built again, not taken from the catalog")
	}
	var categories []string
	for _, s := range fixture {
		if !slices.Contains(categories, s.category) {
			categories = append(categories, s.category)
		}
	}
	slices.Sort(categories)
	if _, err := st.SetRoles(ctx, "fx", map[store.Role]string{store.RoleBrand: "category"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got := brands(); !slices.Equal(got, categories) {
			t.Fatalf("brands after the brand role moved to category: %v, want %v", got, categories)
		}
	}
	if _, err := st.SetRoles(ctx, "fx", map[store.Role]string{store.RoleBrand: "brand"}); err != nil {
		t.Fatal(err)
	}
	if got := brands(); !slices.Equal(got, first) {
		t.Fatalf("brands after the role moved back: %v, want %v", got, first)
	}
	replaceFixture(t, ctx, st, append(slices.Clone(fixture), sale{"2024-01-05", "North", "US", "Zeta", "Soda", 1, 2, 2, 1}))
	if got := brands(); !slices.Contains(got, "Zeta") || len(got) != len(first)+1 {
		t.Errorf("brands after the reload: %v, want %v plus Zeta", got, first)
	}
	s, _ := e1.Schema("market_share")
	if got := brandEnum(t, s); !slices.Equal(got, first) {
		t.Errorf("an Env changed under its user: %v, want %v", got, first)
	}
}
