package mmm

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/sql/gendata"
)

// generated returns the per-channel series of a generated data set (one row per
// channel-day) parsed back from its CSV.
func generated(t testing.TB, cfg gendata.ChannelConfig) map[string]Series {
	t.Helper()
	var b bytes.Buffer
	if err := gendata.WriteChannels(&b, cfg); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Series{}
	for _, r := range recs[1:] {
		d, _ := time.Parse("2006-01-02", r[0])
		x, _ := strconv.ParseFloat(r[3], 64)
		y, _ := strconv.ParseFloat(r[4], 64)
		s := out[r[1]]
		s.Spend, s.Outcome, s.Month = append(s.Spend, x), append(s.Outcome, y), append(s.Month, int(d.Month()))
		out[r[1]] = s
	}
	return out
}

func TestFitSeriesRecovers(t *testing.T) {
	truth := gendata.DefaultChannels(8)
	cfg := gendata.ChannelConfig{Seed: 7, Start: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), Days: 730,
		Channels: truth, Seasonality: 0.2, Noise: 0.05, RowsPerDay: 1}
	series := generated(t, cfg)
	for _, c := range truth {
		f, err := FitSeries(series[c.Name])
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-9s decay %.3f (%.3f±%.3f) K %.0f (%.0f±%.0f) s %.2f (%.2f±%.2f) beta %.0f (%.0f±%.0f) R2 %.3f MAPE %.2f",
			c.Name, c.Decay, f.Params.Decay, f.SE.Decay, c.HalfSat, f.Params.HalfSat, f.SE.HalfSat,
			c.Shape, f.Params.Shape, f.SE.Shape, c.Beta, f.Params.Beta, f.SE.Beta, f.R2, f.HoldoutMAPE)
		for _, m := range []float64{0.5, 1, 1.5} {
			x := m * c.MeanSpend
			if got, want := f.Params.Response(x), c.Response(x); math.Abs(got-want) > 0.1*want {
				t.Errorf("%s: response at %.0f = %.1f, want %.1f", c.Name, x, got, want)
			}
		}
	}
}

// BenchmarkFitSeries fits one channel of three years of daily data.
func BenchmarkFitSeries(b *testing.B) {
	cfg := gendata.ChannelConfig{Seed: 3, Start: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), Days: 1096,
		Channels: gendata.DefaultChannels(1), Seasonality: 0.2, Noise: 0.05, RowsPerDay: 1}
	s := generated(b, cfg)["search"]
	for range b.N {
		if _, err := FitSeries(s); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAllocate checks the allocator on known curves: exact bounds, the exact sum, the
// optimum of a brute-force search (an S-shaped curve included), and infeasible budgets.
func TestAllocate(t *testing.T) {
	chs := []Channel{
		{Params: Params{HalfSat: 100, Shape: 2.5, Beta: 80}, Lo: 10, Hi: 400},
		{Params: Params{HalfSat: 50, Shape: 0.8, Beta: 40}, Lo: 0, Hi: 300},
		{Params: Params{HalfSat: 200, Shape: 1.2, Beta: 120}, Lo: 50, Hi: 123.45},
	}
	const budget = 450.0
	x, err := Allocate(chs, budget)
	if err != nil {
		t.Fatal(err)
	}
	if s := x[0] + x[1] + x[2]; s != budget {
		t.Errorf("sum %v, want %v", s, budget)
	}
	for i, c := range chs {
		if x[i] < c.Lo || x[i] > c.Hi {
			t.Errorf("channel %d: %v outside [%v, %v]", i, x[i], c.Lo, c.Hi)
		}
	}
	if x[2] != 123.45 {
		t.Errorf("binding upper bound: %v, want exactly 123.45", x[2])
	}
	best := 0.0
	for a := chs[0].Lo; a <= chs[0].Hi; a += 0.05 {
		b := budget - a - chs[2].Hi
		if b >= chs[1].Lo && b <= chs[1].Hi {
			best = math.Max(best, chs[0].Params.Response(a)+chs[1].Params.Response(b)+chs[2].Params.Response(chs[2].Hi))
		}
	}
	if got := Total(chs, x); got < best-1e-6 {
		t.Errorf("total %v below the brute-force optimum %v", got, best)
	}
	for _, b := range []float64{59, 824} {
		if _, err := Allocate(chs, b); !errors.Is(err, ErrInfeasible) {
			t.Errorf("budget %v: err = %v, want ErrInfeasible", b, err)
		}
	}
}

func TestFitSeriesRefuses(t *testing.T) {
	n := 200
	s := Series{Spend: make([]float64, n), Outcome: make([]float64, n), Month: make([]int, n)}
	for i := range s.Month {
		s.Month[i], s.Outcome[i] = 1+i/31%12, 10
	}
	if _, err := FitSeries(s); !errors.Is(err, ErrNoSpend) {
		t.Errorf("never spent: err = %v, want ErrNoSpend", err)
	}
	for i := range 5 {
		s.Spend[i*10] = 100
	}
	if _, err := FitSeries(s); !errors.Is(err, ErrTooShort) {
		t.Errorf("5 days with spend: err = %v, want ErrTooShort", err)
	}
	short := Series{Spend: s.Spend[:30], Outcome: s.Outcome[:30], Month: s.Month[:30]}
	if _, err := FitSeries(short); !errors.Is(err, ErrTooShort) {
		t.Errorf("30 days: err = %v, want ErrTooShort", err)
	}
}
