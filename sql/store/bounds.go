package store

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"regexp"
	"strings"
)

// ColumnBounds is what DuckDB's storage statistics (the zone maps kept per
// segment of a table) say about one column, read without scanning its values.
type ColumnBounds struct {
	// Ranged is true when Min and Max are known: the column has a type whose
	// statistics hold its exact smallest and largest value (numbers, dates,
	// timestamps without time zone).
	Ranged bool
	// Min and Max are the column's smallest and largest value as DuckDB casts
	// them to text; both are nil when every cell is NULL.
	Min, Max *string
	// Nulls is false only when no segment of the column holds a NULL.
	Nulls bool
}

// boundedType matches the types whose zone-map minimum and maximum are printed
// as the value cast to VARCHAR prints (a time zone type prints in UTC instead).
var boundedType = regexp.MustCompile(`^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|DATE|TIMESTAMP)$`)

// ColumnBounds reads the storage statistics of dataset name's columns. They are
// exact for a table that is only ever written whole, as a dataset's table is (a
// load replaces it, user SQL only reads), so the smallest and largest value of
// a numeric or date column and whether it holds NULLs come from them in a few
// milliseconds at any size, where reading them from the values scans the table.
func (s *Store) ColumnBounds(ctx context.Context, name string) (map[string]ColumnBounds, error) {
	ds, err := s.Dataset(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("column bounds: %w", err)
	}
	q, args := boundsQuery(ds.Columns)
	rows, err := s.db.QueryContext(ctx, q, append([]any{s.TableRef(ctx, name)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("column bounds of %q: %w", name, err)
	}
	defer rows.Close()
	out, ranged, err := scanBounds(rows)
	if err != nil {
		return nil, fmt.Errorf("column bounds of %q: %w", name, err)
	}
	for _, c := range ds.Columns {
		b, seen := out[c.Name]
		if !seen {
			b.Nulls = true
		}
		// A bounded column with no segment holding values is all NULL: its range is known and empty.
		ok, filled := ranged[c.Name]
		b.Ranged = seen && boundedType.MatchString(strings.ToUpper(c.Type)) && (ok || !filled)
		if !b.Ranged {
			b.Min, b.Max = nil, nil
		}
		out[c.Name] = b
	}
	return out, nil
}

// scanBounds reads boundsQuery's rows: per column whether it may hold NULLs
// and its bounds, and, for the columns with segments holding values, whether
// all of their bounds were readable.
func scanBounds(rows *dbsql.Rows) (map[string]ColumnBounds, map[string]bool, error) {
	out, ranged := map[string]ColumnBounds{}, map[string]bool{}
	for rows.Next() {
		var col string
		var segs, bad *int64
		var nulls *bool
		var lo, hi *string
		if err := rows.Scan(&col, &segs, &nulls, &lo, &hi, &bad); err != nil {
			return nil, nil, err
		}
		b := out[col]
		if segs != nil { // the row over all of the column's segments
			b.Nulls = *nulls || *segs == 0
		} else { // the row over its segments that hold values
			ranged[col] = *bad == 0
			b.Min, b.Max = lo, hi
		}
		out[col] = b
	}
	return out, ranged, rows.Err()
}

// boundsQuery reads, per column, whether any segment may hold NULLs (unless it
// says it holds none), and per
// column of a bounded type the smallest minimum and largest maximum of its
// segments that may hold values, with how many of those lack a readable bound (one
// branch per type, since the bounds are compared as values of it).
func boundsQuery(cols []Column) (string, []any) {
	byType := map[string][]any{}
	var types []string
	for _, c := range cols {
		t := strings.ToUpper(c.Type)
		if !boundedType.MatchString(t) {
			continue
		}
		if byType[t] == nil {
			types = append(types, t)
		}
		byType[t] = append(byType[t], c.Name)
	}
	var b strings.Builder
	b.WriteString(`WITH seg AS MATERIALIZED (
		SELECT column_name AS col, segment_type <> 'VALIDITY' AS data,
		       NOT stats LIKE '%Has No Null: false%' AS filled, NOT stats LIKE '%Has Null: false%' AS nulls,
		       regexp_extract(stats, '^\[Min: (.*), Max: (.*)\]\[Has Null', ['lo', 'hi']) AS mm
		FROM pragma_storage_info(CAST(? AS VARCHAR)))
	SELECT col, count(*), bool_or(nulls), NULL::VARCHAR, NULL::VARCHAR, NULL::BIGINT FROM seg GROUP BY col`)
	var args []any
	for _, t := range types {
		names := byType[t]
		fmt.Fprintf(&b, `
	UNION ALL SELECT col, NULL, NULL, min(TRY_CAST(mm.lo AS %[1]s))::VARCHAR, max(TRY_CAST(mm.hi AS %[1]s))::VARCHAR,
		count(*) FILTER (WHERE TRY_CAST(mm.lo AS %[1]s) IS NULL OR TRY_CAST(mm.hi AS %[1]s) IS NULL)
	FROM seg WHERE data AND filled AND col IN (?%[2]s) GROUP BY col`, t, strings.Repeat(", ?", len(names)-1))
		args = append(args, names...)
	}
	return b.String(), args
}
