package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	jskind "github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/mrswarm/mrswarm/sql/store"
)

// args are validated arguments with defaults applied, in normalized form: string,
// dateValue, int64, float64, []string, []float64 or map[string]any of float64.
type args map[string]any

// dateValue is a validated YYYY-MM-DD argument, bound as DATE.
type dateValue string

// allParams returns the tool's own arguments followed by the filters.
func (t *tool) allParams() []param { return append(slices.Clone(t.params), filterParams()...) }

// schemaDoc builds the JSON Schema of t's arguments on e.
func (t *tool) schemaDoc(e *env) map[string]any {
	props := map[string]any{}
	for _, p := range t.allParams() {
		var kw map[string]any
		if p.schema != nil {
			if kw = p.schema(e); kw == nil {
				continue
			}
		}
		prop := map[string]any{"type": jsonType(p.kind), "description": p.desc}
		for k, v := range kw {
			prop[k] = v
		}
		if p.def != nil {
			if d := p.def(e); d != nil {
				prop["default"] = d
			}
		}
		props[p.name] = prop
	}
	return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
}

func jsonType(k kind) string {
	switch k {
	case kInt:
		return "integer"
	case kNumber:
		return "number"
	case kStrings, kNumbers:
		return "array"
	case kObject:
		return "object"
	default:
		return "string"
	}
}

// unavailable returns why t cannot run on e, or nil.
func (t *tool) unavailable(e *env) error {
	for _, r := range t.RequiredRoles {
		if !e.has(r) {
			return e.missing(r)
		}
	}
	for _, p := range t.params {
		if !p.optional && p.schema != nil && p.def != nil && p.schema(e) == nil {
			return fmt.Errorf("tools: dataset %q has no column with a role usable as %s: %w", e.ds.Name, p.name, store.ErrPrecondition)
		}
	}
	return nil
}

// parseArgs validates raw against t's schema on e and returns normalized args with
// defaults applied. Every problem is reported at once.
func (t *tool) parseArgs(ctx context.Context, st *store.Store, e *env, raw json.RawMessage) (args, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = json.RawMessage("{}")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	obj, ok := inst.(map[string]any)
	if err != nil || !ok {
		return nil, t.invalid([]string{"arguments must be a JSON object"})
	}
	if err := t.rolesForFilters(e, obj); err != nil {
		return nil, err
	}
	if err := t.rolesForArgs(e, obj); err != nil {
		return nil, err
	}
	doc := t.schemaDoc(e)
	if probs := append(unknownArgs(doc, obj), schemaProblems(doc, inst)...); len(probs) > 0 {
		return nil, t.invalid(probs)
	}
	a := t.normalize(e, obj)
	probs := checkDates(a)
	if t.check != nil {
		probs = append(probs, t.check(e, a)...)
	}
	more, err := checkCapped(ctx, st, e, a)
	if err != nil {
		return nil, err
	}
	if probs = append(probs, more...); len(probs) > 0 {
		return nil, t.invalid(probs)
	}
	return a, nil
}

// invalid is the ErrInvalid error listing every problem with t's arguments.
func (t *tool) invalid(probs []string) error {
	return fmt.Errorf("tools: %s: invalid arguments: %s: %w", t.Name, strings.Join(probs, "; "), store.ErrInvalid)
}

// rolesForFilters fails with ErrPrecondition for a filter on a role e lacks.
func (t *tool) rolesForFilters(e *env, obj map[string]any) error {
	for _, f := range filterRoles {
		if _, ok := obj[f.Arg]; ok && !e.has(f.Role) {
			return fmt.Errorf("tools: %s: filter %s: %w", t.Name, f.Arg, e.missing(f.Role))
		}
	}
	for _, k := range []string{"start_date", "end_date"} {
		if _, ok := obj[k]; ok && !e.has(store.RoleDate) {
			return fmt.Errorf("tools: %s: filter %s: %w", t.Name, k, e.missing(store.RoleDate))
		}
	}
	return nil
}

// rolesForArgs fails with ErrPrecondition for an argument naming a role that the argument
// would accept on a dataset with every role but that e lacks (weight_by "profit" without
// profit), instead of the schema's bare "value must be one of".
func (t *tool) rolesForArgs(e *env, obj map[string]any) error {
	full := &env{ds: e.ds, cols: map[store.Role]string{}, enums: e.enums, capped: e.capped, labels: e.labels}
	for _, r := range store.Roles {
		full.cols[r] = "NULL"
	}
	for _, p := range t.params {
		v, ok := obj[p.name].(string)
		if !ok || p.kind != kString || p.schema == nil || e.has(store.Role(v)) || !slices.Contains(store.Roles, store.Role(v)) {
			continue
		}
		if kw := p.schema(e); kw != nil && slices.Contains(anyStrings(kw["enum"]), v) {
			continue // a valid value that happens to be a role's name (sort_by margin)
		}
		if kw := p.schema(full); kw != nil && slices.Contains(anyStrings(kw["enum"]), v) {
			return fmt.Errorf("tools: %s: argument %s: %w", t.Name, p.name, e.missing(store.Role(v)))
		}
	}
	return nil
}

func anyStrings(v any) []string {
	s, _ := v.([]string)
	return s
}

func unknownArgs(doc, obj map[string]any) []string {
	props := doc["properties"].(map[string]any)
	allowed := make([]string, 0, len(props))
	for k := range props {
		allowed = append(allowed, k)
	}
	sort.Strings(allowed)
	var probs []string
	for _, k := range sortedKeys(obj) {
		if _, ok := props[k]; !ok {
			probs = append(probs, fmt.Sprintf("unknown argument %q (allowed: %s)", k, strings.Join(allowed, ", ")))
		}
	}
	return probs
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var printer = message.NewPrinter(language.English)

// compiled caches compiled schemas by their JSON text.
var compiled = struct {
	sync.Mutex
	m map[string]*jsonschema.Schema
}{m: map[string]*jsonschema.Schema{}}

// compile compiles a schema document, caching by its JSON text.
func compile(doc map[string]any) (*jsonschema.Schema, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	compiled.Lock()
	sch, ok := compiled.m[string(b)]
	compiled.Unlock()
	if ok {
		return sch, nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("urn:mrswarm:tool", v); err != nil {
		return nil, err
	}
	if sch, err = c.Compile("urn:mrswarm:tool"); err != nil {
		return nil, err
	}
	compiled.Lock()
	if len(compiled.m) > 512 {
		clear(compiled.m)
	}
	compiled.m[string(b)] = sch
	compiled.Unlock()
	return sch, nil
}

// schemaProblems validates inst against doc and returns one line per failed leaf.
func schemaProblems(doc map[string]any, inst any) []string {
	sch, err := compile(doc)
	if err != nil {
		return []string{"internal schema error: " + err.Error()}
	}
	var ve *jsonschema.ValidationError
	if err := sch.Validate(inst); err == nil {
		return nil
	} else if !asValidation(err, &ve) {
		return []string{err.Error()}
	}
	var probs []string
	var walk func(*jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) > 0 {
			for _, c := range v.Causes {
				walk(c)
			}
			return
		}
		if _, ok := v.ErrorKind.(*jskind.AdditionalProperties); ok && len(v.InstanceLocation) == 0 {
			return // reported by unknownArgs with the allowed names
		}
		probs = append(probs, "/"+strings.Join(v.InstanceLocation, "/")+": "+v.ErrorKind.LocalizedString(printer))
	}
	walk(ve)
	return probs
}

func asValidation(err error, ve **jsonschema.ValidationError) bool {
	v, ok := err.(*jsonschema.ValidationError)
	*ve = v
	return ok
}

// normalize converts schema-valid JSON values to Go values and applies defaults.
func (t *tool) normalize(e *env, obj map[string]any) args {
	a := args{}
	for _, p := range t.allParams() {
		v, ok := obj[p.name]
		if !ok {
			if p.def != nil {
				if d := p.def(e); d != nil {
					a[p.name] = d
				}
			}
			continue
		}
		a[p.name] = convert(p, v, e)
	}
	return a
}

func convert(p param, v any, e *env) any {
	num := func(x any) float64 { f, _ := x.(json.Number).Float64(); return f }
	switch p.kind {
	case kInt:
		return int64(num(v)) // the schema guarantees an integral value, maybe written 5.0
	case kNumber:
		return num(v)
	case kDate:
		return dateValue(v.(string))
	case kStrings:
		out := []string{}
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		return out
	case kNumbers:
		out := []float64{}
		for _, x := range v.([]any) {
			out = append(out, num(x))
		}
		return out
	case kObject:
		out := map[string]any{}
		if p.def != nil {
			for k, d := range p.def(e).(map[string]any) {
				out[k] = d
			}
		}
		for k, x := range v.(map[string]any) {
			out[k] = num(x)
		}
		return out
	default:
		return v
	}
}

func checkDates(a args) []string {
	s, ok1 := a["start_date"].(dateValue)
	en, ok2 := a["end_date"].(dateValue)
	if ok1 && ok2 && s > en {
		return []string{fmt.Sprintf("/start_date: %s is after end_date %s", s, en)}
	}
	return nil
}

// checkCapped checks filter values of roles with too many distinct values for an
// enum against the data.
func checkCapped(ctx context.Context, st *store.Store, e *env, a args) ([]string, error) {
	var probs []string
	for _, f := range filterRoles {
		want, ok := a[f.Arg].([]string)
		if !ok || !e.capped[f.Role] {
			continue
		}
		r := &render{e: e}
		q := fmt.Sprintf("SELECT DISTINCT %s FROM %s WHERE %s IN (%s)", e.cols[f.Role], e.table, e.cols[f.Role], r.bindAll(want))
		got, err := distinct(ctx, st, q, r.params...)
		if err != nil {
			return nil, err
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				probs = append(probs, fmt.Sprintf("/%s: %q is not a %s in dataset %q", f.Arg, w, f.Role, e.ds.Name))
			}
		}
	}
	return probs, nil
}
