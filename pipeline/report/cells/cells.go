// Package cells reads a result page's cells by column name, for the report's
// fact writers and its charts.
package cells

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mrswarm/mrswarm/sql/store"
)

// Table is a page with its columns indexed by name.
type Table struct {
	p   store.Page
	col map[string]int
}

// New indexes p's columns.
func New(p store.Page) Table {
	t := Table{p: p, col: make(map[string]int, len(p.Columns))}
	for i, c := range p.Columns {
		t.col[c.Name] = i
	}
	return t
}

// Columns are the page's columns in order.
func (t Table) Columns() []store.Column { return t.p.Columns }

// Rows is the number of rows.
func (t Table) Rows() int { return len(t.p.Rows) }

// Has tells whether every column in names exists.
func (t Table) Has(names ...string) bool {
	for _, n := range names {
		if _, ok := t.col[n]; !ok {
			return false
		}
	}
	return true
}

// Cell is the value in row r of column name (nil when either is missing).
func (t Table) Cell(r int, name string) any {
	i, ok := t.col[name]
	if !ok || r < 0 || r >= len(t.p.Rows) || i >= len(t.p.Rows[r]) {
		return nil
	}
	return t.p.Rows[r][i]
}

// Num is the number in row r of column name (false when empty or not a number).
func (t Table) Num(r int, name string) (float64, bool) {
	switch v := t.Cell(r, name).(type) {
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

// Type is the DuckDB type of column name in upper case ("" when missing).
func (t Table) Type(name string) string {
	if i, ok := t.col[name]; ok {
		return strings.ToUpper(t.p.Columns[i].Type)
	}
	return ""
}
