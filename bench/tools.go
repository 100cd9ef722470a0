package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

const sectionTools = "SQL tools"

// toolLatency measures every available tool with default arguments at each scale;
// the ratio compares a tool's latency with its latency on the 15k-row original.
func (s *suite) toolLatency(ctx context.Context) ([]Row, []string, error) {
	var skipped []string
	if s.cfg.BigRows == 0 {
		skipped = append(skipped, "SQL tools at 10M rows: off (set MRSWARM_BENCH_10M=1 or -big-rows)")
	}
	sets, err := s.dataSets(true)
	if err != nil {
		return nil, skipped, err
	}
	base := map[string]float64{}
	var rows []Row
	for i, d := range sets {
		r, err := s.toolRows(ctx, d, base, i == 0)
		rows = append(rows, r...)
		if err != nil {
			return rows, skipped, fmt.Errorf("%s: %w", d.scale, err)
		}
	}
	return rows, skipped, nil
}

func (s *suite) toolRows(ctx context.Context, d dataSet, base map[string]float64, isBase bool) ([]Row, error) {
	st, err := s.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	load, err := st.LoadFile(ctx, "sales", filepath.Base(d.path), store.FormatCSV, nil)
	if err != nil {
		return nil, err
	}
	s.logf("   tools on %s (loaded in %s)", d.scale, load.Duration.Round(time.Millisecond))
	// As the server does after a load: derive what a first tool call would read from every row.
	prepare, err := timed(func() error { return tools.NewCatalog(st).Prepare(ctx, "sales") })
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	names, err := availableTools(ctx, st, "sales", 0)
	if err != nil {
		return nil, err
	}
	var rows []Row
	var total float64
	cat := tools.NewCatalog(st) // as the server calls tools: the dataset's enums cached by fingerprint
	for _, name := range names {
		if _, err := cat.Call(ctx, "sales", name, nil); err != nil { // warm-up
			return rows, fmt.Errorf("tool %s: %w", name, err)
		}
		stat, err := repeat(s.repsFor(d.rows), func() (time.Duration, error) {
			return timed(func() error { _, err := cat.Call(ctx, "sales", name, nil); return err })
		})
		if err != nil {
			return rows, fmt.Errorf("tool %s: %w", name, err)
		}
		row := Row{Section: sectionTools, Name: name, Scale: d.scale, Value: stat.ms(), Unit: "ms", Samples: stat.N}
		if name == "dataset_profile" {
			// What the catalog reads from every row is kept per content
			// fingerprint: these are repeated calls on unchanged data.
			row.Note = "repeated on unchanged data through one catalog; what it reads from every row is kept per content fingerprint (prepared after the load), so a first call costs the same: the fresh catalog's row"
			if d.rows == 1_000_000 {
				row = withKey(row, KeyDatasetProfileMs1M)
			}
		}
		if isBase {
			base[name] = row.Value
		} else if b, ok := base[name]; ok {
			row = withRatioOver(row, b, "this ÷ 15k")
		}
		total += row.Value
		rows = append(rows, row)
	}
	rows = append(rows, Row{Section: sectionTools, Name: fmt.Sprintf("all %d tools, sum of medians", len(names)),
		Scale: d.scale, Value: total, Unit: "ms", Note: "default arguments; each result stored as a handle; through a tools.Catalog as the server calls them"})
	fresh, err := repeat(s.repsFor(d.rows), func() (time.Duration, error) {
		return timed(func() error { _, err := tools.Call(ctx, st, "sales", "dataset_profile", nil); return err })
	})
	if err != nil {
		return rows, fmt.Errorf("dataset_profile, fresh catalog: %w", err)
	}
	return append(rows, Row{Section: sectionTools, Name: "dataset_profile, fresh catalog", Scale: d.scale, Value: fresh.ms(),
		Unit: "ms", Samples: fresh.N, Note: "tools.Call through a new catalog, as the first call after a restart (or a load, above 200k rows): what it reads from every row comes from the store's dataset facts"},
		Row{Section: sectionTools, Name: "tools.Catalog.Prepare after the load", Scale: d.scale, Value: float64(prepare) / float64(time.Millisecond),
			Unit: "ms", Samples: 1, Note: "what the server adds to a load: the filter values and, above 200k rows, what an unfiltered dataset_profile reads from every row, kept for the content"}), nil
}
