// Package tools holds mrswarm's marketing analysis tools: named, parameterised SQL
// analyses kept as embedded .sql files, each with a JSON Schema for its arguments whose
// enums come from the dataset the tool runs on. Tools address column roles, never
// column names; values are always bound parameters, and identifiers come only from
// validated roles.
//
// A [Catalog] built over the store derives what the tools read from every row of a
// dataset (its distinct filter values, dataset_profile's full-scan aggregates) once
// per content and keeps it in the store by content fingerprint; [Catalog.Env]
// describes a dataset once for a run's many calls.
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

// Known reports whether name is a tool's name.
func Known(name string) bool {
	return slices.ContainsFunc(registry, func(t tool) bool { return t.Name == name })
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

// List describes every tool for dataset, with schemas and availability, through a
// new [Catalog] (which reads what earlier ones kept in the store).
func List(ctx context.Context, st *store.Store, dataset string) ([]Info, error) {
	return NewCatalog(st).List(ctx, dataset)
}

// Schema returns the JSON Schema of tool's arguments on dataset.
func Schema(ctx context.Context, st *store.Store, dataset, tool string) (json.RawMessage, error) {
	return NewCatalog(st).Schema(ctx, dataset, tool)
}

// Call validates args, runs tool on dataset and stores the result as a handle whose
// summary it returns; see [Env.Call]. It uses a new [Catalog] (which reads
// what earlier ones kept in the store).
func Call(ctx context.Context, st *store.Store, dataset, tool string, args json.RawMessage) (store.Summary, error) {
	return NewCatalog(st).Call(ctx, dataset, tool, args)
}

// reason is err's message without package prefix and sentinel suffix.
func reason(err error) string {
	s := strings.TrimPrefix(err.Error(), "tools: ")
	return strings.TrimSuffix(s, ": "+store.ErrPrecondition.Error())
}
