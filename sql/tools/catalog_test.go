package tools

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
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
