package bench

import (
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm/llmtest"
)

// OriginalLatencies are the original system's per-agent time estimates for the
// campaign_optimization agents (45 s, 40 s, 35 s, 30 s), scaled to milliseconds.
var OriginalLatencies = map[string]time.Duration{
	"market_research_analyst":      45 * time.Millisecond,
	"competitive_analyst":          40 * time.Millisecond,
	"brand_performance_specialist": 35 * time.Millisecond,
	"campaign_optimizer":           30 * time.Millisecond,
}

// newScriptedLLM returns the scripted LLM of llmtest playing the built-in agents
// (found by their role in the system prompt) with the given step latencies.
func newScriptedLLM(latency map[string]time.Duration, def time.Duration) *llmtest.Script {
	roles := map[string]string{}
	for _, d := range agent.Builtins() {
		roles["You are the "+d.Role+"."] = d.Name
	}
	return &llmtest.Script{Latency: latency, Default: def, Agents: roles}
}
