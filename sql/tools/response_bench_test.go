package tools

import (
	"context"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/sql/gendata"
)

// BenchmarkMarketingMix measures response_curves and optimize_budget (SQL day sums, fits
// of every channel, allocation, stored result) on 3 years × 8 channels of daily data, one
// row per channel-day and split into campaign rows to 1M rows. Besides wall time it
// reports the process's CPU time per call.
func BenchmarkMarketingMix(b *testing.B) {
	const days, channels = 1096, 8
	for _, sz := range []struct {
		name       string
		rowsPerDay int
	}{{"3y_8ch", 1}, {"1M", 1_000_000/(days*channels) + 1}} {
		b.Run(sz.name, func(b *testing.B) {
			st := loadChannelData(b, gendata.ChannelConfig{Seed: 3, Start: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC),
				Days: days, Channels: gendata.DefaultChannels(channels), Seasonality: 0.2, Noise: 0.05, RowsPerDay: sz.rowsPerDay})
			for _, name := range []string{"response_curves", "optimize_budget"} {
				b.Run(name, func(b *testing.B) {
					ctx := context.Background()
					cpu := processCPU()
					for range b.N {
						sum, err := Call(ctx, st, "ch", name, nil)
						if err != nil {
							b.Fatal(err)
						}
						b.StopTimer()
						if err := st.DeleteResult(ctx, sum.Handle); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					// CPU per call (all threads, DuckDB's included): on a shared, loaded machine
					// wall time mostly measures the wait for a core.
					b.ReportMetric(float64(processCPU()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
				})
			}
		})
	}
}
