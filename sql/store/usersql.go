package store

import (
	"context"
	dbsql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"unicode"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// allowedSQL is what RunSQL accepts, for error messages.
const allowedSQL = "only one read-only SELECT statement (WITH … SELECT, FROM, VALUES, SUMMARIZE, DESCRIBE, SHOW included) is allowed"

// leadWords are the first keywords of the statements RunSQL accepts. DuckDB
// rewrites some PRAGMAs into SELECTs, so the statement type alone is not enough.
var leadWords = map[string]bool{"SELECT": true, "WITH": true, "FROM": true, "VALUES": true,
	"TABLE": true, "SUMMARIZE": true, "DESCRIBE": true, "SHOW": true}

// subqueryWords lead statements that CREATE TABLE AS cannot take directly.
var subqueryWords = map[string]bool{"SUMMARIZE": true, "DESCRIBE": true, "SHOW": true}

// RunSQL runs one untrusted, read-only SELECT/WITH statement under the statement
// timeout and stores its result. [CheckUserSQL] refuses what must not run
// before DuckDB sees the query; DuckDB then classifies it (one statement, of
// type SELECT), and its configuration confines file reads to the data root.
// The statement runs on a connection of its own that is closed afterwards, so
// nothing it may have set or created on the connection outlives it.
func (s *Store) RunSQL(ctx context.Context, query string) (Summary, error) {
	q := trimQuery(query)
	if err := CheckUserSQL(q); err != nil {
		return Summary{}, fmt.Errorf("run sql: %w", err)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("run sql: %w", err)
	}
	defer conn.Close()
	defer discard(conn)
	tctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if err := s.checkFileAccess(tctx, conn, q); err != nil {
		return Summary{}, fmt.Errorf("run sql: %w", err)
	}
	if err := s.materializeRefs(tctx, q); err != nil {
		return Summary{}, fmt.Errorf("run sql: %w", classify(tctx, ctx, err))
	}
	run, err := s.boundGenerators(tctx, conn, q)
	if err != nil {
		return Summary{}, fmt.Errorf("run sql: %w", err)
	}
	h := newHandle()
	ctas := "CREATE TABLE " + s.ResultTable(h) + " AS\n" + run + "\n"
	if subqueryWords[firstWord(run)] {
		ctas = "CREATE TABLE " + s.ResultTable(h) + " AS SELECT * FROM (\n" + run + "\n)"
	}
	err = s.watchMemory(tctx, func(ctx context.Context) error {
		return conn.Raw(func(dc any) error {
			c, ok := dc.(*duckdb.Conn)
			if !ok {
				return fmt.Errorf("unexpected driver connection %T", dc)
			}
			return s.inTenantScope(ctx, c, q, func() error {
				if err := checkReadOnly(c, q); err != nil {
					return err
				}
				return execOne(ctx, c, ctas, duckdb.STATEMENT_TYPE_CREATE)
			})
		})
	})
	if err != nil {
		return Summary{}, fmt.Errorf("run sql: %w", classify(tctx, ctx, err))
	}
	return s.finishResult(ctx, h, "sql", s.firstDataset(ctx, conn, q))
}

// discard closes conn's driver connection instead of returning it to the pool.
func discard(conn *dbsql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// trimQuery drops surrounding space and trailing semicolons.
func trimQuery(q string) string {
	q = strings.TrimSpace(q)
	for strings.HasSuffix(q, ";") {
		q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	}
	return q
}

// checkReadOnly prepares q (exactly one statement, already passed by
// CheckUserSQL) and accepts only a SELECT.
func checkReadOnly(c *duckdb.Conn, q string) error {
	st, err := prepareOne(c, q)
	if err != nil {
		return err
	}
	defer st.Close()
	typ, err := st.StatementType()
	if err != nil {
		return err
	}
	if typ != duckdb.STATEMENT_TYPE_SELECT {
		return fmt.Errorf("%w: %s; got a %s statement", ErrInvalid, allowedSQL, stmtName(typ))
	}
	return nil
}

var errMulti = errors.New("multiple statements")

// prepareOne prepares q, which must be exactly one statement. (The driver's
// PrepareContext would execute all but the last of several statements.)
func prepareOne(c *duckdb.Conn, q string) (*duckdb.Stmt, error) {
	ds, err := c.Prepare(q)
	if err != nil {
		if strings.Contains(err.Error(), "multi-statement") {
			return nil, fmt.Errorf("%w: %s; got %w", ErrInvalid, allowedSQL, errMulti)
		}
		return nil, err
	}
	st, ok := ds.(*duckdb.Stmt)
	if !ok {
		ds.Close()
		return nil, fmt.Errorf("unexpected driver statement %T", ds)
	}
	return st, nil
}

// execOne prepares q as exactly one statement of type want and executes it.
func execOne(ctx context.Context, c *duckdb.Conn, q string, want duckdb.StmtType) error {
	st, err := prepareOne(c, q)
	if err != nil {
		return err
	}
	defer st.Close()
	if typ, err := st.StatementType(); err != nil || typ != want {
		return fmt.Errorf("%w: %s", ErrInvalid, allowedSQL)
	}
	_, err = st.ExecContext(ctx, []driver.NamedValue{})
	return err
}

// firstWord is the first keyword of q, after comments and opening parentheses, upper-cased.
func firstWord(q string) string {
	for {
		q = strings.TrimLeftFunc(q, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
		switch {
		case strings.HasPrefix(q, "--"):
			if i := strings.IndexByte(q, '\n'); i >= 0 {
				q = q[i+1:]
				continue
			}
			return ""
		case strings.HasPrefix(q, "/*"):
			if i := strings.Index(q, "*/"); i >= 0 {
				q = q[i+2:]
				continue
			}
			return ""
		}
		end := strings.IndexFunc(q, func(r rune) bool { return !unicode.IsLetter(r) })
		if end < 0 {
			end = len(q)
		}
		return strings.ToUpper(q[:end])
	}
}

var stmtNames = map[duckdb.StmtType]string{
	duckdb.STATEMENT_TYPE_INSERT: "INSERT", duckdb.STATEMENT_TYPE_UPDATE: "UPDATE",
	duckdb.STATEMENT_TYPE_DELETE: "DELETE", duckdb.STATEMENT_TYPE_CREATE: "CREATE",
	duckdb.STATEMENT_TYPE_DROP: "DROP", duckdb.STATEMENT_TYPE_ALTER: "ALTER",
	duckdb.STATEMENT_TYPE_COPY: "COPY", duckdb.STATEMENT_TYPE_ATTACH: "ATTACH",
	duckdb.STATEMENT_TYPE_DETACH: "DETACH", duckdb.STATEMENT_TYPE_PRAGMA: "PRAGMA",
	duckdb.STATEMENT_TYPE_SET: "SET", duckdb.STATEMENT_TYPE_VARIABLE_SET: "SET VARIABLE",
	duckdb.STATEMENT_TYPE_LOAD: "INSTALL/LOAD", duckdb.STATEMENT_TYPE_EXPORT: "EXPORT",
	duckdb.STATEMENT_TYPE_EXPLAIN: "EXPLAIN", duckdb.STATEMENT_TYPE_CALL: "CALL",
	duckdb.STATEMENT_TYPE_TRANSACTION: "transaction", duckdb.STATEMENT_TYPE_VACUUM: "VACUUM",
	duckdb.STATEMENT_TYPE_PREPARE: "PREPARE", duckdb.STATEMENT_TYPE_EXECUTE: "EXECUTE",
	duckdb.STATEMENT_TYPE_ANALYZE: "ANALYZE", duckdb.STATEMENT_TYPE_CREATE_FUNC: "CREATE FUNCTION",
	duckdb.STATEMENT_TYPE_EXTENSION: "extension",
}

func stmtName(t duckdb.StmtType) string {
	if n, ok := stmtNames[t]; ok {
		return n
	}
	return fmt.Sprintf("non-SELECT (type %d)", t)
}

// firstDataset names the first dataset the query reads, or "".
func (s *Store) firstDataset(ctx context.Context, conn *dbsql.Conn, q string) string {
	names, err := duckdb.GetTableNames(conn, q, false)
	if err != nil {
		return ""
	}
	for _, n := range names {
		if _, err := s.Dataset(ctx, n); err == nil {
			return n
		}
	}
	return ""
}
