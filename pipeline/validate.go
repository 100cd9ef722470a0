package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// ValidationError lists every problem of a pipeline; it wraps [ErrInvalid]. An
// unknown dataset is one of the problems when there are others; alone, it is
// reported as the store's not-found error instead.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return ErrInvalid.Error() + ": " + strings.Join(e.Problems, "; ")
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// agentCatalog returns the built-ins shadowed by custom definitions, and the problems
// of the custom ones.
func agentCatalog(custom []agent.Definition, tpl *agent.Templates) (map[string]agent.Definition, []string) {
	defs := map[string]agent.Definition{}
	for _, d := range agent.Builtins() {
		defs[d.Name] = d
	}
	var problems []string
	for i, d := range custom {
		if err := tpl.Validate(d); err != nil {
			problems = append(problems, fmt.Sprintf("agent definition %d (%q): %v", i, d.Name, err))
			continue
		}
		defs[d.Name] = d
	}
	return defs, problems
}

// toolNames returns the names of every tool.
func toolNames() map[string]bool {
	names := map[string]bool{}
	for _, s := range tools.Specs() {
		names[s.Name] = true
	}
	return names
}

// validate checks p on dataset with the custom agents and returns its graph, the
// dataset and, when a step needed them to be checked, its tools; every problem
// is listed in one *ValidationError.
func (r *Runner) validate(ctx context.Context, dataset string, p Pipeline, custom []agent.Definition) (*graph, store.Dataset, *tools.Env, error) {
	defs, problems := agentCatalog(custom, r.templates)
	g, more := buildGraph(p, defs, r.templates)
	problems = append(problems, more...)
	ds, err := r.st.Dataset(ctx, dataset)
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid):
		if len(problems) == 0 {
			return nil, store.Dataset{}, nil, fmt.Errorf("pipeline: dataset %q: %w", dataset, err)
		}
		problems = append(problems, fmt.Sprintf("unknown dataset %q", dataset))
	case err != nil:
		return nil, store.Dataset{}, nil, fmt.Errorf("pipeline: dataset %q: %w", dataset, err)
	}
	var env *tools.Env
	if err == nil {
		var more []string
		env, more = r.checkData(ctx, ds, g)
		problems = append(problems, more...)
	}
	if len(problems) > 0 {
		return nil, store.Dataset{}, nil, &ValidationError{Problems: problems}
	}
	return g, ds, env, nil
}

// checkData builds dataset's tools once for the run and reports what only they
// can tell: tools the dataset cannot support, arguments that do not match a
// tool's schema on it.
func (r *Runner) checkData(ctx context.Context, ds store.Dataset, g *graph) (*tools.Env, []string) {
	if !slices.ContainsFunc(g.nodes, func(n *node) bool { return n.act != nil && n.act.needsTools() }) {
		return nil, nil
	}
	dataset := ds.Name
	env, err := r.tools.EnvOf(ctx, ds)
	if err != nil {
		return nil, []string{fmt.Sprintf("list tools of dataset %q: %v", dataset, err)}
	}
	infos, err := env.List()
	if err != nil {
		return nil, []string{fmt.Sprintf("list tools of dataset %q: %v", dataset, err)}
	}
	byName := map[string]tools.Info{}
	for _, in := range infos {
		byName[in.Name] = in
	}
	var problems []string
	for _, n := range g.nodes {
		if n.act != nil {
			problems = append(problems, n.act.checkData(fmt.Sprintf("step %q", n.step.ID), byName)...)
		}
	}
	return env, problems
}

// validateArgs checks JSON arguments (nil means {}) against a JSON Schema.
func validateArgs(schema, args json.RawMessage) error {
	if len(args) == 0 {
		args = json.RawMessage(`{}`)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return fmt.Errorf("tool schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("args.json", doc); err != nil {
		return fmt.Errorf("tool schema: %w", err)
	}
	sch, err := c.Compile("args.json")
	if err != nil {
		return fmt.Errorf("tool schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		if _, detail, ok := strings.Cut(msg, "' - "); ok { // drop "jsonschema validation failed with '<url>'"
			msg = detail
		}
		return errors.New(msg)
	}
	return nil
}
