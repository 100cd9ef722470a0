// Package pool routes LLM calls over several servers — Ollama hosts and
// OpenAI-compatible servers such as vLLM — so that scaling inference out is
// configuration.
//
// Each call goes to a host that has the call's model (discovered through the
// backend's model list: Ollama's /api/tags, OpenAI's /v1/models), chosen by
// the fewest outstanding calls relative to the host's concurrency limit (and
// weight), and never to a host already at its limit: a call waits for a free
// slot instead. A host whose call fails as unavailable is marked down and
// probed with exponential backoff until it answers again; the failed call is
// retried once on another host that has the model. A host that no longer has
// the model is forgotten for that model and the call retried likewise. While
// no host with the model is up, calls still try a down one, so a pool of one
// behaves like the bare backend. With [Config.Adaptive] each host's window
// (the calls it runs at once) is learned between 1 and its limit from the
// throughput its calls show, so a host that gets slower with parallel calls
// runs them one at a time. A call made in an [llm.Session] (one agent step's
// conversation) finds the slot its session's previous call freed kept for
// it a short while, so a conversation's turns follow each other on a server
// that caches the last prompt it processed instead of interleaving with
// another conversation's (see hold).
//
// A [Pool] is an llm.Client like each of its backends. [Pool.Run] runs the health
// probes until its context ends; [Pool.Hosts] shows each host's state and
// counters; [Pool.Capacity] is the sum of the limits, the parallelism that
// keeps every host busy.
package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// ErrConfig: the pool's configuration is invalid.
var ErrConfig = errors.New("pool: invalid configuration")

// Defaults of [Config] and [Host] fields.
const (
	DefaultLimit         = 2
	DefaultProbeInterval = 30 * time.Second
	DefaultMinBackoff    = 250 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	probeTimeout         = 5 * time.Second
)

// Backend is one LLM server: the Ollama and OpenAI-compatible clients.
type Backend interface {
	Chat(ctx context.Context, req llm.Request) (llm.Response, error)
	Capabilities(ctx context.Context, model string) ([]string, error)
	// Models lists the models the server has; it doubles as the health probe.
	Models(ctx context.Context) ([]string, error)
	// Host is the server's base URL; it names the host everywhere.
	Host() string
}

// Host is one member of a pool.
type Host struct {
	Backend Backend
	// Kind names the backend for display ("ollama", "openai").
	Kind string
	// Limit is how many calls the host runs at once; 0 means DefaultLimit.
	Limit int
	// Weight favours a faster host among hosts with free slots; 0 means 1.
	Weight float64
}

// Call is one call attempt on one host, as [Config.Observe] sees it.
type Call struct {
	Host  string
	Model string
	Usage llm.Usage // zero when Err is set
	Wall  time.Duration
	Err   error
}

// Config tunes a pool. The zero value is usable.
type Config struct {
	// Model is used when a request names none.
	Model string
	// ProbeInterval is how often the model lists of up hosts are refreshed.
	ProbeInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait between probes of a down host;
	// it doubles with every failed probe.
	MinBackoff, MaxBackoff time.Duration
	// Adaptive makes each host learn how many calls to run at once, between 1
	// and its limit, from the throughput it shows (see concurrency); false
	// runs every host at its limit.
	Adaptive bool
	// Observe is called after every call attempt, off the pool's lock.
	Observe func(Call)
	// Logger gets host state changes; nil discards them.
	Logger *slog.Logger
}

// Pool routes calls over its hosts. It is safe for concurrent use.
type Pool struct {
	cfg     Config
	members []*member

	mu      sync.Mutex    // guards the state fields of every member, wake and waiting
	wake    chan struct{} // closed and replaced when a slot frees or a state changes
	waiting int           // calls waiting for a slot
	// held is what each live session's last call left processed on its
	// host, for adaptive hosts (see sampleLocked).
	held map[*llm.Session]heldTokens

	// afterFunc runs f after d unless stopped (time.AfterFunc; tests replace it).
	afterFunc func(d time.Duration, f func()) (stop func() bool)
	// now is the clock that times calls (time.Now; tests replace it).
	now func() time.Time
}

// New returns a pool of hosts. It contacts none of them; [Pool.Discover]
// does.
func New(hosts []Host, cfg Config) (*Pool, error) {
	if len(hosts) == 0 {
		return nil, fmt.Errorf("%w: no hosts", ErrConfig)
	}
	cfg = cfg.withDefaults()
	p := &Pool{cfg: cfg, wake: make(chan struct{}), afterFunc: afterFunc, now: time.Now}
	seen := map[string]bool{}
	for _, h := range hosts {
		if h.Backend == nil {
			return nil, fmt.Errorf("%w: a host without a backend", ErrConfig)
		}
		name := h.Backend.Host()
		if seen[name] {
			return nil, fmt.Errorf("%w: host %s listed twice", ErrConfig, name)
		}
		seen[name] = true
		if h.Limit < 0 || h.Weight < 0 {
			return nil, fmt.Errorf("%w: host %s: negative limit or weight", ErrConfig, name)
		}
		if h.Limit == 0 {
			h.Limit = DefaultLimit
		}
		if h.Weight == 0 {
			h.Weight = 1
		}
		p.members = append(p.members, &member{Host: h, name: name, state: StateUnknown,
			conc: newConcurrency(h.Limit, cfg.Adaptive)})
	}
	return p, nil
}

func (c Config) withDefaults() Config {
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(DefaultMaxBackoff, c.MinBackoff)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

func afterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// Capacity is the sum of the hosts' limits: how many calls the pool runs at
// once when every host is up.
func (p *Pool) Capacity() int {
	n := 0
	for _, m := range p.members {
		n += m.Limit
	}
	return n
}

// broadcastLocked wakes every call waiting for a slot; p.mu is held.
func (p *Pool) broadcastLocked() {
	close(p.wake)
	p.wake = make(chan struct{})
}
