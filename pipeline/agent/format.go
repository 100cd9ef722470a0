package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Bounds of the final answer, kept small so that even a tiny model finishes within
// num_predict: Ollama turns the format into a llama.cpp grammar, which enforces
// enum, const, maxLength, maxItems and integer minimum/maximum.
const (
	maxSummaryLen  = 300
	maxFindings    = 3
	maxFindingLen  = 200
	maxCiteHandles = 3
	// maxGrammarEnum is the largest enum kept in a format; larger ones become bounded
	// strings in the grammar (the tool's own schema still validates the value).
	maxGrammarEnum = 64
	// maxGrammarArray caps arrays in the grammar: short lists keep a small model's
	// answer short and make repeats (uniqueItems, which grammars cannot express) rare.
	maxGrammarArray = 4
	// maxGrammarString bounds free strings that have no maxLength.
	maxGrammarString = 64
	// maxFormatBytes keeps the grammar under the 32 KB buffer of Ollama v0.6.5's
	// llama.SchemaToGrammar, which truncates longer grammars (the server then fails).
	// Measured with that function on the beverage tools: the grammar is 2.1–4.0 times
	// the format's size, growing with the number of tools; 7 KB leaves a margin.
	maxFormatBytes = 7 << 10
)

// branches says what a turn may answer.
type branches int

const (
	either    branches = iota // a tool call or a final answer
	finalOnly                 // the step budget is used up
	callOnly                  // fewer than Task.MinToolCalls calls were made
)

// datePattern admits only real dates (days up to 28) in 1900–2099, so a grammar
// cannot produce "2024-13-45".
const datePattern = `^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$`

// Answer actions.
const (
	actionCall  = "call_tool"
	actionFinal = "final"
)

// obj is a JSON object that keeps its key order, so the grammar (which follows the
// schema's property order) asks for "action" first.
type obj []kv

type kv struct {
	k string
	v any
}

// MarshalJSON writes the keys in order.
func (o obj) MarshalJSON() ([]byte, error) { return appendJSON(nil, o) }

// appendJSON appends v as JSON to b, writing nested objs and slices of values
// in place: encoding/json would marshal each nested obj on its own and then
// re-scan its bytes, once per level of nesting.
func appendJSON(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case obj:
		b = append(b, '{')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, e.k); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendJSON(b, e.v); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// strictObject is an object schema with the given properties, all required.
func strictObject(props obj) obj {
	req := make([]string, len(props))
	for i, p := range props {
		req[i] = p.k
	}
	return obj{{"type", "object"}, {"properties", props}, {"required", req}, {"additionalProperties", false}}
}

// finalSchema is the final-answer branch; handles lists the handles a finding may cite.
func finalSchema(handles []string) obj { return finalShape(citeSchema(handles)) }

// citeSchema is the schema of a finding's handles: some of handles, or none.
func citeSchema(handles []string) obj {
	if len(handles) == 0 {
		return obj{{"type", "array"}, {"const", []string{}}}
	}
	return obj{{"type", "array"}, {"maxItems", maxCiteHandles},
		{"items", obj{{"type", "string"}, {"enum", handles}}}}
}

// finalFormat is finalSchema(handles) as JSON, written around the cite
// schema from finalParts: the final-only format of every turn that offers no
// tool is the same but for the handles.
func finalFormat(handles []string) ([]byte, error) {
	b := append(make([]byte, 0, len(finalParts.head)+len(finalParts.tail)+64), finalParts.head...)
	b, err := appendJSON(b, citeSchema(handles))
	if err != nil {
		return nil, err
	}
	return append(b, finalParts.tail...), nil
}

// finalParts is the final-answer format as JSON before and after its cite
// schema; like finalAnswer it is a constant, built once.
var finalParts = mustSplitFinal()

// mustSplitFinal splits the final-answer format around its cite schema.
func mustSplitFinal() (parts struct{ head, tail []byte }) {
	const mark = "\"cite\""
	b, err := appendJSON(nil, finalShape(json.RawMessage(mark)))
	head, tail, found := bytes.Cut(b, []byte(mark))
	if err != nil || !found || bytes.Contains(tail, []byte(mark)) {
		panic(fmt.Sprintf("agent: final-answer format: %v", err))
	}
	parts.head, parts.tail = head, tail
	return parts
}

// finalAnswer validates final answers whatever handles they cite: parseFinal
// checks the cited handles against the known ones first, so one schema,
// compiled once, serves every turn of every agent (a compiled schema is
// immutable and safe for concurrent use).
var finalAnswer = mustCompileFinal()

// mustCompileFinal compiles the final-answer schema with any handle allowed;
// the schema is a constant, so failing is a programming error.
func mustCompileFinal() *jsonschema.Schema {
	cite := obj{{"type", "array"}, {"maxItems", maxCiteHandles}, {"items", obj{{"type", "string"}}}}
	doc, err := json.Marshal(finalShape(cite))
	if err == nil {
		var sch *jsonschema.Schema
		if sch, err = compile("final", doc); err == nil {
			return sch
		}
	}
	panic(fmt.Sprintf("agent: final-answer schema: %v", err))
}

// finalShape is the final-answer object whose findings cite handles by cite.
func finalShape(cite any) obj {
	finding := strictObject(obj{
		{"text", obj{{"type", "string"}, {"maxLength", maxFindingLen}}},
		{"handles", cite},
	})
	return strictObject(obj{
		{"action", obj{{"const", actionFinal}}},
		{"summary", obj{{"type", "string"}, {"maxLength", maxSummaryLen}}},
		{"findings", obj{{"type", "array"}, {"maxItems", maxFindings}, {"items", finding}}},
	})
}

// callSchema is the tool-call branch for one tool with args schema args.
func callSchema(tool string, args any) obj {
	return strictObject(obj{
		{"action", obj{{"const", actionCall}}},
		{"tool", obj{{"const", tool}}},
		{"args", args},
	})
}

// turnFormat is the format of one turn: a call to one of tools (whose grammar-bounded
// args schemas are in bounded) or a final answer. mode says which branches it offers.
// When the format is too big for the grammar, it offers fewer optional arguments
// (see shrinkArgs); the tools then use their defaults for those.
func turnFormat(tools []*toolDef, handles []string, mode branches) (json.RawMessage, error) {
	return (&toolFormats{tools: tools}).format(handles, mode)
}

// toolFormats writes the turn formats of one agent's tools. What the tools
// add to a format (their call branches and shared definitions, per shrink
// level) is the same at every turn and is written once; only the final
// branch's handles change. It is not safe for concurrent use.
type toolFormats struct {
	tools []*toolDef
	heads [shrinkLevels][]byte // the format offering only calls, without its closing "]}"; nil: not written yet
}

// format is turnFormat of f's tools.
func (f *toolFormats) format(handles []string, mode branches) (json.RawMessage, error) {
	if mode == finalOnly || len(f.tools) == 0 { // no arguments to shrink
		b, err := finalFormat(handles)
		if err != nil || len(b) <= maxFormatBytes {
			return b, err
		}
		return nil, formatTooBig(len(b))
	}
	var final []byte
	if mode == either {
		var err error
		if final, err = finalFormat(handles); err != nil {
			return nil, err
		}
	}
	var size int
	for level := range shrinkLevels {
		head, err := f.head(level)
		if err != nil {
			return nil, err
		}
		b := append(make([]byte, 0, len(head)+len(final)+3), head...)
		if final != nil { // the final branch comes last among the alternatives
			b = append(append(b, ','), final...)
		}
		if b = append(b, "]}"...); len(b) <= maxFormatBytes {
			return b, nil
		}
		size = len(b)
	}
	return nil, formatTooBig(size)
}

// head returns the format that offers only f's calls at level, written once,
// without the "]}" that closes its alternatives and the format.
func (f *toolFormats) head(level int) ([]byte, error) {
	if f.heads[level] == nil {
		b, err := appendJSON(nil, formatSchema(f.tools, nil, callOnly, level))
		if err != nil {
			return nil, err
		}
		f.heads[level] = bytes.TrimSuffix(b, []byte("]}"))
	}
	return f.heads[level], nil
}

// formatTooBig is the error of a turn format of size bytes even at the last shrink level.
func formatTooBig(size int) error {
	return fmt.Errorf("turn format is %d bytes even with required arguments only, over the %d bytes Ollama's grammar conversion handles; give the agent fewer tools", size, maxFormatBytes)
}

// formatSchema builds the format with the tools' arguments shrunk to level.
func formatSchema(tools []*toolDef, handles []string, mode branches, level int) any {
	var s any = finalSchema(handles)
	if mode != finalOnly && len(tools) > 0 {
		args, defs := shareDefs(tools, level)
		alts := make([]any, 0, len(tools)+1)
		for i, t := range tools {
			alts = append(alts, callSchema(t.name, args[i]))
		}
		if mode == either {
			alts = append(alts, s)
		}
		s = obj{{"anyOf", alts}}
		if len(defs) > 0 {
			s = obj{{"$defs", defs}, {"anyOf", alts}}
		}
	}
	return s
}

// shrinkLevels is the number of argument levels shrinkArgs knows.
const shrinkLevels = 3

// shrinkArgs narrows a bounded argument schema for the grammar: level 0 keeps every
// argument, level 1 only required ones and scalar choices (enums, integers, booleans),
// level 2 only required ones.
func shrinkArgs(schema any, level int) any {
	m, ok := schema.(map[string]any)
	props := argProps(schema)
	if level == 0 || !ok || props == nil {
		return schema
	}
	required := map[string]bool{}
	if rs, ok := m["required"].([]any); ok {
		for _, r := range rs {
			if name, ok := r.(string); ok {
				required[name] = true
			}
		}
	}
	kept := map[string]any{}
	for k, p := range props {
		ps, _ := p.(map[string]any)
		_, enum := ps["enum"]
		scalar := enum || ps["type"] == "integer" || ps["type"] == "boolean"
		if required[k] || (level == 1 && scalar) {
			kept[k] = p
		}
	}
	cp := maps.Clone(m)
	cp["properties"] = kept
	return cp
}

// minSharedDef is the smallest argument schema worth sharing through $defs.
const minSharedDef = 48

// shareDefs returns the tools' bounded argument schemas with every argument schema
// that several tools repeat (the brand, region and date filters...) replaced by a
// $ref to one copy in defs. The grammar converter makes one rule per $ref target,
// so the grammar holds each enum once instead of once per tool.
func shareDefs(tools []*toolDef, level int) (args []any, defs obj) {
	count := map[string]int{}
	keyOf := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	shrunk := make([]any, len(tools))
	for i, t := range tools {
		shrunk[i] = shrinkArgs(t.bounded, level)
		for _, p := range argProps(shrunk[i]) {
			count[keyOf(p)]++
		}
	}
	names := map[string]string{}
	args = make([]any, len(tools))
	for i, sch := range shrunk {
		m, ok := sch.(map[string]any)
		props := argProps(sch)
		if !ok || props == nil {
			args[i] = sch
			continue
		}
		shared := make(map[string]any, len(props))
		for k, p := range props {
			key := keyOf(p)
			if count[key] < 2 || len(key) < minSharedDef {
				shared[k] = p
				continue
			}
			if names[key] == "" {
				names[key] = fmt.Sprintf("shared-%d", len(names)+1)
				defs = append(defs, kv{names[key], p})
			}
			shared[k] = map[string]any{"$ref": "#/$defs/" + names[key]}
		}
		cp := maps.Clone(m)
		cp["properties"] = shared
		args[i] = cp
	}
	return args, defs
}

// argProps returns the properties of an object schema, or nil.
func argProps(schema any) map[string]any {
	m, _ := schema.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	return props
}

// boundSchema returns a copy of a decoded JSON Schema that a grammar keeps short:
// descriptions dropped, big enums replaced by bounded strings, and arrays, strings
// and free-form objects bounded. It only narrows what the grammar allows.
func boundSchema(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, x := range m {
		switch k {
		case "description", "title", "examples", "default", "$comment":
			continue
		case "properties":
			props := map[string]any{}
			for name, p := range x.(map[string]any) {
				props[name] = boundSchema(p)
			}
			out[k] = props
		case "items", "additionalProperties", "not":
			out[k] = boundSchema(x)
		case "anyOf", "oneOf", "allOf", "prefixItems":
			arr, _ := x.([]any)
			bs := make([]any, len(arr))
			for i, e := range arr {
				bs[i] = boundSchema(e)
			}
			out[k] = bs
		default:
			out[k] = x
		}
	}
	boundKeywords(out)
	return out
}

// boundKeywords adds the bounds a grammar needs to one schema object.
func boundKeywords(s map[string]any) {
	if e, ok := s["enum"].([]any); ok && len(e) > maxGrammarEnum {
		delete(s, "enum")
		s["type"], s["maxLength"] = "string", maxGrammarString
	}
	if s["format"] == "date" {
		s["pattern"] = datePattern
	}
	switch s["type"] {
	case "number", "integer":
		boundNumber(s)
	case "array":
		limit := float64(maxGrammarArray)
		if lo, ok := s["minItems"].(float64); ok && lo > limit {
			limit = lo
		}
		if n, ok := s["maxItems"].(float64); !ok || n > limit {
			s["maxItems"] = limit
		}
	case "string":
		_, enum := s["enum"]
		_, cnst := s["const"]
		_, pat := s["pattern"]
		_, ml := s["maxLength"]
		if !enum && !cnst && !pat && !ml {
			s["maxLength"] = maxGrammarString
		}
	case "object", nil:
		if _, ok := s["properties"]; !ok && s["type"] == "object" {
			// A free-form object has no bound in the grammar: offer none of it.
			s["properties"], s["additionalProperties"] = map[string]any{}, false
		} else if ap, ok := s["additionalProperties"]; ok && ap != false {
			s["additionalProperties"] = false
		}
	}
}

// maxGrammarNumber bounds numbers the schema leaves open on a side.
const maxGrammarNumber = 1e9

// boundNumber narrows a number or integer to an integer range: the grammar
// of Ollama v0.6.5 bounds integers by minimum/maximum but lets a free number
// run to any length (a tiny model then emits digits until it overflows to
// +Inf). Integers are valid numbers, so the tool's own validation still holds.
func boundNumber(s map[string]any) {
	lo, hi := -maxGrammarNumber, maxGrammarNumber
	if v, ok := s["minimum"].(float64); ok {
		lo = math.Ceil(v)
	}
	if v, ok := s["exclusiveMinimum"].(float64); ok {
		lo = math.Floor(v) + 1
	}
	if v, ok := s["maximum"].(float64); ok {
		hi = math.Floor(v)
	}
	if v, ok := s["exclusiveMaximum"].(float64); ok {
		hi = math.Ceil(v) - 1
	}
	if _, enum := s["enum"]; enum || lo > hi {
		return // an enum is bounded already; an empty integer range keeps the number
	}
	delete(s, "exclusiveMinimum")
	delete(s, "exclusiveMaximum")
	s["type"], s["minimum"], s["maximum"] = "integer", lo, hi
}

// compile compiles a JSON Schema document.
func compile(name string, schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	url := "mem:///" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return sch, nil
}

// validateJSON validates raw JSON against sch and returns a short error.
func validateJSON(sch *jsonschema.Schema, raw []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("not valid JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("does not match the schema: %s", clip(oneLine(err.Error()), 400))
	}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
