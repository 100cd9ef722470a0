package store

import (
	"context"
	dbsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SaveQuery runs trusted SQL with bound args under the statement timeout and
// stores its result as a handle. source says what produced it (e.g. "tool:kpi").
func (s *Store) SaveQuery(ctx context.Context, source, dataset, query string, args ...any) (Summary, error) {
	tctx, cancel := s.withTimeout(ctx)
	defer cancel()
	op := "save query (" + source + ")"
	return s.saveResult(ctx, op, source, dataset, func(tx *dbsql.Tx, table string) error {
		err := s.watchMemory(tctx, func(ctx context.Context) error {
			_, err := tx.ExecContext(ctx, "CREATE TABLE "+table+" AS\n"+trimQuery(query)+"\n", args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", op, classify(tctx, ctx, err))
		}
		return nil
	})
}

// SaveRows stores rows built in Go (reports, findings, tools' results) as a
// handle. A column without a type is VARCHAR; each row has one value per
// column. Small text results, and small typed ones whose values are the Go
// values DuckDB scans, are kept inline (see inline.go, inline_values.go),
// others as a table.
func (s *Store) SaveRows(ctx context.Context, source, dataset string, cols []Column, rows [][]any) (Summary, error) {
	op := "save rows (" + source + ")"
	if len(cols) == 0 {
		return Summary{}, fmt.Errorf("%s: %w: no columns", op, ErrInvalid)
	}
	if data, ok := inlineJSON(cols, rows); ok {
		return s.saveInline(ctx, op, source, dataset, s.inlineSummary(newHandle(), cols, rows), data)
	}
	if sum, data, ok := s.valuesInline(cols, rows); ok {
		sum.Handle = newHandle()
		return s.saveInline(ctx, op, source, dataset, sum, data)
	}
	return s.saveTable(ctx, op, source, dataset, cols, rows)
}

// saveTable stores rows as a result table.
func (s *Store) saveTable(ctx context.Context, op, source, dataset string, cols []Column, rows [][]any) (Summary, error) {
	return s.saveResult(ctx, op, source, dataset, func(tx *dbsql.Tx, table string) error {
		if err := insertRows(ctx, tx, table, cols, rows); err != nil {
			return fmt.Errorf("%s: %w", op, classify(ctx, ctx, err))
		}
		return nil
	})
}

// insertBatch is the most rows one INSERT statement of insertRows carries.
const insertBatch = 256

// insertRows creates table with cols and inserts rows, up to insertBatch rows
// per statement (DuckDB casts each VALUES parameter to its column's type).
func insertRows(ctx context.Context, tx *dbsql.Tx, table string, cols []Column, rows [][]any) error {
	defs := make([]string, len(cols))
	for i, c := range cols {
		typ := c.Type
		if typ == "" {
			typ = "VARCHAR"
		}
		defs[i] = quoteIdent(c.Name) + " " + typ
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE "+table+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return err
	}
	for i, r := range rows {
		if len(r) != len(cols) {
			return fmt.Errorf("%w: row %d has %d values for %d columns", ErrInvalid, i, len(r), len(cols))
		}
	}
	mark := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	for start := 0; start < len(rows); start += insertBatch {
		batch := rows[start:min(start+insertBatch, len(rows))]
		args := make([]any, 0, len(batch)*len(cols))
		for _, r := range batch {
			args = append(args, r...)
		}
		marks := strings.Repeat(mark+", ", len(batch)-1) + mark
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+table+" VALUES "+marks, args...); err != nil {
			return fmt.Errorf("rows %d to %d: %w", start, start+len(batch)-1, err)
		}
	}
	return nil
}

// saveResult creates a result table with create, summarises it and records it
// in one transaction: one commit, and a table never outlives a failed save nor
// exists without its metadata. Errors of create are returned as they are.
func (s *Store) saveResult(ctx context.Context, op, source, dataset string, create func(tx *dbsql.Tx, table string) error) (Summary, error) {
	h := newHandle()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Summary{}, fmt.Errorf("%s: %w", op, classify(ctx, ctx, err))
	}
	defer tx.Rollback() // a no-op after Commit
	if err := create(tx, s.ResultTable(h)); err != nil {
		return Summary{}, err
	}
	sum, row, err := s.recordResult(ctx, tx, h, source, dataset)
	gen := s.results.generation() // read before the row is visible: see keepStored
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return Summary{}, fmt.Errorf("store result: %w", err)
	}
	s.results.keepStored(row, gen)
	s.retain(ctx, h)
	return sum, nil
}

// finishResult summarises and records a result table created (and committed)
// by the caller; on failure the table is dropped.
func (s *Store) finishResult(ctx context.Context, h, source, dataset string) (Summary, error) {
	var sum Summary
	var row storedRow
	gen := s.results.generation()
	err := s.inTx(ctx, func(tx *dbsql.Tx) error {
		var err error
		sum, row, err = s.recordResult(ctx, tx, h, source, dataset)
		return err
	})
	if err != nil {
		s.db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+s.ResultTable(h))
		return Summary{}, fmt.Errorf("store result: %w", err)
	}
	s.results.keepStored(row, gen)
	s.retain(ctx, h)
	return sum, nil
}

// recordResult summarises result table h under the statement timeout and
// inserts its metadata row in tx. A small result whose types have an exact
// inline form is moved into that row and its table dropped (see inline_typed.go).
func (s *Store) recordResult(ctx context.Context, tx *dbsql.Tx, h, source, dataset string) (Summary, storedRow, error) {
	tctx, cancel := s.withTimeout(ctx)
	defer cancel()
	sum, err := s.summarize(tctx, tx, h)
	if err != nil {
		return Summary{}, storedRow{}, fmt.Errorf("summarize: %w", classify(tctx, ctx, err))
	}
	data, inline, err := s.inlineTable(tctx, tx, sum)
	if err != nil {
		return Summary{}, storedRow{}, fmt.Errorf("read result: %w", classify(tctx, ctx, err))
	}
	inlineRows := dbsql.NullString{String: data, Valid: inline}
	if inline {
		if _, err := tx.ExecContext(ctx, "DROP TABLE "+s.ResultTable(h)); err != nil {
			return Summary{}, storedRow{}, err
		}
	}
	sum.Source, sum.Dataset, sum.CreatedAt = source, dataset, time.Now().UTC().Truncate(time.Microsecond)
	sum.Text = renderText(sum)
	cols, _ := json.Marshal(sum.Columns)
	head, err := json.Marshal(sum.Head)
	if err != nil {
		return Summary{}, storedRow{}, err
	}
	row := storedRow{key: resultKey{tenant: TenantOf(ctx), handle: h}, sum: sum, cols: string(cols), head: string(head),
		stats: encodeStats(sum.Stats), inline: inlineRows}
	_, err = tx.ExecContext(ctx, `INSERT INTO mrswarm.results
		(tenant, handle, source, dataset, row_count, columns, head, stats, text, created_at, bytes, last_used, inline_rows)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row.key.tenant, sum.Handle, sum.Source, sum.Dataset, sum.Rows,
		row.cols, row.head, row.stats, sum.Text, sum.CreatedAt, sum.Bytes, sum.CreatedAt, inlineRows)
	if err != nil {
		return Summary{}, storedRow{}, err
	}
	s.touches.stored(h, sum.CreatedAt)
	return sum, row, nil
}

const resultCols = `handle, source, dataset, row_count, columns, head, stats, text, created_at, bytes, coalesce(pinned, false)`

// Result returns the summary of a handle.
func (s *Store) Result(ctx context.Context, handle string) (Summary, error) {
	if err := checkHandle(handle); err != nil {
		return Summary{}, err
	}
	if p, ok := s.pendingResult(ctx, handle); ok {
		return p.sum, nil
	}
	key := resultKey{tenant: TenantOf(ctx), handle: handle}
	sum, ok, gen := s.results.get(key)
	if !ok {
		row := s.db.QueryRowContext(ctx, `SELECT `+resultCols+` FROM mrswarm.results WHERE handle = ? AND tenant = ?`, handle, key.tenant)
		var err error
		sum, err = scanSummary(row)
		if errors.Is(err, dbsql.ErrNoRows) {
			return Summary{}, s.missing(ctx, handle)
		}
		if err != nil {
			return Summary{}, fmt.Errorf("result %q: %w", handle, err)
		}
		s.results.put(key, &sum, nil, gen)
	}
	s.touch(ctx, handle)
	return sum, nil
}

// Results lists stored results, newest first.
func (s *Store) Results(ctx context.Context) ([]Summary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+resultCols+` FROM mrswarm.results WHERE tenant = ? ORDER BY created_at DESC, handle`, TenantOf(ctx))
	if err != nil {
		return nil, fmt.Errorf("list results: %w", err)
	}
	defer rows.Close()
	out := s.pendingList(ctx) // saved moments ago, not yet written
	for rows.Next() {
		sum, err := scanSummary(rows)
		if err != nil && sum.Handle == "" {
			return nil, fmt.Errorf("list results: %w", err)
		}
		if err != nil { // one unreadable summary does not fail the listing
			sum = Summary{Handle: sum.Handle, Source: sum.Source, Dataset: sum.Dataset, Rows: sum.Rows,
				CreatedAt: sum.CreatedAt, Text: clipN("summary unreadable: "+err.Error(), maxTextBytes)}
		}
		out = append(out, sum)
	}
	return out, rows.Err()
}

func scanSummary(sc scanner) (Summary, error) {
	var sum Summary
	var cols, head, stats string
	if err := sc.Scan(&sum.Handle, &sum.Source, &sum.Dataset, &sum.Rows, &cols, &head, &stats,
		&sum.Text, &sum.CreatedAt, &sum.Bytes, &sum.Pinned); err != nil {
		return sum, err
	}
	return decodeSummary(sum, cols, head, stats)
}

// decodeSummary completes sum, whose other fields are set, from its stored
// columns, head and stats: what reading its row back gives.
func decodeSummary(sum Summary, cols, head, stats string) (Summary, error) {
	sum.CreatedAt = sum.CreatedAt.UTC()
	if err := json.Unmarshal([]byte(cols), &sum.Columns); err != nil {
		return sum, err
	}
	st, err := decodeStats(stats)
	if err != nil {
		return sum, err
	}
	sum.Stats = st
	d := json.NewDecoder(strings.NewReader(head))
	d.UseNumber()
	if err := d.Decode(&sum.Head); err != nil {
		return sum, err
	}
	for _, r := range sum.Head {
		for i := range r {
			if i < len(sum.Columns) {
				r[i] = fromJSON(r[i], sum.Columns[i].Type)
			}
		}
	}
	return sum, nil
}

// DeleteResult removes a handle and its table.
func (s *Store) DeleteResult(ctx context.Context, handle string) error {
	s.deferredMu.Lock()
	defer s.deferredMu.Unlock()
	if _, err := s.Result(ctx, handle); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	s.dropPending(ctx, handle)
	defer s.results.forget(handle) // once the transaction has ended
	return s.inTx(ctx, func(tx *dbsql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+s.ResultTable(handle)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM mrswarm.results WHERE handle = ?`, handle)
		return err
	})
}

// Query runs trusted read-only SQL under the statement timeout. The deadline
// stays on the returned rows: read them promptly.
func (s *Store) Query(ctx context.Context, query string, args ...any) (*dbsql.Rows, error) {
	tctx, cancel := s.withTimeout(ctx)
	rows, err := s.db.QueryContext(tctx, query, args...)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("query: %w", classify(tctx, ctx, err))
	}
	time.AfterFunc(s.opts.StatementTimeout, cancel)
	return rows, nil
}

// QueryValues runs trusted read-only SQL with a small result (a tool's
// aggregates) as [Store.SaveQuery] runs its query — under the statement
// timeout and the memory watchdog — and returns its column names and its
// rows as the driver scans them, for the caller to shape and save with
// [Store.SaveRows].
func (s *Store) QueryValues(ctx context.Context, query string, args ...any) (cols []string, out [][]any, err error) {
	tctx, cancel := s.withTimeout(ctx)
	defer cancel()
	err = s.watchMemory(tctx, func(ctx context.Context) error {
		rows, err := s.db.QueryContext(ctx, trimQuery(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if cols, err = rows.Columns(); err != nil {
			return err
		}
		for rows.Next() {
			vals, err := scanValues(rows, len(cols))
			if err != nil {
				return err
			}
			out = append(out, vals)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("query: %w", classify(tctx, ctx, err))
	}
	return cols, out, nil
}
