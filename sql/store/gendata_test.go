package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mrswarm/mrswarm/sql/gendata"
)

// writeGenerated writes rows of generated beverage sales into dir/name.
func writeGenerated(t testing.TB, dir, name string, rows int) {
	t.Helper()
	var buf bytes.Buffer
	if err := gendata.Generate(&buf, rows, 7); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadGenerated(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	writeGenerated(t, s.DataRoot(), "gen.csv", 20000)
	real := newStore(t, Options{})
	copyBeverage(t, real.DataRoot(), "b.csv")
	want, err := real.LoadFile(ctx, "b", "b.csv", FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.LoadFile(ctx, "gen", "gen.csv", FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	ds := res.Dataset
	if ds.Rows != 20000 || len(ds.Roles) != 12 {
		t.Fatalf("rows %d roles %v", ds.Rows, ds.Roles)
	}
	for i, c := range want.Dataset.Columns {
		if ds.Columns[i] != c {
			t.Errorf("column %d is %+v, the original's is %+v", i, ds.Columns[i], c)
		}
	}
	var bad int64
	q := `SELECT count(*) FROM gen WHERE abs(total_revenue - units_sold * price_per_unit) > 0.005
		OR abs(total_cost - units_sold * cost_per_unit) > 0.005
		OR abs(profit - (total_revenue - total_cost)) > 0.005
		OR abs(profit_margin - profit / total_revenue * 100) > 0.005 + 1e-9
		OR year <> year(sale_date) OR month <> month(sale_date) OR quarter <> 'Q' || quarter(sale_date)`
	if err := s.db.QueryRowContext(context.Background(), q).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("%d rows break an invariant (err %v)", bad, err)
	}
}
