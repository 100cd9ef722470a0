package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

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
// graph is walked in stage order.
func (spec *runSpec) memoKeys() []string {
	keys := make([]string, len(spec.g.nodes))
	for _, st := range spec.g.stages {
		for _, id := range st.StepIDs {
			i := spec.g.index[id]
			keys[i] = spec.memoKey(i, keys)
		}
	}
	return keys
}

// memoKey hashes step i's definition, the run settings it depends on, its
// dependencies' keys and the dataset fingerprint.
func (spec *runSpec) memoKey(i int, keys []string) string {
	n := spec.g.nodes[i]
	in := memoInput{Version: memoVersion, Kind: n.act.kind(), Fingerprint: spec.ds.Fingerprint}
	for _, j := range n.deps {
		in.Upstream = append(in.Upstream, keys[j])
	}
	n.act.memo(&in, spec)
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
