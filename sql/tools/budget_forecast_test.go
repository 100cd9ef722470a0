package tools

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mrswarm/mrswarm/sql/store"
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

// olsForecast fits ys (month i at index i) by solving the normal equations of the full
// design — 12 month-of-year dummies + slope when seasonal, else intercept + slope — and
// returns, per group of future month indexes (one month, or a quarter's three), the
// forecast sum and the prediction-interval half-width t_{df}(level) · s · sqrt(m + x0ᵀ
// (XᵀX)⁻¹ x0) with x0 the sum of the group's design rows and df = n − p, the Student-t
// quantile from gonum's distuv.
func olsForecast(ys []float64, seasonal bool, groups [][]int, conf float64) (point, half []float64) {
	p := 2
	if seasonal {
		p = 13
	}
	row := func(i int) []float64 {
		x := make([]float64, p)
		if seasonal {
			x[i%12], x[12] = 1, float64(i)
		} else {
			x[0], x[1] = 1, float64(i)
		}
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
	df := float64(len(ys) - p)
	s := math.Sqrt(ssr / df)
	tq := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1 - (1-conf/100)/2)
	for _, g := range groups {
		x0 := make([]float64, p)
		for _, i := range g {
			for a, v := range row(i) {
				x0[a] += v
			}
		}
		point = append(point, dot(x0, beta))
		half = append(half, tq*s*math.Sqrt(float64(len(g))+dot(x0, solve(xtx, x0))))
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
		name, args string
		ys         []float64
		seasonal   bool
		groups     [][]int
		conf       float64
	}{
		{"noisy months at 95%", `{"periods":4}`, noisy, true, [][]int{{26}, {27}, {28}, {29}}, 95},
		{"noisy months at 80%", `{"periods":4,"confidence":80}`, noisy, true, [][]int{{26}, {27}, {28}, {29}}, 80},
		// Whole quarters after the fit (2024-Q2 on): each quarter's months share the slope estimate.
		{"noisy quarters", `{"periods":3,"granularity":"quarter"}`, noisy, true, [][]int{{27, 28, 29}, {30, 31, 32}, {33, 34, 35}}, 95},
		// Four months: a linear trend on 2 residual degrees of freedom (t = 4.30, not z = 1.96).
		{"four months", `{"periods":2}`, noisy[:4], false, [][]int{{4}, {5}}, 95},
		{"five months by quarter", `{"periods":1,"granularity":"quarter","confidence":90}`, noisy[:5], false, [][]int{{6, 7, 8}}, 90},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := loadCSV(t, "fc", fixtureCSV(monthlySales(tc.ys)))
			rows := call(t, st, "fc", "sales_forecast", tc.args)
			point, half := olsForecast(tc.ys, tc.seasonal, tc.groups, tc.conf)
			if len(rows) != len(point) {
				t.Fatalf("%d periods, want %d", len(rows), len(point))
			}
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

// TestSalesForecastTooFewMonths: with fewer complete months than the fit needs the tool
// fails with FailedPrecondition saying how many it has and needs (it used to return 0 rows).
func TestSalesForecastTooFewMonths(t *testing.T) {
	st := loadReal(t)
	_, err := Call(t.Context(), st, "sales", "sales_forecast", json.RawMessage(`{"start_date":"2025-04-01"}`))
	if !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("err = %v, want ErrPrecondition", err)
	}
	for _, want := range []string{"2 complete months", "2025-04-01 and 2025-06-19", "at least 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
