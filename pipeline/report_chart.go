package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/mrswarm/mrswarm/pipeline/report"
	"github.com/mrswarm/mrswarm/pipeline/report/chart"
	"github.com/mrswarm/mrswarm/sql/store"
)

// ChartRows is how many rows of a result a chart reads.
const ChartRows = 1000

// ChartInput reads what a chart of handle h is drawn from: the tool that made
// the result and its first ChartRows rows. An unknown handle wraps
// store.ErrNotFound.
func ChartInput(ctx context.Context, st *store.Store, h string) (chart.Input, error) {
	sum, err := st.Result(ctx, h)
	if err != nil {
		return chart.Input{}, fmt.Errorf("chart of %s: %w", h, err)
	}
	page, err := st.GetPage(ctx, h, 0, ChartRows, false)
	if err != nil {
		return chart.Input{}, fmt.Errorf("chart of %s: %w", h, err)
	}
	tool, _ := strings.CutPrefix(sum.Source, "tool:")
	if tool == sum.Source {
		tool = ""
	}
	return chart.Input{Tool: tool, Page: page}, nil
}

// ReportHTML returns the report of a finished run (see [Runner.Report]) as one
// self-contained HTML document with its charts drawn inline (see report.HTML).
func (r *Runner) ReportHTML(ctx context.Context, runID string) (handle, doc string, err error) {
	handle, md, err := r.Report(ctx, runID)
	if err != nil {
		return "", "", err
	}
	doc, err = report.HTML(md, func(h string, k chart.Kind) ([]byte, error) {
		in, err := ChartInput(ctx, r.st, h)
		if err != nil {
			return nil, err
		}
		_, svg, err := chart.SVG(in, k)
		return svg, err
	})
	if err != nil {
		return "", "", fmt.Errorf("report of run %q: %w", runID, err)
	}
	return handle, doc, nil
}
