package pool

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// Chat sends req to a host that has its model, the least loaded relative to
// its limit, waiting for a free slot when all are busy. A call that finds
// its host unavailable (or without the model) is retried once on another
// host; the response names the host that answered.
func (p *Pool) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	if req.Model == "" {
		req.Model = p.cfg.Model
	}
	if req.Model == "" {
		return llm.Response{}, errors.New("pool: no model given and no default model configured")
	}
	g, err := p.acquire(ctx, req.Model, nil)
	if err != nil {
		return llm.Response{}, err
	}
	resp, err := p.call(ctx, g, req)
	if err == nil || !retryable(ctx, err) {
		return resp, err
	}
	other, aerr := p.acquire(ctx, req.Model, g.m)
	if aerr != nil {
		return llm.Response{}, err // no other host to try: the host's own error says most
	}
	return p.call(ctx, other, req)
}

// retryable reports whether another host may succeed where this one failed.
func retryable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && (errors.Is(err, llm.ErrUnavailable) || errors.Is(err, llm.ErrModelNotFound))
}

// call runs req on the host of g (which holds a slot for it) and releases
// the slot.
func (p *Pool) call(ctx context.Context, g grant, req llm.Request) (llm.Response, error) {
	m := g.m
	start := p.now()
	resp, err := m.Backend.Chat(ctx, req)
	wall := p.now().Sub(start)
	if err == nil && resp.Host == "" {
		resp.Host = m.name
	}
	p.release(ctx, g, req.Model, resp.Usage, wall, err)
	if p.cfg.Observe != nil {
		p.cfg.Observe(Call{Host: m.name, Model: req.Model, Usage: resp.Usage, Wall: wall, Err: err})
	}
	return resp, err
}

// acquire takes a slot for model on a host other than exclude: the one
// kept for the call's session (see [hold]) if there is one, else the best
// host, waiting while every such host is at its window.
func (p *Pool) acquire(ctx context.Context, model string, exclude *member) (grant, error) {
	s := llm.SessionOf(ctx)
	waiting := false
	defer func() {
		if waiting {
			p.mu.Lock()
			p.waiting--
			p.mu.Unlock()
		}
	}()
	for {
		p.mu.Lock()
		g, err := p.grantLocked(model, exclude, s)
		if g.m != nil || err != nil {
			p.mu.Unlock()
			return g, err
		}
		if !waiting {
			waiting = true
			p.waiting++
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return grant{}, fmt.Errorf("pool: wait for a free slot for %s: %w", model, ctx.Err())
		}
	}
}

// grantLocked takes a slot for model on a host other than exclude, or
// returns none and no error to wait for one.
func (p *Pool) grantLocked(model string, exclude *member, s *llm.Session) (grant, error) {
	if s != nil {
		for _, m := range p.members {
			if m == exclude || !m.mayHave(model) {
				continue
			}
			if g, ok := p.takeHoldLocked(m, s); ok {
				return g, nil
			}
		}
	}
	m, err := p.pickLocked(model, exclude)
	if m == nil {
		return grant{}, err
	}
	g := m.begin(p.now())
	g.streak = 1
	return g, nil
}

// pickLocked returns the host to call, or nil and nil to wait for a slot, or
// an error when no host can serve model. Up (or not yet probed) hosts come
// first; only when none of them has the model is a down one tried, so that
// a pool whose every host is down behaves like the bare backend.
func (p *Pool) pickLocked(model string, exclude *member) (*member, error) {
	var up, down []*member
	for _, m := range p.members {
		if m == exclude || !m.mayHave(model) {
			continue
		}
		if m.state == StateDown {
			down = append(down, m)
		} else {
			up = append(up, m)
		}
	}
	switch {
	case len(up) > 0:
		return leastLoaded(up), nil
	case len(down) > 0:
		return leastLoaded(down), nil
	case exclude != nil:
		return nil, fmt.Errorf("pool: no other host has %s", model)
	}
	return nil, p.missingLocked(model)
}

// leastLoaded returns the host with a free slot and the lowest load, or nil.
func leastLoaded(ms []*member) *member {
	var best *member
	for _, m := range ms {
		if m.free() && (best == nil || m.load() < best.load()) {
			best = m
		}
	}
	return best
}

// missingLocked is the error for a model no host has.
func (p *Pool) missingLocked(model string) error {
	var have []string
	for _, m := range p.members {
		names := slices.Sorted(maps.Keys(m.models))
		have = append(have, fmt.Sprintf("%s has [%s]", m.name, strings.Join(names, " ")))
	}
	return fmt.Errorf("pool: %w: %q is on none of the hosts (%s); pull it on a host (`ollama pull %s`) or serve it there",
		llm.ErrModelNotFound, model, strings.Join(have, "; "), model)
}

// release frees the slot of g, whose call took wall and reported u, and
// learns from the outcome: success marks the host up, feeds its concurrency
// and keeps the slot for the call's session, unavailability marks it down
// and narrows it, a missing model is forgotten.
func (p *Pool) release(ctx context.Context, g grant, model string, u llm.Usage, wall time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := g.m
	lvl := m.end(g, p.now())
	m.calls++
	switch {
	case err == nil:
		p.upLocked(m)
		s := llm.SessionOf(ctx)
		m.conc.finished(lvl, p.sampleLocked(m, s, u, wall), false)
		p.holdLocked(g, s, wall)
	case ctx.Err() != nil:
		// Stopped by the caller: says nothing about the host.
	case errors.Is(err, llm.ErrUnavailable):
		m.errors++
		m.conc.finished(lvl, sample{}, true)
		p.downLocked(m, err)
	case errors.Is(err, llm.ErrModelNotFound):
		m.errors++
		m.forget(model)
	default:
		m.errors++
	}
	p.broadcastLocked()
}

// Capabilities asks a host that has model (up hosts first).
func (p *Pool) Capabilities(ctx context.Context, model string) ([]string, error) {
	if model == "" {
		model = p.cfg.Model
	}
	var errs []error
	for _, m := range p.ordered(model) {
		caps, err := m.Backend.Capabilities(ctx, model)
		if err == nil || ctx.Err() != nil {
			return caps, err
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		p.mu.Lock()
		defer p.mu.Unlock()
		return nil, p.missingLocked(model)
	}
	return nil, errors.Join(errs...)
}

// ordered returns the hosts that may have model, up ones first.
func (p *Pool) ordered(model string) []*member {
	p.mu.Lock()
	defer p.mu.Unlock()
	var up, down []*member
	for _, m := range p.members {
		switch {
		case !m.mayHave(model):
		case m.state == StateDown:
			down = append(down, m)
		default:
			up = append(up, m)
		}
	}
	return append(up, down...)
}
