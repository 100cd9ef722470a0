package ollamaproc

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Restart backoff of [Process.Supervise]: it doubles after each failed
// restart, up to the maximum.
const (
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
)

// errStopping: Stop was called while a restart was due.
var errStopping = errors.New("ollamaproc: stopping")

// Supervise keeps the server running until ctx ends or Stop is called: when
// it exits on its own, its process group (runners it orphaned) is killed and
// it is started again on the same address with the same models, after a
// backoff that doubles while restarts fail. report, if not nil, hears of
// every exit (up false, with the reason) and recovery (up true).
func (p *Process) Supervise(ctx context.Context, report func(up bool, err error)) {
	if report == nil {
		report = func(bool, error) {}
	}
	for {
		c := p.current()
		select {
		case <-ctx.Done():
			return
		case <-c.exited:
		}
		if p.isStopping() {
			return
		}
		_ = c.killGroup()
		report(false, fmt.Errorf("%w on %s: %v", ErrExited, p.Addr, c.waitErr))
		if !p.restartWithBackoff(ctx, report) {
			return
		}
		report(true, nil)
	}
}

// restartWithBackoff restarts the server until it answers; false when ctx
// ended or Stop was called first.
func (p *Process) restartWithBackoff(ctx context.Context, report func(bool, error)) bool {
	backoff := minBackoff
	for {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		err := p.restart(ctx)
		if err == nil {
			return true
		}
		if errors.Is(err, errStopping) || ctx.Err() != nil {
			return false
		}
		report(false, err)
		backoff = min(2*backoff, maxBackoff)
	}
}

// restart starts a new server on the same address and waits until it answers.
func (p *Process) restart(ctx context.Context) error {
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		return errStopping
	}
	p.cfg.Addr = p.Addr // clients know this address
	c, err := p.start()
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if err := p.waitReady(ctx, c); err != nil {
		_ = c.terminate(time.Second)
		return err
	}
	return nil
}

func (p *Process) isStopping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}
