package store

import (
	"context"
	dbsql "database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// A generator whose size comes from data (range(n) over a column, a CTE or a
// subquery) cannot be sized before the query runs. Such a call gets a guard
// in the query itself: its size argument is wrapped in
// CASE WHEN abs(size) > bound THEN error(…) ELSE size END, and DuckDB's own
// printer (json_deserialize_sql) turns the tree back into SQL. The bound is
// per row: a quarter of the memory limit over a vector of 2,048 rows, since
// DuckDB fills a vector's values in one call.

// genMarker marks the guard's error, which classify maps to ErrLimit.
const genMarker = "over the bound of one generated value"

// guardCall is a generator call whose size is not known before it runs.
type guardCall struct {
	node map[string]any // the FUNCTION node
	name string
	args []value
}

// guard describes how to bound a call: the argument to wrap, the SQL of the
// size check with __mrswarm_x as that argument (and __mrswarm_a, __mrswarm_c
// for range's start and step), and the bound in the size's units.
type guard struct {
	arg   int
	check string
	bound float64
	unit  string
}

// guardFor plans the guard of call c under a per-row byte bound; false when the
// call cannot be guarded (a date range, an unknown step that may be an INTERVAL).
func guardFor(c guardCall, perRow float64) (guard, bool) {
	switch c.name {
	case "range", "generate_series":
		return seriesGuard(c.args, perRow)
	case "repeat", "lpad", "rpad":
		return guard{1, "__mrswarm_x", perRow, "bytes"}, len(c.args) >= 2
	case "list_resize", "array_resize":
		return guard{1, "__mrswarm_x", perRow / 8, "elements"}, len(c.args) >= 2
	case "bitstring":
		return guard{1, "__mrswarm_x", perRow * 8, "bits"}, len(c.args) == 2
	}
	return guard{}, false
}

// seriesGuard bounds range/generate_series: numbers by (stop - start) / step,
// dates and timestamps with an INTERVAL step by their epoch seconds. A step
// that is neither known to be a number nor an interval is left alone.
func seriesGuard(a []value, perRow float64) (guard, bool) {
	temporal := false
	for _, v := range a {
		temporal = temporal || v.temporal
	}
	switch {
	case len(a) == 1 && !temporal:
		return guard{0, "abs(__mrswarm_x)", perRow / 8, "values"}, true
	case len(a) == 2 && !temporal:
		return guard{1, "abs(__mrswarm_x - __mrswarm_a)", perRow / 8, "values"}, true
	case len(a) == 3 && temporal:
		return guard{1, "abs((epoch(__mrswarm_x) - epoch(__mrswarm_a)) / epoch(__mrswarm_c))", perRow / 8, "values"}, true
	case len(a) == 3 && a[2].known:
		return guard{1, "abs((__mrswarm_x - __mrswarm_a) / __mrswarm_c)", perRow / 8, "values"}, true
	}
	return guard{}, false
}

// rewriteGuards wraps the size arguments of calls in root and returns the
// query printed back by DuckDB, or "" when no call needed a guard. The select
// lists holding a guarded call keep their column names.
func (s *Store) rewriteGuards(ctx context.Context, conn *dbsql.Conn, root any, calls []guardCall) (string, error) {
	perRow := float64(s.opts.MemoryLimit/4) / vectorRows
	changed := false
	for _, c := range calls {
		g, ok := guardFor(c, perRow)
		if !ok {
			continue
		}
		if err := s.nameSelectLists(ctx, conn, root, c.node); err != nil {
			return "", err
		}
		if err := s.wrapArg(ctx, conn, c, g); err != nil {
			return "", err
		}
		changed = true
	}
	if !changed {
		return "", nil
	}
	b, err := json.Marshal(root)
	if err != nil {
		return "", err
	}
	var q string
	if err := conn.QueryRowContext(ctx, "SELECT json_deserialize_sql(?::JSON)", string(b)).Scan(&q); err != nil {
		return "", fmt.Errorf("print the guarded query: %w", err)
	}
	return q, nil
}

// wrapArg replaces argument g.arg of call c by the guard expression.
func (s *Store) wrapArg(ctx context.Context, conn *dbsql.Conn, c guardCall, g guard) error {
	msg := fmt.Sprintf("mrswarm: %s(…) would build more than %.0f %s in one row, %s "+
		"(a quarter of the memory limit %s over a vector of %d rows); make the values smaller or raise --memory-limit",
		c.name, g.bound, g.unit, genMarker, humanBytes(float64(s.opts.MemoryLimit)), vectorRows)
	expr, err := s.parseExpr(ctx, conn, fmt.Sprintf("CASE WHEN %s > %.0f THEN error('%s') ELSE __mrswarm_x END",
		g.check, g.bound, strings.ReplaceAll(msg, "'", "''")))
	if err != nil {
		return err
	}
	kids, _ := c.node["children"].([]any)
	with := map[string]any{"__mrswarm_x": kids[g.arg]}
	if len(kids) >= 2 {
		with["__mrswarm_a"] = kids[0]
	}
	if len(kids) >= 3 {
		with["__mrswarm_c"] = kids[2]
	}
	kids[g.arg] = substitute(expr, with)
	return nil
}

// parseExpr parses one SQL expression into its serialized tree.
func (s *Store) parseExpr(ctx context.Context, conn *dbsql.Conn, expr string) (any, error) {
	var tree string
	if err := conn.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", "SELECT "+expr).Scan(&tree); err != nil {
		return nil, err
	}
	var root struct {
		Statements []struct {
			Node struct {
				SelectList []any `json:"select_list"`
			} `json:"node"`
		} `json:"statements"`
	}
	if err := decodeJSON(tree, &root); err != nil || len(root.Statements) != 1 || len(root.Statements[0].Node.SelectList) != 1 {
		return nil, fmt.Errorf("parse guard expression: %s", clipN(tree, 200))
	}
	return root.Statements[0].Node.SelectList[0], nil
}

// substitute copies tree with each column reference named in with replaced by
// a copy of its subtree.
func substitute(tree any, with map[string]any) any {
	switch x := tree.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substitute(e, with)
		}
		return out
	case map[string]any:
		if names, ok := x["column_names"].([]any); ok && x["class"] == "COLUMN_REF" && len(names) == 1 {
			if n, _ := names[0].(string); with[n] != nil {
				return substitute(with[n], nil)
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = substitute(e, with)
		}
		return out
	}
	return tree
}

// nameSelectLists gives every unaliased entry of a select list that contains
// target the name DuckDB derives for it now, before the guard changes it.
func (s *Store) nameSelectLists(ctx context.Context, conn *dbsql.Conn, n any, target map[string]any) error {
	switch x := n.(type) {
	case []any:
		for _, e := range x {
			if err := s.nameSelectLists(ctx, conn, e, target); err != nil {
				return err
			}
		}
	case map[string]any:
		if list, ok := x["select_list"].([]any); ok {
			for _, e := range list {
				m, _ := e.(map[string]any)
				if m == nil || m["alias"] != "" || !contains(m, target) || m["class"] == "STAR" {
					continue
				}
				name, err := s.exprText(ctx, conn, m)
				if err != nil {
					return err
				}
				m["alias"] = name
			}
		}
		for _, e := range x {
			if err := s.nameSelectLists(ctx, conn, e, target); err != nil {
				return err
			}
		}
	}
	return nil
}

// contains reports whether tree holds node (by identity).
func contains(tree any, node map[string]any) bool {
	switch x := tree.(type) {
	case []any:
		for _, e := range x {
			if contains(e, node) {
				return true
			}
		}
	case map[string]any:
		if reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(node).UnsafePointer() {
			return true
		}
		for _, e := range x {
			if contains(e, node) {
				return true
			}
		}
	}
	return false
}

// exprText is DuckDB's text of an expression: the name it gives an unaliased column.
func (s *Store) exprText(ctx context.Context, conn *dbsql.Conn, expr map[string]any) (string, error) {
	var tree string
	if err := conn.QueryRowContext(ctx, "SELECT json_serialize_sql('SELECT 1')::VARCHAR").Scan(&tree); err != nil {
		return "", err
	}
	var root map[string]any
	if err := decodeJSON(tree, &root); err != nil {
		return "", err
	}
	stmts, _ := root["statements"].([]any)
	st, _ := stmts[0].(map[string]any)
	node, _ := st["node"].(map[string]any)
	node["select_list"] = []any{expr}
	b, err := json.Marshal(root)
	if err != nil {
		return "", err
	}
	var q string
	if err := conn.QueryRowContext(ctx, "SELECT json_deserialize_sql(?::JSON)", string(b)).Scan(&q); err != nil {
		return "", err
	}
	return strings.TrimPrefix(q, "SELECT "), nil
}
