package pipeline

import (
	"maps"
	"sync"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// tracker aggregates the token usage of one run per step, per agent and in total,
// exactly as the LLM server reported it. It is safe for concurrent use.
type tracker struct {
	mu     sync.Mutex // guards every field below
	run    TokenUsage
	steps  map[string]TokenUsage
	agents map[string]TokenUsage
}

func newTracker() *tracker {
	return &tracker{steps: map[string]TokenUsage{}, agents: map[string]TokenUsage{}}
}

// add counts one LLM call of step (run by agent) and returns its usage as a TokenUsage.
func (t *tracker) add(step, agentName string, u llm.Usage) TokenUsage {
	call := TokenUsage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens,
		TotalTokens: u.PromptTokens + u.CompletionTokens, LLMCalls: 1}
	t.mu.Lock()
	t.run = t.run.plus(call)
	t.steps[step] = t.steps[step].plus(call)
	if agentName != "" {
		t.agents[agentName] = t.agents[agentName].plus(call)
	}
	t.mu.Unlock()
	return call
}

// step returns the totals of one step.
func (t *tracker) step(id string) TokenUsage {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.steps[id]
}

// totals returns the run total and a copy of the per-agent totals.
func (t *tracker) totals() (TokenUsage, map[string]TokenUsage) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.run, maps.Clone(t.agents)
}

// plus returns u + v.
func (u TokenUsage) plus(v TokenUsage) TokenUsage {
	return TokenUsage{PromptTokens: u.PromptTokens + v.PromptTokens,
		CompletionTokens: u.CompletionTokens + v.CompletionTokens,
		TotalTokens:      u.TotalTokens + v.TotalTokens, LLMCalls: u.LLMCalls + v.LLMCalls}
}
