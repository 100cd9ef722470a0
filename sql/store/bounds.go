package store

import (
	"context"
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
	sel, args := boundsSelect(ds.Columns)
	vals := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	q := `WITH seg AS MATERIALIZED (
		SELECT column_name AS col, segment_type <> 'VALIDITY' AS data, stats LIKE '%Has No Null: true%' AS filled,
		       stats LIKE '%Has Null: true%' AS nulls,
		       regexp_extract(stats, '^\[Min: (.*), Max: (.*)\]\[Has Null', ['lo', 'hi']) AS mm
		FROM pragma_storage_info(CAST(? AS VARCHAR)))
		SELECT ` + strings.Join(sel, ", ") + ` FROM seg`
	if err := s.db.QueryRowContext(ctx, q, append([]any{s.TableRef(ctx, name)}, args...)...).Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("column bounds of %q: %w", name, err)
	}
	return scanBounds(ds.Columns, vals), nil
}

// boundsSelect builds, per column, the aggregates over its segments: whether any
// holds NULLs, and for a bounded type the smallest minimum and largest maximum
// of the segments with values and how many of those lack a readable bound.
func boundsSelect(cols []Column) ([]string, []any) {
	var sel []string
	var args []any
	for _, c := range cols {
		sel = append(sel, "count(*) FILTER (WHERE col = ?)", "coalesce(bool_or(nulls) FILTER (WHERE col = ?), true)")
		args = append(args, c.Name, c.Name)
		if !boundedType.MatchString(strings.ToUpper(c.Type)) {
			continue
		}
		t := strings.ToUpper(c.Type)
		in := "FILTER (WHERE col = ? AND data AND filled)"
		sel = append(sel, "min(TRY_CAST(mm.lo AS "+t+")) "+in+"::VARCHAR", "max(TRY_CAST(mm.hi AS "+t+")) "+in+"::VARCHAR",
			"count(*) FILTER (WHERE col = ? AND data AND filled AND (TRY_CAST(mm.lo AS "+t+") IS NULL OR TRY_CAST(mm.hi AS "+t+") IS NULL))")
		args = append(args, c.Name, c.Name, c.Name)
	}
	return sel, args
}

// scanBounds reads boundsSelect's values back per column. A column without
// segments, or with a segment whose bounds do not read as its type, gets no range.
func scanBounds(cols []Column, vals []any) map[string]ColumnBounds {
	out := make(map[string]ColumnBounds, len(cols))
	i := 0
	for _, c := range cols {
		segs, _ := vals[i].(int64)
		nulls, _ := vals[i+1].(bool)
		b := ColumnBounds{Nulls: nulls || segs == 0}
		i += 2
		if boundedType.MatchString(strings.ToUpper(c.Type)) {
			lo, _ := vals[i].(string)
			hi, _ := vals[i+1].(string)
			bad, _ := vals[i+2].(int64)
			b.Ranged = segs > 0 && bad == 0
			if b.Ranged && vals[i] != nil && vals[i+1] != nil {
				b.Min, b.Max = &lo, &hi
			}
			i += 3
		}
		out[c.Name] = b
	}
	return out
}
