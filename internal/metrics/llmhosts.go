package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
)

// LLMHosts exports the per-host series of an LLM pool: calls, errors,
// latency, tokens and generation speed from [LLMHosts.Observe], and the
// hosts' state, in-flight calls and limits from [LLMHosts.Watch].
type LLMHosts struct {
	reg          prometheus.Registerer
	calls        *prometheus.CounterVec   // host
	errors       *prometheus.CounterVec   // host
	latency      *prometheus.HistogramVec // host
	tokens       *prometheus.CounterVec   // host
	genSeconds   *prometheus.CounterVec   // host
	tokensPerSec *prometheus.GaugeVec     // host
}

// LLMHosts registers the per-host series on m's registry.
func (m *Metrics) LLMHosts() *LLMHosts {
	h := &LLMHosts{
		reg:     m.reg,
		calls:   counterVec("llm_host_calls_total", "LLM call attempts, by host.", "host"),
		errors:  counterVec("llm_host_errors_total", "LLM call attempts that failed (not cancelled ones), by host.", "host"),
		latency: histogramVec("llm_host_call_duration_seconds", "LLM call wall time, by host.", "host"),
		tokens:  counterVec("llm_host_completion_tokens_total", "Completion tokens generated, by host.", "host"),
		genSeconds: counterVec("llm_host_generation_seconds_total",
			"Time spent generating completion tokens (the server's eval time, else the call's wall time), by host.", "host"),
		tokensPerSec: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace,
			Name: "llm_host_tokens_per_second", Help: "Generation speed of the host's last successful call."}, []string{"host"}),
	}
	m.reg.MustRegister(h.calls, h.errors, h.latency, h.tokens, h.genSeconds, h.tokensPerSec)
	return h
}

// Observe counts one call attempt; it is the pool's Config.Observe.
func (h *LLMHosts) Observe(c pool.Call) {
	h.calls.WithLabelValues(c.Host).Inc()
	h.latency.WithLabelValues(c.Host).Observe(c.Wall.Seconds())
	if c.Err != nil {
		if !errors.Is(c.Err, context.Canceled) {
			h.errors.WithLabelValues(c.Host).Inc()
		}
		return
	}
	gen := c.Usage.EvalDuration
	if gen <= 0 {
		gen = c.Wall
	}
	h.tokens.WithLabelValues(c.Host).Add(float64(c.Usage.CompletionTokens))
	h.genSeconds.WithLabelValues(c.Host).Add(gen.Seconds())
	if gen > time.Microsecond {
		h.tokensPerSec.WithLabelValues(c.Host).Set(float64(c.Usage.CompletionTokens) / gen.Seconds())
	}
}

// Watch exports the hosts' state as gauges read at every scrape:
// llm_host_up (1 up, 0 down or not probed), llm_host_in_flight and
// llm_host_limit.
func (h *LLMHosts) Watch(hosts func() []pool.HostStatus) {
	h.reg.MustRegister(hostCollector(hosts))
}

var (
	hostUpDesc = prometheus.NewDesc(Namespace+"_llm_host_up",
		"1 when the LLM host answered its last call or probe, 0 when it is down or not probed yet.", []string{"host", "kind"}, nil)
	hostInFlightDesc = prometheus.NewDesc(Namespace+"_llm_host_in_flight", "LLM calls running on the host.", []string{"host"}, nil)
	hostLimitDesc    = prometheus.NewDesc(Namespace+"_llm_host_limit", "Calls the host runs at once.", []string{"host"}, nil)
)

// hostCollector reads a pool's snapshot at scrape time.
type hostCollector func() []pool.HostStatus

func (c hostCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- hostUpDesc
	ch <- hostInFlightDesc
	ch <- hostLimitDesc
}

func (c hostCollector) Collect(ch chan<- prometheus.Metric) {
	for _, h := range c() {
		up := 0.0
		if h.State == pool.StateUp {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(hostUpDesc, prometheus.GaugeValue, up, h.Host, h.Kind)
		ch <- prometheus.MustNewConstMetric(hostInFlightDesc, prometheus.GaugeValue, float64(h.InFlight), h.Host)
		ch <- prometheus.MustNewConstMetric(hostLimitDesc, prometheus.GaugeValue, float64(h.Limit), h.Host)
	}
}
