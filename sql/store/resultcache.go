package store

import (
	"slices"
	"sync"
)

// resultCache keeps summaries read from mrswarm.results, so that reading one
// again (a step's dependents, the report and its charts, a client expanding a
// handle) does not ask DuckDB, which took ~0.8 ms here for one row by its
// primary key (BenchmarkResultRead). A stored summary changes only when its
// result is deleted, evicted or pinned: each calls forget once its
// transaction has ended, which drops the handle and moves the generation on,
// so a summary read before the change is never kept after it.
type resultCache struct {
	mu   sync.Mutex // guards gen and sums
	gen  uint64
	sums map[resultKey]Summary
}

type resultKey struct{ tenant, handle string }

// maxCachedResults bounds the summaries kept (each under ~2 KB); past it the
// cache starts over. A run reads its own results within the run.
const maxCachedResults = 256

// get returns a copy of the cached summary of key and the generation to pass to put.
func (c *resultCache) get(key resultKey) (Summary, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum, ok := c.sums[key]
	return cloneSummary(sum), ok, c.gen
}

// put keeps sum for key if nothing was forgotten since generation gen was read.
func (c *resultCache) put(key resultKey, sum Summary, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.sums == nil || len(c.sums) >= maxCachedResults {
		c.sums = map[resultKey]Summary{}
	}
	c.sums[key] = cloneSummary(sum)
}

// forget drops handle's summary, whatever its tenant.
func (c *resultCache) forget(handle string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k := range c.sums {
		if k.handle == handle {
			delete(c.sums, k)
		}
	}
}

// cloneSummary copies the slices of sum, so that no caller changes a cached one.
func cloneSummary(sum Summary) Summary {
	sum.Columns, sum.Stats = slices.Clone(sum.Columns), slices.Clone(sum.Stats)
	if sum.Head != nil {
		head := make([][]any, len(sum.Head))
		for i, r := range sum.Head {
			head[i] = slices.Clone(r)
		}
		sum.Head = head
	}
	return sum
}
