package store

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Small typed rows built in Go (a tool's per-column profile, fitted curves)
// are kept inline without a table: their summary is computed here as
// [Store.summarize] computes it over a table, so saving them is one INSERT
// instead of a table's creation, summary queries, read-back and drop
// (TestInlineResultsMatchTables). Only column types whose Go values the
// driver scans as one exact Go type take this path; anything else (other
// types, values DuckDB would cast, NaN) takes the table path as before.

// valueKinds are the column types typed rows may keep inline from Go.
var valueKinds = map[string]cellKind{"": kindText, "VARCHAR": kindText, "BOOLEAN": kindBool,
	"INTEGER": kindInt, "BIGINT": kindInt, "DOUBLE": kindDouble}

// valuesInline returns the summary (handle, source and text unset) and the
// stored JSON of rows when SaveRows may keep them inline as they are: at most
// maxInlineRows rows; columns with distinct, non-empty names, each of a type
// in valueKinds; and every value nil or of the Go type the driver scans for
// its column (string without NUL, bool, int32 or int64 in range, finite float64).
func (s *Store) valuesInline(cols []Column, rows [][]any) (Summary, []byte, bool) {
	if len(rows) > maxInlineRows || len(cols) == 0 {
		return Summary{}, nil, false
	}
	sum := Summary{Rows: int64(len(rows)), Columns: make([]Column, len(cols))}
	names := map[string]bool{}
	for i, c := range cols {
		if _, ok := valueKinds[c.Type]; !ok || c.Name == "" || names[strings.ToLower(c.Name)] {
			return Summary{}, nil, false
		}
		names[strings.ToLower(c.Name)] = true
		sum.Columns[i] = Column{Name: c.Name, Type: c.Type}
		if c.Type == "" {
			sum.Columns[i].Type = "VARCHAR"
		}
	}
	stored := make([][]any, len(rows))
	for r, row := range rows {
		if len(row) != len(cols) {
			return Summary{}, nil, false
		}
		stored[r] = make([]any, len(row))
		for i, v := range row {
			cell, ok := valueCell(v, sum.Columns[i].Type)
			if !ok {
				return Summary{}, nil, false
			}
			stored[r][i] = cell
		}
	}
	data, err := json.Marshal(stored)
	if err != nil || len(data) > maxInlineBytes {
		return Summary{}, nil, false
	}
	sum.Bytes = valuesBytes(sum.Columns, rows)
	sum.Stats = valuesStats(sum.Columns, rows)
	sum.Head = s.valuesHead(sum.Columns, rows)
	return sum, data, true
}

// valueCell is v's stored form in a column of typ, or false when v is not the
// Go value the driver would scan from such a column.
func valueCell(v any, typ string) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return x, typ == "VARCHAR" && utf8.ValidString(x) && !strings.ContainsRune(x, 0)
	case bool:
		return x, typ == "BOOLEAN"
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10)), typ == "INTEGER" || typ == "BIGINT"
	case int64:
		ok := typ == "BIGINT" || typ == "INTEGER" && x >= math.MinInt32 && x <= math.MaxInt32
		return json.Number(strconv.FormatInt(x, 10)), ok
	case float64:
		return floatText(x, 64), typ == "DOUBLE" && !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return nil, false
}

// valuesBytes is the storage estimate stats computes with sizeTerms: the
// length of the values of the first maxSizedColumns text columns, and fixed
// bytes per row for the others.
func valuesBytes(cols []Column, rows [][]any) int64 {
	sized, fixed := columnSizes(cols)
	total := int64(len(rows)) * fixed
	for _, r := range rows {
		for i, v := range r {
			if t, ok := v.(string); ok && sized[i] {
				total += int64(len(t))
			}
		}
	}
	return total
}

// valuesStats is what stats reads for the first maxStatsColumns numeric
// columns: min, max, mean and sum as DOUBLE (0 without values) and the NULLs.
func valuesStats(cols []Column, rows [][]any) []ColumnStats {
	var out []ColumnStats
	for i, c := range cols {
		if !isNumeric(c.Type) || len(out) == maxStatsColumns {
			continue
		}
		st := ColumnStats{Column: c.Name}
		if c.Type == "DOUBLE" {
			doubleStats(&st, rows, i)
		} else {
			integerStats(&st, rows, i)
		}
		out = append(out, st)
	}
	return out
}

// doubleStats adds the values of column i in row order, as DuckDB's sum and
// avg do over a small table.
func doubleStats(st *ColumnStats, rows [][]any, i int) {
	var n int64
	for _, r := range rows {
		f, ok := r[i].(float64)
		if !ok {
			st.Nulls++
			continue
		}
		if n == 0 || f < st.Min {
			st.Min = f
		}
		if n == 0 || f > st.Max {
			st.Max = f
		}
		st.Sum += f
		n++
	}
	if n > 0 {
		st.Mean = st.Sum / float64(n)
	}
}

// integerStats sums column i exactly, as DuckDB's sum and avg of integers
// do (into a 128-bit integer), and divides as its average does: in long
// double (a 64-bit mantissa), rounded to DOUBLE.
func integerStats(st *ColumnStats, rows [][]any, i int) {
	var n int64
	var lo, hi int64
	total := new(big.Int)
	for _, r := range rows {
		var x int64
		switch v := r[i].(type) {
		case int32:
			x = int64(v)
		case int64:
			x = v
		default:
			st.Nulls++
			continue
		}
		if n == 0 || x < lo {
			lo = x
		}
		if n == 0 || x > hi {
			hi = x
		}
		total.Add(total, big.NewInt(x))
		n++
	}
	if n == 0 {
		return
	}
	st.Min, st.Max = float64(lo), float64(hi)
	st.Sum, _ = new(big.Float).SetInt(total).Float64()
	mean := new(big.Float).SetPrec(64).SetInt(total)
	st.Mean, _ = mean.Quo(mean, new(big.Float).SetPrec(64).SetInt64(n)).Float64()
}

// valuesHead is the head [Store.summarize] reads: the first HeadRows rows as
// a page holds them, clipped.
func (s *Store) valuesHead(cols []Column, rows [][]any) [][]any {
	head := make([][]any, 0, s.opts.HeadRows)
	for _, r := range rows[:min(len(rows), s.opts.HeadRows)] {
		out := make([]any, len(r))
		for i, v := range r {
			if x, ok := v.(int32); ok {
				v = int64(x)
			}
			out[i] = jsonValue(v, cols[i].Type)
		}
		head = append(head, out)
	}
	return clipHead(head)
}
