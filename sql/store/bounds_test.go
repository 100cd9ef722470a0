package store

import (
	"fmt"
	"strings"
	"testing"
)

// TestColumnBounds checks the storage statistics against the values
// themselves: min, max and NULLs of every column, on a small file with NULLs,
// an all-NULL column, NaN, timestamps and columns converted while loading
// (currency amounts, day-first dates), and on a generated file spanning
// several row groups.
func TestColumnBounds(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	writeFile(t, s.DataRoot(), "small.csv", strings.Join([]string{
		"id,score,day,at,name,empty,ratio,price,eu_day",
		`3,1.5,2024-01-31,2024-01-02 03:04:05.123,a,,nan,"$1,234.50",31/01/2024`,
		"-7,,2023-12-01,,b,,0.25,(12.00),01/02/2024",
		"12,-0.5,,2025-06-30 23:59:59,,,1e300,$7.25,",
	}, "\n")+"\n")
	writeGenerated(t, s.DataRoot(), "gen.csv", 300_000)
	for _, file := range []string{"small.csv", "gen.csv"} {
		t.Run(file, func(t *testing.T) {
			name := strings.TrimSuffix(file, ".csv")
			res, err := s.LoadFile(ctx, name, file, FormatAuto, nil)
			if err != nil {
				t.Fatal(err)
			}
			bounds, err := s.ColumnBounds(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			ranged := 0
			for _, c := range res.Dataset.Columns {
				b, ok := bounds[c.Name]
				if !ok {
					t.Fatalf("no bounds for %q", c.Name)
				}
				var lo, hi *string
				var nulls int64
				q := fmt.Sprintf(`SELECT min(%[1]s)::VARCHAR, max(%[1]s)::VARCHAR, count(*) - count(%[1]s) FROM %[2]s`,
					quoteIdent(c.Name), s.TableRef(ctx, name))
				if err := s.db.QueryRowContext(ctx, q).Scan(&lo, &hi, &nulls); err != nil {
					t.Fatal(err)
				}
				if nulls > 0 && !b.Nulls {
					t.Errorf("%s (%s): %d NULLs, bounds say none", c.Name, c.Type, nulls)
				}
				if !b.Ranged {
					continue
				}
				ranged++
				if orNull(b.Min) != orNull(lo) || orNull(b.Max) != orNull(hi) {
					t.Errorf("%s (%s): bounds %s..%s, values %s..%s", c.Name, c.Type, orNull(b.Min), orNull(b.Max), orNull(lo), orNull(hi))
				}
			}
			if want := map[string]int{"small": 7, "gen": 3}[name]; ranged < want {
				t.Errorf("%d columns with a range, want the numeric and date ones: %+v", ranged, bounds)
			}
		})
	}
}

func orNull(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}
