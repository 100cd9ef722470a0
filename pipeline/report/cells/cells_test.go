package cells

import (
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
)

func TestTable(t *testing.T) {
	tb := New(store.Page{
		Columns: []store.Column{{Name: "brand", Type: "varchar"}, {Name: "units", Type: "BIGINT"}, {Name: "share", Type: "DOUBLE"}},
		Rows:    [][]any{{"Fizz", int64(7), 0.25}, {"Pop", nil, "0.5"}, {"Short"}},
	})
	if tb.Rows() != 3 || !tb.Has("brand", "units") || tb.Has("brand", "price") {
		t.Fatalf("rows %d, has brand+units %v, has price %v", tb.Rows(), tb.Has("brand", "units"), tb.Has("price"))
	}
	if got := tb.Type("brand"); got != "VARCHAR" {
		t.Errorf("Type(brand) = %q", got)
	}
	for _, c := range []struct {
		r    int
		name string
		want float64
		ok   bool
	}{
		{0, "units", 7, true}, {0, "share", 0.25, true}, {1, "share", 0.5, true}, {1, "units", 0, false},
		{0, "brand", 0, false}, {2, "units", 0, false}, {5, "units", 0, false}, {-1, "units", 0, false}, {0, "price", 0, false},
	} {
		if got, ok := tb.Num(c.r, c.name); got != c.want || ok != c.ok {
			t.Errorf("Num(%d, %s) = %v, %v; want %v, %v", c.r, c.name, got, ok, c.want, c.ok)
		}
	}
	if tb.Cell(0, "brand") != "Fizz" || tb.Cell(2, "share") != nil {
		t.Errorf("cells: %v %v", tb.Cell(0, "brand"), tb.Cell(2, "share"))
	}
}
