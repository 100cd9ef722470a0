package pool

import (
	"math"
	"slices"
	"strings"
	"time"
)

// State is a host's health as the pool sees it.
type State string

// Host states.
const (
	// StateUnknown: not probed yet; calls may go there.
	StateUnknown State = "unknown"
	// StateUp: the last probe or call succeeded.
	StateUp State = "up"
	// StateDown: the last probe or call found the host unavailable.
	StateDown State = "down"
)

// member is a host with its routing state; every field below Host is
// guarded by Pool.mu.
type member struct {
	Host
	name string

	state     State
	models    map[string]bool // nil until discovered
	inFlight  int
	busy      float64      // inFlight integrated over time, in call-seconds (see begin)
	busyAt    time.Time    // when busy was last brought up to date
	conc      *concurrency // how many calls may be in flight
	holds     []*hold      // slots kept for sessions' next calls
	probing   bool         // a probe of Run is under way
	failures  int          // consecutive failed probes or calls
	nextProbe time.Time    // zero: probe at the next tick
	since     time.Time    // when state last changed
	lastErr   string
	calls     int64 // finished call attempts
	errors    int64 // failed call attempts (not counting cancelled ones)
}

// begin counts a call that starts at now and returns its grant.
func (m *member) begin(now time.Time) grant {
	m.account(now)
	m.inFlight++
	return grant{m: m, lvl: m.inFlight, busy: m.busy, at: now}
}

// end counts g's call ending at now and returns its level: the mean number
// of calls in flight on the host over the call's life, rounded, so that a
// call that started alone but ran mostly beside another counts as parallel
// (its start level when no time passed).
func (m *member) end(g grant, now time.Time) int {
	m.account(now)
	m.inFlight--
	d := now.Sub(g.at).Seconds()
	if d <= 0 {
		return g.lvl
	}
	return max(1, int(math.Round((m.busy-g.busy)/d)))
}

// account brings busy up to now.
func (m *member) account(now time.Time) {
	if !m.busyAt.IsZero() {
		m.busy += float64(m.inFlight) * now.Sub(m.busyAt).Seconds()
	}
	m.busyAt = now
}

// mayHave reports whether the host has model or might (not discovered yet).
// Ollama names carry a tag: "m" is "m:latest".
func (m *member) mayHave(model string) bool {
	if m.models == nil {
		return true
	}
	return m.models[model] || (!strings.Contains(model, ":") && m.models[model+":latest"])
}

// forget drops model from the host's known models.
func (m *member) forget(model string) {
	if m.models == nil {
		m.models = map[string]bool{}
	}
	delete(m.models, model)
	delete(m.models, model+":latest")
}

// load is the routing score: taken slots (in flight or kept for a session)
// per slot of the window, over the weight.
func (m *member) load() float64 {
	return float64(m.taken()+1) / (float64(m.conc.window) * m.Weight)
}

// free reports whether the host may take one more call of no session
// holding one of its slots.
func (m *member) free() bool { return m.conc.free(m.taken()) }

// taken is the slots in use: calls in flight and holds.
func (m *member) taken() int { return m.inFlight + len(m.holds) }

// HostStatus is a snapshot of one host.
type HostStatus struct {
	Host      string    `json:"host"`
	Kind      string    `json:"kind"`
	State     State     `json:"state"`
	Since     time.Time `json:"since"`
	InFlight  int       `json:"in_flight"`
	Held      int       `json:"held"` // slots kept for a session's next call
	Limit     int       `json:"limit"`
	Window    int       `json:"window"` // calls it may run at once now (Limit unless adaptive)
	Weight    float64   `json:"weight"`
	Models    []string  `json:"models"`
	Calls     int64     `json:"calls"`
	Errors    int64     `json:"errors"`
	LastError string    `json:"last_error,omitempty"`
}

// Hosts returns every host's state, in configuration order.
func (p *Pool) Hosts() []HostStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]HostStatus, len(p.members))
	for i, m := range p.members {
		var models []string
		for name := range m.models {
			models = append(models, name)
		}
		slices.Sort(models)
		out[i] = HostStatus{Host: m.name, Kind: m.Kind, State: m.state, Since: m.since,
			InFlight: m.inFlight, Held: len(m.holds), Limit: m.Limit, Window: m.conc.window, Weight: m.Weight, Models: models,
			Calls: m.calls, Errors: m.errors, LastError: m.lastErr}
	}
	return out
}
