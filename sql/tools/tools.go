// Package tools holds mrswarm's marketing analysis tools: named, parameterised SQL
// analyses kept as embedded .sql files, each with a JSON Schema for its arguments whose
// enums come from the dataset the tool runs on. Tools address column roles, never
// column names; values are always bound parameters, and identifiers come only from
// validated roles.
package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mrswarm/mrswarm/sql/store"
)

// Spec names and describes one tool.
type Spec struct {
	Name          string
	Description   string // one or two sentences an LLM can act on
	RequiredRoles []store.Role
}

// Info is a tool's spec plus its argument schema and availability for one dataset.
type Info struct {
	Spec
	Schema    json.RawMessage // JSON Schema of the arguments, enums filled from the dataset
	Available bool
	Reason    string // why not available, e.g. `dataset "x" has no column with role "brand"`
}

// Specs returns every tool in a stable order.
func Specs() []Spec {
	out := make([]Spec, len(registry))
	for i, t := range registry {
		out[i] = t.Spec
		out[i].RequiredRoles = slices.Clone(t.RequiredRoles)
	}
	return out
}

// lookup finds a tool by name; an unknown name is store.ErrInvalid listing the names.
func lookup(name string) (*tool, error) {
	names := make([]string, len(registry))
	for i := range registry {
		if registry[i].Name == name {
			return &registry[i], nil
		}
		names[i] = registry[i].Name
	}
	return nil, fmt.Errorf("tools: unknown tool %q (known: %s): %w", name, strings.Join(names, ", "), store.ErrInvalid)
}

// List describes every tool for dataset, with schemas and availability.
func List(ctx context.Context, st *store.Store, dataset string) ([]Info, error) {
	e, err := newEnv(ctx, st, dataset)
	if err != nil {
		return nil, err
	}
	out := make([]Info, len(registry))
	for i := range registry {
		t := &registry[i]
		s, err := json.Marshal(t.schemaDoc(e))
		if err != nil {
			return nil, fmt.Errorf("tools: %s: schema: %w", t.Name, err)
		}
		out[i] = Info{Spec: t.Spec, Schema: s, Available: true}
		out[i].RequiredRoles = slices.Clone(t.RequiredRoles)
		if err := t.unavailable(e); err != nil {
			out[i].Available, out[i].Reason = false, reason(err)
		}
	}
	return out, nil
}

// reason is err's message without package prefix and sentinel suffix.
func reason(err error) string {
	s := strings.TrimPrefix(err.Error(), "tools: ")
	return strings.TrimSuffix(s, ": "+store.ErrPrecondition.Error())
}

// Schema returns the JSON Schema of tool's arguments on dataset.
func Schema(ctx context.Context, st *store.Store, dataset, tool string) (json.RawMessage, error) {
	t, err := lookup(tool)
	if err != nil {
		return nil, err
	}
	e, err := newEnv(ctx, st, dataset)
	if err != nil {
		return nil, err
	}
	s, err := json.Marshal(t.schemaDoc(e))
	if err != nil {
		return nil, fmt.Errorf("tools: %s: schema: %w", t.Name, err)
	}
	return s, nil
}

// Call validates args, runs tool on dataset and stores the result as a handle whose
// summary it returns. Nil or {} args mean defaults. Errors wrap store.ErrInvalid (unknown
// tool, bad arguments), store.ErrNotFound (unknown dataset) or store.ErrPrecondition (a
// role the tool or a filter needs is missing).
func Call(ctx context.Context, st *store.Store, dataset, tool string, args json.RawMessage) (store.Summary, error) {
	t, err := lookup(tool)
	if err != nil {
		return store.Summary{}, err
	}
	e, err := newEnv(ctx, st, dataset)
	if err != nil {
		return store.Summary{}, err
	}
	if err := t.unavailable(e); err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s: %w", t.Name, err)
	}
	a, err := t.parseArgs(ctx, st, e, args)
	if err != nil {
		return store.Summary{}, err
	}
	q, params, err := sqlFor(t, e, a)
	if err != nil {
		return store.Summary{}, err
	}
	sum, err := st.SaveQuery(ctx, "tool:"+t.Name, e.ds.Name, q, params...)
	if err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s on %q: %w", t.Name, dataset, err)
	}
	return sum, nil
}
