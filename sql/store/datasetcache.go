package store

import (
	"maps"
	"slices"
	"sync"
)

// datasetCache keeps dataset metadata rows read from mrswarm.datasets, so
// that looking a dataset up (every run start, every tool call) does not ask
// DuckDB. Every write of that table goes through [Store.datasetTx], which
// calls changed after the transaction ends: the cache is emptied and its generation
// moves on, and a row read before the change is never kept after it.
type datasetCache struct {
	mu   sync.Mutex // guards gen and recs
	gen  uint64
	recs map[datasetKey]datasetRecord
}

type datasetKey struct{ tenant, name string }

// get returns a copy of the cached record of key (its columns and roles the
// caller's own) and the generation to pass to put.
func (c *datasetCache) get(key datasetKey) (datasetRecord, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.recs[key]
	rec.Columns, rec.Roles = slices.Clone(rec.Columns), maps.Clone(rec.Roles)
	return rec, ok, c.gen
}

// put keeps rec for key if nothing changed since generation gen was read.
func (c *datasetCache) put(key datasetKey, rec datasetRecord, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.recs == nil {
		c.recs = map[datasetKey]datasetRecord{}
	}
	rec.Columns, rec.Roles = slices.Clone(rec.Columns), maps.Clone(rec.Roles)
	c.recs[key] = rec
}

// changed forgets every cached record.
func (c *datasetCache) changed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.recs)
}
