package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// jsonValue converts a value scanned from DuckDB into a JSON-friendly Go value:
// string, float64, int64, bool, nil, or []any / map[string]any of those for
// nested types. typ is the column's DuckDB type.
func jsonValue(v any, typ string) any {
	switch x := v.(type) {
	case nil, bool, string, int64:
		return x
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return strconv.FormatUint(x, 10)
	case float32:
		return floatValue(float64(x))
	case float64:
		return floatValue(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case duckdb.Decimal:
		return floatValue(x.Float64())
	case time.Time:
		return timeValue(x, typ)
	case []byte:
		return bytesValue(x, typ)
	case duckdb.UUID:
		return x.String()
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d microseconds", x.Months, x.Days, x.Micros)
	}
	return nestedValue(v)
}

func nestedValue(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e, "")
		}
		return out
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// floatValue keeps finite floats; NaN and infinities (not JSON numbers) become strings.
func floatValue(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return f
}

func timeValue(t time.Time, typ string) string {
	u := strings.ToUpper(typ)
	switch {
	case u == "DATE":
		return t.Format("2006-01-02")
	case strings.HasPrefix(u, "TIME") && !strings.HasPrefix(u, "TIMESTAMP"):
		return t.Format("15:04:05.999999")
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func bytesValue(b []byte, typ string) string {
	if strings.EqualFold(typ, "UUID") && len(b) == 16 {
		var u duckdb.UUID
		copy(u[:], b)
		return u.String()
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// cellText renders a JSON-friendly value as CSV/text: nil is empty, nested values are JSON.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// fromJSON restores a value decoded with UseNumber: numbers of integer columns
// become int64, other numbers float64.
func fromJSON(v any, typ string) any {
	switch x := v.(type) {
	case json.Number:
		if isInteger(typ) {
			if i, err := x.Int64(); err == nil {
				return i
			}
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = fromJSON(x[i], "")
		}
	case map[string]any:
		for k := range x {
			x[k] = fromJSON(x[k], "")
		}
	}
	return v
}

// isInteger reports whether a DuckDB type is an integer type.
func isInteger(typ string) bool {
	return isNumeric(typ) && !strings.Contains(typ, "FLOAT") && !strings.Contains(typ, "DOUBLE") &&
		!strings.Contains(typ, "DECIMAL") && !strings.Contains(typ, "REAL")
}
