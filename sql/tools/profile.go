package tools

import (
	"context"
	"fmt"

	"github.com/mrswarm/mrswarm/sql/store"
)

// runProfile runs dataset_profile. Above exactLimit rows and without filters,
// the minimum and maximum of numeric and date columns and which columns hold no
// NULLs come from the store's column statistics instead of a scan of the
// table; they are exact either way (TestDatasetProfileBounds).
func runProfile(ctx context.Context, st *store.Store, t *tool, e *env, a args) (store.Summary, error) {
	r := &render{e: e, a: a}
	where, err := (&render{e: e, a: a}).Where()
	if err != nil {
		return store.Summary{}, err
	}
	if where == "TRUE" && !r.Exact() {
		if r.bounds, err = st.ColumnBounds(ctx, e.ds.Name); err != nil {
			return store.Summary{}, fmt.Errorf("tools: %s on %q: %w", t.Name, e.ds.Name, err)
		}
	}
	return saveRendered(ctx, st, t, r)
}
