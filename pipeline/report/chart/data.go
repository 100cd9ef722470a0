package chart

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/report/cells"
	"github.com/mrswarm/mrswarm/sql/store"
)

// table reads a page's cells by column name, with the chart's readings of types.
type table struct{ cells.Table }

func newTable(p store.Page) table { return table{cells.New(p)} }

// text is the cell in row r of column name as text; dates as YYYY-MM-DD.
func (t table) text(r int, name string) string {
	switch v := t.Cell(r, name).(type) {
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

// numericTypes are the DuckDB types read as numbers.
var numericTypes = []string{"DOUBLE", "FLOAT", "REAL", "DECIMAL", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT",
	"TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "UHUGEINT"}

func (t table) isNumeric(name string) bool {
	typ := t.Type(name)
	return slices.ContainsFunc(numericTypes, func(n string) bool { return strings.HasPrefix(typ, n) })
}

func (t table) isDate(name string) bool {
	typ := t.Type(name)
	return typ == "DATE" || strings.HasPrefix(typ, "TIMESTAMP")
}

func (t table) isText(name string) bool { return t.Type(name) == "VARCHAR" }

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
	for _, c := range t.Columns() {
		if t.isNumeric(c.Name) && !slices.Contains(notMeasures, c.Name) {
			return c.Name
		}
	}
	return ""
}

// dateColumn is the first date column ("" when none).
func (t table) dateColumn() string {
	for _, c := range t.Columns() {
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
	for _, c := range t.Columns() {
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
