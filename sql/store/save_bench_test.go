package store

import (
	"context"
	"testing"
)

// saveBenchStore opens a file-backed store (commits reach the WAL as in the
// server) with the real 15k-row CSV loaded as "sales".
func saveBenchStore(b *testing.B) *Store {
	b.Helper()
	dir := b.TempDir()
	copyBeverage(b, dir, "sales.csv")
	s, err := Open(context.Background(), b.TempDir()+"/bench.duckdb", Options{DataRoot: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.LoadFile(context.Background(), "sales", "sales.csv", FormatAuto, nil); err != nil {
		b.Fatal(err)
	}
	return s
}

// Measured on the 2-core CI machine (noisy; two alternating runs each, ms/op,
// go test -run '^$' -bench BenchmarkSave -benchtime 200x ./sql/store/):
//
//	                     before (info_schema, 2 commits)  after (1 tx, DESCRIBE)
//	SaveQuery 20 rows    6.5, 6.5                         3.9, 3.8
//	SaveQuery aggregate  9.5, 9.9                         6.2, 5.9
//	SaveQuery 1M rows    529, 471 (40x)                   452, 457 (40x)
//	SaveRows 5 rows      9.5, 8.9                         4.5, 4.2

// BenchmarkSaveQuery measures storing a query result as a handle (table,
// summary, metadata): 20 generated rows (the save's own cost), a 20-row
// aggregate over the 15k-row data set as a tool stores it, and a 1M-row result.
func BenchmarkSaveQuery(b *testing.B) {
	s := saveBenchStore(b)
	ctx := context.Background()
	cases := []struct {
		name, query string
		drop        bool // delete each result (untimed) to bound the file size
	}{
		{"20_rows_range", "SELECT range AS i, range * 0.5 AS x, 'r' || range AS s FROM range(20)", false},
		{"20_rows_aggregate", `SELECT brand, region, sum(total_revenue) AS revenue, avg(price_per_unit) AS price,
			count(*) AS n FROM sales GROUP BY ALL ORDER BY revenue DESC LIMIT 20`, false},
		{"1M_rows", `SELECT range AS id, range * 0.5 AS x, 'r' || (range % 7) AS region,
			DATE '2024-01-01' + (range % 365)::INTEGER AS day FROM range(1000000)`, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				sum, err := s.SaveQuery(ctx, "tool:bench", "sales", c.query)
				if err != nil {
					b.Fatal(err)
				}
				if c.drop {
					b.StopTimer()
					if err := s.DeleteResult(ctx, sum.Handle); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			}
		})
	}
}

// BenchmarkSaveRows measures storing 5 rows built in Go, as a report or a
// pipeline step stores its findings.
func BenchmarkSaveRows(b *testing.B) {
	s := saveBenchStore(b)
	ctx := context.Background()
	cols := []Column{{Name: "finding"}, {Name: "metric"}, {Name: "value", Type: "DOUBLE"}, {Name: "n", Type: "BIGINT"}}
	rows := [][]any{
		{"revenue up", "total_revenue", 1234.5, int64(10)},
		{"margin down", "profit", -12.25, int64(20)},
		{"top brand", "brand", 99.0, int64(30)},
		{"north leads", "region", 0.5, int64(40)},
		{"q4 peak", "sale_date", 7.0, int64(50)},
	}
	for b.Loop() {
		if _, err := s.SaveRows(ctx, "report", "sales", cols, rows); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResultRead measures reading a stored result's summary and its
// first page, as a step's dependents and the report do, within a minute of
// storing it.
func BenchmarkResultRead(b *testing.B) {
	s := saveBenchStore(b)
	ctx := context.Background()
	sum, err := s.SaveQuery(ctx, "tool:bench", "sales", `SELECT brand, sum(total_revenue) AS revenue FROM sales GROUP BY ALL`)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("summary", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Result(ctx, sum.Handle); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.GetPage(ctx, sum.Handle, 0, 10, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A step's findings, saved deferred and written by the run log's next
	// batch, then read for the first time (by a dependent, or the report).
	b.Run("findings_first_read_after_write", func(b *testing.B) {
		cols := []Column{{Name: "kind"}, {Name: "text"}, {Name: "handles"}}
		for b.Loop() {
			b.StopTimer()
			f, p, err := s.SaveRowsDeferred(ctx, "step:run_bench/a", "sales", cols,
				[][]any{{"summary", "brand A leads revenue", ""}, {"finding", "north grew 12 %", sum.Handle}})
			if err == nil {
				err = s.WriteRunBatch(ctx, RunBatch{Results: []*Pending{p}})
			}
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := s.Result(ctx, f.Handle); err != nil {
				b.Fatal(err)
			}
		}
	})
}
