package pool

import (
	"slices"
	"time"
)

// Tuning of the adaptive concurrency (see [concurrency]).
const (
	// minGain is the throughput gain one more call in flight must bring.
	minGain = 0.10
	// minSamples is how many calls a level needs before it is judged.
	minSamples = 4
	// quickSamples calls suffice to give up a level that is clearly worse:
	// every one of them showed at least clearLoss less throughput than the
	// level below. On a host where parallel calls only share the cores, a
	// probe then costs a few calls, not a whole parallel stage.
	quickSamples = 2
	clearLoss    = 0.15
	// recentCalls is how many of a level's last calls its rate is the median
	// of: a call stalled by the machine (a GC pause, a busy core) moves it
	// not at all.
	recentCalls = 8
	// reprobeCalls is how many calls pass before a level that brought no gain
	// is tried again (the host's load or model may have changed); each time
	// the same level fails again the wait doubles, up to maxReprobeCalls, so
	// that a host where parallel calls never pay seldom pays for the probe.
	reprobeCalls    = 50
	maxReprobeCalls = 1600
)

// concurrency learns how many calls one host should run at once, between 1
// and its limit. Every call is filed under its level, the mean number of
// calls in flight on the host over its life (see member.end; a call that
// started alone and ran beside another is parallel), and each level keeps the
// median of its recent calls' rate: tokens, prompt and completion (calls when
// the server reports none), per second of the call's wall time. Prompt
// tokens too, because calls differ in size by stage: later agents' calls
// carry longer prompts, and by completion tokens alone they looked slower
// than the first stage's parallel calls on the real Ollama. The wall time, not
// the server's decode time, because what parallel calls cost may lie outside
// decoding: on Ollama a conversation whose cached prompt another one's turn
// evicted has its whole prompt evaluated again, and on a CPU-bound server two
// calls at once share the cores. The host's throughput at level c is c ×
// rate(c). The window (calls allowed at once) starts at 1 and rises by one
// once its level is measured (leaving out the calls admitted while those of
// the level below were still running, which have not met the queue a full
// window makes) and beats the level below by minGain; it goes back when the
// top level brings latency without that gain, and that level is tried again
// after reprobeCalls calls (more when it fails again). An unavailable host
// halves it. Since calls are judged one by one, a host learns from whatever
// overlap the demand gives (two parallel steps suffice). A fixed concurrency
// keeps the window at the limit. Its methods run under Pool.mu.
type concurrency struct {
	limit    int
	adaptive bool
	window   int     // calls the host may run at once now
	levels   []level // levels[c-1]: calls of level c
	blocked  int     // a level that brought no gain, 0 for none
	since    int     // calls finished since blocked was set
	gap      int     // calls before blocked is tried again
	failed   int     // the level that brought no gain last, 0 for none
	warm     int     // calls at a just raised window still to leave unmeasured
}

// level is what the calls of one level showed.
type level struct {
	recent [recentCalls]float64 // the last calls' tokens (or calls) per second, a ring
	n      int                  // calls measured
	kept   bool                 // it showed minGain over the level below once
}

// rate is the median of the level's recent calls' rates.
func (l *level) rate() float64 {
	rs := slices.Clone(l.recent[:min(l.n, recentCalls)])
	if len(rs) == 0 {
		return 0
	}
	slices.Sort(rs)
	return rs[len(rs)/2]
}

func newConcurrency(limit int, adaptive bool) *concurrency {
	c := &concurrency{limit: limit, adaptive: adaptive, window: limit, levels: make([]level, limit)}
	if adaptive {
		c.window = 1
	}
	return c
}

// free reports whether the host may take one more call with inFlight running.
func (c *concurrency) free(inFlight int) bool { return inFlight < c.window }

// finished records a call of level lvl (calls in flight, itself included)
// that took wall and processed tokens (0: unknown); unavailable says the host
// could not be reached.
func (c *concurrency) finished(lvl int, tokens int64, wall time.Duration, unavailable bool) {
	if !c.adaptive {
		return
	}
	if unavailable {
		c.window = max(1, c.window/2)
		return
	}
	if lvl < 1 || lvl > len(c.levels) || wall <= 0 {
		return
	}
	work := float64(tokens)
	if tokens <= 0 {
		work = 1
	}
	if c.since++; c.blocked != 0 && c.since >= c.gap {
		c.blocked = 0
	}
	if lvl > c.window {
		return // it ran before its level was given up: that level is measured afresh when tried again
	}
	if lvl == c.window && c.warm > 0 {
		c.warm-- // admitted before the host's queue reached the new window: too fast
		return
	}
	l := &c.levels[lvl-1]
	l.recent[l.n%recentCalls] = work / wall.Seconds()
	l.n++
	c.decide()
}

// decide lowers the window when its level brings no gain over the one below
// (minGain when first judged; once kept, a loss: hysteresis, so that noise
// does not swing a window that paid), and raises it when its level is
// measured, gains, and the next is not blocked.
func (c *concurrency) decide() {
	w := c.window
	top := &c.levels[w-1]
	if top.n < minSamples && !c.clearlyWorse(w) {
		return
	}
	need := 1 + minGain
	if top.kept {
		need = 1
	}
	judged := w > 1 && c.levels[w-2].n >= minSamples
	if judged && (top.n < minSamples || c.throughput(w) < c.throughput(w-1)*need) {
		if c.failed == w {
			c.gap = min(2*c.gap, maxReprobeCalls)
		} else {
			c.gap = reprobeCalls
		}
		c.window, c.blocked, c.failed, c.since, c.warm = w-1, w, w, 0, 0
		c.levels[w-1] = level{} // measured afresh when tried again
		return
	}
	if judged {
		top.kept = true
	}
	if c.failed == w {
		c.failed = 0 // it gains now
	}
	if w < c.limit && c.blocked != w+1 {
		c.window, c.warm = w+1, w // the first w calls at w+1 pass while the w before them run
	}
}

// clearlyWorse reports whether level w, on trial (not kept), has shown on
// each of at least quickSamples calls clearLoss less throughput than the
// judged level below.
func (c *concurrency) clearlyWorse(w int) bool {
	if w < 2 || c.levels[w-2].n < minSamples {
		return false
	}
	top := &c.levels[w-1]
	if top.kept || top.n < quickSamples {
		return false
	}
	below := c.throughput(w-1) * (1 - clearLoss)
	return !slices.ContainsFunc(top.recent[:min(top.n, recentCalls)], func(r float64) bool { return float64(w)*r >= below })
}

// throughput is what level lvl showed: lvl calls at its rate.
func (c *concurrency) throughput(lvl int) float64 { return float64(lvl) * c.levels[lvl-1].rate() }
