package store

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"regexp"
)

// DefaultTenant owns everything stored without a tenant: the data of a
// single-user server and of databases written before tenants existed. Its
// datasets live in the schema main, as they always did.
const DefaultTenant = "default"

var tenantRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

// tenantKey is the context key of the calling tenant.
type tenantKey struct{}

// WithTenant returns ctx on behalf of tenant: every dataset, result and run
// the store reads or writes with it belongs to tenant, and user SQL may
// reference only tenant's datasets and results. The server sets it from the
// caller's token; runs started with it carry it to their steps.
func WithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

// TenantOf is the tenant ctx acts for: the one set by [WithTenant], or
// [DefaultTenant].
func TenantOf(ctx context.Context) string {
	if t, ok := tenantScoped(ctx); ok {
		return t
	}
	return DefaultTenant
}

// tenantScoped returns the tenant set by WithTenant. Calls without one come
// from trusted code of this module (recovery, tests) and act for the default
// tenant without the checks of untrusted SQL.
func tenantScoped(ctx context.Context) (string, bool) {
	t, ok := ctx.Value(tenantKey{}).(string)
	if !ok || t == "" {
		return "", false
	}
	return t, true
}

// CheckTenant validates a tenant name: [a-z][a-z0-9_]{0,30}.
func CheckTenant(name string) error {
	if !tenantRE.MatchString(name) {
		return fmt.Errorf("%w: tenant %q must match [a-z][a-z0-9_]{0,30}", ErrInvalid, name)
	}
	return nil
}

// tenantSchema is the schema holding the datasets of tenant: main for the
// default tenant, tenant_<name> for the others.
func tenantSchema(tenant string) string {
	if tenant == "" || tenant == DefaultTenant {
		return "main"
	}
	return "tenant_" + tenant
}

// schemaOf is the quoted dataset schema of ctx's tenant, ready to prefix a table.
func schemaOf(ctx context.Context) string { return quoteIdent(tenantSchema(TenantOf(ctx))) }

// Table is the dataset's table as qualified SQL: "main"."sales" for the
// default tenant.
func (d Dataset) Table() string {
	return quoteIdent(tenantSchema(d.Tenant)) + "." + quoteIdent(d.Name)
}

// ensureTenantSchema creates the dataset schema of ctx's tenant.
func (s *Store) ensureTenantSchema(ctx context.Context) error {
	if err := CheckTenant(TenantOf(ctx)); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schemaOf(ctx))
	return err
}

// migrateDatasetTenants rebuilds the dataset catalog keyed by (tenant, name)
// when it is still keyed by name alone; its rows go to the default tenant.
func migrateDatasetTenants(ctx context.Context, conn *dbsql.Conn) error {
	var n int
	err := conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()
		AND schema_name = 'mrswarm' AND table_name = 'datasets' AND column_name = 'tenant'`).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`ALTER TABLE mrswarm.datasets RENAME TO datasets_untenanted`,
		`CREATE TABLE mrswarm.datasets AS SELECT 'default'::VARCHAR AS tenant, * FROM mrswarm.datasets_untenanted`,
		`ALTER TABLE mrswarm.datasets ADD PRIMARY KEY (tenant, name)`,
		`DROP TABLE mrswarm.datasets_untenanted`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("migrate datasets to tenants: %w", err)
		}
	}
	return tx.Commit()
}
