package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Small typed results (an SQL tool's few grouped rows) are kept inline too:
// each value is stored as JSON in an exact form of its column's type, read
// back as the value DuckDB would scan from a table (so pages and streams are
// the same), and bound as text that DuckDB casts back to the exact value when
// user SQL makes the result a table. Types without such a form (lists,
// blobs, intervals, ...) keep the table.

// cellKind is how typed inline storage keeps one column type.
type cellKind int

const (
	kindNone      cellKind = iota // not kept inline
	kindText                      // VARCHAR: the string
	kindBool                      // BOOLEAN: true/false
	kindInt                       // integers up to 64 bits: a JSON number
	kindBigInt                    // HUGEINT, UBIGINT: the digits as a string
	kindFloat                     // FLOAT: shortest text that reads back as the same float32
	kindDouble                    // DOUBLE: shortest text that reads back as the same float64
	kindDecimal                   // DECIMAL(p,s): the exact decimal text
	kindDate                      // DATE: 2006-01-02
	kindTimestamp                 // TIMESTAMP: 2006-01-02 15:04:05.999999 (UTC)
)

const (
	dateLayout      = "2006-01-02"
	timestampLayout = "2006-01-02 15:04:05.999999"
)

// kindOf classifies a DuckDB type name as DESCRIBE spells it.
func kindOf(typ string) cellKind {
	t := strings.ToUpper(strings.TrimSpace(typ))
	switch t {
	case "VARCHAR":
		return kindText
	case "BOOLEAN":
		return kindBool
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER":
		return kindInt
	case "HUGEINT", "UBIGINT":
		return kindBigInt
	case "FLOAT":
		return kindFloat
	case "DOUBLE":
		return kindDouble
	case "DATE":
		return kindDate
	case "TIMESTAMP":
		return kindTimestamp
	}
	if _, _, ok := decimalShape(t); ok {
		return kindDecimal
	}
	return kindNone
}

// decimalShape parses DECIMAL(p,s).
func decimalShape(typ string) (width, scale uint8, ok bool) {
	inner, found := strings.CutPrefix(strings.ToUpper(typ), "DECIMAL(")
	inner, closed := strings.CutSuffix(inner, ")")
	p, s, comma := strings.Cut(inner, ",")
	if !found || !closed || !comma {
		return 0, 0, false
	}
	w, errW := strconv.ParseUint(strings.TrimSpace(p), 10, 8)
	sc, errS := strconv.ParseUint(strings.TrimSpace(s), 10, 8)
	return uint8(w), uint8(sc), errW == nil && errS == nil
}

// encodeCell returns the stored form of a value scanned from DuckDB, or false
// when it has none that reads back exactly.
func encodeCell(v any, k cellKind) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch k {
	case kindText:
		s, ok := v.(string)
		return s, ok && !strings.ContainsRune(s, 0)
	case kindBool:
		b, ok := v.(bool)
		return b, ok
	case kindInt, kindBigInt:
		return encodeInt(v, k)
	case kindFloat:
		f, ok := v.(float32)
		return floatText(float64(f), 32), ok
	case kindDouble:
		f, ok := v.(float64)
		return floatText(f, 64), ok
	case kindDecimal:
		d, ok := v.(duckdb.Decimal)
		return d.String(), ok && d.Value != nil
	case kindDate, kindTimestamp:
		t, ok := v.(time.Time)
		if !ok || t.Year() < 1 || t.Year() > 9999 {
			return nil, false
		}
		return t.UTC().Format(map[bool]string{true: dateLayout, false: timestampLayout}[k == kindDate]), true
	}
	return nil, false
}

func encodeInt(v any, k cellKind) (any, bool) {
	var text string
	switch x := v.(type) {
	case int8, int16, int32, int64, uint8, uint16, uint32:
		text = fmt.Sprint(x)
	case uint64:
		text = strconv.FormatUint(x, 10)
	case *big.Int:
		text = x.String()
	default:
		return nil, false
	}
	if k == kindBigInt {
		return text, true
	}
	return json.Number(text), true
}

// floatText is the shortest text that parses back to f; DuckDB and Go both
// read inf, -inf and nan.
func floatText(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// scanValue turns a stored value (decoded with UseNumber) back into the value
// DuckDB scans from a table column of kind k.
func scanValue(v any, k cellKind, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	text := fmt.Sprint(v)
	switch k {
	case kindText, kindBool:
		return v, nil
	case kindInt:
		return strconv.ParseInt(text, 10, 64)
	case kindBigInt:
		n, ok := new(big.Int).SetString(text, 10)
		if !ok {
			return nil, fmt.Errorf("integer %q", text)
		}
		return n, nil
	case kindFloat:
		f, err := strconv.ParseFloat(text, 32)
		return float32(f), err
	case kindDouble:
		return strconv.ParseFloat(text, 64)
	case kindDecimal:
		return parseDecimal(text, typ)
	case kindDate:
		return time.Parse(dateLayout, text)
	case kindTimestamp:
		return time.Parse(timestampLayout, text)
	}
	return nil, fmt.Errorf("type %s is not kept inline", typ)
}

// parseDecimal reads the exact text of a DECIMAL(p,s) value.
func parseDecimal(text, typ string) (duckdb.Decimal, error) {
	width, scale, _ := decimalShape(typ)
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return duckdb.Decimal{}, fmt.Errorf("decimal %q", text)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() {
		return duckdb.Decimal{}, fmt.Errorf("decimal %q has more than %d decimals", text, scale)
	}
	return duckdb.Decimal{Width: width, Scale: scale, Value: new(big.Int).Set(r.Num())}, nil
}

// inlineTable reads result table h (in the transaction that made it) as
// stored inline rows, or returns false when sum says it is too large or a
// column or value has no exact inline form.
func (s *Store) inlineTable(ctx context.Context, q querier, sum Summary) (string, bool, error) {
	if sum.Rows > maxInlineRows || sum.Bytes > maxInlineBytes || len(sum.Columns) == 0 {
		return "", false, nil
	}
	kinds := make([]cellKind, len(sum.Columns))
	for i, c := range sum.Columns {
		if kinds[i] = kindOf(c.Type); kinds[i] == kindNone {
			return "", false, nil
		}
	}
	rows, err := q.QueryContext(ctx, "SELECT * FROM "+s.ResultTable(sum.Handle)+" ORDER BY rowid")
	if err != nil {
		return "", false, err
	}
	defer rows.Close()
	out := [][]any{}
	for rows.Next() {
		vals, err := scanValues(rows, len(kinds))
		if err != nil {
			return "", false, err
		}
		for i, k := range kinds {
			var ok bool
			if vals[i], ok = encodeCell(vals[i], k); !ok {
				return "", false, rows.Close()
			}
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return "", false, err
	}
	b, err := json.Marshal(out)
	return string(b), err == nil && len(b) <= maxInlineBytes, err
}
