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

// scriptedLLM answers every chat with a final answer that cites no handle, after
// sleeping the latency scripted for the agent that asks (found by its role in the
// system prompt). It implements agent.LLM.
type scriptedLLM struct {
	latency map[string]time.Duration // by agent name; missing agents use def
	def     time.Duration
	roles   map[string]string // "You are the <role>." → agent name

	mu    sync.Mutex
	calls map[string]int // by agent name
}

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

// Chat sleeps the agent's latency (or until ctx ends) and answers.
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
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return llm.Response{}, ctx.Err()
		case <-t.C:
		}
	}
	answer, err := json.Marshal(map[string]any{
		"action":  "final",
		"summary": "Scripted answer for the benchmark of " + name + ".",
		"findings": []map[string]any{
			{"text": "Scripted finding: no numbers are stated.", "handles": []string{}},
		},
	})
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
