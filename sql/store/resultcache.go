package store

import (
	dbsql "database/sql"
	"slices"
	"sync"
)

// resultCache keeps summaries read from mrswarm.results, and those of results
// just stored (keepStored), so that reading one (a step's checks and
// dependents, the report and its charts, a client expanding a handle) does not
// ask DuckDB, which took ~0.8 ms here for one row by its primary key
// (BenchmarkResultRead). A stored summary changes only when its
// result is deleted, evicted or pinned: each calls forget once its
// transaction has ended, which drops the handle and moves the generation on,
// so a summary read before the change is never kept after it.
//
// It keeps the metadata a page needs too (row count, columns and inline rows
// as stored): that an inline result later got a table of its own
// (materialize) changes no page of it, so a kept "inline" stays right.
type resultCache struct {
	mu    sync.Mutex // guards gen, sums and metas
	gen   uint64
	sums  map[resultKey]Summary
	metas map[resultKey]pageMeta
}

// maxKeptInline is the most bytes of inline rows whose page metadata is kept:
// with maxCachedResults, at most 2 MiB.
const maxKeptInline = 8 << 10

// pageMeta is what a page of a stored result is made from, besides its table.
type pageMeta struct {
	rows    int64
	columns []Column
	inline  string // the rows as stored inline, when valid
	valid   bool
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

// put keeps sum and m (those not nil) for key if nothing was forgotten since
// generation gen was read.
func (c *resultCache) put(key resultKey, sum *Summary, m *pageMeta, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if sum != nil {
		c.sums = bounded(c.sums)
		c.sums[key] = cloneSummary(*sum)
	}
	if m != nil {
		c.metas = bounded(c.metas)
		kept := *m
		kept.columns = slices.Clone(kept.columns)
		c.metas[key] = kept
	}
}

// bounded returns m, or a new map when m is nil or holds maxCachedResults.
func bounded[V any](m map[resultKey]V) map[resultKey]V {
	if m == nil || len(m) >= maxCachedResults {
		return map[resultKey]V{}
	}
	return m
}

// getMeta returns a copy of the cached page metadata of key and the generation to pass to put.
func (c *resultCache) getMeta(key resultKey) (pageMeta, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.metas[key]
	m.columns = slices.Clone(m.columns)
	return m, ok, c.gen
}

// storedRow is a result's metadata row as stored: what keepStored keeps.
type storedRow struct {
	key               resultKey
	sum               Summary // its fields other than Columns, Head and Stats
	cols, head, stats string
	inline            dbsql.NullString
}

// generation returns the current generation, to pass to keepStored.
func (c *resultCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// keepStored keeps a result just stored as reading its row back would give
// it (decoded by the same code), if nothing was forgotten since generation
// gen: read before the row became visible, so that a deletion between its
// commit and this call is never undone.
func (c *resultCache) keepStored(r storedRow, gen uint64) {
	if r.key.handle == "" {
		return
	}
	sum := r.sum
	sum.Columns, sum.Head, sum.Stats, sum.Pinned = nil, nil, nil, false
	sum, err := decodeSummary(sum, r.cols, r.head, r.stats)
	if err != nil {
		return
	}
	var m *pageMeta
	if len(r.inline.String) <= maxKeptInline {
		m = &pageMeta{rows: sum.Rows, columns: sum.Columns, inline: r.inline.String, valid: r.inline.Valid}
	}
	c.put(r.key, &sum, m, gen)
}

// forget drops what is kept of handle, whatever its tenant.
func (c *resultCache) forget(handle string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k := range c.sums {
		if k.handle == handle {
			delete(c.sums, k)
		}
	}
	for k := range c.metas {
		if k.handle == handle {
			delete(c.metas, k)
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
