package store

import (
	"context"
	dbsql "database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of a summary.
const (
	maxStatsColumns = 24   // numeric columns with stats
	maxTextBytes    = 1000 // Summary.Text hard cap
	maxCellRunes    = 18   // a head cell in Text
	maxNameRunes    = 32   // a column name in the column list and stats
	maxTextColumns  = 8    // head columns shown in Text
	maxListColumns  = 16   // columns listed in Text
	maxListBytes    = 320  // the column list line in Text
	maxTextStats    = 5    // numeric columns with stats in Text

	maxHeadValueBytes = 200     // a text value in Head, before its truncation marker
	maxHeadBytes      = 8 << 10 // Head as JSON: rows that do not fit are left out
	maxSizedColumns   = 64      // variable-width columns whose bytes are summed exactly
	guessValueBytes   = 16      // bytes counted per value of other variable-width columns
)

// querier runs a query: the database or the transaction that created a result.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*dbsql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *dbsql.Row
}

// summarize reads a result table's columns (DESCRIBE), its row count and
// numeric stats (one SQL pass) and its first rows.
func (s *Store) summarize(ctx context.Context, q querier, h string) (Summary, error) {
	table := s.ResultTable(h)
	cols, err := describeColumns(ctx, q, table)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Handle: h, Columns: cols}
	if err := stats(ctx, q, table, &sum); err != nil {
		return Summary{}, err
	}
	sum.Head, err = head(ctx, q, table, cols, s.opts.HeadRows)
	return sum, err
}

// describeColumns lists a table's columns and DuckDB types in order. DESCRIBE
// names types as information_schema does (DECIMAL(18,3), TIMESTAMP WITH TIME
// ZONE, ENUM(...)) without scanning the whole catalog.
func describeColumns(ctx context.Context, q querier, table string) ([]Column, error) {
	rows, err := q.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+table+")")
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, fmt.Errorf("describe: %w", err)
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// stats fills Rows, Stats and Bytes with one aggregate query over the table.
func stats(ctx context.Context, q querier, table string, sum *Summary) error {
	sized, fixed := sizeTerms(sum.Columns)
	sel := []string{"count(*)", sized}
	var numeric []string
	for _, c := range sum.Columns {
		if isNumeric(c.Type) && len(numeric) < maxStatsColumns {
			numeric = append(numeric, c.Name)
			q := quoteIdent(c.Name)
			sel = append(sel, fmt.Sprintf("min(%[1]s)::DOUBLE, max(%[1]s)::DOUBLE, avg(%[1]s)::DOUBLE, sum(%[1]s)::DOUBLE, count(*) - count(%[1]s)", q))
		}
	}
	vals := make([]dbsql.NullFloat64, 4*len(numeric))
	nulls := make([]int64, len(numeric))
	var varBytes dbsql.NullInt64
	dest := []any{&sum.Rows, &varBytes}
	for i := range numeric {
		dest = append(dest, &vals[4*i], &vals[4*i+1], &vals[4*i+2], &vals[4*i+3], &nulls[i])
	}
	if err := q.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+table).Scan(dest...); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	sum.Bytes = varBytes.Int64 + sum.Rows*fixed
	for i, name := range numeric {
		sum.Stats = append(sum.Stats, ColumnStats{Column: name, Min: vals[4*i].Float64,
			Max: vals[4*i+1].Float64, Mean: vals[4*i+2].Float64, Sum: vals[4*i+3].Float64, Nulls: nulls[i]})
	}
	return nil
}

// sizeTerms splits a row's storage estimate into a SQL sum over the first
// variable-width columns and a fixed number of bytes per row for the others.
func sizeTerms(cols []Column) (sized string, fixed int64) {
	summed, fixed := columnSizes(cols)
	terms := []string{"0"}
	for i, c := range cols {
		if !summed[i] {
			continue
		}
		switch t := strings.ToUpper(c.Type); t {
		case "VARCHAR":
			terms = append(terms, "coalesce(sum(strlen("+quoteIdent(c.Name)+")), 0)")
		case "BLOB":
			terms = append(terms, "coalesce(sum(octet_length("+quoteIdent(c.Name)+")), 0)")
		default:
			terms = append(terms, "coalesce(sum(strlen("+quoteIdent(c.Name)+"::VARCHAR)), 0)")
		}
	}
	return strings.Join(terms, " + "), fixed
}

// columnSizes says which columns the storage estimate sums the values of
// (the first maxSizedColumns variable-width ones) and how many bytes per row
// it counts for the others: 8 per fixed-width column, guessValueBytes per
// further variable-width one.
func columnSizes(cols []Column) (summed []bool, fixed int64) {
	summed = make([]bool, len(cols))
	n := 0
	for i, c := range cols {
		t := strings.ToUpper(c.Type)
		switch {
		case isNumeric(t) || t == "BOOLEAN" || strings.HasPrefix(t, "DATE") || strings.HasPrefix(t, "TIME") || t == "UUID":
			fixed += 8
		case n >= maxSizedColumns:
			fixed += guessValueBytes
		default:
			summed[i] = true
			n++
		}
	}
	return summed, fixed
}

// clipHead bounds the head: each long value is cut with a marker, and rows
// stop once the head would pass maxHeadBytes as JSON.
func clipHead(rows [][]any) [][]any {
	out := [][]any{}
	size := 0
	for _, r := range rows {
		for i, v := range r {
			r[i] = clipValue(v)
		}
		b, _ := json.Marshal(r)
		if size += len(b); size > maxHeadBytes {
			break
		}
		out = append(out, r)
	}
	return out
}

// clipValue cuts a text (or nested value's JSON) longer than maxHeadValueBytes
// and marks how much was left out.
func clipValue(v any) any {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		if len(b) <= maxHeadValueBytes {
			return v
		}
		s = string(b)
	default:
		return v
	}
	if len(s) <= maxHeadValueBytes {
		return s
	}
	cut := strings.ToValidUTF8(s[:maxHeadValueBytes], "")
	return fmt.Sprintf("%s…[truncated, %d bytes in all]", cut, len(s))
}

// head reads the first n rows of a table: the rows readRows reads as [0, n)
// once the table is committed. Rows of a table created in the open
// transaction have provisional rowids (from 2^62 on) until it commits, so the
// head is read in scan order instead, which is insertion (rowid) order: the
// store never turns off DuckDB's preserve_insertion_order and locks its
// configuration. A column named rowid hides the pseudo-column: then the head
// is what readRows reads.
func head(ctx context.Context, q querier, table string, cols []Column, n int) ([][]any, error) {
	query := fmt.Sprintf("SELECT * FROM %s LIMIT %d", table, n)
	for _, c := range cols {
		if strings.EqualFold(c.Name, "rowid") {
			query = fmt.Sprintf("SELECT * FROM %s WHERE rowid >= 0 AND rowid < %d ORDER BY rowid", table, n)
		}
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	defer rows.Close()
	out := [][]any{}
	for rows.Next() {
		r, err := scanRow(rows, cols)
		if err != nil {
			return nil, fmt.Errorf("head: %w", err)
		}
		out = append(out, r)
	}
	return clipHead(out), rows.Err()
}

// renderText writes the summary as compact text for a prompt, never longer
// than maxTextBytes: the shape, the columns, the numeric stats, then as many
// head rows as fit; cells and lists are capped.
func renderText(sum Summary) string {
	var b textBuilder
	what := sum.Source
	if sum.Dataset != "" {
		what += " on " + sum.Dataset
	}
	b.line(fmt.Sprintf("%s (%s): %d rows x %d columns", sum.Handle, what, sum.Rows, len(sum.Columns)))
	b.line("columns: " + columnList(sum.Columns))
	for i, st := range sum.Stats {
		if i == maxTextStats {
			b.line(fmt.Sprintf("(stats of %d more numeric columns omitted)", len(sum.Stats)-i))
			break
		}
		b.line(fmt.Sprintf("%s: min %s max %s mean %s sum %s nulls %d", clipN(st.Column, maxNameRunes),
			num(st.Min), num(st.Max), num(st.Mean), num(st.Sum), st.Nulls))
	}
	if len(sum.Head) > 0 {
		b.line(fmt.Sprintf("first %d rows:", len(sum.Head)))
		b.line(headRow(headerCells(sum.Columns)))
		for _, r := range sum.Head {
			b.line(headRow(r))
		}
	}
	return b.String()
}

// textBuilder keeps whole lines while they fit in maxTextBytes and marks the cut.
type textBuilder struct {
	strings.Builder
	full bool
}

func (b *textBuilder) line(s string) {
	const more = "…"
	if b.full {
		return
	}
	if b.Len()+len(s)+1 > maxTextBytes-len(more) {
		b.full = true
		b.WriteString(more)
		return
	}
	b.WriteString(s)
	b.WriteByte('\n')
}

func columnList(cols []Column) string {
	parts := make([]string, 0, maxListColumns+1)
	for i, c := range cols {
		if i == maxListColumns {
			parts = append(parts, fmt.Sprintf("+%d more", len(cols)-i))
			break
		}
		parts = append(parts, clipN(c.Name, maxNameRunes)+" "+clip(c.Type))
	}
	out := strings.Join(parts, ", ")
	if len(out) > maxListBytes {
		out = strings.ToValidUTF8(out[:maxListBytes-len("…")], "") + "…"
	}
	return out
}

func headerCells(cols []Column) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

func headRow(r []any) string {
	parts := make([]string, 0, maxTextColumns+1)
	for i, v := range r {
		if i == maxTextColumns {
			parts = append(parts, fmt.Sprintf("+%d", len(r)-i))
			break
		}
		if f, ok := v.(float64); ok {
			parts = append(parts, num(f))
			continue
		}
		parts = append(parts, clip(cellText(v)))
	}
	return strings.Join(parts, " | ")
}

// clip shortens s to maxCellRunes runes on one line.
func clip(s string) string { return clipN(s, maxCellRunes) }

// clipN shortens s to n runes on one line.
func clipN(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// num formats a number compactly: at most 2 decimals, no exponent below 1e15.
func num(f float64) string {
	if f >= 1e15 || f <= -1e15 {
		return strconv.FormatFloat(f, 'g', 6, 64)
	}
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
