package tools

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/sql/gendata"
	"github.com/mrswarm/mrswarm/sql/store"
)

// BenchmarkTools measures every tool with default arguments at 15k rows (the real data
// set) and 1M generated rows; set MRSWARM_BENCH_10M=1 to add 10M rows.
func BenchmarkTools(b *testing.B) {
	sizes := []struct {
		name string
		rows int // 0 = the real data set
	}{{"15k", 0}, {"1M", 1_000_000}}
	if os.Getenv("MRSWARM_BENCH_10M") == "1" {
		sizes = append(sizes, struct {
			name string
			rows int
		}{"10M", 10_000_000})
	}
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			st := benchStore(b, sz.rows)
			// The floor every tool pays in the store: create, summarise and record a result.
			b.Run("floor_savequery", func(b *testing.B) { benchSave(b, st) })
			for _, s := range Specs() {
				b.Run(s.Name, func(b *testing.B) { benchTool(b, st, s.Name) })
			}
		})
	}
}

func benchTool(b *testing.B, st *store.Store, tool string) {
	ctx := context.Background()
	for range b.N {
		sum, err := Call(ctx, st, "sales", tool, nil)
		if errors.Is(err, store.ErrPrecondition) {
			b.Skip(err) // e.g. the marketing-mix tools need spend; BenchmarkMarketingMix covers them
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := st.DeleteResult(ctx, sum.Handle); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func benchSave(b *testing.B, st *store.Store) {
	ctx := context.Background()
	for range b.N {
		sum, err := st.SaveQuery(ctx, "bench", "sales", "SELECT 1 AS one")
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := st.DeleteResult(ctx, sum.Handle); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// benchStore loads the real data set (rows == 0) or rows generated rows as "sales".
func benchStore(b testing.TB, rows int) *store.Store {
	b.Helper()
	if rows == 0 {
		return loadReal(b)
	}
	dir := b.TempDir()
	writeGenerated(b, filepath.Join(dir, "sales.csv"), rows, 7)
	st := openStore(b, dir)
	res, err := st.LoadFile(context.Background(), "sales", "sales.csv", store.FormatCSV, nil)
	if err != nil {
		b.Fatal(err)
	}
	if res.Dataset.Rows != int64(rows) {
		b.Fatalf("loaded %d rows, want %d", res.Dataset.Rows, rows)
	}
	return st
}

// writeGenerated writes rows generated rows with seed to the CSV file path.
func writeGenerated(b testing.TB, path string, rows int, seed int64) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := gendata.Generate(w, rows, seed); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDatasetProfile times dataset_profile at 1M generated rows through
// one Catalog (repeated calls on unchanged data) and through a new Catalog
// each call (tools.Call: a first call, as after a restart, with what a
// catalog derives from every row kept in the store by the calls before), with
// the process's CPU time per call (which varies less than wall time on a
// shared machine; it includes deleting the result between calls, outside the
// timer). See BenchmarkDatasetProfileAfterLoad for a first call after a load.
func BenchmarkDatasetProfile(b *testing.B) {
	st := benchStore(b, 1_000_000)
	ctx := context.Background()
	cat := NewCatalog(st)
	for _, c := range []struct {
		name string
		call func() (store.Summary, error)
	}{
		{"catalog", func() (store.Summary, error) { return cat.Call(ctx, "sales", "dataset_profile", nil) }},
		{"fresh", func() (store.Summary, error) { return Call(ctx, st, "sales", "dataset_profile", nil) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			cpu := processCPU()
			for b.Loop() {
				sum, err := c.call()
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := st.DeleteResult(ctx, sum.Handle); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// BenchmarkDatasetProfileAfterLoad times the first dataset_profile call
// through a new Catalog after a load of 1M rows of new content followed by
// Catalog.Prepare, as the server loads. The loads alternate between two
// generated files (new content each time) outside the timer; Prepare's wall
// time is reported as prepare-ms/op, and cpu-ms/op is the call's alone.
func BenchmarkDatasetProfileAfterLoad(b *testing.B) {
	st := benchStore(b, 1_000_000)
	ctx := context.Background()
	writeGenerated(b, filepath.Join(st.DataRoot(), "other.csv"), 1_000_000, 8)
	files := []string{"other.csv", "sales.csv"}
	var cpu, prepare time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if _, err := st.LoadFile(ctx, "sales", files[i%2], store.FormatCSV, nil); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := NewCatalog(st).Prepare(ctx, "sales"); err != nil {
			b.Fatal(err)
		}
		prepare += time.Since(start)
		c := processCPU()
		b.StartTimer()
		sum, err := NewCatalog(st).Call(ctx, "sales", "dataset_profile", nil)
		b.StopTimer()
		cpu += processCPU() - c
		if err != nil {
			b.Fatal(err)
		}
		if err := st.DeleteResult(ctx, sum.Handle); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(prepare)/float64(b.N)/1e6, "prepare-ms/op")
}
