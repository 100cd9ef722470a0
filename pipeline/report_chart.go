package pipeline

import (
	"context"
	"fmt"
	"strings"

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
