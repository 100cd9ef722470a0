package store

import (
	"bytes"
	"context"
	dbsql "database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
)

// DefaultChunkRows is StreamRows' chunk size when chunkRows is 0.
const DefaultChunkRows = 1000

// GetPage returns up to limit rows from offset, as values or as CSV (with a
// header line). limit 0 means 100; a limit over Options.MaxPageSize is ErrLimit.
func (s *Store) GetPage(ctx context.Context, handle string, offset int64, limit int, asCSV bool) (Page, error) {
	limit, err := s.pageSize(limit)
	if err != nil {
		return Page{}, fmt.Errorf("page of %s: %w", handle, err)
	}
	if offset < 0 {
		return Page{}, fmt.Errorf("page of %s: %w: negative offset %d", handle, ErrInvalid, offset)
	}
	meta, inline, err := s.resultMeta(ctx, handle)
	if err != nil {
		return Page{}, fmt.Errorf("page: %w", err)
	}
	if inline != nil {
		return s.makePage(meta, offset, window(inline, offset, limit), asCSV)
	}
	tctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rows, err := s.readRows(tctx, handle, meta.Columns, offset, limit)
	if err != nil {
		return Page{}, fmt.Errorf("page of %s: %w", handle, classify(tctx, ctx, err))
	}
	return s.makePage(meta, offset, rows, asCSV)
}

func (s *Store) pageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultPageSize, nil
	case limit < 0:
		return 0, fmt.Errorf("%w: negative page size %d", ErrInvalid, limit)
	case limit > s.opts.MaxPageSize:
		return 0, fmt.Errorf("%w: page size %d is over the maximum %d; ask for smaller pages or stream the result",
			ErrLimit, limit, s.opts.MaxPageSize)
	}
	return limit, nil
}

func (s *Store) makePage(meta Summary, offset int64, rows [][]any, asCSV bool) (Page, error) {
	next := offset + int64(len(rows))
	p := Page{Handle: meta.Handle, Offset: offset, Columns: meta.Columns, TotalRows: meta.Rows,
		NextOffset: next, Done: next >= meta.Rows}
	if p.Done {
		p.NextOffset = max(meta.Rows, offset)
	}
	if !asCSV {
		p.Rows = rows
		return p, nil
	}
	text, err := toCSV(meta.Columns, rows)
	p.CSV = text
	return p, err
}

// resultMeta reads a handle's row count and columns (not its head or stats)
// and, for an inline result, its rows (nil for a result table).
func (s *Store) resultMeta(ctx context.Context, handle string) (Summary, [][]any, error) {
	if err := checkHandle(handle); err != nil {
		return Summary{}, nil, err
	}
	if p, ok := s.pendingResult(ctx, handle); ok {
		return Summary{Handle: handle, Rows: p.sum.Rows, Columns: p.sum.Columns}, p.rows, nil
	}
	key := resultKey{tenant: TenantOf(ctx), handle: handle}
	m, ok, gen := s.results.getMeta(key)
	if !ok {
		var cols string
		var data dbsql.NullString
		err := s.db.QueryRowContext(ctx, `SELECT row_count, columns, inline_rows FROM mrswarm.results
			WHERE handle = ? AND tenant = ?`, handle, key.tenant).Scan(&m.rows, &cols, &data)
		if err != nil {
			return Summary{}, nil, s.missing(ctx, handle)
		}
		if err := json.Unmarshal([]byte(cols), &m.columns); err != nil {
			return Summary{}, nil, fmt.Errorf("result %q: columns: %w", handle, err)
		}
		m.inline, m.valid = data.String, data.Valid
		if len(m.inline) <= maxKeptInline {
			s.results.put(key, nil, &m, gen)
		}
	}
	s.touch(ctx, handle)
	sum := Summary{Handle: handle, Rows: m.rows, Columns: m.columns}
	if !m.valid {
		return sum, nil, nil
	}
	rows, _, err := decodeInline(m.inline, sum.Columns)
	return sum, rows, err
}

// readRows reads rows [offset, offset+limit) of a result table in insertion
// order; results are never modified, so their rowids are 0..n-1.
func (s *Store) readRows(ctx context.Context, h string, cols []Column, offset int64, limit int) ([][]any, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT * FROM "+s.ResultTable(h)+
		" WHERE rowid >= ? AND rowid < ? ORDER BY rowid", offset, offset+int64(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := [][]any{}
	for rows.Next() {
		r, err := scanRow(rows, cols)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// scanRow scans one row of cols, each value as its JSON form (jsonValue).
func scanRow(sc scanner, cols []Column) ([]any, error) {
	vals, err := scanValues(sc, len(cols))
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		vals[i] = jsonValue(vals[i], c.Type)
	}
	return vals, nil
}

// scanValues scans one row of n columns as the driver's values.
func scanValues(sc scanner, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := sc.Scan(ptrs...); err != nil {
		return nil, err
	}
	return vals, nil
}

// toCSV renders rows as CSV with a header line.
func toCSV(cols []Column, rows [][]any) (string, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.Name
	}
	w.Write(rec)
	for _, r := range rows {
		for i, v := range r {
			rec[i] = cellText(v)
		}
		w.Write(rec)
	}
	w.Flush()
	return buf.String(), w.Error()
}

// StreamRows calls fn with consecutive pages of chunkRows rows (0 means
// DefaultChunkRows) until the result ends, fn fails or ctx ends. It reads the
// table in one pass; an empty result yields one empty, done page.
func (s *Store) StreamRows(ctx context.Context, handle string, chunkRows int, asCSV bool, fn func(Page) error) error {
	if chunkRows == 0 {
		chunkRows = DefaultChunkRows
	}
	if _, err := s.pageSize(chunkRows); err != nil {
		return fmt.Errorf("stream %s: %w", handle, err)
	}
	meta, inline, err := s.resultMeta(ctx, handle)
	if err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	if inline != nil {
		return s.streamInline(ctx, meta, inline, chunkRows, asCSV, fn)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT * FROM "+s.ResultTable(handle)+" ORDER BY rowid")
	if err != nil {
		return fmt.Errorf("stream %s: %w", handle, classify(ctx, ctx, err))
	}
	defer rows.Close()
	var offset int64
	chunk := make([][]any, 0, chunkRows)
	for rows.Next() {
		if err := ctx.Err(); err != nil { // database/sql may end a canceled scan without an error
			return fmt.Errorf("stream %s: %w", handle, err)
		}
		r, err := scanRow(rows, meta.Columns)
		if err != nil {
			return fmt.Errorf("stream %s: %w", handle, err)
		}
		if chunk = append(chunk, r); len(chunk) < chunkRows {
			continue
		}
		if err := s.emit(meta, offset, chunk, asCSV, fn); err != nil {
			return err
		}
		offset += int64(len(chunk))
		chunk = make([][]any, 0, chunkRows)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("stream %s: %w", handle, classify(ctx, ctx, err))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stream %s: %w", handle, err)
	}
	if len(chunk) > 0 || offset == 0 {
		return s.emit(meta, offset, chunk, asCSV, fn)
	}
	return nil
}

func (s *Store) emit(meta Summary, offset int64, chunk [][]any, asCSV bool, fn func(Page) error) error {
	p, err := s.makePage(meta, offset, chunk, asCSV)
	if err != nil {
		return err
	}
	return fn(p)
}

// streamInline is StreamRows over an inline result's rows.
func (s *Store) streamInline(ctx context.Context, meta Summary, rows [][]any, chunkRows int, asCSV bool, fn func(Page) error) error {
	for offset := 0; offset < len(rows) || offset == 0; offset += chunkRows {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stream %s: %w", meta.Handle, err)
		}
		if err := s.emit(meta, int64(offset), window(rows, int64(offset), chunkRows), asCSV, fn); err != nil {
			return err
		}
	}
	return nil
}
