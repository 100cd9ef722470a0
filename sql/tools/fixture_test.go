package tools

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
)

// sale is one hand-made fixture row; profit is revenue − cost.
type sale struct {
	date, region, country, brand, category string
	units, price, revenue, cost            float64
}

func (s sale) profit() float64 { return s.revenue - s.cost }
func (s sale) month() string   { return s.date[:7] }

// fixture spans 2024-01-10 … 2024-06-20, so January and June are partial months.
// April → May: Alpha grows, Beta declines, Gamma is lost and Delta is new.
var fixture = []sale{
	{"2024-01-10", "North", "US", "Alpha", "Soda", 10, 2, 20, 12},
	{"2024-01-20", "South", "BR", "Beta", "Juice", 5, 3, 15, 9},
	{"2024-02-03", "North", "CA", "Alpha", "Soda", 20, 2, 40, 25},
	{"2024-02-14", "East", "MX", "Gamma", "Juice", 8, 4, 32, 20},
	{"2024-02-25", "South", "BR", "Beta", "Juice", 12, 3, 36, 30},
	{"2024-03-02", "North", "US", "Alpha", "Soda", 15, 2, 30, 18},
	{"2024-03-11", "East", "MX", "Gamma", "Juice", 10, 4, 40, 22},
	{"2024-03-19", "South", "BR", "Beta", "Juice", 6, 3, 18, 10},
	{"2024-03-28", "North", "CA", "Beta", "Juice", 4, 3, 12, 7},
	{"2024-04-04", "North", "US", "Alpha", "Soda", 25, 2, 50, 30},
	{"2024-04-12", "East", "MX", "Gamma", "Juice", 9, 4, 36, 21},
	{"2024-04-21", "South", "BR", "Beta", "Juice", 10, 3, 30, 19},
	{"2024-04-29", "East", "US", "Alpha", "Soda", 5, 2, 10, 6},
	{"2024-05-06", "North", "US", "Alpha", "Soda", 30, 2, 60, 33},
	{"2024-05-15", "South", "BR", "Beta", "Juice", 8, 3, 24, 15},
	{"2024-05-22", "East", "MX", "Delta", "Soda", 7, 5, 35, 14},
	{"2024-05-30", "North", "CA", "Alpha", "Soda", 10, 2, 20, 13},
	{"2024-06-05", "South", "BR", "Beta", "Juice", 9, 3, 27, 16},
	{"2024-06-20", "East", "MX", "Delta", "Soda", 6, 5, 30, 12},
}

// fixtureCSV renders sales in the beverage column layout.
func fixtureCSV(sales []sale) string {
	lines := []string{"sale_date,region,country,brand,category,units_sold,price_per_unit,total_revenue,total_cost,profit"}
	for _, s := range sales {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%s,%s,%g,%g,%g,%g,%g", s.date, s.region, s.country,
			s.brand, s.category, s.units, s.price, s.revenue, s.cost, s.profit()))
	}
	return csvOf(lines...)
}

// loadFixture loads the fixture as dataset "fx".
func loadFixture(t testing.TB) *store.Store {
	t.Helper()
	return loadCSV(t, "fx", fixtureCSV(fixture))
}

// sums adds val per key over the sales that keep accepts (nil keeps all).
func sums(sales []sale, key func(sale) string, val func(sale) float64, keep func(sale) bool) map[string]float64 {
	out := map[string]float64{}
	for _, s := range sales {
		if keep == nil || keep(s) {
			out[key(s)] += val(s)
		}
	}
	return out
}

func total(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}

// ranked returns the keys of m by value descending, ties by key.
func ranked(m map[string]float64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if m[ks[i]] != m[ks[j]] {
			return m[ks[i]] > m[ks[j]]
		}
		return ks[i] < ks[j]
	})
	return ks
}

var (
	byBrand    = func(s sale) string { return s.brand }
	byRegion   = func(s sale) string { return s.region }
	byCategory = func(s sale) string { return s.category }
	byMonth    = func(s sale) string { return s.month() }
	all        = func(sale) string { return "" }
	revenue    = func(s sale) float64 { return s.revenue }
	units      = func(s sale) float64 { return s.units }
	cost       = func(s sale) float64 { return s.cost }
	profit     = func(s sale) float64 { return s.profit() }
	one        = func(sale) float64 { return 1 }
)

// stddev is the sample standard deviation.
func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}

// slope is the OLS slope of ys on xs.
func slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	var sx, sy, sxy, sxx float64
	for i := range xs {
		sx, sy, sxy, sxx = sx+xs[i], sy+ys[i], sxy+xs[i]*ys[i], sxx+xs[i]*xs[i]
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// checkNear fails when got and want differ beyond near().
func checkNear(t *testing.T, what string, got any, want float64) {
	t.Helper()
	g := num(got)
	if math.IsNaN(want) && math.IsNaN(g) {
		return
	}
	if !near(g, want) {
		t.Errorf("%s = %v, want %v", what, g, want)
	}
}

// byKey indexes rows by the string in column col.
func byKey(rows []map[string]any, col string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range rows {
		out[str(r[col])] = r
	}
	return out
}

// column returns column col of every row as strings.
func column(rows []map[string]any, col string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprint(r[col])
	}
	return out
}

func inRegions(rs ...string) func(sale) bool {
	return func(s sale) bool { return strings.Contains(","+strings.Join(rs, ",")+",", ","+s.region+",") }
}
