package store

import (
	"math"
	"testing"
)

// TestResultWithNonFiniteNumbers: a result whose numeric column holds NaN and
// ±Inf stays readable — its summary lists and reads back (it was stored with
// empty stats that no later read could decode) with those values in its stats.
func TestResultWithNonFiniteNumbers(t *testing.T) {
	s := newStore(t, Options{})
	ctx := t.Context()
	sum, err := s.RunSQL(ctx, `SELECT * FROM (VALUES (1.5::DOUBLE, 'nan'::DOUBLE), (2.5, 'inf'::DOUBLE), (3.0, '-inf'::DOUBLE)) t(x, y)`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Result(ctx, sum.Handle)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if _, err := s.Results(ctx); err != nil {
		t.Fatalf("list: %v", err)
	}
	var x, y *ColumnStats
	for i := range got.Stats {
		switch got.Stats[i].Column {
		case "x":
			x = &got.Stats[i]
		case "y":
			y = &got.Stats[i]
		}
	}
	if x == nil || y == nil {
		t.Fatalf("stats %+v", got.Stats)
	}
	if x.Min != 1.5 || x.Max != 3 || x.Sum != 7 {
		t.Errorf("x stats %+v", *x)
	}
	if !math.IsInf(y.Min, -1) || !math.IsNaN(y.Max) || !math.IsNaN(y.Sum) {
		t.Errorf("y stats %+v, want min -Inf, max NaN, sum NaN", *y)
	}
}
