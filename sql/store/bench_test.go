package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/sql/gendata"
)

// benchStore opens a file-backed store whose data root holds the real CSV
// (15k rows) and a generated 1M-row CSV.
func benchStore(b *testing.B) *Store {
	b.Helper()
	dir := b.TempDir()
	copyBeverage(b, dir, "sales_15k.csv")
	writeGenerated(b, dir, "sales_1m.csv", 1_000_000)
	s, err := Open(context.Background(), b.TempDir()+"/bench.duckdb", Options{DataRoot: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkLoad compares a cold load (hash + ingest + swap) with DuckDB alone
// reading the file into a table (its floor), a cache hit by content (the file
// is read and hashed, nothing ingested) and a cache hit by path/size/mtime (no
// I/O). Cold loads report rows/s.
func BenchmarkLoad(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	rows := map[string]float64{"sales_15k.csv": 15_000, "sales_1m.csv": 1_000_000}
	for _, file := range []string{"sales_15k.csv", "sales_1m.csv"} {
		b.Run("duckdb_alone/"+file, func(b *testing.B) {
			reader, err := readerSQL(source{path: filepath.Join(s.DataRoot(), file), format: FormatCSV}, "")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.db.ExecContext(ctx, `CREATE OR REPLACE TABLE main.floor AS SELECT * FROM `+reader); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(rows[file]*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run("cold/"+file, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				name := fmt.Sprintf("cold_%d", i)
				if _, err := s.LoadFile(ctx, name, file, FormatAuto, nil); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.DropDataset(ctx, name); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(rows[file]*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		name := "hit_" + file[6:len(file)-4]
		if _, err := s.LoadFile(ctx, name, file, FormatAuto, nil); err != nil {
			b.Fatal(err)
		}
		b.Run("hit_unchanged_file/"+file, func(b *testing.B) {
			for b.Loop() {
				res, err := s.LoadFile(ctx, name, file, FormatAuto, nil)
				if err != nil || !res.CacheHit {
					b.Fatalf("hit %v err %v", res.CacheHit, err)
				}
			}
		})
		b.Run("hit_by_content/"+file, func(b *testing.B) {
			src, err := s.fileSource(name, file, FormatAuto)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				read, err := hashFile(ctx, src.path)
				if err != nil {
					b.Fatal(err)
				}
				src.fp = read.fp
				res, err := s.loadSource(ctx, name, &src, nil, time.Now())
				if err != nil || !res.CacheHit {
					b.Fatalf("hit %v err %v", res.CacheHit, err)
				}
			}
		})
	}
}

// BenchmarkRunSQL measures a user query (aggregate over the dataset, stored as
// a handle with its summary) plus its first page.
func BenchmarkRunSQL(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for _, file := range []string{"sales_15k.csv", "sales_1m.csv"} {
		name := "s" + file[6:len(file)-4]
		if _, err := s.LoadFile(ctx, name, file, FormatAuto, nil); err != nil {
			b.Fatal(err)
		}
		q := "SELECT brand, region, sum(total_revenue) AS revenue, sum(profit) AS profit FROM " + name +
			" GROUP BY ALL ORDER BY revenue DESC"
		b.Run("run_and_first_page/"+file, func(b *testing.B) {
			for b.Loop() {
				sum, err := s.RunSQL(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.GetPage(ctx, sum.Handle, 0, 100, false); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("middle_page_of_all_rows/"+file, func(b *testing.B) {
			sum, err := s.RunSQL(ctx, "SELECT * FROM "+name+" ORDER BY sale_date")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.GetPage(ctx, sum.Handle, sum.Rows/2, 100, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadFormatted compares a cold load of 1M rows with money written as
// "$4,968.25" and margins as "36.42%" (six columns cleaned) against the same
// rows written plainly. Target: formatted under 2× plain.
func BenchmarkLoadFormatted(b *testing.B) {
	dir := b.TempDir()
	writeGenerated(b, dir, "plain.csv", 1_000_000)
	var buf bytes.Buffer
	if err := gendata.GenerateFormatted(&buf, 1_000_000, 7); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "formatted.csv"), buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	s, err := Open(context.Background(), b.TempDir()+"/bench.duckdb", Options{DataRoot: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	for _, file := range []string{"plain.csv", "formatted.csv"} {
		b.Run(file, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				name := fmt.Sprintf("cold_%d", i)
				res, err := s.LoadFile(ctx, name, file, FormatAuto, nil)
				if err != nil {
					b.Fatal(err)
				}
				if want := map[string]int{"plain.csv": 0, "formatted.csv": 6}[file]; len(res.Dataset.Conversions()) != want {
					b.Fatalf("%d conversions, want %d: %+v", len(res.Dataset.Conversions()), want, res.Dataset.Conversions())
				}
				b.StopTimer()
				if err := s.DropDataset(ctx, name); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
