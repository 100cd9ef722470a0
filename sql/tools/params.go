package tools

import (
	"slices"

	"github.com/mrswarm/mrswarm/sql/store"
)

// kind is how an argument is decoded and bound.
type kind int

const (
	kString  kind = iota // string, bound as VARCHAR
	kDate                // "YYYY-MM-DD", bound as DATE
	kInt                 // integer, bound as BIGINT
	kNumber              // number, bound as DOUBLE
	kStrings             // array of strings
	kNumbers             // array of numbers
	kObject              // object of numbers
)

// param is one argument of a tool.
type param struct {
	name string
	kind kind
	desc string
	// schema returns the JSON Schema keywords for dataset e besides type and description
	// (enum, bounds), or nil to leave the argument out because e cannot support it.
	schema func(e *env) map[string]any
	// def returns the default value in normalized form (see normalize), or nil for none.
	def func(e *env) any
	// optional marks an argument the tool can do without when the dataset cannot support
	// it; otherwise a schema-less argument with a default makes the tool unavailable.
	optional bool
}

func static(v any) func(*env) any { return func(*env) any { return v } }

// enumParam is a string argument whose allowed values come from values(e); it is left
// out of the schema when values(e) is empty. The default is the first of prefer that is
// allowed, else the first allowed value.
func enumParam(name, desc string, values func(e *env) []string, prefer ...string) param {
	return param{name: name, kind: kString, desc: desc,
		schema: func(e *env) map[string]any {
			vs := values(e)
			if len(vs) == 0 {
				return nil
			}
			return map[string]any{"enum": vs}
		},
		def: func(e *env) any {
			vs := values(e)
			for _, p := range prefer {
				if slices.Contains(vs, p) {
					return p
				}
			}
			if len(vs) == 0 {
				return nil
			}
			return vs[0]
		}}
}

// fixed returns a values function for a constant list.
func fixed(vs ...string) func(*env) []string { return func(*env) []string { return vs } }

// rolesOf returns a values function listing the roles among rs that e has, plus extra.
func rolesOf(rs []store.Role, extra ...string) func(*env) []string {
	return func(e *env) []string {
		vs := append(e.available(rs), extra...)
		if len(vs) == 0 {
			return nil
		}
		return vs
	}
}

func intParam(name, desc string, lo, hi, def int64) param {
	return param{name: name, kind: kInt, desc: desc,
		schema: func(*env) map[string]any { return map[string]any{"minimum": lo, "maximum": hi} },
		def:    static(def)}
}

func numParam(name, desc string, lo, hi float64, def any) param {
	return param{name: name, kind: kNumber, desc: desc,
		schema: func(*env) map[string]any { return map[string]any{"minimum": lo, "maximum": hi} },
		def:    static(def)}
}

// maxFilterItems bounds filter arrays when the enum is over the cap.
const maxFilterItems = 50

// filterParams are the filters every tool accepts.
func filterParams() []param {
	ps := make([]param, 0, len(filterRoles)+2)
	for _, f := range filterRoles {
		ps = append(ps, param{name: f.Arg, kind: kStrings,
			desc: "Only rows whose " + string(f.Role) + " is one of these values.",
			schema: func(e *env) map[string]any {
				if !e.has(f.Role) {
					return nil
				}
				items := map[string]any{"type": "string", "maxLength": 200}
				n := maxFilterItems
				if vs := e.enums[f.Role]; !e.capped[f.Role] {
					items["enum"] = vs
					n = max(1, len(vs))
				}
				return map[string]any{"items": items, "minItems": 1, "maxItems": n, "uniqueItems": true}
			}})
	}
	for _, name := range []string{"start_date", "end_date"} {
		ps = append(ps, param{name: name, kind: kDate,
			desc: "Only rows dated on or " + map[string]string{"start_date": "after", "end_date": "before"}[name] + " this day (YYYY-MM-DD).",
			schema: func(e *env) map[string]any {
				if !e.has(store.RoleDate) {
					return nil
				}
				return map[string]any{"format": "date", "minLength": 10, "maxLength": 10,
					"pattern": `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`}
			}})
	}
	return ps
}

// periodParam is the calendar granularity used for period-over-period growth.
func periodParam(desc string) param {
	p := enumParam("period", desc, func(e *env) []string {
		if !e.has(store.RoleDate) {
			return nil
		}
		return []string{"month", "quarter", "year"}
	}, "quarter")
	p.optional = true
	return p
}

// dimensionParam selects a categorical role to group by.
func dimensionParam(extra ...string) param {
	return enumParam("dimension", "Column role to group by.", rolesOf(dimensionRoles, extra...), "brand")
}

// measureParam selects a numeric role among rs.
func measureParam(rs ...store.Role) param {
	return enumParam("measure", "Numeric column role to analyse.", rolesOf(rs), "revenue")
}

func topN(desc string, hi, def int64) param { return intParam("top_n", desc, 1, hi, def) }
