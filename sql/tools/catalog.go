package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/mrswarm/mrswarm/sql/store"
)

// maxCachedValueSets bounds a Catalog's cache; it starts over when full.
const maxCachedValueSets = 1024

// Catalog is the tools over one store. It keeps each dataset's distinct filter
// values and period labels (the enums of the tools' schemas) and what
// dataset_profile reads from every row (column statistics, means) by content
// fingerprint, so a repeated call reads them once; a replaced dataset has a
// new fingerprint. It is safe for concurrent use.
type Catalog struct {
	st *store.Store

	mu     sync.Mutex            // guards values and stats
	values map[string][]string   // dataset\x00fingerprint\x00key → values; nil means over the cap
	stats  map[string]tableStats // dataset\x00fingerprint → dataset_profile's full-scan statistics
}

// NewCatalog returns the tools over st with an empty cache.
func NewCatalog(st *store.Store) *Catalog {
	return &Catalog{st: st, values: map[string][]string{}, stats: map[string]tableStats{}}
}

// Env describes dataset as the tools see it: its role columns and the distinct
// values of its filter roles. Build it once per run and use it for every call;
// an unknown dataset wraps store.ErrNotFound.
func (c *Catalog) Env(ctx context.Context, dataset string) (*Env, error) {
	e, err := newEnv(ctx, c, dataset)
	if err != nil {
		return nil, err
	}
	return &Env{c: c, e: e}, nil
}

// EnvOf is [Catalog.Env] for a dataset the caller has already looked up.
func (c *Catalog) EnvOf(ctx context.Context, ds store.Dataset) (*Env, error) {
	e, err := envOf(ctx, c, ds)
	if err != nil {
		return nil, err
	}
	return &Env{c: c, e: e}, nil
}

// List describes every tool for dataset, with schemas and availability.
func (c *Catalog) List(ctx context.Context, dataset string) ([]Info, error) {
	e, err := c.Env(ctx, dataset)
	if err != nil {
		return nil, err
	}
	return e.List()
}

// Schema returns the JSON Schema of tool's arguments on dataset.
func (c *Catalog) Schema(ctx context.Context, dataset, tool string) (json.RawMessage, error) {
	if _, err := lookup(tool); err != nil {
		return nil, err
	}
	e, err := c.Env(ctx, dataset)
	if err != nil {
		return nil, err
	}
	return e.Schema(tool)
}

// Call runs tool on dataset; see [Env.Call].
func (c *Catalog) Call(ctx context.Context, dataset, tool string, args json.RawMessage) (store.Summary, error) {
	if _, err := lookup(tool); err != nil {
		return store.Summary{}, err
	}
	e, err := c.Env(ctx, dataset)
	if err != nil {
		return store.Summary{}, err
	}
	return e.Call(ctx, tool, args)
}

// distinct runs q (one string column) on ds through the cache under key.
func (c *Catalog) distinct(ctx context.Context, ds store.Dataset, key, q string) ([]string, error) {
	key = ds.Name + "\x00" + ds.Fingerprint + "\x00" + key
	c.mu.Lock()
	vals, hit := c.values[key]
	c.mu.Unlock()
	if hit {
		return vals, nil
	}
	vals, err := distinct(ctx, c.st, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	putBounded(c.values, key, vals)
	c.mu.Unlock()
	return vals, nil
}

// putBounded sets m[key] = v, first emptying m when it holds
// maxCachedValueSets entries: a catalog's caches stay bounded.
func putBounded[V any](m map[string]V, key string, v V) {
	if len(m) >= maxCachedValueSets {
		clear(m)
	}
	m[key] = v
}

// tableStats is what an unfiltered dataset_profile above exactLimit reads
// from every row of a dataset: the store's column statistics and the full
// scan's aggregates (row and non-NULL counts, means, the bounds the
// statistics lack), by aggregate name.
type tableStats struct {
	bounds map[string]store.ColumnBounds
	full   map[string]any
}

// tableStats reads the column statistics of dataset seen (as its Env saw it),
// then full(bounds), through the cache (at 1M rows they cost ~7 ms and ~45 ms
// of CPU). They are cached under the fingerprint the dataset had when seen and
// both before and after they were read, so statistics read while the dataset
// was being replaced are used once, never kept. The result is shared: callers
// must not modify it.
func (c *Catalog) tableStats(ctx context.Context, seen store.Dataset,
	full func(map[string]store.ColumnBounds) (map[string]any, error)) (tableStats, error) {
	ds, err := c.st.Dataset(ctx, seen.Name)
	if err != nil {
		return tableStats{}, fmt.Errorf("column statistics: %w", err)
	}
	key := ds.Name + "\x00" + ds.Fingerprint
	c.mu.Lock()
	s, hit := c.stats[key]
	c.mu.Unlock()
	if hit && ds.Fingerprint == seen.Fingerprint {
		return s, nil
	}
	if s.bounds, err = c.st.ColumnBounds(ctx, seen.Name); err != nil {
		return tableStats{}, err
	}
	if s.full, err = full(s.bounds); err != nil {
		return tableStats{}, err
	}
	after, err := c.st.Dataset(ctx, seen.Name)
	if err != nil || after.Fingerprint != ds.Fingerprint || ds.Fingerprint != seen.Fingerprint {
		return s, nil
	}
	c.mu.Lock()
	putBounded(c.stats, key, s)
	c.mu.Unlock()
	return s, nil
}

// Env is one dataset as the tools see it, built by [Catalog.Env]. It is
// immutable and safe for concurrent use.
type Env struct {
	c *Catalog
	e *env
}

// Dataset returns the name of the dataset e describes.
func (e *Env) Dataset() string { return e.e.ds.Name }

// List describes every tool with its schema and availability on e's dataset.
func (e *Env) List() ([]Info, error) {
	out := make([]Info, len(registry))
	for i := range registry {
		t := &registry[i]
		s, err := json.Marshal(t.schemaDoc(e.e))
		if err != nil {
			return nil, fmt.Errorf("tools: %s: schema: %w", t.Name, err)
		}
		out[i] = Info{Spec: t.Spec, Schema: s, Available: true}
		out[i].RequiredRoles = slices.Clone(t.RequiredRoles)
		if err := t.unavailable(e.e); err != nil {
			out[i].Available, out[i].Reason = false, reason(err)
		}
	}
	return out, nil
}

// Schema returns the JSON Schema of tool's arguments on e's dataset.
func (e *Env) Schema(tool string) (json.RawMessage, error) {
	t, err := lookup(tool)
	if err != nil {
		return nil, err
	}
	s, err := json.Marshal(t.schemaDoc(e.e))
	if err != nil {
		return nil, fmt.Errorf("tools: %s: schema: %w", t.Name, err)
	}
	return s, nil
}

// Call validates args, runs tool on e's dataset and stores the result as a handle
// whose summary it returns. Nil or {} args mean defaults. Errors wrap
// store.ErrInvalid (unknown tool, bad arguments) or store.ErrPrecondition (a
// role the tool or a filter needs is missing).
func (e *Env) Call(ctx context.Context, tool string, args json.RawMessage) (store.Summary, error) {
	t, err := lookup(tool)
	if err != nil {
		return store.Summary{}, err
	}
	if err := t.unavailable(e.e); err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s: %w", t.Name, err)
	}
	st := e.c.st
	a, err := t.parseArgs(ctx, st, e.e, args)
	if err != nil {
		return store.Summary{}, err
	}
	if t.run != nil {
		return t.run(ctx, st, t, e.e, a)
	}
	return saveSQL(ctx, st, t, e.e, a)
}

// saveSQL renders t's SQL with a on e and stores its result as a handle.
func saveSQL(ctx context.Context, st *store.Store, t *tool, e *env, a args) (store.Summary, error) {
	return saveRendered(ctx, st, t, &render{e: e, a: a})
}

// saveRendered renders t's SQL with r and stores its result as a handle.
func saveRendered(ctx context.Context, st *store.Store, t *tool, r *render) (store.Summary, error) {
	e := r.e
	q, params, err := renderSQL(t, r)
	if err != nil {
		return store.Summary{}, err
	}
	sum, err := st.SaveQuery(ctx, "tool:"+t.Name, e.ds.Name, q, params...)
	if err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s on %q: %w", t.Name, e.ds.Name, err)
	}
	return sum, nil
}
