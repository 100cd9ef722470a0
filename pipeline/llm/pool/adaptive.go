package pool

import "time"

// Tuning of the adaptive concurrency (see [concurrency]).
const (
	// minGain is the throughput gain a raised window must show to stay.
	minGain = 0.10
	// reprobeEpochs is how many settled epochs pass before the window is
	// raised again to see whether the host's capacity changed.
	reprobeEpochs = 8
	// epochCallsPerSlot sets an epoch's length: this many finished calls per
	// slot of the window.
	epochCallsPerSlot = 2
)

// concurrency learns how many calls one host should run at once, between 1
// and its limit, by additive increase while throughput improves: starting at
// one call, it raises the window by one and keeps the raise only when the
// next epoch's throughput (completion tokens per second; calls per second
// when the server reports no tokens) beats the last window's by minGain;
// otherwise it goes back, since latency rose without a throughput gain, and
// tries again after reprobeEpochs. An unavailable host halves the window.
// An epoch whose calls mostly started below the window says nothing about
// the host (the demand was the limit) and changes nothing. A fixed
// concurrency keeps the window at the limit. Its methods run under Pool.mu.
type concurrency struct {
	limit    int
	adaptive bool
	window   int     // calls the host may run at once now
	probing  bool    // the window was just raised: the epoch decides
	base     float64 // throughput at the last accepted window; 0: not measured
	settled  int     // epochs since the window last changed

	// The epoch being measured.
	start       time.Time
	work        float64 // completion tokens (or calls) finished
	calls, full int     // calls finished; calls that started with the window full
}

func newConcurrency(limit int, adaptive bool) *concurrency {
	c := &concurrency{limit: limit, adaptive: adaptive, window: limit}
	if adaptive {
		c.window = 1
	}
	return c
}

// started records a call that took a slot, leaving inFlight calls on the host.
func (c *concurrency) started(now time.Time, inFlight int) {
	if c.start.IsZero() {
		c.start = now
	}
	if inFlight >= c.window {
		c.full++
	}
}

// finished records a finished call that produced tokens (0: unknown or
// failed); unavailable says the host could not be reached.
func (c *concurrency) finished(now time.Time, tokens int64, unavailable bool) {
	if !c.adaptive {
		return
	}
	if unavailable {
		c.window, c.probing, c.settled = max(1, c.window/2), false, 0
		c.reset(now)
		return
	}
	c.calls++
	c.work += float64(max(tokens, 0))
	if tokens <= 0 {
		c.work++ // no token count: count the call
	}
	if c.calls >= epochCallsPerSlot*c.window {
		c.decide(now)
	}
}

// decide ends an epoch: it keeps, raises or lowers the window.
func (c *concurrency) decide(now time.Time) {
	elapsed := now.Sub(c.start).Seconds()
	saturated := 2*c.full >= c.calls
	rate := c.work / max(elapsed, 1e-9)
	c.reset(now)
	switch {
	case !saturated:
	case c.base == 0 || c.probing && rate >= c.base*(1+minGain):
		c.base = rate
		c.raise()
	case c.probing:
		c.window, c.probing, c.settled = c.window-1, false, 0
	default:
		c.base = rate
		if c.settled++; c.settled >= reprobeEpochs {
			c.raise()
		}
	}
}

// raise widens the window by one call, up to the limit.
func (c *concurrency) raise() {
	c.settled = 0
	c.probing = c.window < c.limit
	if c.probing {
		c.window++
	}
}

// reset starts a new epoch at now.
func (c *concurrency) reset(now time.Time) {
	c.start, c.work, c.calls, c.full = now, 0, 0, 0
}
