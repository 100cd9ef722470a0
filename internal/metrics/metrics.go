// Package metrics exposes mrswarm's Prometheus metrics: gRPC calls and latencies,
// runs by final status, LLM calls and tokens by model and agent, SQL tool latency,
// dataset cache hits and misses, and the Go runtime and process collectors.
//
// Every Metrics owns its registry, so servers started side by side in tests never
// share series. Runs are observed through the pipeline runner's event hook:
// pass [Metrics.ObserveEvent] as pipeline.Config.OnEvent.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every mrswarm metric name.
const Namespace = "mrswarm"

// Dataset load results, the values of the "result" label of dataset load series.
const (
	LoadHit  = "hit"
	LoadMiss = "miss"
)

// Metrics holds mrswarm's collectors. Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	rpcRequests *prometheus.CounterVec   // method, code
	rpcLatency  *prometheus.HistogramVec // method, code

	runs       *prometheus.CounterVec // status
	runsActive prometheus.Gauge
	steps      *prometheus.CounterVec // kind, status
	findings   *prometheus.CounterVec // status (claim check)

	llmCalls         *prometheus.CounterVec   // model, agent
	promptTokens     *prometheus.CounterVec   // model, agent
	completionTokens *prometheus.CounterVec   // model, agent
	llmLatency       *prometheus.HistogramVec // model

	toolLatency *prometheus.HistogramVec // tool
	toolErrors  *prometheus.CounterVec   // tool

	datasetLoads       *prometheus.CounterVec   // result
	datasetLoadLatency *prometheus.HistogramVec // result

	active activeRuns
}

// New creates the metrics and registers them, with the Go and process collectors,
// on reg; a nil reg gets a fresh registry.
func New(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{reg: reg, active: activeRuns{runs: map[string]bool{}}}
	m.newRPC()
	m.newRuns()
	m.newLLM()
	m.newData()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.rpcRequests, m.rpcLatency,
		m.runs, m.runsActive, m.steps, m.findings,
		m.llmCalls, m.promptTokens, m.completionTokens, m.llmLatency,
		m.toolLatency, m.toolErrors,
		m.datasetLoads, m.datasetLoadLatency,
	)
	return m
}

// Registry is the registry the metrics are registered on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format (mount it at /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// latencyBuckets span 100 µs to ~100 s: SQL tools sit at the low end, LLM calls high.
var latencyBuckets = prometheus.ExponentialBuckets(0.0001, 4, 11)

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
}

func histogramVec(name, help string, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: name, Help: help, Buckets: latencyBuckets,
	}, labels)
}

func (m *Metrics) newRPC() {
	m.rpcRequests = counterVec("grpc_requests_total",
		"gRPC requests handled, by full method and status code.", "method", "code")
	m.rpcLatency = histogramVec("grpc_request_duration_seconds",
		"gRPC request latency (whole stream for streaming RPCs), by method and code.", "method", "code")
}

func (m *Metrics) newRuns() {
	m.runs = counterVec("runs_total", "Pipeline runs finished, by final status.", "status")
	m.runsActive = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "runs_active", Help: "Pipeline runs started and not yet finished.",
	})
	m.steps = counterVec("steps_total", "Pipeline steps finished, by kind and final status.", "kind", "status")
	m.findings = counterVec("report_findings_total", "Agents' findings in finished runs' reports, by claim check: "+
		"verified, partly_verified, unverified (numbers not in the handles they cite) or no_numbers.", "status")
}

func (m *Metrics) newLLM() {
	m.llmCalls = counterVec("llm_calls_total", "LLM calls, by model and agent.", "model", "agent")
	m.promptTokens = counterVec("llm_prompt_tokens_total",
		"Prompt tokens as the LLM server counted them, by model and agent.", "model", "agent")
	m.completionTokens = counterVec("llm_completion_tokens_total",
		"Completion tokens as the LLM server counted them, by model and agent.", "model", "agent")
	m.llmLatency = histogramVec("llm_call_duration_seconds", "LLM call wall time, by model.", "model")
}

func (m *Metrics) newData() {
	m.toolLatency = histogramVec("tool_call_duration_seconds", "SQL tool call latency, by tool.", "tool")
	m.toolErrors = counterVec("tool_call_errors_total", "SQL tool calls that failed, by tool.", "tool")
	m.datasetLoads = counterVec("dataset_loads_total",
		`Dataset loads, by result: "hit" (same content already loaded) or "miss".`, "result")
	m.datasetLoadLatency = histogramVec("dataset_load_duration_seconds",
		"Dataset load wall time, by result.", "result")
}

// CountEvictions exports evicted, the number of results the store's retention
// policy has removed, as mrswarm_results_evicted_total.
func (m *Metrics) CountEvictions(evicted func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: Namespace, Name: "results_evicted_total",
		Help: "Stored results evicted by the retention policy (byte or age budget).",
	}, func() float64 { return float64(evicted()) }))
}

// CountReopens exports reopened, the number of times the store opened its
// database file in a new DuckDB instance (store.Options.RecycleAfter), as
// mrswarm_store_reopens_total.
func (m *Metrics) CountReopens(reopened func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: Namespace, Name: "store_reopens_total",
		Help: "Times the store opened its database file in a new DuckDB instance while idle, to drop what DuckDB kept of finished queries.",
	}, func() float64 { return float64(reopened()) }))
}
