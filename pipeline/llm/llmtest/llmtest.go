// Package llmtest provides scripted [llm.Client] implementations for tests and
// benchmarks of the pipeline: no model server, deterministic answers, scripted
// latencies. Tests of LLM behaviour itself run against a real Ollama instead
// (internal/ollamatest).
package llmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// CallsPerStep is how many calls a [Script] agent makes in one step: a tool
// call, then an answer.
const CallsPerStep = 2

// Script plays an agent that calls one tool and then answers, citing the tool's
// handle. Each call lasts the asking agent's latency divided by [CallsPerStep]
// (or until its context ends), so a step's LLM time is the scripted latency. It
// reads the turn's JSON Schema format to pick a valid tool call (the first whose
// arguments need nothing) and the handles it may cite. It is safe for concurrent use.
type Script struct {
	// Latency is the scripted LLM time of one step, by agent name; agents not
	// listed use Default.
	Latency map[string]time.Duration
	Default time.Duration
	// Agents maps a marker of the system prompt (e.g. "You are the Data
	// Analyst.") to the agent name it identifies.
	Agents map[string]string

	mu    sync.Mutex // guards calls and answers
	calls map[string]int
	// answers keeps recent answers by what decides them: working one out parses
	// the turn's JSON Schema, ~30 µs of this process's CPU that a model server
	// spends in its own, and that on 2 cores delayed the next parallel step's
	// start in the overhead benchmark.
	answers map[answerKey][]byte
}

// answerKey is what [Answer] reads of a request.
type answerKey struct {
	agent, format string
	called        bool
}

// maxAnswers bounds the answers a Script keeps.
const maxAnswers = 64

// Capabilities reports plain completion: the agents use schema-constrained turns.
func (s *Script) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

// Chat sleeps the agent's latency share (or until ctx ends) and answers.
func (s *Script) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	start := time.Now()
	name := s.AgentOf(req.Messages)
	d, ok := s.Latency[name]
	if !ok {
		d = s.Default
	}
	key := answerKey{agent: name, format: string(req.Format), called: calledTool(req.Messages)}
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[name]++
	answer, known := s.answers[key]
	s.mu.Unlock()
	// The answer is ready before the latency is up, as a model's would be:
	// its CPU is part of the call's time, not added after it.
	var err error
	if !known {
		if answer, err = Answer(req, name); err == nil {
			s.keep(key, answer)
		}
	}
	if serr := Sleep(ctx, d/CallsPerStep-time.Since(start)); serr != nil {
		return llm.Response{}, serr
	}
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

// AgentOf returns the agent whose marker the system messages contain, or "".
func (s *Script) AgentOf(msgs []llm.Message) string {
	for _, m := range msgs {
		if m.Role != "system" {
			continue
		}
		for marker, name := range s.Agents {
			if strings.Contains(m.Content, marker) {
				return name
			}
		}
	}
	return ""
}

// Calls returns how many calls agent made.
func (s *Script) Calls(agent string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[agent]
}

func (s *Script) String() string {
	return fmt.Sprintf("scripted LLM %v", s.Latency)
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

// Answer is the scripted answer of agent name to req: a call of the first tool
// whose arguments need nothing, unless the conversation already holds a tool
// call or the format offers none; else a final answer citing the first handle
// the format allows.
func Answer(req llm.Request, name string) ([]byte, error) {
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
	called := calledTool(req.Messages)
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
	return json.Marshal(map[string]any{
		"action":  "final",
		"summary": "Scripted answer for the benchmark of " + name + ".",
		"findings": []map[string]any{
			{"text": "Scripted finding: no numbers are stated.", "handles": firstHandle(final)},
		},
	})
}

// calledTool reports whether the conversation holds a tool call of the model.
func calledTool(msgs []llm.Message) bool {
	for _, m := range msgs {
		if m.Role == "assistant" && strings.Contains(m.Content, `"call_tool"`) {
			return true
		}
	}
	return false
}

// keep remembers answer for key, forgetting the others once maxAnswers are kept.
func (s *Script) keep(key answerKey, answer []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answers == nil || len(s.answers) >= maxAnswers {
		s.answers = map[answerKey][]byte{}
	}
	s.answers[key] = answer
}

// firstHandle is the first handle a final answer's schema lets it cite, if any.
func firstHandle(final *schemaNode) []string {
	cite := []string{}
	if final == nil {
		return cite
	}
	if f := final.Properties["findings"].Items; f != nil {
		if h := f.Properties["handles"].Items; h != nil && len(h.Enum) > 0 {
			var first string
			if json.Unmarshal(h.Enum[0], &first) == nil {
				cite = append(cite, first)
			}
		}
	}
	return cite
}

// Blocking holds every chat until its context ends (a cancel or a server's
// shutdown), so agent steps stay running until a test ends them.
type Blocking struct{}

// Chat waits for ctx to end and returns its error.
func (Blocking) Chat(ctx context.Context, _ llm.Request) (llm.Response, error) {
	<-ctx.Done()
	return llm.Response{}, ctx.Err()
}

// Capabilities reports plain completion.
func (Blocking) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}
