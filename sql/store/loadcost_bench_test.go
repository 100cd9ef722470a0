package store

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkColdLoad1M puts a cold LoadFile of the 1M-row generated CSV into a
// fresh file-backed store next to DuckDB alone reading the same file with a
// plain CREATE TABLE AS SELECT * FROM read_csv(...) into a fresh file-backed
// store (same settings as Open) and into a fresh in-memory one. Each
// iteration runs every case once, in turn, on a new store (as bench/data.go's
// coldLoad does), so noise from a shared machine falls on all of them alike;
// only the load is timed. Reported per case: wall ms, process CPU ms and
// rows/s by wall time.
func BenchmarkColdLoad1M(b *testing.B) {
	dir := b.TempDir()
	writeGenerated(b, dir, "sales_1m.csv", 1_000_000)
	path := filepath.Join(dir, "sales_1m.csv")
	ctx := context.Background()
	ctas := func(s *Store) error {
		_, err := s.db.ExecContext(ctx, `CREATE TABLE t AS SELECT * FROM read_csv(`+quoteLit(path)+`)`)
		return err
	}
	cases := []struct {
		name string
		file bool
		load func(s *Store) error
	}{
		{"loadfile_file", true, func(s *Store) error {
			_, err := s.LoadFile(ctx, "sales", "sales_1m.csv", FormatCSV, nil)
			return err
		}},
		{"ctas_file", true, ctas},
		{"ctas_memory", false, ctas},
	}
	wall := make([]time.Duration, len(cases))
	cpu := make([]time.Duration, len(cases))
	for b.Loop() {
		for i, c := range cases {
			b.StopTimer()
			db := ""
			if c.file {
				db = filepath.Join(b.TempDir(), "bench.duckdb")
			}
			s, err := Open(ctx, db, Options{DataRoot: dir})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			w, u := time.Now(), cpuTime()
			if err := c.load(s); err != nil {
				b.Fatal(err)
			}
			wall[i], cpu[i] = wall[i]+time.Since(w), cpu[i]+cpuTime()-u
			b.StopTimer()
			s.Close()
			b.StartTimer()
		}
	}
	for i, c := range cases {
		b.ReportMetric(float64(wall[i].Milliseconds())/float64(b.N), c.name+"_ms")
		b.ReportMetric(float64(cpu[i].Milliseconds())/float64(b.N), c.name+"_cpu_ms")
		b.ReportMetric(1e6*float64(b.N)/wall[i].Seconds(), c.name+"_rows/s")
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoadPhases times the phases of a cold load of the 1M-row CSV one
// by one on a fresh file-backed store, each reported as wall and process CPU
// ms per load. The
// *_sniffing phases are what the load did before the file was sniffed once
// (a DESCRIBE and a planning sample that each sniff the file again), for
// comparison in the same run; they are not part of the load.
func BenchmarkLoadPhases(b *testing.B) {
	dir := b.TempDir()
	writeGenerated(b, dir, "sales_1m.csv", 1_000_000)
	ctx := context.Background()
	phases, cpu := map[string]time.Duration{}, map[string]time.Duration{}
	timed := func(name string, fn func() error) {
		start, u := time.Now(), cpuTime()
		if err := fn(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		phases[name] += time.Since(start)
		cpu[name] += cpuTime() - u
	}
	for b.Loop() {
		b.StopTimer()
		s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.duckdb"), Options{DataRoot: dir})
		if err != nil {
			b.Fatal(err)
		}
		src, err := s.fileSource("sales", "sales_1m.csv", FormatCSV)
		if err != nil {
			b.Fatal(err)
		}
		var delim, reader, sniffing string
		var cols []Column
		var plans []plan
		timed("sniffing_reader_describe", func() error {
			if sniffing, err = readerSQL(src, ""); err != nil {
				return err
			}
			cols, err = s.describeReader(ctx, sniffing)
			return err
		})
		timed("sniffing_reader_plan_sample", func() error { _, err = s.planReader(ctx, sniffing, cols, src.opts, delim); return err })
		b.StartTimer()
		timed("hash", func() error { h, err := hashFile(ctx, src.path); src.fp = h.fp; return err })
		timed("sniff_delim", func() error { delim, err = sniffDelim(src.path); return err })
		timed("sniff_csv", func() error { reader, cols, err = s.sniffedCSV(ctx, src); return err })
		timed("plan_sample", func() error { plans, err = s.planReader(ctx, reader, cols, src.opts, delim); return err })
		stage := "_load_x"
		timed("read_into", func() error { return s.readInto(ctx, stage, reader, plans) })
		timed("check_conv", func() error { _, err := s.checkConversions(ctx, stage, plans); return err })
		timed("columns", func() error { _, err := tableColumns(ctx, s.db, "main", stage); return err })
		timed("roles", func() error { _, err := s.describeStage(ctx, stage, cols, src, nil); return err })
		timed("rename_commit", func() error {
			_, err := s.db.ExecContext(ctx, `ALTER TABLE `+s.TableRef(ctx, stage)+` RENAME TO sales`)
			return err
		})
		timed("checkpoint", func() error { _, err := s.db.ExecContext(ctx, `CHECKPOINT`); return err })
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	for name, d := range phases {
		b.ReportMetric(float64(d.Microseconds())/1e3/float64(b.N), name+"_ms")
		b.ReportMetric(float64(cpu[name].Microseconds())/1e3/float64(b.N), name+"_cpu_ms")
	}
}
