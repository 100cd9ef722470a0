package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/sql/gendata"
)

// formattedRow times a cold load of d's rows with money written as "$4,968.25"
// and margins as "36.42%" (six columns cleaned on load) and reports it against
// the plain cold load (target: under 2×). Only generated data sets have a
// formatted twin; others return no row.
func (s *suite) formattedRow(ctx context.Context, d dataSet, plainCold Stat) ([]Row, error) {
	if !strings.Contains(d.scale, "generated") {
		return nil, nil
	}
	p := filepath.Join(s.dataDir, fmt.Sprintf("generated_%d_formatted.csv", d.rows))
	f, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	err = gendata.GenerateFormatted(f, d.rows, 1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("generate formatted rows: %w", err)
	}
	fd := dataSet{path: p, scale: d.scale, rows: d.rows}
	cold, err := repeat(s.repsFor(d.rows), func() (time.Duration, error) { return s.coldLoad(ctx, fd) })
	if err != nil {
		return nil, fmt.Errorf("cold load of formatted rows: %w", err)
	}
	r := Row{Section: sectionLoading, Name: "cold load, money as $4,968.25 and 36.42% (6 columns cleaned)",
		Scale: d.scale, Value: cold.ms(), Unit: "ms", Samples: cold.N}
	return []Row{withRatioOver(r, plainCold.ms(), "this ÷ plain cold")}, nil
}
