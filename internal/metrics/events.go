package metrics

import (
	"context"
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
// steps and runs. Feed it every event of every run exactly once (see Follow).
func (m *Metrics) ObserveEvent(ev pipeline.Event) {
	if m == nil {
		return
	}
	switch ev.Type {
	case pipeline.EventRunStarted:
		m.runsActive.Inc()
	case pipeline.EventStepStarted:
		if ev.Step != nil {
			m.agents.set(ev.RunID, ev.StepID, ev.Step.Agent)
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
		m.runsActive.Dec()
		m.agents.forget(ev.RunID)
		if ev.Run != nil {
			m.runs.WithLabelValues(string(ev.Run.Status)).Inc()
		}
	}
}

func (m *Metrics) observeLLM(ev pipeline.Event) {
	if ev.LLM == nil {
		return
	}
	agentName := m.agents.get(ev.RunID, ev.StepID)
	if ev.Step != nil && ev.Step.Agent != "" {
		agentName = ev.Step.Agent
	}
	c := ev.LLM
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

// Watcher is the part of *pipeline.Runner that Follow needs.
type Watcher interface {
	Watch(ctx context.Context, runID string, afterSeq int64, fn func(pipeline.Event) error) error
}

// Follow observes every event of run runID in the background until the run
// finishes or ctx ends. Call it once per started run.
func (m *Metrics) Follow(ctx context.Context, w Watcher, runID string) {
	if m == nil {
		return
	}
	go func() {
		_ = w.Watch(ctx, runID, 0, func(ev pipeline.Event) error {
			m.ObserveEvent(ev)
			return nil
		})
	}()
}

type stepKey struct{ run, step string }

// agentIndex remembers which agent runs each step, so that LLM call events
// without a step state are still labelled with their agent.
type agentIndex struct {
	mu     sync.Mutex
	byStep map[stepKey]string
}

func (a *agentIndex) set(run, step, agentName string) {
	if agentName == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.byStep[stepKey{run, step}] = agentName
}

func (a *agentIndex) get(run, step string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.byStep[stepKey{run, step}]
}

func (a *agentIndex) forget(run string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.byStep {
		if k.run == run {
			delete(a.byStep, k)
		}
	}
}
