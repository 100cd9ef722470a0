package store

import (
	"context"
	dbsql "database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Pending is an inline result saved by [Store.SaveRowsDeferred] and not yet
// written: the store serves it at once (summary, pages, streams, user SQL,
// deletion) and the [RunBatch] that carries it writes it, in the same
// transaction as the run records that cite it, so a run's step and its
// result are stored together or not at all.
type Pending struct {
	sum    Summary
	tenant string
	rows   [][]any
	data   string // rows as JSON
}

// SaveRowsDeferred is [Store.SaveRows] for a result whose write may wait for
// the caller's next RunBatch: a small text result is kept in memory and
// returned as a Pending to put in that batch; any other is saved at once
// (nil Pending).
func (s *Store) SaveRowsDeferred(ctx context.Context, source, dataset string, cols []Column, rows [][]any) (Summary, *Pending, error) {
	data, ok := inlineJSON(cols, rows)
	if !ok || len(cols) == 0 {
		sum, err := s.SaveRows(ctx, source, dataset, cols, rows)
		return sum, nil, err
	}
	sum := s.inlineSummary(newHandle(), cols, rows)
	sum.Source, sum.Dataset, sum.CreatedAt = source, dataset, time.Now().UTC().Truncate(time.Microsecond)
	sum.Text = renderText(sum)
	p := &Pending{sum: sum, tenant: TenantOf(ctx), rows: rows, data: string(data)}
	s.pendingMu.Lock()
	s.pending[sum.Handle] = p
	s.pendingMu.Unlock()
	s.touches.stored(sum.Handle, sum.CreatedAt) // its row's last_used, once written
	return sum, p, nil
}

// pendingResult returns the pending result h of ctx's tenant, if any.
func (s *Store) pendingResult(ctx context.Context, h string) (*Pending, bool) {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	p, ok := s.pending[h]
	return p, ok && p.tenant == TenantOf(ctx)
}

// pendingList returns ctx's tenant's pending results, newest first.
func (s *Store) pendingList(ctx context.Context) []Summary {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	var out []Summary
	for _, p := range s.pending {
		if p.tenant == TenantOf(ctx) {
			out = append(out, p.sum)
		}
	}
	slices.SortFunc(out, func(a, b Summary) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out
}

// writePending inserts the batch's results that are still pending (one
// deleted meanwhile is not). With ignoreStored, one already written (by
// materialize or flushPending, beside this write) is skipped; without, it is
// a constraint error, as DuckDB checks a plain INSERT much faster.
func (s *Store) writePending(ctx context.Context, q execer, ps []*Pending, ignoreStored bool) error {
	s.pendingMu.Lock()
	ps = slices.DeleteFunc(slices.Clone(ps), func(p *Pending) bool { return s.pending[p.sum.Handle] != p })
	s.pendingMu.Unlock()
	verb := `INSERT`
	if ignoreStored {
		verb = `INSERT OR IGNORE`
	}
	return insertManyWith(ctx, q, verb+` INTO mrswarm.results
		(tenant, handle, source, dataset, row_count, columns, head, stats, text, created_at, bytes, last_used, inline_rows) VALUES `,
		13, ps, func(p *Pending) []any {
			r, sum := p.row(), p.sum
			return []any{r.key.tenant, sum.Handle, sum.Source, sum.Dataset, sum.Rows, r.cols, r.head, r.stats,
				sum.Text, sum.CreatedAt, sum.Bytes, sum.CreatedAt, r.inline}
		})
}

// row is p's metadata row as writePending inserts it.
func (p *Pending) row() storedRow {
	cols, _ := json.Marshal(p.sum.Columns)
	head, _ := json.Marshal(p.sum.Head) // strings and nils
	return storedRow{key: resultKey{tenant: p.tenant, handle: p.sum.Handle}, sum: p.sum, cols: string(cols), head: string(head),
		stats: "null", inline: dbsql.NullString{String: p.data, Valid: true}}
}

// stored forgets pending results once written, and keeps each as reading
// its row back gives it (see [resultCache.keepStored]; gen was read before
// the write began), so that a step's dependents and the report read the
// findings the run log has just written without asking DuckDB.
func (s *Store) stored(ps []*Pending, gen uint64) {
	s.pendingMu.Lock()
	var written []*Pending
	for _, p := range ps {
		if s.pending[p.sum.Handle] == p {
			delete(s.pending, p.sum.Handle)
			written = append(written, p)
		}
	}
	s.pendingMu.Unlock()
	for _, p := range written {
		s.results.keepStored(p.row(), gen)
	}
}

// flushPending writes pending result h now (user SQL is about to read it as a table).
func (s *Store) flushPending(ctx context.Context, h string) error {
	p, ok := s.pendingResult(ctx, h)
	if !ok {
		return nil
	}
	gen := s.results.generation()
	if err := s.writePending(ctx, s.db, []*Pending{p}, true); err != nil {
		return fmt.Errorf("result %s: %w", h, err)
	}
	s.stored([]*Pending{p}, gen)
	return nil
}

// dropPending forgets pending result h of ctx's tenant (it is deleted).
func (s *Store) dropPending(ctx context.Context, h string) {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	if p, ok := s.pending[h]; ok && p.tenant == TenantOf(ctx) {
		delete(s.pending, h)
	}
}
