package server

import "github.com/mrswarm/mrswarm/pipeline/llm/pool"

// llmHealth is the LLM pool's part of GET /healthz. State is "up" (every
// host up), "degraded" (some), "down" (none) or "unknown" (none probed yet).
// It does not fail the check: datasets, SQL and tools work without an LLM.
type llmHealth struct {
	State    string            `json:"state"`
	Capacity int               `json:"capacity"`
	Hosts    []pool.HostStatus `json:"hosts"`
}

func llmHealthOf(lp *pool.Pool) *llmHealth {
	h := &llmHealth{Capacity: lp.Capacity(), Hosts: lp.Hosts()}
	up, unknown := 0, 0
	for _, host := range h.Hosts {
		switch host.State {
		case pool.StateUp:
			up++
		case pool.StateUnknown:
			unknown++
		}
	}
	switch {
	case up == len(h.Hosts):
		h.State = "up"
	case up > 0:
		h.State = "degraded"
	case unknown == len(h.Hosts):
		h.State = "unknown"
	default:
		h.State = "down"
	}
	return h
}
