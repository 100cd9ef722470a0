// Package tools holds mrswarm's marketing analysis tools: named, parameterised SQL
// analyses kept as embedded .sql files, each with a JSON Schema for its arguments whose
// enums come from the dataset the tool runs on. Tools address column roles, never
// column names; values are always bound parameters.
package tools

import (
	"context"
	"encoding/json"
	"errors"

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

var errUnimplemented = errors.New("tools: unimplemented")

// Specs returns every tool in a stable order.
func Specs() []Spec { return nil }

// List describes every tool for dataset, with schemas and availability.
func List(ctx context.Context, st *store.Store, dataset string) ([]Info, error) {
	return nil, errUnimplemented
}

// Schema returns the JSON Schema of tool's arguments on dataset.
func Schema(ctx context.Context, st *store.Store, dataset, tool string) (json.RawMessage, error) {
	return nil, errUnimplemented
}

// Call validates args, runs tool on dataset and stores the result as a handle.
// Nil or {} args mean defaults.
func Call(ctx context.Context, st *store.Store, dataset, tool string, args json.RawMessage) (store.Summary, error) {
	return store.Summary{}, errUnimplemented
}
