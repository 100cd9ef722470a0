package metrics

import (
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline"
)

// DatasetLoad records one dataset load: hit is true when identical content was
// already loaded (store.LoadResult.CacheHit). Like every recording method, it
// does nothing on a nil *Metrics.
func (m *Metrics) DatasetLoad(hit bool, d time.Duration) {
	if m == nil {
		return
	}
	result := LoadMiss
	if hit {
		result = LoadHit
	}
	m.datasetLoads.WithLabelValues(result).Inc()
	m.datasetLoadLatency.WithLabelValues(result).Observe(d.Seconds())
}

// ToolCall records one SQL tool call made outside a run (e.g. the CallTool RPC);
// tool calls inside runs are recorded from their events by ObserveEvent.
func (m *Metrics) ToolCall(tool string, d time.Duration) {
	if m == nil {
		return
	}
	m.toolLatency.WithLabelValues(tool).Observe(d.Seconds())
}

// ObserveEvent records one run event: LLM calls and tokens, tool calls, finished
// steps and runs. Subscribe it to the runner's event hook
// (pipeline.Config.OnEvent), which passes every event of every run once.
func (m *Metrics) ObserveEvent(ev pipeline.Event) {
	if m == nil {
		return
	}
	switch ev.Type {
	case pipeline.EventRunStarted:
		if m.active.add(ev.RunID) {
			m.runsActive.Inc()
		}
	case pipeline.EventLLMCall:
		m.observeLLM(ev)
	case pipeline.EventToolCall:
		m.observeTool(ev.Tool)
	case pipeline.EventStepFinished, pipeline.EventStepFailed, pipeline.EventStepSkipped:
		if ev.Step != nil {
			m.steps.WithLabelValues(ev.Step.Kind, string(ev.Step.Status)).Inc()
		}
	case pipeline.EventRunFinished:
		if m.active.remove(ev.RunID) { // not for runs interrupted before this process
			m.runsActive.Dec()
		}
		if ev.Run != nil {
			// Claims first: a reader that sees the run counted sees its findings too.
			m.observeClaims(ev.Run.Claims)
			m.runs.WithLabelValues(string(ev.Run.Status)).Inc()
		}
	}
}

// observeClaims counts a finished run's findings by their claim check.
func (m *Metrics) observeClaims(c pipeline.ClaimCounts) {
	m.findings.WithLabelValues("verified").Add(float64(c.Verified))
	m.findings.WithLabelValues("partly_verified").Add(float64(c.PartlyVerified))
	m.findings.WithLabelValues("unverified").Add(float64(c.Unverified))
	m.findings.WithLabelValues("no_numbers").Add(float64(c.NoNumbers))
}

func (m *Metrics) observeLLM(ev pipeline.Event) {
	if ev.LLM == nil {
		return
	}
	c := ev.LLM
	agentName := c.Agent
	m.llmCalls.WithLabelValues(c.Model, agentName).Inc()
	m.promptTokens.WithLabelValues(c.Model, agentName).Add(float64(c.PromptTokens))
	m.completionTokens.WithLabelValues(c.Model, agentName).Add(float64(c.CompletionTokens))
	m.llmLatency.WithLabelValues(c.Model).Observe(c.Wall.Seconds())
}

func (m *Metrics) observeTool(t *pipeline.ToolCall) {
	if t == nil {
		return
	}
	m.toolLatency.WithLabelValues(t.Tool).Observe(t.Duration.Seconds())
	if t.Error != "" {
		m.toolErrors.WithLabelValues(t.Tool).Inc()
	}
}

// activeRuns is the set of runs seen starting and not yet finished.
type activeRuns struct {
	mu   sync.Mutex // guards runs
	runs map[string]bool
}

// add adds run and reports whether it was new.
func (a *activeRuns) add(run string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.runs[run] {
		return false
	}
	a.runs[run] = true
	return true
}

// remove removes run and reports whether it was there.
func (a *activeRuns) remove(run string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	had := a.runs[run]
	delete(a.runs, run)
	return had
}
