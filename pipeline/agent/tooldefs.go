package agent

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mrswarm/mrswarm/clients/llm"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// toolDef is one tool the agent may call on this dataset.
type toolDef struct {
	name   string
	desc   string
	params []string        // argument names, for the prompt
	schema json.RawMessage // the tool's own argument schema
	// bounded is schema narrowed for the grammar (see boundSchema).
	bounded any
	// call validates a whole schema-mode call answer; args validates native arguments.
	call, args *jsonschema.Schema
}

// agentTools resolves d's tools on dataset. Tools the dataset cannot support are left
// out and described in unavailable.
func agentTools(ctx context.Context, st *store.Store, dataset string, d Definition) (defs []*toolDef, unavailable []string, err error) {
	if len(d.Tools) == 0 {
		return nil, nil, nil
	}
	infos, err := tools.List(ctx, st, dataset)
	if err != nil {
		return nil, nil, fmt.Errorf("list tools on %q: %w", dataset, err)
	}
	byName := map[string]tools.Info{}
	for _, in := range infos {
		byName[in.Name] = in
	}
	for _, name := range d.Tools {
		in, ok := byName[name]
		switch {
		case !ok:
			return nil, nil, fmt.Errorf("%w %q: unknown tool %q", ErrInvalidDefinition, d.Name, name)
		case !in.Available:
			unavailable = append(unavailable, name+" ("+in.Reason+")")
			continue
		}
		td, err := newToolDef(in)
		if err != nil {
			return nil, nil, err
		}
		defs = append(defs, td)
	}
	return defs, unavailable, nil
}

// newToolDef compiles the schemas of one tool.
func newToolDef(in tools.Info) (*toolDef, error) {
	schema := in.Schema
	if len(schema) == 0 {
		schema = json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`)
	}
	var decoded map[string]any
	if err := json.Unmarshal(schema, &decoded); err != nil {
		return nil, fmt.Errorf("tool %s schema: %w", in.Name, err)
	}
	td := &toolDef{name: in.Name, desc: in.Description, schema: schema, bounded: boundSchema(decoded)}
	if props, ok := decoded["properties"].(map[string]any); ok {
		td.params = sortedKeys(props)
	}
	callDoc, err := json.Marshal(callSchema(in.Name, schema))
	if err != nil {
		return nil, err
	}
	if td.call, err = compile("call_"+in.Name, callDoc); err != nil {
		return nil, err
	}
	if td.args, err = compile("args_"+in.Name, schema); err != nil {
		return nil, err
	}
	return td, nil
}

// toolSpecs are the tools offered through native tool calling.
func toolSpecs(defs []*toolDef) []llm.ToolSpec {
	specs := make([]llm.ToolSpec, len(defs))
	for i, t := range defs {
		specs[i] = llm.ToolSpec{Name: t.name, Description: t.desc, Parameters: t.schema}
	}
	return specs
}
