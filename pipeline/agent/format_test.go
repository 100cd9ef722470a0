package agent

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/sql/tools"
)

func TestBoundSchema(t *testing.T) {
	bigEnum := make([]any, maxGrammarEnum+1)
	for i := range bigEnum {
		bigEnum[i] = "v"
	}
	tests := []struct {
		name string
		in   string
		want map[string]any
	}{
		{"free string gets maxLength", `{"type":"string","description":"d"}`,
			map[string]any{"type": "string", "maxLength": maxGrammarString}},
		{"enum string kept", `{"type":"string","enum":["a","b"]}`,
			map[string]any{"type": "string", "enum": []any{"a", "b"}}},
		{"date narrowed", `{"type":"string","format":"date","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$","maxLength":10}`,
			map[string]any{"type": "string", "format": "date", "pattern": datePattern, "maxLength": float64(10)}},
		{"array capped", `{"type":"array","items":{"enum":["a"]},"maxItems":17,"uniqueItems":true}`,
			map[string]any{"type": "array", "items": map[string]any{"enum": []any{"a"}}, "maxItems": float64(maxGrammarArray), "uniqueItems": true}},
		{"array without max", `{"type":"array","items":{"type":"boolean"}}`,
			map[string]any{"type": "array", "items": map[string]any{"type": "boolean"}, "maxItems": float64(maxGrammarArray)}},
		{"array minItems over cap", `{"type":"array","items":{"type":"boolean"},"minItems":6,"maxItems":9}`,
			map[string]any{"type": "array", "items": map[string]any{"type": "boolean"}, "minItems": float64(6), "maxItems": float64(6)}},
		{"bounded number to integer range", `{"type":"number","minimum":0.5,"maximum":100}`,
			map[string]any{"type": "integer", "minimum": float64(1), "maximum": float64(100)}},
		{"open number bounded", `{"type":"number","exclusiveMinimum":0}`,
			map[string]any{"type": "integer", "minimum": float64(1), "maximum": float64(maxGrammarNumber)}},
		{"open integer bounded", `{"type":"integer","maximum":24}`,
			map[string]any{"type": "integer", "minimum": float64(-maxGrammarNumber), "maximum": float64(24)}},
		{"number range without integers kept", `{"type":"number","minimum":0.1,"maximum":0.9}`,
			map[string]any{"type": "number", "minimum": 0.1, "maximum": 0.9}},
		{"free object closed", `{"type":"object","additionalProperties":{"type":"number"}}`,
			map[string]any{"type": "object", "properties": map[string]any{}, "additionalProperties": false}},
		{"open properties closed", `{"type":"object","properties":{"a":{"type":"integer","minimum":1,"maximum":3}}}`,
			map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "integer", "minimum": float64(1), "maximum": float64(3)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in any
			if err := json.Unmarshal([]byte(tt.in), &in); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, boundSchema(in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("big enum", func(t *testing.T) {
		got := boundSchema(map[string]any{"enum": bigEnum}).(map[string]any)
		want := map[string]any{"type": "string", "maxLength": maxGrammarString}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestTurnFormat(t *testing.T) {
	td := &toolDef{name: "roi", bounded: map[string]any{"type": "object", "properties": map[string]any{}}}
	tests := []struct {
		name    string
		tools   []*toolDef
		handles []string
		mode    branches
		want    []string // substrings
		notWant []string
	}{
		{"tools and no handles", []*toolDef{td}, nil, either,
			[]string{`{"anyOf":[`, `"tool":{"const":"roi"}`, `"handles":{"type":"array","const":[]}`}, nil},
		{"final only", []*toolDef{td}, []string{"res_1"}, finalOnly,
			[]string{`"enum":["res_1"]`, `"maxItems":3`}, []string{"call_tool", "anyOf"}},
		{"call only", []*toolDef{td}, []string{"res_1"}, callOnly,
			[]string{`{"anyOf":[`, `"tool":{"const":"roi"}`}, []string{`"final"`, "res_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := turnFormat(tt.tools, tt.handles, tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(f) || !strings.HasPrefix(string(f), `{"`) {
				t.Fatalf("format is no JSON object: %s", f)
			}
			for _, s := range tt.want {
				if !strings.Contains(string(f), s) {
					t.Errorf("format lacks %s: %s", s, f)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(string(f), s) {
					t.Errorf("format has %s: %s", s, f)
				}
			}
			// The grammar follows property order: action must come first.
			if i, j := strings.Index(string(f), `"action"`), strings.Index(string(f), `"summary"`); i < 0 || (j >= 0 && i > j) {
				t.Errorf("action is not the first property: %s", f)
			}
		})
	}
	huge := &toolDef{name: "huge", bounded: map[string]any{"enum": []string{strings.Repeat("x", maxFormatBytes)}}}
	if _, err := turnFormat([]*toolDef{huge}, nil, either); err == nil || !strings.Contains(err.Error(), "grammar") {
		t.Errorf("oversized format: err = %v", err)
	}
}

// TestBuiltinFormatsFit checks every builtin agent's turn format on the beverage data
// stays under Ollama's grammar limit and compiles as a JSON Schema.
func TestBuiltinFormatsFit(t *testing.T) {
	env := beverageTools(t)
	for _, d := range Builtins() {
		defs, unavailable, err := agentTools(env, d, nil)
		noSpend := func(u missingTool) bool { return strings.Contains(u.reason, `role "spend"`) } // the marketing-mix tools
		if err != nil || !all(unavailable, noSpend) || len(defs)+len(unavailable) != len(d.Tools) {
			t.Fatalf("%s: tools %d of %d, unavailable %v, err %v", d.Name, len(defs), len(d.Tools), unavailable, err)
		}
		f, err := turnFormat(defs, []string{"res_00000000"}, either)
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		if _, err := compile("fmt_"+d.Name, f); err != nil {
			t.Errorf("%s: format does not compile: %v", d.Name, err)
		}
		for _, td := range defs { // builtins fit without dropping arguments
			for _, p := range td.params {
				if !strings.Contains(string(f), `"`+p+`":`) {
					t.Errorf("%s: format lacks argument %s of %s", d.Name, p, td.name)
				}
			}
		}
		t.Logf("%s: %d tools, format %d bytes", d.Name, len(defs), len(f))
	}
}

// TestFormatShrinks checks that an agent with every tool gets a format under the
// grammar limit by offering fewer optional arguments, and that it still validates calls.
func TestFormatShrinks(t *testing.T) {
	var names []string
	for _, s := range tools.Specs() {
		names = append(names, s.Name)
	}
	defs, _, err := agentTools(beverageTools(t), testDef(1, names...), nil)
	if err != nil {
		t.Fatal(err)
	}
	full, err := json.Marshal(formatSchema(defs, nil, either, 0))
	if err != nil {
		t.Fatal(err)
	}
	f, err := turnFormat(defs, nil, either)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) <= maxFormatBytes || len(f) > maxFormatBytes {
		t.Fatalf("format of %d tools: %d bytes unshrunk, %d shrunk, limit %d", len(defs), len(full), len(f), maxFormatBytes)
	}
	if !strings.Contains(string(f), `"$ref":"#/$defs/shared-`) {
		t.Errorf("no shared definitions: %s", f)
	}
	sch, err := compile("shrunk", f)
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range []string{callJSON("market_share", `{"measure":"profit"}`), callJSON("roi", `{}`), finalJSON("x")} {
		if err := validateJSON(sch, []byte(call)); err != nil {
			t.Errorf("%s: %v", call, err)
		}
	}
	t.Logf("%d tools: %d bytes unshrunk, %d shrunk", len(defs), len(full), len(f))
}

func all[T any](xs []T, ok func(T) bool) bool {
	for _, x := range xs {
		if !ok(x) {
			return false
		}
	}
	return true
}

// nestedObj marshals as obj did before appendJSON: each nested obj through
// its own json.Marshal, which re-scans the bytes.
type nestedObj []kv

func (o nestedObj) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, e := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(e.k)
		v, err := json.Marshal(asNested(e.v))
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// asNested turns the objs in v into nestedObjs.
func asNested(v any) any {
	switch v := v.(type) {
	case obj:
		out := make(nestedObj, len(v))
		for i, e := range v {
			out[i] = kv{e.k, asNested(e.v)}
		}
		return out
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = asNested(e)
		}
		return out
	}
	return v
}

func TestAppendJSONAsEncodingJSON(t *testing.T) {
	env := beverageTools(t)
	handles := []string{"res_00000000", "res_<a&b>"} // HTML characters are escaped alike
	for _, d := range Builtins() {
		defs, _, err := agentTools(env, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []branches{finalOnly, callOnly, either} {
			for level := range shrinkLevels {
				s := formatSchema(defs, handles, mode, level)
				got, err := appendJSON(nil, s)
				want, werr := json.Marshal(asNested(s))
				if err != nil || werr != nil || string(got) != string(want) {
					t.Fatalf("%s mode %v level %d:\n got %s, %v\nwant %s, %v", d.Name, mode, level, got, err, want, werr)
				}
			}
		}
	}
	for _, v := range []any{obj(nil), []any(nil), obj{{"a", []any{}}, {"b", nil}}} {
		got, _ := appendJSON(nil, v)
		want, _ := json.Marshal(asNested(v))
		if string(got) != string(want) {
			t.Errorf("appendJSON(%#v) = %s, json.Marshal = %s", v, got, want)
		}
	}
}

// TestFinalFormatIsFinalSchema checks that the final-only format, written
// around its handles from parts built once, is byte for byte the final-answer
// schema as a format of those handles, with or without tools offered.
func TestFinalFormatIsFinalSchema(t *testing.T) {
	td := &toolDef{name: "roi", bounded: map[string]any{"type": "object", "properties": map[string]any{}}}
	for _, handles := range [][]string{nil, {}, {"res_1"}, {"res_1", "res_2", `odd "<&>" \handle`}} {
		want, err := appendJSON(nil, finalSchema(handles))
		if err != nil {
			t.Fatal(err)
		}
		for _, tl := range [][]*toolDef{nil, {td}} {
			for _, mode := range []branches{finalOnly, either} {
				if mode == either && tl != nil {
					continue // a tool call is offered as well
				}
				got, err := turnFormat(tl, handles, mode)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(want) {
					t.Errorf("handles %q, %d tools, mode %d:\n got %s\nwant %s", handles, len(tl), mode, got, want)
				}
			}
		}
	}
	many := make([]string, maxFormatBytes/8)
	for i := range many {
		many[i] = fmt.Sprintf("res_%04d", i)
	}
	if _, err := turnFormat(nil, many, finalOnly); err == nil || !strings.Contains(err.Error(), "grammar") {
		t.Errorf("oversized final format: err = %v", err)
	}
}

// TestToolDefsFollowSchemas: a ToolDefs cache hands out the tool definition
// it built for the same tool, description and schema, and builds a new one
// when any of them changes — a dataset with other brands validates calls
// against its own.
func TestToolDefsFollowSchemas(t *testing.T) {
	c := NewToolDefs()
	info := func(desc string, brands ...string) tools.Info {
		schema := fmt.Sprintf(`{"type":"object","additionalProperties":false,"properties":{"brands":{"type":"array","items":{"enum":%s}}}}`,
			must(json.Marshal(brands)))
		return tools.Info{Spec: tools.Spec{Name: "market_share", Description: desc}, Schema: json.RawMessage(schema), Available: true}
	}
	first, err := c.def(info("Shares.", "Alpha", "Beta"))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.def(info("Shares.", "Alpha", "Beta"))
	if again != first {
		t.Error("the same tool was built again")
	}
	zeta, _ := c.def(info("Shares.", "Alpha", "Zeta"))
	if zeta == first || validateJSON(zeta.args, []byte(`{"brands":["Zeta"]}`)) != nil ||
		validateJSON(first.args, []byte(`{"brands":["Zeta"]}`)) == nil {
		t.Errorf("a changed schema: same definition %v, or Zeta not validated by the new one only", zeta == first)
	}
	if other, _ := c.def(info("Market shares.", "Alpha", "Beta")); other == first || other.desc != "Market shares." {
		t.Error("a changed description kept the old definition")
	}
	if _, err := c.def(tools.Info{Spec: tools.Spec{Name: "bad"}, Schema: json.RawMessage(`{"type":`)}); err == nil {
		t.Error("a schema that does not parse was accepted")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestToolFormatsAsWhole: the formats a runner writes from its tools' parts,
// written once, are the whole format encoded at every turn — the same size
// and, with the shared definitions inlined (their numbering follows Go's map
// order, which differs from one encoding to the next), the same schema — in
// each mode, at the level that fits, whatever the handles and the order of
// the turns: for each builtin agent, for every tool at once (which shrinks)
// and for a tool too big to fit.
func TestToolFormatsAsWhole(t *testing.T) {
	inlined := func(f string) any {
		var doc map[string]any
		if err := json.Unmarshal([]byte(f), &doc); err != nil {
			t.Fatal(err)
		}
		defs, _ := doc["$defs"].(map[string]any)
		delete(doc, "$defs")
		var inline func(v any) any
		inline = func(v any) any {
			switch v := v.(type) {
			case map[string]any:
				if ref, ok := v["$ref"].(string); ok {
					return defs[strings.TrimPrefix(ref, "#/$defs/")]
				}
				for k, e := range v {
					v[k] = inline(e)
				}
			case []any:
				for i, e := range v {
					v[i] = inline(e)
				}
			}
			return v
		}
		return inline(doc)
	}
	whole := func(tl []*toolDef, handles []string, mode branches) (string, error) {
		var size int
		for level := range shrinkLevels {
			b, err := appendJSON(nil, formatSchema(tl, handles, mode, level))
			if err != nil {
				return "", err
			}
			if len(b) <= maxFormatBytes {
				return string(b), nil
			}
			size = len(b)
		}
		return "", formatTooBig(size)
	}
	env := beverageTools(t)
	var all []string
	for _, s := range tools.Specs() {
		all = append(all, s.Name)
	}
	sets := map[string][]*toolDef{
		"huge": {{name: "huge", bounded: map[string]any{"enum": []string{strings.Repeat("x", maxFormatBytes)}}}},
	}
	for _, d := range append(Builtins(), testDef(1, all...)) {
		defs, _, err := agentTools(env, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		sets[d.Name] = defs
	}
	turns := []struct {
		handles []string
		mode    branches
	}{{nil, callOnly}, {nil, either}, {[]string{"res_1"}, either}, {[]string{"res_1", "res_2"}, callOnly},
		{[]string{"res_1", "res_2", `odd "<&>"`}, either}, {[]string{"res_1"}, finalOnly}, {nil, either}}
	for name, tl := range sets {
		f := &toolFormats{tools: tl}
		for i, turn := range turns {
			want, werr := whole(tl, turn.handles, turn.mode)
			got, err := f.format(turn.handles, turn.mode)
			if len(got) != len(want) || fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Errorf("%s, turn %d (mode %d, handles %q):\n got %s, %v\nwant %s, %v", name, i, turn.mode, turn.handles, got, err, want, werr)
				continue
			}
			if err == nil {
				if diff := cmp.Diff(inlined(want), inlined(string(got))); diff != "" {
					t.Errorf("%s, turn %d: (-whole +written):\n%s", name, i, diff)
				}
			}
		}
	}
}
