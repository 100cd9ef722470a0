package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// memoVersion changes when the meaning of a stored step result changes, so results
// of older code are not reused.
const memoVersion = 1

// memoInput is everything a step's result depends on. Its JSON is hashed.
type memoInput struct {
	Version     int
	Kind        string
	Agent       *agent.Definition `json:",omitempty"` // the resolved definition
	Task        string            `json:",omitempty"` // the step's task override
	Model       string            `json:",omitempty"` // the resolved model
	LLMOptions  *llm.Options      `json:",omitempty"`
	Tool        string            `json:",omitempty"`
	Args        json.RawMessage   `json:",omitempty"` // compacted
	SQL         string            `json:",omitempty"`
	Title       string            `json:",omitempty"`
	Inputs      *agent.Inputs     `json:",omitempty"` // agent and report steps only
	Context     agent.ContextMode
	ToolMode    agent.ToolMode
	Upstream    []string // memo keys of the dependencies, in DependsOn order
	Fingerprint string   // the dataset's content hash
}

// memoKeys returns the memo key of every step; dependencies come first because the
// graph is walked in stage order. Steps with equal inputs (the same agent on
// the same dependencies, as in a fan-out) share one key, hashed once.
func (spec *runSpec) memoKeys() []string {
	keys := make([]string, len(spec.g.nodes))
	var inputs []memoInput // of the steps keyed so far, by index into keys
	var from []int
	for _, st := range spec.g.stages {
		for _, id := range st.StepIDs {
			i := spec.g.index[id]
			in := spec.memoInput(i, keys)
			if k := slices.IndexFunc(inputs, func(o memoInput) bool { return reflect.DeepEqual(o, in) }); k >= 0 {
				keys[i] = keys[from[k]]
				continue
			}
			keys[i] = memoKey(in)
			inputs, from = append(inputs, in), append(from, i)
		}
	}
	return keys
}

// memoInput is what step i's result depends on: its definition, the run
// settings it uses, its dependencies' keys and the dataset fingerprint.
func (spec *runSpec) memoInput(i int, keys []string) memoInput {
	n := spec.g.nodes[i]
	in := memoInput{Version: memoVersion, Kind: n.act.kind(), Fingerprint: spec.ds.Fingerprint}
	for _, j := range n.deps {
		in.Upstream = append(in.Upstream, keys[j])
	}
	n.act.memo(&in, spec)
	return in
}

// memoKey hashes a step's memo input.
func memoKey(in memoInput) string {
	b, _ := json.Marshal(in) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// compactJSON canonicalises JSON arguments (sorted keys, no insignificant
// whitespace) so formatting or key order does not change a key; {} and null are
// the same as no arguments.
func compactJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	if m, ok := v.(map[string]any); v == nil || ok && len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(v) // map keys are sorted
	if err != nil {
		return raw
	}
	return b
}
