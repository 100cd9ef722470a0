package tools

import (
	"embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/mrswarm/mrswarm/sql/store"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// templates holds every tool's SQL; each file is named <tool>.sql and _common.sql
// holds shared definitions.
var templates = template.Must(template.New("").Option("missingkey=error").Funcs(template.FuncMap{
	"list": func(s ...string) []string { return s },
	"add":  func(a, b int) int { return a + b },
}).ParseFS(sqlFiles, "sql/*.sql"))

// render is the data a SQL template sees. Templates only insert identifiers (through
// Table, Col and Dim, all from validated roles) and placeholders (through P, Bind and
// Where); every value is appended to params in the order its placeholder appears.
type render struct {
	e      *env
	a      args
	params []any
	// bounds, when set, are the store's column statistics (dataset_profile).
	bounds map[string]store.ColumnBounds
}

// renderSQL renders tool t's SQL with r and returns it with its bound values.
func renderSQL(t *tool, r *render) (string, []any, error) {
	q, params, err := renderTemplate(t.Name+".sql", r)
	if err != nil {
		return "", nil, fmt.Errorf("tools: %s: %w", t.Name, err)
	}
	return q, params, nil
}

// renderTemplate renders the SQL template name with r and returns it with its
// bound values.
func renderTemplate(name string, r *render) (string, []any, error) {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, r); err != nil {
		return "", nil, fmt.Errorf("render sql: %w", err)
	}
	return b.String(), r.params, nil
}

// withX is a render plus a SQL expression X, for shared templates that take one.
type withX struct {
	*render
	X string
}

// With pairs r with the fixed SQL expression x (an alias written in the template).
func (r *render) With(x string) withX { return withX{r, x} }

// Table is the dataset's quoted table name.
func (r *render) Table() string { return r.e.table }

// Has reports whether the dataset has role (as a column or derived).
func (r *render) Has(role string) bool { return r.e.has(store.Role(role)) }

// Col is the SQL expression of role.
func (r *render) Col(role string) (string, error) {
	c, ok := r.e.cols[store.Role(role)]
	if !ok {
		return "", r.e.missing(store.Role(role))
	}
	return c, nil
}

// Dim is the column of the role named by argument arg, or a constant for overall/none.
func (r *render) Dim(arg string) (string, error) {
	role, _ := r.a[arg].(string)
	switch role {
	case "overall":
		return "'overall'", nil
	case "none":
		return "'all'", nil
	}
	return r.Col(role)
}

// Arg is the value of an argument (nil when absent), for choosing among fixed SQL.
func (r *render) Arg(name string) any { return r.a[name] }

// Set reports whether an argument has a value.
func (r *render) Set(name string) bool { _, ok := r.a[name]; return ok }

// P binds the value of argument name.
func (r *render) P(name string) (string, error) {
	v, ok := r.a[name]
	if !ok {
		return "", fmt.Errorf("argument %q has no value", name)
	}
	return r.Bind(v)
}

// Bind appends v to the parameters and returns its typed placeholder.
func (r *render) Bind(v any) (string, error) {
	r.params = append(r.params, v)
	switch x := v.(type) {
	case string:
		return "CAST(? AS VARCHAR)", nil
	case dateValue:
		r.params[len(r.params)-1] = string(x)
		return "CAST(? AS DATE)", nil
	case int64:
		return "CAST(? AS BIGINT)", nil
	case float64:
		return "CAST(? AS DOUBLE)", nil
	case []string:
		r.params = r.params[:len(r.params)-1]
		return r.bindAll(x), nil
	default:
		r.params = r.params[:len(r.params)-1]
		return "", fmt.Errorf("cannot bind %T", v)
	}
}

// bindAll binds each value and returns the comma-separated placeholders.
func (r *render) bindAll(vs []string) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		r.params = append(r.params, v)
		ph[i] = "CAST(? AS VARCHAR)"
	}
	return strings.Join(ph, ", ")
}

// Where is the filter condition over the dataset's own columns ("TRUE" when unfiltered).
func (r *render) Where() (string, error) {
	conds := []string{"TRUE"}
	for _, f := range filterRoles {
		if vs, ok := r.a[f.Arg].([]string); ok {
			conds = append(conds, r.e.cols[f.Role]+" IN ("+r.bindAll(vs)+")")
		}
	}
	for _, d := range []struct{ arg, op string }{{"start_date", ">="}, {"end_date", "<="}} {
		if v, ok := r.a[d.arg]; ok {
			ph, err := r.Bind(v)
			if err != nil {
				return "", err
			}
			conds = append(conds, r.e.cols[store.RoleDate]+" "+d.op+" "+ph)
		}
	}
	return strings.Join(conds, " AND "), nil
}

// exactLimit is the row count up to which dataset_profile counts distinct values and
// duplicate rows exactly.
var exactLimit int64 = 200_000

// Exact reports whether dataset_profile counts exactly (the dataset is small enough).
func (r *render) Exact() bool { return r.e.ds.Rows <= exactLimit }

// sampleTarget is about how many rows dataset_profile samples above exactLimit rows:
// enough for the distinct counts of the low-cardinality columns a profile is read
// for (a sample cannot count the distinct values of a high-cardinality column
// at any affordable size, and says so with distinct_exact = false).
const sampleTarget = 20_000

// SamplePct is the system (vector-level) sample percentage that dataset_profile uses
// above exactLimit rows. It is computed here from the row count and written into the SQL
// as a numeric literal, because DuckDB cannot bind a sample size.
func (r *render) SamplePct() string {
	pct := 100.0
	if r.e.ds.Rows > 0 {
		pct = min(100, 100*float64(sampleTarget)/float64(r.e.ds.Rows))
	}
	return strconv.FormatFloat(pct, 'f', 4, 64)
}

// profileColumn is one dataset column as dataset_profile sees it.
type profileColumn struct {
	Q       string // quoted identifier
	Name    string
	Type    string
	Role    string
	Numeric bool
	Ordered bool // numeric or temporal: min and max are cheap and meaningful
	// Ranged is true when Lo and Hi, the exact minimum and maximum, come from
	// the store's column statistics instead of a scan.
	Ranged  bool
	Lo, Hi  *string
	NoNulls bool // the column statistics show no NULLs: its non-null count is the row count
}

// maxProfileColumns bounds dataset_profile's work: its query grows with every
// column (a 5,000-column file once took 12 GB), so wider datasets are profiled
// on their first columns.
const maxProfileColumns = 128

// Columns lists the dataset's columns for dataset_profile, at most
// maxProfileColumns of them, in table order.
func (r *render) Columns() []profileColumn {
	roles := map[string]string{}
	for role, col := range r.e.ds.Roles {
		roles[col] = string(role)
	}
	cols := r.e.ds.Columns[:min(len(r.e.ds.Columns), maxProfileColumns)]
	out := make([]profileColumn, len(cols))
	for i, c := range cols {
		out[i] = profileColumn{Q: quoteIdent(c.Name), Name: c.Name, Type: c.Type,
			Role: roles[c.Name], Numeric: isNumericType(c.Type),
			Ordered: isNumericType(c.Type) || isTemporalType(c.Type)}
		if b, ok := r.bounds[c.Name]; ok {
			out[i].Ranged, out[i].Lo, out[i].Hi, out[i].NoNulls = b.Ranged, b.Min, b.Max, !b.Nulls
		}
	}
	return out
}

func isTemporalType(t string) bool {
	t = strings.ToUpper(t)
	return t == "DATE" || strings.HasPrefix(t, "TIMESTAMP") || t == "TIME"
}

func isNumericType(t string) bool {
	t = strings.ToUpper(t)
	for _, p := range []string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
		"USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// LabelStart binds the first day of the period label in argument name (2024, 2024-Q2, 2024-03).
func (r *render) LabelStart(name string) (string, error) {
	l, _ := r.a[name].(string)
	var d string
	switch labelKind(l) {
	case "year":
		d = l + "-01-01"
	case "quarter":
		d = fmt.Sprintf("%s-%02d-01", l[:4], (int(l[6]-'0')-1)*3+1)
	default:
		d = l + "-01"
	}
	return r.Bind(dateValue(d))
}
