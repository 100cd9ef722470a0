package store

import (
	"context"
	"errors"
	"testing"
)

// TestDatasetLookupSeesEveryChange reads a dataset (filling the cache), then
// changes it every way the store can — roles, reload, drop — and checks that
// each lookup afterwards answers what mrswarm.datasets holds.
func TestDatasetLookupSeesEveryChange(t *testing.T) {
	st := newStore(t, Options{})
	ctx := context.Background()
	writeFile(t, st.DataRoot(), "s.csv", "day,brand,revenue\n2024-01-01,A,10\n2024-01-02,B,20\n")
	if _, err := st.LoadFile(ctx, "sales", "s.csv", FormatAuto, nil); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Dataset(ctx, "sales")
	if err != nil || ds.Rows != 2 {
		t.Fatalf("dataset: %+v %v", ds, err)
	}
	ds.Roles[RoleBrand] = "mangled" // a caller's copy: the cache must not see it
	if again, _ := st.Dataset(ctx, "sales"); again.Roles[RoleBrand] == "mangled" {
		t.Fatal("a caller's change reached the cached record")
	}
	if _, err := st.SetRoles(ctx, "sales", map[Role]string{RoleBrand: ""}); err != nil {
		t.Fatal(err)
	}
	if ds, _ := st.Dataset(ctx, "sales"); ds.Roles[RoleBrand] != "" {
		t.Errorf("after clearing the brand role: %q", ds.Roles[RoleBrand])

	}
	writeFile(t, st.DataRoot(), "s.csv", "day,brand,revenue\n2024-01-01,A,10\n2024-01-02,B,20\n2024-01-03,C,30\n")
	if _, err := st.LoadFile(ctx, "sales", "s.csv", FormatAuto, nil); err != nil {
		t.Fatal(err)
	}
	if ds, _ := st.Dataset(ctx, "sales"); ds.Rows != 3 {
		t.Errorf("after a reload: %d rows, want 3", ds.Rows)
	}
	if err := st.DropDataset(ctx, "sales"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Dataset(ctx, "sales"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after drop: %v, want not found", err)
	}
}
