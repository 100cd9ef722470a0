package store

import (
	"context"
	dbsql "database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Small text results built in Go (an agent's findings, a report's sections) are
// kept inline: their rows are JSON in their own metadata row of mrswarm.results
// rather than a table of their own. Saving one is one INSERT instead of a
// table's creation, summary queries and commit, and the database does not
// grow by a table per step (DuckDB's memory grows with its tables). Pages,
// streams, summaries, retention and deletion treat both kinds alike; user SQL
// that names results.<handle> gets the table made first ([Store.materialize]).
const (
	maxInlineRows  = 1000
	maxInlineBytes = 256 << 10
)

// inlineJSON returns rows as JSON when SaveRows may keep them inline: every
// column text with a distinct, non-empty name, every value a valid UTF-8
// string without NUL or nil, every row as long as cols, and small. Anything
// else takes the table path, which also reports what is wrong with it.
func inlineJSON(cols []Column, rows [][]any) ([]byte, bool) {
	if len(rows) > maxInlineRows {
		return nil, false
	}
	names := map[string]bool{}
	for _, c := range cols {
		lower := strings.ToLower(c.Name)
		if c.Name == "" || names[lower] || c.Type != "" && !strings.EqualFold(c.Type, "VARCHAR") {
			return nil, false
		}
		names[lower] = true
	}
	for _, r := range rows {
		if len(r) != len(cols) || !inlineValues(r) {
			return nil, false
		}
	}
	b, err := json.Marshal(append([][]any{}, rows...)) // no rows: [], not null
	if err != nil || len(b) > maxInlineBytes {
		return nil, false
	}
	return b, true
}

// inlineValues reports whether every value of r is nil or text DuckDB stores as it is.
func inlineValues(r []any) bool {
	for _, v := range r {
		switch x := v.(type) {
		case nil:
		case string:
			if !utf8.ValidString(x) || strings.ContainsRune(x, 0) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// inlineSummary is the summary [Store.summarize] would read from the table of
// text rows: the columns as VARCHAR, no numeric stats, the bytes of the text
// and the first rows, clipped alike.
func (s *Store) inlineSummary(h string, cols []Column, rows [][]any) Summary {
	sum := Summary{Handle: h, Rows: int64(len(rows))}
	for _, c := range cols {
		sum.Columns = append(sum.Columns, Column{Name: c.Name, Type: "VARCHAR"})
	}
	for _, r := range rows {
		for _, v := range r {
			if t, ok := v.(string); ok {
				sum.Bytes += int64(len(t))
			}
		}
	}
	head := make([][]any, 0, s.opts.HeadRows)
	for _, r := range rows[:min(len(rows), s.opts.HeadRows)] {
		head = append(head, append([]any(nil), r...))
	}
	sum.Head = clipHead(head)
	return sum
}

// saveInline stores rows inline with one INSERT: sum is their summary, data
// their stored JSON.
func (s *Store) saveInline(ctx context.Context, op, source, dataset string, sum Summary, data []byte) (Summary, error) {
	sum.Source, sum.Dataset, sum.CreatedAt = source, dataset, time.Now().UTC().Truncate(time.Microsecond)
	sum.Text = renderText(sum)
	colsJSON, _ := json.Marshal(sum.Columns)
	head, err := json.Marshal(sum.Head) // JSON values: strings, numbers, booleans and nils
	if err != nil {
		return Summary{}, fmt.Errorf("%s: store result: %w", op, err)
	}
	stats := "null"
	if sum.Stats != nil {
		stats = encodeStats(sum.Stats)
	}
	row := storedRow{key: resultKey{tenant: TenantOf(ctx), handle: sum.Handle}, sum: sum, cols: string(colsJSON),
		head: string(head), stats: stats, inline: dbsql.NullString{String: string(data), Valid: true}}
	gen := s.results.generation() // read before the row is visible: see keepStored
	_, err = s.db.ExecContext(ctx, `INSERT INTO mrswarm.results
		(tenant, handle, source, dataset, row_count, columns, head, stats, text, created_at, bytes, last_used, inline_rows)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row.key.tenant, sum.Handle, sum.Source, sum.Dataset, sum.Rows,
		row.cols, row.head, stats, sum.Text, sum.CreatedAt, sum.Bytes, sum.CreatedAt, row.inline.String)
	if err != nil {
		return Summary{}, fmt.Errorf("%s: store result: %w", op, classify(ctx, ctx, err))
	}
	s.results.keepStored(row, gen)
	s.touches.stored(sum.Handle, sum.CreatedAt)
	s.retain(ctx, sum.Handle)
	return sum, nil
}

// decodeInline decodes stored inline rows of cols: as the values a page of
// the result table would hold, and as the values to bind when making it one.
func decodeInline(data string, cols []Column) (page, bind [][]any, err error) {
	d := json.NewDecoder(strings.NewReader(data))
	d.UseNumber()
	var stored [][]any
	if err := d.Decode(&stored); err != nil {
		return nil, nil, fmt.Errorf("inline rows: %w", err)
	}
	page, bind = make([][]any, len(stored)), make([][]any, len(stored))
	for i, r := range stored {
		if len(r) != len(cols) {
			return nil, nil, fmt.Errorf("inline rows: row %d has %d values for %d columns", i, len(r), len(cols))
		}
		page[i], bind[i] = make([]any, len(r)), make([]any, len(r))
		for j, v := range r {
			k := kindOf(cols[j].Type)
			scanned, err := scanValue(v, k, cols[j].Type)
			if err != nil {
				return nil, nil, fmt.Errorf("inline rows: row %d, column %s: %w", i, cols[j].Name, err)
			}
			page[i][j], bind[i][j] = jsonValue(scanned, cols[j].Type), v
			if v != nil && k != kindText && k != kindBool {
				bind[i][j] = fmt.Sprint(v) // the exact text, which DuckDB casts to the column's type
			}
		}
	}
	return page, bind, nil
}

// window returns rows [offset, offset+limit) of rows.
func window(rows [][]any, offset int64, limit int) [][]any {
	start := min(max(offset, 0), int64(len(rows)))
	end := min(start+int64(limit), int64(len(rows)))
	return append([][]any{}, rows[start:end]...)
}

// handleInText finds result handles in SQL text.
var handleInText = regexp.MustCompile(`res_[0-9a-f]{8}`)

// materializeRefs gives every inline result that query names a table of its
// own, so that SQL can read it as results.<handle>.
func (s *Store) materializeRefs(ctx context.Context, query string) error {
	for _, h := range handleInText.FindAllString(query, -1) {
		if err := s.materialize(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// materialize moves an inline result of the caller's tenant into a table of
// its own; a result that has a table already, or none at all, is left as it is.
func (s *Store) materialize(ctx context.Context, h string) error {
	s.materializeMu.Lock()
	defer s.materializeMu.Unlock()
	if err := s.flushPending(ctx, h); err != nil {
		return err
	}
	var data dbsql.NullString
	var cols string
	err := s.db.QueryRowContext(ctx, `SELECT inline_rows, columns FROM mrswarm.results WHERE handle = ? AND tenant = ?`,
		h, TenantOf(ctx)).Scan(&data, &cols)
	if err != nil || !data.Valid {
		return nil // no such result, or a table already: the query reports what it finds
	}
	var columns []Column
	if err := json.Unmarshal([]byte(cols), &columns); err != nil {
		return fmt.Errorf("result %s: columns: %w", h, err)
	}
	_, rows, err := decodeInline(data.String, columns)
	if err != nil {
		return fmt.Errorf("result %s: %w", h, err)
	}
	return s.inTx(ctx, func(tx *dbsql.Tx) error {
		if err := insertRows(ctx, tx, s.ResultTable(h), columns, rows); err != nil {
			return fmt.Errorf("result %s: %w", h, err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE mrswarm.results SET inline_rows = NULL WHERE handle = ?`, h)
		return err
	})
}
