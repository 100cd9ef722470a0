package chart

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/sql/store"
)

// table reads a page's cells by column name.
type table struct {
	p   store.Page
	col map[string]int
}

func newTable(p store.Page) table {
	t := table{p: p, col: map[string]int{}}
	for i, c := range p.Columns {
		t.col[c.Name] = i
	}
	return t
}

func (t table) rows() int { return len(t.p.Rows) }

// has tells whether every column in names exists.
func (t table) has(names ...string) bool {
	for _, n := range names {
		if _, ok := t.col[n]; !ok {
			return false
		}
	}
	return true
}

func (t table) cell(r int, name string) any {
	i, ok := t.col[name]
	if !ok || r >= len(t.p.Rows) || i >= len(t.p.Rows[r]) {
		return nil
	}
	return t.p.Rows[r][i]
}

// num is the number in row r of column name (false when empty or not a number).
func (t table) num(r int, name string) (float64, bool) {
	switch v := t.cell(r, name).(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case nil:
		return 0, false
	default:
		f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
		return f, err == nil
	}
}

// text is the cell in row r of column name as text; dates as YYYY-MM-DD.
func (t table) text(r int, name string) string {
	switch v := t.cell(r, name).(type) {
	case nil:
		return ""
	case time.Time:
		return v.Format(time.DateOnly)
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// typeOf is the DuckDB type of column name ("" when missing).
func (t table) typeOf(name string) string {
	if i, ok := t.col[name]; ok {
		return strings.ToUpper(t.p.Columns[i].Type)
	}
	return ""
}

// numericTypes are the DuckDB types read as numbers.
var numericTypes = []string{"DOUBLE", "FLOAT", "REAL", "DECIMAL", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT",
	"TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "UHUGEINT"}

func (t table) isNumeric(name string) bool {
	typ := t.typeOf(name)
	return slices.ContainsFunc(numericTypes, func(n string) bool { return strings.HasPrefix(typ, n) })
}

func (t table) isDate(name string) bool {
	typ := t.typeOf(name)
	return typ == "DATE" || strings.HasPrefix(typ, "TIMESTAMP")
}

func (t table) isText(name string) bool { return t.typeOf(name) == "VARCHAR" }

// notMeasures are numeric columns that order or count rather than measure.
var notMeasures = []string{"rank", "position", "month", "year", "quarter", "segment_rank", "buckets",
	"empty_buckets", "competitors", "groups", "confidence_pct", "fit_months", "residual_df"}

// measure is the first of preferred that is numeric, else the first numeric
// column that is not a rank or a count of groups ("" when none).
func (t table) measure(preferred ...string) string {
	for _, m := range preferred {
		if t.isNumeric(m) {
			return m
		}
	}
	for _, c := range t.p.Columns {
		if t.isNumeric(c.Name) && !slices.Contains(notMeasures, c.Name) {
			return c.Name
		}
	}
	return ""
}

// dateColumn is the first date column ("" when none).
func (t table) dateColumn() string {
	for _, c := range t.p.Columns {
		if t.isDate(c.Name) {
			return c.Name
		}
	}
	return ""
}

// labelColumn is the column that names a result's rows ("" when none).
func (t table) labelColumn() string {
	for _, c := range []string{"name", "brand", "region", "channel", "segment", "country", "category", "group_name", "step"} {
		if t.isText(c) {
			return c
		}
	}
	for _, c := range t.p.Columns {
		if t.isText(c.Name) {
			return c.Name
		}
	}
	return ""
}

// tickLabels thins labels to at most n ticks at their row positions.
func tickLabels(labels []string, n int) []tickAt {
	step := max(1, (len(labels)+n-1)/n)
	var out []tickAt
	for i := 0; i < len(labels); i += step {
		out = append(out, tickAt{float64(i), labels[i]})
	}
	return out
}

type tickAt struct {
	x     float64
	label string
}
