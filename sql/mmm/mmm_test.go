package mmm

import (
	"bytes"
	"encoding/csv"
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
