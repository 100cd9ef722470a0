package pool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// Discover probes every host once, concurrently: it learns their models and
// marks each up or down. It returns an error wrapping llm.ErrUnavailable
// only when no host answers.
func (p *Pool) Discover(ctx context.Context) error {
	errs := make([]error, len(p.members))
	var wg sync.WaitGroup
	for i, m := range p.members {
		wg.Go(func() { errs[i] = p.probe(ctx, m) })
	}
	wg.Wait()
	for _, err := range errs {
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("pool: no host answers: %w", errors.Join(errs...))
}

// Run probes hosts until ctx ends: down hosts when their backoff has
// passed, up hosts every ProbeInterval (to refresh their models). Each probe
// runs on its own, so a slow host delays no other.
func (p *Pool) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(min(p.cfg.MinBackoff, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for _, m := range p.due(now) {
				wg.Go(func() {
					_ = p.probe(ctx, m) // the outcome is in the host's state
					p.mu.Lock()
					m.probing = false
					p.mu.Unlock()
				})
			}
		}
	}
}

// due returns the hosts whose next probe time has passed and marks them
// being probed.
func (p *Pool) due(now time.Time) []*member {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*member
	for _, m := range p.members {
		if !m.probing && !now.Before(m.nextProbe) {
			m.probing = true
			out = append(out, m)
		}
	}
	return out
}

// probe lists m's models and records the outcome.
func (p *Pool) probe(ctx context.Context, m *member) error {
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	models, err := m.Backend.Models(pctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if !errors.Is(err, llm.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", llm.ErrUnavailable, err)
		}
		p.downLocked(m, err)
		return err
	}
	set := make(map[string]bool, len(models))
	for _, name := range models {
		set[name] = true
	}
	m.models = set
	p.upLocked(m)
	m.nextProbe = time.Now().Add(p.cfg.ProbeInterval)
	return nil
}

// upLocked marks m up; a host that was not up gets its models refreshed
// after ProbeInterval.
func (p *Pool) upLocked(m *member) {
	if m.state != StateUp {
		p.cfg.Logger.Info("llm host up", "host", m.name, "models", len(m.models), "was", m.state)
		m.state, m.since = StateUp, time.Now()
		m.nextProbe = m.since.Add(p.cfg.ProbeInterval)
		p.broadcastLocked()
	}
	m.failures, m.lastErr = 0, ""
}

// downLocked marks m down and schedules its next probe after a backoff that
// doubles with every consecutive failure.
func (p *Pool) downLocked(m *member, err error) {
	if m.state != StateDown {
		p.cfg.Logger.Warn("llm host down", "host", m.name, "error", err)
		m.state, m.since = StateDown, time.Now()
		p.broadcastLocked()
	}
	m.failures++
	m.lastErr = err.Error()
	backoff := p.cfg.MinBackoff << min(m.failures-1, 16)
	m.nextProbe = time.Now().Add(min(backoff, p.cfg.MaxBackoff))
}

// Ping reports whether any host answers now: nil as soon as one lists its
// models, else every host's error. It does not change the hosts' states.
func (p *Pool) Ping(ctx context.Context) error {
	errs := make([]error, len(p.members))
	var wg sync.WaitGroup
	for i, m := range p.members {
		wg.Go(func() {
			_, errs[i] = m.Backend.Models(ctx)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err == nil {
			return nil
		}
	}
	return errors.Join(errs...)
}
