package store

import (
	"context"
	dbsql "database/sql"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Some scalar functions build one value far larger than their arguments:
// range(200000000) is a 1.6 GB list, repeat('x', 2000000000) a 2 GB string.
// DuckDB allocates such a value in one call, outside its memory limit, and
// folds calls on constants while planning, before any interrupt is checked;
// so neither the memory limit nor the watchdog can stop it. User SQL is
// therefore checked before it runs: from the parse tree, the size of each
// generator's value is computed where its size arguments are constant
// expressions (literals, casts, arithmetic, INTERVALs, nested generators)
// and refused over a bound derived from the memory limit. Sizes that come
// from data or subqueries are checked while the query runs (genrewrite.go).

// vectorRows is DuckDB's vector size: a generator whose input varies per row
// builds up to this many values at once.
const vectorRows = 2048

// value is what the guard knows of an expression: a number, or the size of
// a string or list, or nothing (known false).
type value struct {
	known    bool
	num      float64 // a number (or a date/time in seconds, an interval in seconds)
	isNum    bool
	bytes    float64 // the size of a string, list or blob value
	text     string  // a string constant's text
	perRow   bool    // the size depends on a non-constant input (one value per row)
	temporal bool    // a date, timestamp or interval
}

// sizer computes a generator's value from what is known of its arguments.
type sizer func(args []value) value

// generators are the scalar functions sized by the guard.
var generators = map[string]sizer{
	"range":           seriesSize(false),
	"generate_series": seriesSize(true),
	"repeat":          repeatSize,
	"lpad":            padSize,
	"rpad":            padSize,
	"list_resize":     resizeSize,
	"array_resize":    resizeSize,
	"bitstring":       bitstringSize,
	"printf":          formatSize,
	"format":          formatSize,
}

// boundGenerators parses q with DuckDB and refuses a generator call whose
// value would take more than a quarter of the memory limit (per value, or per
// vector of values when its input varies by row); errors wrap ErrLimit. Calls
// whose size comes from data get a guard in the query ([Store.rewriteGuards]):
// it returns the query to run, q itself when nothing needed a guard.
func (s *Store) boundGenerators(ctx context.Context, conn *dbsql.Conn, q string) (string, error) {
	bound := float64(s.opts.MemoryLimit / 4)
	if bound <= 0 {
		return q, nil
	}
	root, err := parseTree(ctx, conn, q)
	if err != nil {
		return "", err
	}
	g := genWalker{bound: bound, limit: s.opts.MemoryLimit}
	g.walk(root)
	if g.err != nil || len(g.unknown) == 0 {
		return q, g.err
	}
	guarded, err := s.rewriteGuards(ctx, conn, root, g.unknown)
	if err != nil || guarded == "" { // unprintable: the watchdog still bounds it
		return q, nil
	}
	return guarded, nil
}

// genWalker evaluates expressions bottom-up and keeps the first refusal.
type genWalker struct {
	bound   float64
	limit   int64
	err     error
	unknown []guardCall // generator calls whose size is known only when they run
}

// walk visits every node; expression nodes are evaluated (which checks the
// generators inside them), other nodes are descended into.
func (g *genWalker) walk(n any) {
	switch x := n.(type) {
	case []any:
		for _, e := range x {
			g.walk(e)
		}
	case map[string]any:
		if _, ok := x["class"].(string); ok {
			g.eval(x)
			return
		}
		if x["type"] == "TABLE_FUNCTION" { // FROM range(n) streams its rows: check its arguments only
			fn, _ := x["function"].(map[string]any)
			g.walk(fn["children"])
			g.walk(x["subquery"])
			return
		}
		for _, e := range x {
			g.walk(e)
		}
	}
}

// eval returns what is known of expression node x.
func (g *genWalker) eval(x map[string]any) value {
	switch x["class"] {
	case "CONSTANT":
		v, _ := x["value"].(map[string]any)
		return constant(v)
	case "CAST":
		child, _ := x["child"].(map[string]any)
		t, _ := x["cast_type"].(map[string]any)
		id, _ := t["id"].(string)
		return cast(g.eval(child), child, id)
	case "FUNCTION":
		return g.call(x)
	}
	for k, e := range x { // subqueries, CASE, comparisons…: check what is inside
		if k != "class" {
			g.walk(e)
		}
	}
	return value{perRow: true}
}

// call evaluates a function node: arithmetic on constants, INTERVAL parts,
// list_value, and the generators, refusing one over the bound.
func (g *genWalker) call(x map[string]any) value {
	name, _ := x["function_name"].(string)
	name = strings.ToLower(name)
	kids, _ := x["children"].([]any)
	args := make([]value, len(kids))
	for i, k := range kids {
		if m, ok := k.(map[string]any); ok {
			args[i] = g.eval(m)
		}
	}
	g.walk(x["filter"])
	g.walk(x["order_bys"])
	if f, ok := generators[name]; ok {
		v := f(args)
		g.check(name, v)
		if !v.known {
			g.unknown = append(g.unknown, guardCall{node: x, name: name, args: args})
		}
		return v
	}
	return arith(name, args)
}

// check records a refusal of generator name's value v.
func (g *genWalker) check(name string, v value) {
	if g.err != nil || !v.known {
		return
	}
	size, what := v.bytes, "one value of about "+humanBytes(v.bytes)
	if v.perRow {
		size, what = v.bytes*vectorRows, fmt.Sprintf("values of about %s each, %d at a time (%s)",
			humanBytes(v.bytes), vectorRows, humanBytes(v.bytes*vectorRows))
	}
	if size <= g.bound {
		return
	}
	g.err = fmt.Errorf("%w: %s(…) would build %s in one call, over the %s a generated value may take "+
		"(a quarter of the memory limit %s, which such a call escapes); make the value smaller "+
		"(FROM range(…) streams rows instead of building one list), or raise --memory-limit (MRSWARM_MEMORY_LIMIT)",
		ErrLimit, name, what, humanBytes(g.bound), humanBytes(float64(g.limit)))
}

// constant reads a serialized constant.
func constant(v map[string]any) value {
	if null, _ := v["is_null"].(bool); null {
		return value{known: true}
	}
	switch c := v["value"].(type) {
	case json.Number:
		f, err := c.Float64()
		return value{known: err == nil, num: f, isNum: err == nil}
	case string:
		if f, err := strconv.ParseFloat(c, 64); err == nil {
			return value{known: true, num: f, isNum: true, bytes: float64(len(c)), text: c}
		}
		return value{known: true, bytes: float64(len(c)), text: c}
	}
	return value{}
}

// cast follows a CAST: text to a number or a date/time, and anything else as is.
func cast(v value, child map[string]any, id string) value {
	switch id {
	case "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_TZ":
		cv, _ := child["value"].(map[string]any)
		if s, ok := cv["value"].(string); ok {
			if t, ok := parseTime(s); ok {
				return value{known: true, num: float64(t.Unix()), isNum: true, temporal: true}
			}
		}
		return value{perRow: v.perRow, temporal: true}
	}
	return v
}

// parseTime reads the common literal forms of a date or timestamp.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// intervalSeconds are the functions INTERVAL n UNIT parses into, in seconds per unit.
var intervalSeconds = map[string]float64{
	"to_microseconds": 1e-6, "to_milliseconds": 1e-3, "to_seconds": 1, "to_minutes": 60,
	"to_hours": 3600, "to_days": 86400, "to_weeks": 7 * 86400, "to_months": 28 * 86400,
	"to_years": 365 * 86400, "to_decades": 3650 * 86400, "to_centuries": 36500 * 86400,
}

// unary are the one-argument numeric functions arith follows (INTERVAL n
// MINUTE parses into to_minutes(trunc(n)), for one).
var unary = map[string]func(float64) float64{
	"-": func(x float64) float64 { return -x }, "trunc": math.Trunc, "floor": math.Floor,
	"ceil": math.Ceil, "ceiling": math.Ceil, "round": math.Round, "abs": math.Abs,
}

// arith evaluates arithmetic on known numbers, INTERVAL parts, concatenation
// and list_value; everything else is unknown.
func arith(name string, a []value) value {
	num := func(i int) (float64, bool) { return a[i].num, i < len(a) && a[i].known && a[i].isNum }
	if s, ok := intervalSeconds[name]; ok && len(a) == 1 {
		if x, ok := num(0); ok {
			return value{known: true, num: x * s, isNum: true, temporal: true}
		}
	}
	if name == "list_value" || name == "||" || name == "concat" || name == "list_concat" {
		return sumSizes(name, a)
	}
	if f, ok := unary[name]; ok && len(a) == 1 {
		if x, ok := num(0); ok {
			return value{known: true, num: f(x), isNum: true}
		}
	}
	if len(a) != 2 {
		return value{perRow: anyPerRow(a)}
	}
	x, okx := num(0)
	y, oky := num(1)
	if !okx || !oky {
		return value{perRow: anyPerRow(a)}
	}
	var r float64
	switch name {
	case "+":
		r = x + y
	case "-":
		r = x - y
	case "*":
		r = x * y
	case "/", "//":
		if y == 0 {
			return value{}
		}
		r = x / y
	case "**", "^", "pow", "power":
		r = math.Pow(x, y)
	default:
		return value{}
	}
	return value{known: true, num: r, isNum: true}
}

// sumSizes is the size of a list_value (8 bytes an element at least) or a concatenation.
func sumSizes(name string, a []value) value {
	v := value{known: true}
	for _, e := range a {
		v.perRow = v.perRow || e.perRow || !e.known
		switch {
		case name == "list_value":
			v.bytes += max(e.bytes, 8)
		case e.known:
			v.bytes += e.bytes
		}
	}
	return v
}

func anyPerRow(a []value) bool {
	for _, e := range a {
		if e.perRow || !e.known {
			return true
		}
	}
	return false
}

// seriesSize sizes range/generate_series (8 bytes a value) over numbers or
// dates with an INTERVAL step (both in seconds here).
func seriesSize(inclusive bool) sizer {
	return func(a []value) value {
		for _, e := range a {
			if !e.known || !e.isNum {
				return value{}
			}
		}
		start, stop, step := 0.0, 0.0, 1.0
		switch len(a) {
		case 1:
			stop = a[0].num
		case 2:
			start, stop = a[0].num, a[1].num
		case 3:
			start, stop, step = a[0].num, a[1].num, a[2].num
		default:
			return value{}
		}
		if step == 0 {
			return value{}
		}
		n := math.Ceil((stop - start) / step)
		if inclusive {
			n++
		}
		return value{known: true, bytes: max(n, 0) * 8}
	}
}

// repeatSize: repeat(s, n) is n copies of a string (at least one byte) or list.
func repeatSize(a []value) value {
	if len(a) != 2 || !a[1].known || !a[1].isNum {
		return value{}
	}
	unit := max(a[0].bytes, 1)
	return value{known: true, bytes: unit * max(a[1].num, 0), perRow: a[0].perRow || !a[0].known}
}

// padSize: lpad/rpad(s, n, fill) is n characters (up to 4 bytes each; counted as one).
func padSize(a []value) value {
	if len(a) < 2 || !a[1].known || !a[1].isNum {
		return value{}
	}
	return value{known: true, bytes: max(a[1].num, 0), perRow: anyPerRow(a[:1])}
}

// resizeSize: list_resize(l, n[, fill]) is n elements (8 bytes each at least).
func resizeSize(a []value) value {
	if len(a) < 2 || !a[1].known || !a[1].isNum {
		return value{}
	}
	return value{known: true, bytes: max(a[1].num, 0) * 8, perRow: anyPerRow(a[:1])}
}

// bitstringSize: bitstring(s, n) is n bits.
func bitstringSize(a []value) value {
	if len(a) != 2 || !a[1].known || !a[1].isNum {
		return value{}
	}
	return value{known: true, bytes: max(a[1].num, 0) / 8, perRow: anyPerRow(a[:1])}
}

// widths finds the numbers in a format string: a field width pads to that many bytes.
var widths = regexp.MustCompile(`[0-9]+`)

// formatSize: printf/format with a constant format string is at least as long
// as its largest field width.
func formatSize(a []value) value {
	if len(a) == 0 || !a[0].known {
		return value{}
	}
	width := 0.0
	for _, w := range widths.FindAllString(a[0].text, -1) {
		if f, err := strconv.ParseFloat(w, 64); err == nil {
			width = max(width, f)
		}
	}
	return value{known: true, bytes: width, perRow: anyPerRow(a[1:])}
}

// humanBytes prints a byte count for messages.
func humanBytes(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MiB", b/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", b/(1<<10))
}
