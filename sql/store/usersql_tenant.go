package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// userTableFunctions are the table functions user SQL may call: readers of
// files (DuckDB confines them to the data root) and generators. Catalog
// functions (duckdb_tables(), information about other tenants) and query()
// (SQL in a string, which no check could see) are not among them.
var userTableFunctions = map[string]bool{
	"read_csv": true, "read_csv_auto": true, "read_parquet": true, "parquet_scan": true,
	"read_json": true, "read_json_auto": true, "read_ndjson": true, "read_ndjson_auto": true,
	"read_json_objects": true, "read_ndjson_objects": true, "read_text": true, "read_blob": true,
	"glob": true, "range": true, "generate_series": true, "unnest": true,
}

// inTenantScope runs exec, which prepares and executes the user query q on c, with q's
// table references checked against the tenant of ctx and, for a tenant other
// than the default, unqualified names resolved in that tenant's schema.
// Without a tenant in ctx (trusted callers) it only runs exec.
func (s *Store) inTenantScope(ctx context.Context, c *duckdb.Conn, q string, exec func() error) error {
	tenant, ok := tenantScoped(ctx)
	if !ok {
		return exec()
	}
	if err := s.checkTenantRefs(ctx, c, tenant, q); err != nil {
		return err
	}
	if tenantSchema(tenant) == "main" {
		return exec()
	}
	prev, err := searchPath(ctx, c)
	if err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, "SET search_path = "+quoteLit(s.catalog+"."+tenantSchema(tenant)), nil); err != nil {
		return fmt.Errorf("tenant search path: %w", err)
	}
	err = exec()
	if _, rerr := c.ExecContext(context.WithoutCancel(ctx), "SET search_path = "+quoteLit(prev), nil); rerr != nil {
		return errors.Join(err, rerr, driver.ErrBadConn) // the connection must not serve another tenant
	}
	return err
}

// searchPath is c's current search path.
func searchPath(ctx context.Context, c *duckdb.Conn) (string, error) {
	rows, err := c.QueryContext(ctx, "SELECT current_setting('search_path')", nil)
	if err != nil {
		return "", fmt.Errorf("search path: %w", err)
	}
	defer rows.Close()
	dest := []driver.Value{nil}
	if err := rows.Next(dest); err != nil {
		return "", fmt.Errorf("search path: %w", err)
	}
	p, _ := dest[0].(string)
	return p, nil
}

// sqlRefs are the relations a statement names, from DuckDB's own parser.
type sqlRefs struct {
	tables    []tableRef
	functions [][2]string // schema, name
	metadata  []string    // SHOW TABLES and similar catalog listings
}

// tableRef is a table a statement reads and the CTE names in scope where it does.
type tableRef struct {
	catalog, schema, table string
	ctes                   map[string]bool
}

// checkTenantRefs parses q with DuckDB (json_serialize_sql) and accepts it
// only if every table it reads is a dataset or result of tenant, a CTE, or an
// allowed table function. Anything else is reported as not found, so that a
// query cannot tell another tenant's table from a missing one.
func (s *Store) checkTenantRefs(ctx context.Context, c *duckdb.Conn, tenant, q string) error {
	tree, err := serializeSQL(ctx, c, q)
	if err != nil {
		return err
	}
	var refs sqlRefs
	refs.walk(tree, nil)
	if len(refs.metadata) > 0 {
		return fmt.Errorf("%w: %s: catalog listings are not available to user SQL; list datasets and results through the API", ErrNotFound, refs.metadata[0])
	}
	for _, f := range refs.functions {
		if f[0] != "" || !userTableFunctions[strings.ToLower(f[1])] {
			return fmt.Errorf("%w: table function %s()", ErrNotFound, f[1])
		}
	}
	for _, t := range refs.tables {
		if !s.tenantTable(ctx, tenant, t) {
			name := strings.Trim(strings.Join([]string{t.catalog, t.schema, t.table}, "."), ".")
			return fmt.Errorf("%w: table %s (user SQL reads this tenant's datasets and results.<handle>)", ErrNotFound, name)
		}
	}
	return nil
}

// tenantTable reports whether ref names a CTE, a dataset or a result of tenant.
func (s *Store) tenantTable(ctx context.Context, tenant string, ref tableRef) bool {
	catalog, schema, table := ref.catalog, strings.ToLower(ref.schema), strings.ToLower(ref.table)
	ctx = WithTenant(ctx, tenant)
	switch {
	case catalog != "":
		return false
	case schema == "" && ref.ctes[table]:
		return true
	case schema == "results":
		_, _, err := s.resultMeta(ctx, table)
		return err == nil
	case schema == "" || schema == tenantSchema(tenant):
		_, err := s.datasetRecord(ctx, s.db, table)
		return err == nil
	}
	return false
}

// serializeSQL returns DuckDB's parse tree of q as generic JSON.
func serializeSQL(ctx context.Context, c *duckdb.Conn, q string) (any, error) {
	rows, err := c.QueryContext(ctx, "SELECT json_serialize_sql("+quoteLit(q)+")::VARCHAR", nil)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	defer rows.Close()
	dest := []driver.Value{nil}
	if err := rows.Next(dest); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse: %w", err)
	}
	text, _ := dest[0].(string)
	var tree struct {
		Error      bool   `json:"error"`
		Message    string `json:"error_message"`
		Statements []any  `json:"statements"`
	}
	if err := json.Unmarshal([]byte(text), &tree); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if tree.Error {
		return nil, fmt.Errorf("%w: %s; %s", ErrInvalid, tree.Message, allowedSQL)
	}
	return tree.Statements, nil
}

// walk collects the relations of every node of the parse tree, subqueries,
// CTEs and set operations included. ctes are the CTE names in scope: a node's
// own CTEs are visible in its subtree only.
func (r *sqlRefs) walk(node any, ctes map[string]bool) {
	switch n := node.(type) {
	case []any:
		for _, v := range n {
			r.walk(v, ctes)
		}
	case map[string]any:
		ctes = withCTEs(n, ctes)
		r.visit(n, ctes)
		for _, v := range n {
			r.walk(v, ctes)
		}
	}
}

func str(m map[string]any, k string) string { v, _ := m[k].(string); return v }

// withCTEs returns ctes plus the CTEs node defines.
func withCTEs(n map[string]any, ctes map[string]bool) map[string]bool {
	cm, _ := n["cte_map"].(map[string]any)
	entries, _ := cm["map"].([]any)
	if len(entries) == 0 {
		return ctes
	}
	scope := make(map[string]bool, len(ctes)+len(entries))
	for k := range ctes {
		scope[k] = true
	}
	for _, e := range entries {
		if m, ok := e.(map[string]any); ok {
			scope[strings.ToLower(str(m, "key"))] = true
		}
	}
	return scope
}

// visit records what one node of the parse tree refers to.
func (r *sqlRefs) visit(n map[string]any, ctes map[string]bool) {
	switch str(n, "type") {
	case "BASE_TABLE":
		r.tables = append(r.tables, tableRef{str(n, "catalog_name"), str(n, "schema_name"), str(n, "table_name"), ctes})
	case "TABLE_FUNCTION":
		f, _ := n["function"].(map[string]any)
		r.functions = append(r.functions, [2]string{str(f, "schema"), str(f, "function_name")})
	case "SHOW_REF":
		if n["query"] == nil {
			r.metadata = append(r.metadata, "SHOW "+strings.Trim(str(n, "table_name"), `"`))
		}
	}
}
