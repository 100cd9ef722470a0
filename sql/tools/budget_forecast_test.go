package tools

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBudgetPlan(t *testing.T) {
	st := loadFixture(t)
	prof := sums(fixture, byBrand, profit, nil)
	top := ranked(prof)[:3]
	tests := []struct {
		name, args string
		tiers      []float64 // weight of ranks 1..3 (high, medium, low)
		channels   []string
		chShare    []float64
		budget     float64
	}{
		{"weighted channels", `{"total_budget":1000,"channels":["tv","search"],"channel_weights":[3,1],"top_n":3}`,
			[]float64{1.5, 1, 0.5}, []string{"tv", "search"}, []float64{0.75, 0.25}, 1000},
		{"flat priorities", `{"total_budget":500,"channels":["email"],"top_n":3,"priority_weights":{"high":1,"medium":1,"low":1}}`,
			[]float64{1, 1, 1}, []string{"email"}, []float64{1}, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := call(t, st, "fx", "budget_plan", tc.args)
			sumProf := prof[top[0]] + prof[top[1]] + prof[top[2]]
			raw := make([]float64, 3)
			rawSum := 0.0
			for i, b := range top {
				raw[i] = prof[b] / sumProf * tc.tiers[i]
				rawSum += raw[i]
			}
			var want, got []string
			allocated := 0.0
			for ci, ch := range tc.channels {
				for i, b := range top {
					a := tc.budget * tc.chShare[ci] * raw[i] / rawSum
					want = append(want, fmt.Sprintf("%s/%s/%.6f", ch, b, a))
				}
			}
			for _, r := range rows {
				got = append(got, fmt.Sprintf("%s/%s/%.6f", r["channel"], r["segment"], num(r["allocation"])))
				allocated += num(r["allocation"])
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("allocations (-want +got):\n%s", diff)
			}
			checkNear(t, "allocated", allocated, tc.budget)
			if p := column(rows, "priority")[:3]; !cmp.Equal(p, []string{"high", "medium", "low"}) {
				t.Errorf("priorities = %v", p)
			}
		})
	}
}

// monthlySales builds one sale on the 15th of each month from 2022-01 for len(ys) months,
// plus poison rows in a partial month before and after that the forecast must drop.
func monthlySales(ys []float64) []sale {
	out := []sale{{"2021-12-20", "North", "US", "Alpha", "Soda", 1, 1, 1e6, 0}}
	for i, y := range ys {
		out = append(out, sale{fmt.Sprintf("%04d-%02d-15", 2022+i/12, 1+i%12), "North", "US", "Alpha", "Soda", 1, y, y, 0})
	}
	n := len(ys)
	out = append(out, sale{fmt.Sprintf("%04d-%02d-05", 2022+n/12, 1+n%12), "North", "US", "Alpha", "Soda", 1, 1, 1e6, 0})
	return out
}

// olsForecast fits y = c[month of year] + b·t by solving the normal equations of the full
// dummy design, and returns point forecasts and prediction-interval half-widths for the
// months after the data (i = len(ys) … len(ys)+h−1), at the given z.
func olsForecast(ys []float64, h int, z float64) (point, half []float64) {
	const p = 13 // 12 month dummies + slope (every month of year appears)
	row := func(i int) []float64 {
		x := make([]float64, p)
		x[i%12], x[12] = 1, float64(i)
		return x
	}
	xtx := make([][]float64, p)
	for i := range xtx {
		xtx[i] = make([]float64, p)
	}
	xty := make([]float64, p)
	for i, y := range ys {
		x := row(i)
		for a := 0; a < p; a++ {
			xty[a] += x[a] * y
			for b := 0; b < p; b++ {
				xtx[a][b] += x[a] * x[b]
			}
		}
	}
	beta := solve(xtx, xty)
	ssr := 0.0
	for i, y := range ys {
		e := y - dot(row(i), beta)
		ssr += e * e
	}
	s := math.Sqrt(ssr / float64(len(ys)-p))
	for i := len(ys); i < len(ys)+h; i++ {
		x := row(i)
		point = append(point, dot(x, beta))
		half = append(half, z*s*math.Sqrt(1+dot(x, solve(xtx, x))))
	}
	return point, half
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// solve solves A x = b by Gaussian elimination with partial pivoting.
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range m {
		m[i] = append(append([]float64{}, a[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x
}

func TestSalesForecast(t *testing.T) {
	season := []float64{50, -20, 30, 0, -10, 40, -60, 20, -30, 10, -50, 20}
	exact := make([]float64, 26) // 2022-01 … 2024-02
	noisy := make([]float64, 26)
	for i := range exact {
		exact[i] = 1000 + 10*float64(i) + season[i%12]
		noisy[i] = exact[i] + 15*math.Sin(float64(i*i)) // deterministic noise
	}
	t.Run("exact trend and season", func(t *testing.T) {
		st := loadCSV(t, "fc", fixtureCSV(monthlySales(exact)))
		rows := call(t, st, "fc", "sales_forecast", `{"periods":3}`)
		if len(rows) != 3 {
			t.Fatalf("%d rows, want 3", len(rows))
		}
		for k, r := range rows {
			i := 26 + k
			want := 1000 + 10*float64(i) + season[i%12]
			if got := str(r["period_start"]); got != fmt.Sprintf("2024-%02d-01", 3+k) {
				t.Errorf("period %d starts %s", k, got)
			}
			checkNear(t, "forecast", r["forecast"], want)
			checkNear(t, "lower", r["lower"], want)
			checkNear(t, "upper", r["upper"], want)
			checkNear(t, "slope", r["slope_per_month"], 10)
			checkNear(t, "fit months", r["fit_months"], 26)
		}
	})
	t.Run("quarters sum the months", func(t *testing.T) {
		st := loadCSV(t, "fc", fixtureCSV(monthlySales(exact)))
		rows := call(t, st, "fc", "sales_forecast", `{"periods":2,"granularity":"quarter"}`)
		if diff := cmp.Diff([]string{"2024-04-01", "2024-07-01"}, column(rows, "period_start")); diff != "" {
			t.Fatalf("quarters (-want +got):\n%s", diff)
		}
		for q, r := range rows {
			want := 0.0
			for i := 27 + 3*q; i < 30+3*q; i++ { // 2024-04 is month index 27
				want += 1000 + 10*float64(i) + season[i%12]
			}
			checkNear(t, "quarter forecast", r["forecast"], want)
		}
	})
	for _, tc := range []struct {
		conf int
		z    float64
	}{{95, 1.959963984540054}, {80, 1.2815515655446004}} {
		t.Run(fmt.Sprintf("noisy at %d%%", tc.conf), func(t *testing.T) {
			st := loadCSV(t, "fc", fixtureCSV(monthlySales(noisy)))
			rows := call(t, st, "fc", "sales_forecast", fmt.Sprintf(`{"periods":4,"confidence":%d}`, tc.conf))
			point, half := olsForecast(noisy, 4, tc.z)
			for k, r := range rows {
				checkNear(t, "forecast", r["forecast"], point[k])
				checkNear(t, "lower", r["lower"], point[k]-half[k])
				checkNear(t, "upper", r["upper"], point[k]+half[k])
				if !(num(r["lower"]) < num(r["forecast"]) && num(r["forecast"]) < num(r["upper"])) {
					t.Errorf("interval %v < %v < %v does not hold", r["lower"], r["forecast"], r["upper"])
				}
			}
		})
	}
}
