package agent

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// toolDef is one tool the agent may call on this dataset.
type toolDef struct {
	name   string
	desc   string
	params []string        // argument names, for the prompt
	schema json.RawMessage // the tool's own argument schema
	// decoded is schema decoded, for normalizing arguments.
	decoded map[string]any
	// bounded is schema narrowed for the grammar (see boundSchema).
	bounded any
	// call validates a whole schema-mode call answer; args validates native arguments.
	call, args *jsonschema.Schema
}

// missingTool is a tool of the agent that the dataset cannot support, and why.
type missingTool struct{ name, reason string }

// maxToolDefs bounds a [ToolDefs] cache; past it the cache starts over.
const maxToolDefs = 256

// ToolDefs caches the tools an agent may call, their argument schemas
// decoded, bounded for the grammar and compiled, by the tool's name,
// description and schema on the dataset, so that a runner's agents build each
// once per dataset content (~0.5 ms per tool) instead of at every step. A nil
// *ToolDefs builds them every time. It is safe for concurrent use: a tool
// definition is immutable once built.
type ToolDefs struct {
	mu sync.Mutex // guards m
	m  map[string]*toolDef
}

// NewToolDefs returns an empty cache.
func NewToolDefs() *ToolDefs { return &ToolDefs{m: map[string]*toolDef{}} }

// def returns the definition of the tool in describes, from the cache when
// it has one for the same name, description and schema.
func (c *ToolDefs) def(in tools.Info) (*toolDef, error) {
	if c == nil {
		return newToolDef(in)
	}
	key := in.Name + "\x00" + in.Description + "\x00" + string(in.Schema)
	c.mu.Lock()
	td, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return td, nil
	}
	td, err := newToolDef(in)
	if err != nil {
		return nil, err // not cached: the next step reports it again
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxToolDefs {
		clear(c.m)
	}
	c.m[key] = td
	return td, nil
}

// agentTools resolves d's tools among ts, with their definitions from c.
// Tools the dataset cannot support are left out and listed in unavailable.
func agentTools(ts Tools, d Definition, c *ToolDefs) (defs []*toolDef, unavailable []missingTool, err error) {
	if len(d.Tools) == 0 {
		return nil, nil, nil
	}
	infos, err := ts.List()
	if err != nil {
		return nil, nil, fmt.Errorf("list tools: %w", err)
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
			unavailable = append(unavailable, missingTool{name, in.Reason})
			continue
		}
		td, err := c.def(in)
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
	td := &toolDef{name: in.Name, desc: in.Description, schema: schema, decoded: decoded, bounded: boundSchema(decoded)}
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

// normalizeArgs drops repeated values from arrays whose schema asks for unique items
// (filter lists are sets; a grammar cannot forbid repeats). Other args are unchanged.
func (t *toolDef) normalizeArgs(args json.RawMessage) json.RawMessage {
	var v any
	if len(args) == 0 || json.Unmarshal(args, &v) != nil {
		return args
	}
	v, changed := dedupe(t.decoded, v)
	if !changed {
		return args
	}
	out, err := json.Marshal(v)
	if err != nil {
		return args
	}
	return out
}

// dedupe applies normalizeArgs' rule to v under schema.
func dedupe(schema map[string]any, v any) (any, bool) {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for k, e := range x {
			if ps, ok := props[k].(map[string]any); ok {
				var c bool
				x[k], c = dedupe(ps, e)
				changed = changed || c
			}
		}
	case []any:
		if schema["uniqueItems"] != true {
			return v, false
		}
		seen := map[string]bool{}
		out := x[:0:0]
		for _, e := range x {
			key, _ := json.Marshal(e)
			if !seen[string(key)] {
				seen[string(key)] = true
				out = append(out, e)
			}
		}
		return out, len(out) != len(x)
	}
	return v, changed
}
