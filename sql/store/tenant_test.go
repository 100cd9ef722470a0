package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// twoTenants opens a file-backed store where tenants acme and beta each load
// their own "sales" (acme 3 rows, beta 1 row) and keep one result.
func twoTenants(t *testing.T) (s *Store, acme, beta context.Context, acmeRes, betaRes string) {
	t.Helper()
	root := t.TempDir()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "t.duckdb"), Options{DataRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	writeFile(t, root, "a.csv", "region,units\nEU,10\nUS,20\nEU,5\n")
	writeFile(t, root, "b.csv", "region,units\nASIA,7\n")
	acme, beta = WithTenant(t.Context(), "acme"), WithTenant(t.Context(), "beta")
	for ctx, file := range map[context.Context]string{acme: "a.csv", beta: "b.csv"} {
		if _, err := s.LoadFile(ctx, "sales", file, FormatAuto, nil); err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.RunSQL(acme, "SELECT count(*) AS n FROM sales")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.RunSQL(beta, "SELECT count(*) AS n FROM sales")
	if err != nil {
		t.Fatal(err)
	}
	if a.Head[0][0] != int64(3) || b.Head[0][0] != int64(1) {
		t.Fatalf("each tenant counts its own sales: acme %v, beta %v", a.Head, b.Head)
	}
	return s, acme, beta, a.Handle, b.Handle
}

func TestTenantsSeeOnlyTheirOwn(t *testing.T) {
	s, acme, beta, acmeRes, betaRes := twoTenants(t)
	ds, err := s.Datasets(acme)
	if err != nil || len(ds) != 1 || ds[0].Rows != 3 || ds[0].Tenant != "acme" {
		t.Fatalf("acme's datasets %+v %v", ds, err)
	}
	if _, err := s.Dataset(t.Context(), "sales"); !errors.Is(err, ErrNotFound) {
		t.Errorf("default tenant sees a tenant's dataset: %v", err)
	}
	if _, err := s.Result(acme, betaRes); !errors.Is(err, ErrNotFound) {
		t.Errorf("acme reads beta's result: %v", err)
	}
	if _, err := s.GetPage(acme, betaRes, 0, 10, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("acme pages beta's result: %v", err)
	}
	if err := s.DeleteResult(acme, betaRes); !errors.Is(err, ErrNotFound) {
		t.Errorf("acme deletes beta's result: %v", err)
	}
	if err := s.DropDataset(acme, "sales"); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Dataset(beta, "sales"); err != nil || d.Rows != 1 {
		t.Errorf("acme's drop touched beta's sales: %+v %v", d, err)
	}
	rs, err := s.Results(beta)
	if err != nil || len(rs) != 1 || rs[0].Handle != betaRes {
		t.Errorf("beta's results %+v %v (acme's is %s)", rs, err, acmeRes)
	}
}

func TestTenantSQLReferences(t *testing.T) {
	s, acme, _, acmeRes, betaRes := twoTenants(t)
	if _, err := s.LoadFile(t.Context(), "house", "a.csv", FormatAuto, nil); err != nil {
		t.Fatal(err)
	}
	refused := map[string]string{
		"other tenant's schema":      "SELECT * FROM tenant_beta.sales",
		"default tenant's table":     "SELECT * FROM main.house",
		"unqualified default table":  "SELECT * FROM house",
		"catalog qualified":          "SELECT * FROM mrswarm_store.tenant_beta.sales",
		"other tenant's handle":      "SELECT * FROM results." + betaRes,
		"handle in a subquery":       "SELECT (SELECT count(*) FROM results." + betaRes + ") AS n",
		"information_schema":         "SELECT table_schema, table_name FROM information_schema.tables",
		"duckdb_tables()":            "SELECT * FROM duckdb_tables()",
		"duckdb_tables view":         "SELECT * FROM duckdb_tables",
		"metadata":                   "SELECT * FROM mrswarm.datasets",
		"show tables":                "SHOW TABLES",
		"show all tables":            "SHOW ALL TABLES",
		"describe other":             "DESCRIBE tenant_beta.sales",
		"summarize other":            "SUMMARIZE tenant_beta.sales",
		"union":                      "SELECT region FROM sales UNION ALL SELECT region FROM tenant_beta.sales",
		"cte name out of scope":      "SELECT * FROM (WITH duckdb_tables AS (SELECT 1) SELECT 1) x, duckdb_tables",
		"pg_catalog":                 "SELECT * FROM pg_catalog.pg_tables",
		"join other in where exists": "SELECT * FROM sales WHERE EXISTS (SELECT 1 FROM tenant_beta.sales)",
	}
	for name, q := range refused {
		t.Run(name, func(t *testing.T) {
			_, err := s.RunSQL(acme, q)
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: error %v, want not found", q, err)
			}
		})
	}
	// SQL in a string is refused for everyone before any tenant check.
	for _, q := range []string{
		"SELECT * FROM query('SELECT * FROM tenant_beta.sales')",
		"SELECT * FROM query_table('tenant_beta.sales')",
	} {
		if _, err := s.RunSQL(acme, q); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v, want invalid", q, err)
		}
	}
	accepted := map[string]string{
		"own dataset":          "SELECT region, sum(units) FROM sales GROUP BY ALL",
		"own schema qualified": "SELECT * FROM tenant_acme.sales",
		"upper case":           "SELECT * FROM SALES",
		"own handle":           "SELECT * FROM results." + acmeRes,
		"cte":                  "WITH t AS (SELECT * FROM sales) SELECT * FROM t",
		"describe":             "DESCRIBE sales",
		"summarize":            "SUMMARIZE sales",
		"range":                "SELECT * FROM range(3)",
	}
	for name, q := range accepted {
		t.Run(name, func(t *testing.T) {
			if _, err := s.RunSQL(acme, q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		})
	}
	// A connection that served a tenant resolves names as before afterwards.
	for range 8 {
		if _, err := s.RunSQL(t.Context(), "SELECT count(*) FROM house"); err != nil {
			t.Fatalf("default search path after tenant queries: %v", err)
		}
	}
}

// A database written before tenants existed opens with its datasets, results
// and runs owned by the default tenant.
func TestTenantMigration(t *testing.T) {
	root, path := t.TempDir(), filepath.Join(t.TempDir(), "old.duckdb")
	writeFile(t, root, "a.csv", "region,units\nEU,10\n")
	s, err := Open(t.Context(), path, Options{DataRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadFile(t.Context(), "sales", "a.csv", FormatAuto, nil); err != nil {
		t.Fatal(err)
	}
	// Back to the catalog of before: keyed by name, without a tenant column.
	for _, q := range []string{
		`CREATE TABLE mrswarm.old AS SELECT * EXCLUDE (tenant) FROM mrswarm.datasets`,
		`DROP TABLE mrswarm.datasets`,
		`ALTER TABLE mrswarm.old RENAME TO datasets`,
	} {
		if _, err := s.db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(t.Context(), path, Options{DataRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.Dataset(WithTenant(t.Context(), DefaultTenant), "sales")
	if err != nil || d.Rows != 1 || d.Tenant != DefaultTenant {
		t.Fatalf("migrated dataset %+v %v", d, err)
	}
	if _, err := s.LoadFile(WithTenant(t.Context(), "acme"), "sales", "a.csv", FormatAuto, nil); err != nil {
		t.Fatalf("a second tenant loads the same name after migration: %v", err)
	}
}
