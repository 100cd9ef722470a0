package store

import (
	"context"
	dbsql "database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// fileFunctions are the table functions that read files. In user SQL their
// file argument must be a string literal (or a list of them): DuckDB folds
// expressions such as '/a/' || 'b' into paths, which no text check could see.
var fileFunctions = map[string]bool{
	"read_blob": true, "read_text": true, "read_csv": true, "read_csv_auto": true,
	"read_json": true, "read_json_auto": true, "read_json_objects": true, "read_json_objects_auto": true,
	"read_ndjson": true, "read_ndjson_auto": true, "read_ndjson_objects": true, "read_ndjson_objects_auto": true,
	"read_parquet": true, "parquet_scan": true, "parquet_metadata": true, "parquet_schema": true,
	"parquet_file_metadata": true, "parquet_kv_metadata": true, "parquet_full_metadata": true,
	"parquet_bloom_probe": true, "sniff_csv": true, "glob": true, "read_duckdb": true,
}

// privateFiles are the database's own files. DuckDB lets SQL read the files of
// an attached database whatever the allowed directories say, so user SQL is
// checked against them.
func privateFiles(db string) []string {
	if db == "" {
		return nil
	}
	return []string{db, db + ".wal", db + ".wal.recovery", db + ".wal.checkpoint", db + ".tmp"}
}

// checkFileAccess parses q with DuckDB (json_serialize_sql: a parse, no bind)
// and refuses a file function whose path is not a literal, and any literal
// file reference that names the database's own files. A query DuckDB cannot
// parse passes (the tree says "error"): preparing it reports the syntax error.
func (s *Store) checkFileAccess(ctx context.Context, conn *dbsql.Conn, q string) error {
	root, err := parseTree(ctx, conn, q)
	if err != nil {
		return fmt.Errorf("parse for file access: %w", err)
	}
	return s.walkFiles(root)
}

// parseTree is DuckDB's serialized parse tree of q (json_serialize_sql).
func parseTree(ctx context.Context, conn *dbsql.Conn, q string) (any, error) {
	var tree string
	if err := conn.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", q).Scan(&tree); err != nil {
		return nil, err
	}
	var root any
	if err := decodeJSON(tree, &root); err != nil {
		return nil, err
	}
	return root, nil
}

// decodeJSON decodes s into v keeping numbers as json.Number, so that a tree
// printed back keeps them exact (DuckDB's 64-bit query locations, for one).
func decodeJSON(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	return d.Decode(v)
}

// walkFiles checks every table function and table name in a serialized parse tree.
func (s *Store) walkFiles(n any) error {
	switch x := n.(type) {
	case []any:
		for _, e := range x {
			if err := s.walkFiles(e); err != nil {
				return err
			}
		}
	case map[string]any:
		if err := s.checkNode(x); err != nil {
			return err
		}
		for _, e := range x {
			if err := s.walkFiles(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) checkNode(x map[string]any) error {
	switch x["type"] {
	case "BASE_TABLE": // FROM 'file.csv' is a table named by its path
		name, _ := x["table_name"].(string)
		return s.checkPath(name)
	case "TABLE_FUNCTION":
		fn, _ := x["function"].(map[string]any)
		name, _ := fn["function_name"].(string)
		args, _ := fn["children"].([]any)
		if !fileFunctions[strings.ToLower(name)] || len(args) == 0 {
			return nil
		}
		paths, ok := literalStrings(args[0])
		if !ok {
			return fmt.Errorf("%w: the file argument of %s must be a string literal or a list of them in user SQL", ErrInvalid, name)
		}
		for _, p := range paths {
			if err := s.checkPath(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// literalStrings returns the values of a constant string or a list of them.
func literalStrings(n any) ([]string, bool) {
	x, _ := n.(map[string]any)
	if x["class"] == "CONSTANT" {
		v, _ := x["value"].(map[string]any)
		s, ok := v["value"].(string)
		return []string{s}, ok
	}
	if x["class"] == "FUNCTION" && x["function_name"] == "list_value" {
		var out []string
		kids, _ := x["children"].([]any)
		for _, k := range kids {
			v, ok := literalStrings(k)
			if !ok {
				return nil, false
			}
			out = append(out, v...)
		}
		return out, true
	}
	return nil, false
}

// checkPath refuses a path or glob pattern that reaches the database's own files.
func (s *Store) checkPath(p string) error {
	if p == "" || len(s.private) == 0 {
		return nil
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(s.cwd, abs)
	}
	abs = filepath.Clean(abs)
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		real = abs
	}
	for _, f := range s.private {
		if abs == f || real == f || matches(abs, f) {
			return fmt.Errorf("%w: %q is the server's database; user SQL reads files under the data root only", ErrPermission, p)
		}
	}
	return nil
}

func matches(pattern, name string) bool {
	if !strings.ContainsAny(pattern, "*?[") {
		return false
	}
	ok, err := filepath.Match(pattern, name)
	return ok || err != nil && strings.HasPrefix(name, filepath.Dir(pattern))
}
