package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mrswarm/mrswarm/sql/store"
)

// enumCap is the largest number of distinct values put into a schema enum. Above it the
// enum is left out of the schema and membership is checked against the data at call time.
const enumCap = 200

// dimensionRoles are the categorical roles a tool can group by, in schema order.
var dimensionRoles = []store.Role{store.RoleBrand, store.RoleCategory, store.RoleRegion,
	store.RoleCountry, store.RoleStore, store.RoleChannel, store.RoleCampaign}

// measureRoles are the numeric roles a tool can aggregate, in schema order.
var measureRoles = []store.Role{store.RoleRevenue, store.RoleUnits, store.RoleProfit,
	store.RoleCost, store.RoleMargin, store.RolePrice, store.RoleSpend, store.RoleImpressions,
	store.RoleClicks, store.RoleConversions}

// filterRoles maps each filter argument to the role it filters on.
var filterRoles = []struct {
	Arg  string
	Role store.Role
}{{"brands", store.RoleBrand}, {"regions", store.RoleRegion}, {"categories", store.RoleCategory},
	{"marketing_channels", store.RoleChannel}, {"campaigns", store.RoleCampaign}}

// env is one dataset as the tools see it: its table, its role columns as quoted SQL
// expressions, and the distinct values of its filter roles.
type env struct {
	c     *Catalog // the catalog it was built from (its caches)
	ds    store.Dataset
	table string                // fully qualified table name (no temporary table shadows it)
	cols  map[store.Role]string // quoted (and cast) column expression per available role
	enums map[store.Role][]string
	// capped reports roles whose distinct values exceed enumCap.
	capped map[store.Role]bool
	// labels are the period labels (2024, 2024-Q1, 2024-03) present in the data, or nil
	// when there is no date role or more than enumCap of them.
	labels []string
	// fromKept says the values above came from the catalog's kept facts.
	fromKept bool
	// infos are the tools' descriptions on the env, built on first use.
	infos *infoList
}

// quoteIdent quotes a DuckDB identifier, doubling embedded double quotes.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// newEnv describes dataset name; it returns store.ErrNotFound for an unknown dataset.
func newEnv(ctx context.Context, c *Catalog, name string) (*env, error) {
	ds, err := c.st.Dataset(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("tools: dataset %q: %w", name, err)
	}
	return envOf(ctx, c, ds)
}

// envOf describes the loaded dataset ds: as the catalog built it before for
// ds's content, role columns and tenant, else anew.
func envOf(ctx context.Context, c *Catalog, ds store.Dataset) (*env, error) {
	if e := c.cachedEnv(ctx, ds); e != nil {
		return e, nil
	}
	e, err := buildEnv(ctx, c, ds)
	if err != nil {
		return nil, err
	}
	if e.fromKept {
		c.keepEnv(ctx, e)
	}
	return e, nil
}

// buildEnv describes the loaded dataset ds from its record and the catalog's
// facts.
func buildEnv(ctx context.Context, c *Catalog, ds store.Dataset) (*env, error) {
	name := ds.Name
	e := &env{c: c, ds: ds, table: c.st.TableRef(ctx, ds.Name), cols: map[store.Role]string{},
		enums: map[store.Role][]string{}, capped: map[store.Role]bool{}, infos: &infoList{}}
	types := map[string]string{}
	for _, c := range ds.Columns {
		types[c.Name] = strings.ToUpper(c.Type)
	}
	for _, r := range store.Roles {
		col, ok := ds.Column(r)
		if !ok {
			continue
		}
		if _, known := types[col]; !known {
			return nil, fmt.Errorf("tools: dataset %q: role %q names unknown column %q: %w", name, r, col, store.ErrPrecondition)
		}
		e.cols[r] = columnExpr(r, quoteIdent(col), types[col])
	}
	e.derive()
	if err := e.loadValues(ctx, c); err != nil {
		return nil, err
	}
	return e, nil
}

// columnExpr casts a role's column to the type the SQL templates expect.
func columnExpr(r store.Role, q, typ string) string {
	switch {
	case r == store.RoleDate && typ == "DATE":
		return q
	case r == store.RoleDate && strings.HasPrefix(typ, "TIMESTAMP"):
		return "CAST(" + q + " AS DATE)"
	case r == store.RoleDate:
		return "TRY_CAST(" + q + " AS DATE)"
	case isMeasure(r):
		if typ == "DOUBLE" {
			return q
		}
		return "CAST(" + q + " AS DOUBLE)"
	case typ == "VARCHAR":
		return q
	default:
		return "CAST(" + q + " AS VARCHAR)"
	}
}

func isMeasure(r store.Role) bool {
	for _, m := range measureRoles {
		if m == r {
			return true
		}
	}
	return false
}

// derive fills measures a dataset lacks but can compute from the ones it has:
// revenue = units × price, profit = revenue − cost, cost = revenue − profit,
// price = revenue / units.
func (e *env) derive() {
	c := e.cols
	if _, ok := c[store.RoleRevenue]; !ok && c[store.RoleUnits] != "" && c[store.RolePrice] != "" {
		c[store.RoleRevenue] = "(" + c[store.RoleUnits] + " * " + c[store.RolePrice] + ")"
	}
	rev := c[store.RoleRevenue]
	if rev == "" {
		return
	}
	_, hasProfit := c[store.RoleProfit]
	_, hasCost := c[store.RoleCost]
	switch {
	case !hasProfit && hasCost:
		c[store.RoleProfit] = "(" + rev + " - " + c[store.RoleCost] + ")"
	case hasProfit && !hasCost:
		c[store.RoleCost] = "(" + rev + " - " + c[store.RoleProfit] + ")"
	}
	if _, ok := c[store.RolePrice]; !ok && c[store.RoleUnits] != "" {
		c[store.RolePrice] = "(" + rev + " / NULLIF(" + c[store.RoleUnits] + ", 0))"
	}
}

// has reports whether role r is available (as a column or derived).
func (e *env) has(r store.Role) bool { _, ok := e.cols[r]; return ok }

// missing returns the precondition error for a role the dataset lacks.
func (e *env) missing(r store.Role) error {
	return fmt.Errorf("tools: dataset %q has no column with role %q: %w", e.ds.Name, r, store.ErrPrecondition)
}

// available returns the roles among rs the dataset has, in order.
func (e *env) available(rs []store.Role) []string {
	var out []string
	for _, r := range rs {
		if e.has(r) {
			out = append(out, string(r))
		}
	}
	return out
}

// loadValues reads up to enumCap+1 distinct values of each filter role the
// dataset has, and the month, quarter and year labels present in the data,
// through the catalog (once per content).
func (e *env) loadValues(ctx context.Context, c *Catalog) error {
	var roles []store.Role
	var queries []string
	for _, f := range filterRoles {
		if col, ok := e.cols[f.Role]; ok {
			roles = append(roles, f.Role)
			queries = append(queries, fmt.Sprintf("SELECT DISTINCT %s AS v FROM %s WHERE %s IS NOT NULL ORDER BY v LIMIT %d",
				col, e.table, col, enumCap+1))
		}
	}
	if d, ok := e.cols[store.RoleDate]; ok {
		queries = append(queries, labelsQuery(d, e.table))
	}
	vals, kept, err := c.values(ctx, e.ds, queries)
	if err != nil {
		return err
	}
	e.fromKept = kept
	for i, r := range roles {
		e.enums[r], e.capped[r] = vals[i], vals[i] == nil
	}
	if len(vals) > len(roles) {
		e.labels = vals[len(roles)]
	}
	return nil
}

// labelsQuery reads the month, quarter and year labels of date expression d
// in table (up to enumCap+1 of them): from the distinct dates, which are
// few, rather than a month per row.
func labelsQuery(d, table string) string {
	return fmt.Sprintf(`SELECT DISTINCT l AS v FROM (SELECT DISTINCT date_trunc('month', d) AS m FROM (SELECT DISTINCT %s AS d FROM %s WHERE %s IS NOT NULL)),
		LATERAL (VALUES (strftime(m, '%%Y-%%m')), (strftime(m, '%%Y') || '-Q' || quarter(m)), (strftime(m, '%%Y'))) t(l)
		ORDER BY v LIMIT %d`, d, table, d, enumCap+1)
}

// distinct returns the values of a one-column query, or nil when there are more than enumCap.
func distinct(ctx context.Context, st *store.Store, q string, params ...any) ([]string, error) {
	rows, err := st.Query(ctx, q, params...)
	if err != nil {
		return nil, fmt.Errorf("tools: read distinct values: %w", err)
	}
	defer rows.Close()
	vals := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("tools: read distinct values: %w", err)
		}
		vals = append(vals, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tools: read distinct values: %w", err)
	}
	if len(vals) > enumCap {
		return nil, nil
	}
	return vals, nil
}
