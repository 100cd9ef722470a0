package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/clients/llm"
	"github.com/mrswarm/mrswarm/pipeline/agent"
)

// OriginalLatencies are the original system's per-agent time estimates for the
// campaign_optimization agents (45 s, 40 s, 35 s, 30 s), scaled to milliseconds.
var OriginalLatencies = map[string]time.Duration{
	"market_research_analyst":      45 * time.Millisecond,
	"competitive_analyst":          40 * time.Millisecond,
	"brand_performance_specialist": 35 * time.Millisecond,
	"campaign_optimizer":           30 * time.Millisecond,
}

// scriptedLLM plays an agent that calls one tool and then answers, citing the
// tool's handle. Each of the two calls sleeps half the latency scripted for the
// agent that asks (found by its role in the system prompt), so a step's LLM time is
// the scripted latency. It reads the turn's JSON Schema format to pick a valid tool
// call (the first whose arguments need nothing) and the handles it may cite. It
// implements agent.LLM.
type scriptedLLM struct {
	latency map[string]time.Duration // by agent name; missing agents use def
	def     time.Duration
	roles   map[string]string // "You are the <role>." → agent name

	mu    sync.Mutex
	calls map[string]int // by agent name
}

// callsPerStep is how many LLM calls a scripted agent makes: a tool call, an answer.
const callsPerStep = 2

func newScriptedLLM(latency map[string]time.Duration, def time.Duration) *scriptedLLM {
	roles := map[string]string{}
	for _, d := range agent.Builtins() {
		roles["You are the "+d.Role+"."] = d.Name
	}
	return &scriptedLLM{latency: latency, def: def, roles: roles, calls: map[string]int{}}
}

// Capabilities reports plain completion: the agents use schema-constrained turns.
func (l *scriptedLLM) Capabilities(ctx context.Context, model string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

// Chat sleeps the agent's latency share (or until ctx ends) and answers.
func (l *scriptedLLM) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	start := time.Now()
	name := l.agentOf(req.Messages)
	d, ok := l.latency[name]
	if !ok {
		d = l.def
	}
	l.mu.Lock()
	l.calls[name]++
	l.mu.Unlock()
	if d > 0 {
		t := time.NewTimer(d / callsPerStep)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return llm.Response{}, ctx.Err()
		case <-t.C:
		}
	}
	answer, err := scriptedAnswer(req, name)
	if err != nil {
		return llm.Response{}, err
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(m.Content)
	}
	wall := time.Since(start)
	return llm.Response{
		Model:      req.Model,
		Message:    llm.Message{Role: "assistant", Content: string(answer)},
		DoneReason: "stop",
		Usage: llm.Usage{PromptTokens: int64(prompt+3) / 4, CompletionTokens: int64(len(answer)+3) / 4,
			TotalDuration: wall, EvalDuration: wall, Wall: wall},
	}, nil
}

// schemaNode is the part of a JSON Schema the scripted answers look at.
type schemaNode struct {
	AnyOf      []schemaNode          `json:"anyOf"`
	Const      json.RawMessage       `json:"const"`
	Enum       []json.RawMessage     `json:"enum"`
	Required   []string              `json:"required"`
	Properties map[string]schemaNode `json:"properties"`
	Items      *schemaNode           `json:"items"`
}

func (n schemaNode) constString(prop string) string {
	var s string
	_ = json.Unmarshal(n.Properties[prop].Const, &s)
	return s
}

// scriptedAnswer calls the first tool whose arguments need nothing, unless the
// conversation already holds a tool result or the format offers no call; then it
// answers, citing the first handle the format allows.
func scriptedAnswer(req llm.Request, name string) ([]byte, error) {
	var root schemaNode
	if len(req.Format) > 0 {
		if err := json.Unmarshal(req.Format, &root); err != nil {
			return nil, fmt.Errorf("scripted LLM: format: %w", err)
		}
	}
	alts := root.AnyOf
	if len(alts) == 0 {
		alts = []schemaNode{root}
	}
	called := false
	for _, m := range req.Messages {
		called = called || (m.Role == "assistant" && strings.Contains(m.Content, `"call_tool"`))
	}
	var final *schemaNode
	for i, a := range alts {
		switch a.constString("action") {
		case "call_tool":
			if !called && len(a.Properties["args"].Required) == 0 {
				return json.Marshal(map[string]any{"action": "call_tool", "tool": a.constString("tool"), "args": map[string]any{}})
			}
		case "final":
			final = &alts[i]
		}
	}
	cite := []string{}
	if final != nil {
		if f := final.Properties["findings"].Items; f != nil {
			if h := f.Properties["handles"].Items; h != nil && len(h.Enum) > 0 {
				var first string
				if json.Unmarshal(h.Enum[0], &first) == nil {
					cite = append(cite, first)
				}
			}
		}
	}
	return json.Marshal(map[string]any{
		"action":  "final",
		"summary": "Scripted answer for the benchmark of " + name + ".",
		"findings": []map[string]any{
			{"text": "Scripted finding: no numbers are stated.", "handles": cite},
		},
	})
}

func (l *scriptedLLM) agentOf(msgs []llm.Message) string {
	for _, m := range msgs {
		if m.Role != "system" {
			continue
		}
		for prefix, name := range l.roles {
			if strings.Contains(m.Content, prefix) {
				return name
			}
		}
	}
	return ""
}

// callsOf returns how many calls agent made.
func (l *scriptedLLM) callsOf(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[name]
}

func (l *scriptedLLM) String() string {
	return fmt.Sprintf("scripted LLM %v", l.latency)
}
