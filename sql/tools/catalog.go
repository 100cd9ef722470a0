package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/mrswarm/mrswarm/sql/store"
)

// maxCachedDatasets bounds a Catalog's memory of kept facts; it starts over
// when full.
const maxCachedDatasets = 1024

// Catalog is the tools over one store. What the tools derive from every row
// of a dataset — the distinct filter values and period labels of their
// schemas, and what an unfiltered dataset_profile reads from the full scan
// and the column statistics — is derived once per content: kept in the store
// by content fingerprint (so a new Catalog, as after a restart, reads it
// there) and in the Catalog's memory. A replaced dataset has a new
// fingerprint. It is safe for concurrent use.
type Catalog struct {
	st *store.Store

	mu    sync.Mutex                   // guards facts and envs
	facts map[string]map[string]string // tenant\x00dataset\x00fingerprint → fact key → JSON; each inner map immutable
	// envs are the environments built from kept facts, by the same key:
	// an env is immutable, and what it derives from a dataset record (role
	// columns, table) is checked against the record asked for (sameShape).
	envs map[string]*env
}

// NewCatalog returns the tools over st.
func NewCatalog(st *store.Store) *Catalog {
	return &Catalog{st: st, facts: map[string]map[string]string{}, envs: map[string]*env{}}
}

// Prepare derives and keeps what the first tool call on dataset would read
// from every row: the filter values and period labels, and above exactLimit
// rows what an unfiltered dataset_profile reads from the full scan. Call it
// after a load, so that the first call reads no more than later ones. An
// unknown dataset wraps store.ErrNotFound.
func (c *Catalog) Prepare(ctx context.Context, dataset string) error {
	e, err := newEnv(ctx, c, dataset)
	if err != nil {
		return err
	}
	if err := prepareProfile(ctx, c.st, e); err != nil {
		return fmt.Errorf("tools: prepare %q: %w", dataset, err)
	}
	return nil
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

// kept returns the facts that the store keeps for ds's content, read from
// the store on the catalog's first use of that content. The result is
// shared: callers must not modify it.
func (c *Catalog) kept(ctx context.Context, ds store.Dataset) (map[string]string, error) {
	key := contentKey(ctx, ds)
	c.mu.Lock()
	m, ok := c.facts[key]
	c.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err := c.st.DatasetFacts(ctx, ds.Name, ds.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("tools: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.facts[key]; ok { // another call read (and maybe added to) them meanwhile
		return cur, nil
	}
	putBounded(c.facts, key, m)
	return m, nil
}

// keep adds facts newly derived from ds's content to the store and to the
// catalog's memory, unless ds was replaced meanwhile (the store checks that
// too): facts read while the dataset was being replaced are used once, never
// kept. Keeping them only saves work, so a failed write is not an error: the
// next catalog derives them again.
func (c *Catalog) keep(ctx context.Context, ds store.Dataset, facts map[string]string) {
	if len(facts) == 0 {
		return
	}
	_ = c.st.PutDatasetFacts(ctx, ds.Name, ds.Fingerprint, facts)
	if now, err := c.st.Dataset(ctx, ds.Name); err != nil || now.Fingerprint != ds.Fingerprint {
		return
	}
	key := contentKey(ctx, ds)
	c.mu.Lock()
	defer c.mu.Unlock()
	m := maps.Clone(c.facts[key])
	if m == nil {
		m = map[string]string{}
	}
	maps.Copy(m, facts)
	putBounded(c.facts, key, m)
}

// contentKey keys what a catalog keeps of ds's content: ctx's tenant, the
// dataset's name and its content fingerprint.
func contentKey(ctx context.Context, ds store.Dataset) string {
	return store.TenantOf(ctx) + "\x00" + ds.Name + "\x00" + ds.Fingerprint
}

// values returns the distinct values that each query (one string column)
// reads from ds, nil where there are more than enumCap: kept facts, else
// read from the data and kept under the query's text. allKept reports
// whether every value came from the kept facts.
func (c *Catalog) values(ctx context.Context, ds store.Dataset, queries []string) (vals [][]string, allKept bool, err error) {
	kept, err := c.kept(ctx, ds)
	if err != nil {
		return nil, false, err
	}
	out := make([][]string, len(queries))
	fresh := map[string]string{}
	for i, q := range queries {
		if v, ok := kept[q]; ok && json.Unmarshal([]byte(v), &out[i]) == nil {
			continue
		}
		if out[i], err = distinct(ctx, c.st, q); err != nil {
			return nil, false, err
		}
		b, _ := json.Marshal(out[i]) // null when capped
		fresh[q] = string(b)
	}
	c.keep(ctx, ds, fresh)
	return out, len(fresh) == 0, nil
}

// cachedEnv returns the env built from ds's kept facts, as for ds, or nil.
func (c *Catalog) cachedEnv(ctx context.Context, ds store.Dataset) *env {
	c.mu.Lock()
	e := c.envs[contentKey(ctx, ds)]
	c.mu.Unlock()
	if e == nil || !sameShape(e.ds, ds) {
		return nil
	}
	cp := *e // the parts derived from the record are the same; the record is the caller's
	cp.ds = ds
	return &cp
}

// keepEnv remembers e, built from ds's kept facts, for the next envOf of ds.
func (c *Catalog) keepEnv(ctx context.Context, e *env) {
	c.mu.Lock()
	defer c.mu.Unlock()
	putBounded(c.envs, contentKey(ctx, e.ds), e)
}

// sameShape reports whether two records of one dataset content give the same
// env: the same role columns, and the same column names and types.
func sameShape(a, b store.Dataset) bool {
	sameColumn := func(x, y store.Column) bool { return x.Name == y.Name && x.Type == y.Type }
	return a.Tenant == b.Tenant && a.Rows == b.Rows && maps.Equal(a.Roles, b.Roles) &&
		slices.EqualFunc(a.Columns, b.Columns, sameColumn)
}

// putBounded sets m[key] = v, first emptying m when it holds
// maxCachedDatasets entries: a catalog's memory stays bounded.
func putBounded[V any](m map[string]V, key string, v V) {
	if len(m) >= maxCachedDatasets {
		clear(m)
	}
	m[key] = v
}

// boundsFact is the key of a dataset's column statistics among its facts.
const boundsFact = "column_bounds"

// loadBounds sets r.bounds to the store's column statistics of r's dataset
// (~7 ms at 1M rows), a fact of its content kept under boundsFact.
func (c *Catalog) loadBounds(ctx context.Context, r *render) error {
	ds := r.e.ds
	kept, err := c.kept(ctx, ds)
	if err != nil {
		return err
	}
	if v, ok := kept[boundsFact]; ok && json.Unmarshal([]byte(v), &r.bounds) == nil {
		return nil
	}
	if r.bounds, err = c.st.ColumnBounds(ctx, ds.Name); err != nil {
		return err
	}
	b, _ := json.Marshal(r.bounds)
	c.keep(ctx, ds, map[string]string{boundsFact: string(b)})
	return nil
}

// keptAggregates returns the aggregates that template name, rendered with r
// and unfiltered, reads from every row of r's dataset (read reads them): a
// fact of its content, kept under the query's text.
func (c *Catalog) keptAggregates(ctx context.Context, r *render, name string, read func() (map[string]any, error)) (map[string]any, error) {
	kept, err := c.kept(ctx, r.e.ds)
	if err != nil {
		return nil, err
	}
	key, _, err := renderTemplate(name, &render{e: r.e, bounds: r.bounds})
	if err != nil {
		return nil, err
	}
	if v, ok := kept[key]; ok {
		if agg, err := decodeAggregates(v); err == nil {
			return agg, nil
		}
	}
	agg, err := read()
	if err != nil {
		return nil, err
	}
	if v, err := encodeAggregates(agg); err == nil {
		c.keep(ctx, r.e.ds, map[string]string{key: v})
	}
	return agg, nil
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
// The result is the caller's to change.
func (e *Env) List() ([]Info, error) {
	infos, err := e.e.list()
	if err != nil {
		return nil, err
	}
	out := slices.Clone(infos)
	for i := range out {
		out[i].Schema, out[i].RequiredRoles = slices.Clone(out[i].Schema), slices.Clone(out[i].RequiredRoles)
	}
	return out, nil
}

// infoList is what List answers for one env, built on its first call: it
// depends on nothing but the env, which is immutable.
type infoList struct {
	once  sync.Once
	infos []Info
	err   error
}

// list returns e's tool descriptions, built once per env (the envs a
// catalog hands out for one content share them).
func (e *env) list() ([]Info, error) {
	if e.infos == nil {
		return e.describeTools()
	}
	e.infos.once.Do(func() { e.infos.infos, e.infos.err = e.describeTools() })
	return e.infos.infos, e.infos.err
}

// describeTools describes every tool with its schema and availability on e.
func (e *env) describeTools() ([]Info, error) {
	out := make([]Info, len(registry))
	for i := range registry {
		t := &registry[i]
		s, err := json.Marshal(t.schemaDoc(e))
		if err != nil {
			return nil, fmt.Errorf("tools: %s: schema: %w", t.Name, err)
		}
		out[i] = Info{Spec: t.Spec, Schema: s, Available: true}
		out[i].RequiredRoles = slices.Clone(t.RequiredRoles)
		if err := t.unavailable(e); err != nil {
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
