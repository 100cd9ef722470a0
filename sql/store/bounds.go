package store

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"regexp"
	"strings"
)

// ColumnBounds is what DuckDB's column statistics (kept per table as data is
// written, merged from the zone maps of its segments) say about one column,
// read without scanning its values.
type ColumnBounds struct {
	// Ranged is true when Min and Max are known: the column has a type whose
	// statistics hold its exact smallest and largest value (numbers, dates,
	// timestamps without time zone).
	Ranged bool
	// Min and Max are the column's smallest and largest value as DuckDB casts
	// them to text; both are nil when every cell is NULL.
	Min, Max *string
	// Nulls is false only when the statistics say the column holds no NULL.
	Nulls bool
}

// boundedType matches the types whose statistics' minimum and maximum are printed
// as the value cast to VARCHAR prints (a time zone type prints in UTC instead).
var boundedType = regexp.MustCompile(`^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|DATE|TIMESTAMP)$`)

// ColumnBounds reads the column statistics of dataset name's table. They are
// exact for a table that is only ever written whole, as a dataset's table is (a
// load replaces it, user SQL only reads), so the smallest and largest value of
// a numeric or date column and whether it holds NULLs come from them in about a
// millisecond at any size, where reading them from the values scans the table.
// They are the statistics DuckDB's optimizer works with, which its stats()
// function prints (the same text as each segment's in pragma_storage_info).
func (s *Store) ColumnBounds(ctx context.Context, name string) (map[string]ColumnBounds, error) {
	ds, err := s.Dataset(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("column bounds: %w", err)
	}
	out := make(map[string]ColumnBounds, len(ds.Columns))
	for _, c := range ds.Columns {
		out[c.Name] = ColumnBounds{Nulls: true} // unless the statistics say otherwise
	}
	if len(ds.Columns) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, boundsQuery(ds.Columns, s.TableRef(ctx, name)))
	if err != nil {
		return nil, fmt.Errorf("column bounds of %q: %w", name, err)
	}
	defer rows.Close()
	if err := scanBounds(rows, ds.Columns, out); err != nil {
		return nil, fmt.Errorf("column bounds of %q: %w", name, err)
	}
	return out, nil
}

// scanBounds reads boundsQuery's rows (none for an empty table) into out: per
// column (by its position in cols) whether its statistics say it holds NULLs,
// whether it holds values, and the minimum and maximum they give, cast to the
// column's type.
func scanBounds(rows *dbsql.Rows, cols []Column, out map[string]ColumnBounds) error {
	for rows.Next() {
		var i int
		var nulls, filled bool
		var lo, hi *string
		if err := rows.Scan(&i, &nulls, &filled, &lo, &hi); err != nil {
			return err
		}
		if i < 1 || i > len(cols) {
			return fmt.Errorf("statistics of column %d of %d", i, len(cols))
		}
		c := cols[i-1]
		b := ColumnBounds{Nulls: nulls}
		// A bounded column without values is all NULL: its range is known and empty;
		// one with values has a range only when both bounds read back as its type.
		if boundedType.MatchString(strings.ToUpper(c.Type)) && (!filled || lo != nil && hi != nil) {
			b.Ranged = true
			if filled {
				b.Min, b.Max = lo, hi
			}
		}
		out[c.Name] = b
	}
	return rows.Err()
}

// boundsQuery reads every column's statistics text with stats() over one row of
// table (no row when it is empty) and returns one row per column: its position
// (from 1), whether it may hold NULLs (unless the text says it holds none),
// whether it holds values (unless the text says it holds none), and for a
// bounded type the minimum and maximum cast to that type (NULL where they do
// not read back as it). The texts are unpivoted so that one regular expression
// (compiled once per query) reads them all.
func boundsQuery(cols []Column, table string) string {
	stats := make([]string, len(cols))
	var lo, hi strings.Builder
	for i, c := range cols {
		stats[i] = "stats(" + quoteIdent(c.Name) + ")"
		if t := strings.ToUpper(c.Type); boundedType.MatchString(t) {
			fmt.Fprintf(&lo, " WHEN %d THEN TRY_CAST(mm.lo AS %s)::VARCHAR", i+1, t)
			fmt.Fprintf(&hi, " WHEN %d THEN TRY_CAST(mm.hi AS %s)::VARCHAR", i+1, t)
		}
	}
	caseOf := func(b *strings.Builder) string {
		if b.Len() == 0 {
			return "NULL::VARCHAR"
		}
		return "CASE i" + b.String() + " END"
	}
	return `WITH st AS MATERIALIZED (SELECT [` + strings.Join(stats, ", ") + `] AS l FROM ` + table + ` LIMIT 1),
	col AS (SELECT unnest(l) AS s, generate_subscripts(l, 1) AS i FROM st),
	mm AS (SELECT i, s, regexp_extract(s, '^\[Min: (.*), Max: (.*)\]\[Has Null', ['lo', 'hi']) AS mm FROM col)
	SELECT i, coalesce(NOT s LIKE '%Has Null: false%', true), coalesce(NOT s LIKE '%Has No Null: false%', true), ` +
		caseOf(&lo) + `, ` + caseOf(&hi) + ` FROM mm`
}
