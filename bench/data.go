package bench

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // DuckDB by itself, next to the cold load

	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// perToolCalls is how many tool calls the "re-read the CSV per tool" pattern makes.
const perToolCalls = 5

const sectionLoading = "data loading"

// loading measures cold loads, cache hits, re-uploads of identical bytes and the
// original's "every tool re-reads the CSV" pattern at each data scale.
func (s *suite) loading(ctx context.Context) ([]Row, []string, error) {
	sets, err := s.dataSets(false)
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	for _, d := range sets {
		r, err := s.loadRows(ctx, d)
		rows = append(rows, r...)
		if err != nil {
			return rows, nil, fmt.Errorf("%s: %w", d.scale, err)
		}
	}
	return rows, nil, nil
}

func (s *suite) loadRows(ctx context.Context, d dataSet) ([]Row, error) {
	s.logf("   loading %s", d.scale)
	reps := s.repsFor(d.rows)
	// The cold load takes turns with DuckDB by itself on the same file, so
	// the machine's noise falls on both alike.
	var ctas, copies []time.Duration
	cold, err := repeat(reps, func() (time.Duration, error) {
		c, cp, err := s.duckdbAlone(ctx, d)
		if err != nil {
			return 0, fmt.Errorf("DuckDB alone: %w", err)
		}
		ctas, copies = append(ctas, c), append(copies, cp)
		return s.coldLoad(ctx, d)
	})
	if err != nil {
		return nil, fmt.Errorf("cold load: %w", err)
	}
	st, err := s.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if _, err := st.LoadFile(ctx, "sales", filepath.Base(d.path), store.FormatCSV, nil); err != nil {
		return nil, err
	}
	hit, err := repeat(s.cfg.Reps*4, func() (time.Duration, error) { return hitLoad(ctx, st, d) })
	if err != nil {
		return nil, fmt.Errorf("cache-hit load: %w", err)
	}
	upload, err := repeat(s.cfg.Reps, func() (time.Duration, error) { return reupload(ctx, st, d) })
	if err != nil {
		return nil, fmt.Errorf("re-upload: %w", err)
	}
	names, err := availableTools(ctx, st, "sales", perToolCalls)
	if err != nil {
		return nil, err
	}
	reread, err := repeat(reps, func() (time.Duration, error) { return rereadPerTool(ctx, st, d, names) })
	if err != nil {
		return nil, fmt.Errorf("re-read per tool: %w", err)
	}
	loaded, err := repeat(s.cfg.Reps, func() (time.Duration, error) { return callTools(ctx, st, "sales", names) })
	if err != nil {
		return nil, fmt.Errorf("tools over the loaded table: %w", err)
	}
	row := func(name string, st Stat) Row {
		return Row{Section: sectionLoading, Name: name, Scale: d.scale, Value: st.ms(), Unit: "ms", Samples: st.N}
	}
	toolsNote := fmt.Sprintf("tools: %v", names)
	formatted, err := s.formattedRow(ctx, d, cold)
	if err != nil {
		return nil, err
	}
	through := throughputRow(d, cold)
	return append([]Row{
		row("cold load (fresh database)", cold),
		through,
		withRatioOver(duckdbAloneRow(d, "DuckDB alone: CREATE TABLE AS SELECT * FROM read_csv(…) into a fresh database file",
			statOf(ctas), "", "rows ÷ median; a plain read_csv, no cleaning, no roles, no metadata"), through.Value, "this ÷ cold load"),
		withRatioOver(duckdbAloneRow(d, "DuckDB alone: copy of the same table, already typed, into a new table of that file",
			statOf(copies), KeyDuckDBWriteRowsPerS1M, "rows ÷ median; no parsing at all: the floor a load's table write sets"), through.Value, "this ÷ cold load"),
		withRatio(row("cache-hit load (same file, unchanged)", hit), cold.ms(), "cold ÷ this"),
		withRatio(row("re-upload of identical bytes (hash, no ingest)", upload), cold.ms(), "cold ÷ this"),
		withNote(row(fmt.Sprintf("%d tool calls, CSV re-read before each (original pattern)", len(names)), reread), toolsNote),
		withNote(withRatio(row(fmt.Sprintf("%d tool calls over the loaded table", len(names)), loaded), reread.ms(), "re-read ÷ this"), toolsNote),
	}, formatted...), nil
}

// throughputRow is the cold load's rows per second; at 1M rows, a headline key.
func throughputRow(d dataSet, cold Stat) Row {
	r := Row{Section: sectionLoading, Name: "cold load throughput", Scale: d.scale,
		Value: ratio(float64(d.rows), cold.Median.Seconds()), Unit: "rows/s", Samples: cold.N, Note: "rows ÷ median cold load"}
	if d.rows == 1_000_000 {
		r = withKey(r, KeyCSVLoadRowsPerS1M)
	}
	return r
}

// duckdbAloneRow is the throughput DuckDB reaches by itself on the cold
// load's file; key names it at 1M rows.
func duckdbAloneRow(d dataSet, name string, st Stat, key, note string) Row {
	r := Row{Section: sectionLoading, Name: name, Scale: d.scale,
		Value: ratio(float64(d.rows), st.Median.Seconds()), Unit: "rows/s", Samples: st.N, Note: note}
	if key != "" && d.rows == 1_000_000 {
		r = withKey(r, key)
	}
	return r
}

// duckdbAlone times DuckDB by itself, through the driver mrswarm links with
// its default settings, on the cold load's file in a fresh database file:
// a plain CREATE TABLE AS SELECT * FROM read_csv(…), then a copy of that
// table into a new one, each with its CHECKPOINT (the load's table is on disk
// when LoadFile returns).
func (s *suite) duckdbAlone(ctx context.Context, d dataSet) (ctas, copied time.Duration, err error) {
	dir, err := os.MkdirTemp(s.cfg.WorkDir, "duckdb-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	db, err := dbsql.Open("duckdb", filepath.Join(dir, "alone.duckdb"))
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	exec := func(q string) (time.Duration, error) {
		return timed(func() error {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return err
			}
			_, err := db.ExecContext(ctx, "CHECKPOINT")
			return err
		})
	}
	path := strings.ReplaceAll(d.path, "'", "''")
	if ctas, err = exec("CREATE TABLE sales AS SELECT * FROM read_csv('" + path + "')"); err != nil {
		return 0, 0, err
	}
	if copied, err = exec("CREATE TABLE copied AS SELECT * FROM sales"); err != nil {
		return 0, 0, err
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM copied").Scan(&n); err != nil {
		return 0, 0, err
	}
	if n != d.rows {
		return 0, 0, fmt.Errorf("%s: %d rows, want %d", d.path, n, d.rows)
	}
	return ctas, copied, nil
}

// withRatio sets r's ratio to numerator ÷ r.Value ("other ÷ this").
func withRatio(r Row, numerator float64, of string) Row {
	r.Ratio, r.RatioOf = ratio(numerator, r.Value), of
	return r
}

// withRatioOver sets r's ratio to r.Value ÷ denominator ("this ÷ other").
func withRatioOver(r Row, denominator float64, of string) Row {
	r.Ratio, r.RatioOf = ratio(r.Value, denominator), of
	return r
}

func withNote(r Row, note string) Row {
	r.Note = note
	return r
}

// coldLoad times a load into a fresh database.
func (s *suite) coldLoad(ctx context.Context, d dataSet) (time.Duration, error) {
	st, err := s.openStore(ctx)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	return timedLoad(ctx, st, d, false)
}

// hitLoad times a repeated load of the same unchanged file.
func hitLoad(ctx context.Context, st *store.Store, d dataSet) (time.Duration, error) {
	return timedLoad(ctx, st, d, true)
}

func timedLoad(ctx context.Context, st *store.Store, d dataSet, wantHit bool) (time.Duration, error) {
	start := time.Now()
	res, err := st.LoadFile(ctx, "sales", filepath.Base(d.path), store.FormatCSV, nil)
	el := time.Since(start)
	if err != nil {
		return 0, err
	}
	if res.CacheHit != wantHit {
		return 0, fmt.Errorf("load of %s: cache hit %v, want %v", d.path, res.CacheHit, wantHit)
	}
	if res.Dataset.Rows != int64(d.rows) {
		return 0, fmt.Errorf("load of %s: %d rows, want %d", d.path, res.Dataset.Rows, d.rows)
	}
	return el, nil
}

// reupload times streaming the same bytes again: they are hashed, not ingested.
func reupload(ctx context.Context, st *store.Store, d dataSet) (time.Duration, error) {
	f, err := os.Open(d.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	res, err := st.LoadReader(ctx, "sales", filepath.Base(d.path), store.FormatCSV, f, nil)
	el := time.Since(start)
	if err != nil {
		return 0, err
	}
	if !res.CacheHit {
		return 0, fmt.Errorf("re-upload of identical bytes was not a cache hit")
	}
	return el, nil
}

// rereadPerTool is the original's pattern: every tool call reads the CSV again.
func rereadPerTool(ctx context.Context, st *store.Store, d dataSet, names []string) (time.Duration, error) {
	return timed(func() error {
		for _, name := range names {
			if err := st.DropDataset(ctx, "sales"); err != nil {
				return err
			}
			if _, err := st.LoadFile(ctx, "sales", filepath.Base(d.path), store.FormatCSV, nil); err != nil {
				return err
			}
			if _, err := tools.Call(ctx, st, "sales", name, nil); err != nil {
				return fmt.Errorf("tool %s: %w", name, err)
			}
		}
		return nil
	})
}

func callTools(ctx context.Context, st *store.Store, dataset string, names []string) (time.Duration, error) {
	return timed(func() error {
		for _, name := range names {
			if _, err := tools.Call(ctx, st, dataset, name, nil); err != nil {
				return fmt.Errorf("tool %s: %w", name, err)
			}
		}
		return nil
	})
}

// availableTools lists up to limit tools available on dataset (all when limit is 0).
func availableTools(ctx context.Context, st *store.Store, dataset string, limit int) ([]string, error) {
	infos, err := tools.List(ctx, st, dataset)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, in := range infos {
		if in.Available && (limit == 0 || len(names) < limit) {
			names = append(names, in.Name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no tool is available on dataset %q", dataset)
	}
	return names, nil
}
