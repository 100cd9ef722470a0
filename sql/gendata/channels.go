package gendata

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// ChannelHeader is the header of the marketing-channel CSV that [WriteChannels] writes.
var ChannelHeader = []string{"date", "channel", "campaign", "spend", "conversions"}

// ChannelTruth is one generated channel's true response: the outcome it adds per day is
// Beta · Hill(adstock; HalfSat, Shape) with the normalized geometric adstock
// a_t = Decay·a_{t−1} + (1−Decay)·spend_t, so a steady daily spend x adds Beta·Hill(x).
type ChannelTruth struct {
	Name      string
	Decay     float64
	HalfSat   float64 // daily spend at half of Beta
	Shape     float64 // Hill exponent
	Beta      float64 // ceiling of the incremental outcome per day
	MeanSpend float64 // average daily spend; 0 makes a channel that never spends
	Baseline  float64 // outcome per day without spend, before seasonality
}

// Response is the true steady-state incremental outcome per day at daily spend x.
func (c ChannelTruth) Response(x float64) float64 {
	if x <= 0 {
		return 0
	}
	return c.Beta / (1 + math.Pow(c.HalfSat/x, c.Shape))
}

// ChannelConfig describes a generated marketing-channel data set.
type ChannelConfig struct {
	Seed        uint64
	Start       time.Time
	Days        int
	Channels    []ChannelTruth
	Seasonality float64 // amplitude of the month-of-year factor on the baseline, e.g. 0.2
	Noise       float64 // sd of the daily outcome noise relative to Baseline + Beta/2
	RowsPerDay  int     // rows (campaigns) each channel-day is split into; at least 1
}

// DefaultChannels returns n (at most 8) channels with varied carry-over, saturation
// and scale.
func DefaultChannels(n int) []ChannelTruth {
	all := []ChannelTruth{
		{"search", 0.1, 3000, 1.2, 400, 3000, 200},
		{"social", 0.3, 1500, 1.6, 220, 2000, 120},
		{"tv", 0.7, 12000, 2.0, 500, 10000, 300},
		{"display", 0.2, 900, 0.9, 90, 1200, 80},
		{"video", 0.5, 4000, 1.4, 260, 3500, 150},
		{"email", 0.05, 200, 1.0, 60, 300, 60},
		{"affiliate", 0.15, 1800, 1.1, 150, 1500, 90},
		{"radio", 0.6, 2500, 1.8, 120, 2000, 70},
	}
	return all[:min(n, len(all))]
}

// WriteChannels writes cfg's daily channel data as CSV to w: per day and channel
// RowsPerDay campaign rows whose spend and conversions sum to the channel's day. Spend
// runs in flights of one to four weeks at levels from 0 to 2.2× the mean, with daily
// jitter. The same config always yields the same bytes.
func WriteChannels(w io.Writer, cfg ChannelConfig) error {
	if cfg.Days <= 0 || len(cfg.Channels) == 0 {
		return fmt.Errorf("%w: need days and channels, got %d and %d", ErrInvalid, cfg.Days, len(cfg.Channels))
	}
	k := max(1, cfg.RowsPerDay)
	bw := bufio.NewWriterSize(w, 1<<20)
	line := []byte(joinHeader(ChannelHeader))
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6368616e6e656c))
	series := make([][2][]float64, len(cfg.Channels))
	for i, c := range cfg.Channels {
		series[i] = simulate(rng, c, cfg)
	}
	share := make([]float64, k)
	for d := range cfg.Days {
		date := cfg.Start.AddDate(0, 0, d).Format("2006-01-02")
		for i, c := range cfg.Channels {
			split(rng, share)
			for j := range k {
				line = appendChannelRow(line, date, c.Name, j+1, series[i][0][d]*share[j], series[i][1][d]*share[j])
			}
			if len(line) > 1<<16 {
				if _, err := bw.Write(line); err != nil {
					return err
				}
				line = line[:0]
			}
		}
	}
	if _, err := bw.Write(line); err != nil {
		return err
	}
	return bw.Flush()
}

// appendChannelRow appends one CSV line: date, channel, campaign <channel>_<n>, spend, conversions.
func appendChannelRow(b []byte, date, channel string, n int, spend, conv float64) []byte {
	b = append(b, date...)
	b = append(b, ',')
	b = append(b, channel...)
	b = append(b, ',')
	b = append(b, channel...)
	b = append(b, '_')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, spend, 'f', 4, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, conv, 'f', 4, 64)
	return append(b, '\n')
}

func joinHeader(h []string) string {
	s := ""
	for i, c := range h {
		if i > 0 {
			s += ","
		}
		s += c
	}
	return s + "\n"
}

// split fills share with random positive weights summing to 1.
func split(rng *rand.Rand, share []float64) {
	t := 0.0
	for j := range share {
		share[j] = 0.5 + rng.Float64()
		t += share[j]
	}
	for j := range share {
		share[j] /= t
	}
}

// simulate returns channel c's daily spend and outcome over cfg.Days, after a 60-day
// burn-in that settles the adstock.
func simulate(rng *rand.Rand, c ChannelTruth, cfg ChannelConfig) [2][]float64 {
	const burn = 60
	spend, out := make([]float64, cfg.Days), make([]float64, cfg.Days)
	level, left, ad := 1.0, 0, 0.0
	sd := cfg.Noise * (c.Baseline + c.Beta/2)
	for d := -burn; d < cfg.Days; d++ {
		if left == 0 {
			level, left = 2.2*rng.Float64(), 7+rng.IntN(22)
			if rng.Float64() < 0.12 {
				level = 0
			}
		}
		left--
		x := c.MeanSpend * level * math.Exp(0.2*rng.NormFloat64()-0.02)
		ad = c.Decay*ad + (1-c.Decay)*x
		if d < 0 {
			continue
		}
		m := cfg.Start.AddDate(0, 0, d).Month()
		season := 1 + cfg.Seasonality*math.Sin(2*math.Pi*float64(m-1)/12)
		y := c.Baseline*season + c.Response(ad) + sd*rng.NormFloat64()
		spend[d], out[d] = x, math.Max(0, y)
	}
	return [2][]float64{spend, out}
}
