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
	// recentCalls is how many of a level's last calls its rate is taken
	// over (see level.rate).
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
// started alone and ran beside another is parallel), and each level keeps its
// recent calls' rate: the work they gave the host per second of their wall
// time (see level.rate). The wall time, not the server's own times, because what
// parallel calls cost may lie outside them: on Ollama a conversation whose
// cached prompt another one's turn evicted has its whole prompt evaluated
// again, and on a CPU-bound server two calls at once share the cores.
//
// Where the server reports its prompt and decode times (Ollama does), a
// call's work is the seconds the host takes for it alone (see costs): the
// prompt's part from the tokens new to the host and those it held from the
// conversation's last call there (see Pool.sampleLocked), at the costs its
// recent calls alone showed, and no more than the server's own prompt time (a
// prompt found cached whole, a first turn run again, cost little); the
// answer's part from its tokens at the decode speed they showed. Ollama
// keeps a conversation's processed prompt and reports its tokens again with
// every turn; counted as work, they made a long conversation's later turns
// alone look twice as fast per call as the first turns of the conversations
// that start in parallel, and a host on which two calls at once ran that
// first stage a quarter faster kept one. Without server times the work is
// the call's tokens, prompt and completion (calls when it reports none):
// what the server kept cannot be told apart then.
//
// The host's throughput at level c is c × rate(c). The window (calls allowed
// at once) starts at 1 and rises by one once its level is measured (leaving
// out the calls admitted while those of the level below were still running,
// which have not met the queue a full window makes) and beats the level
// below by minGain; it goes back when the top level brings latency without
// that gain, and that level is tried again after reprobeCalls calls (more
// when it fails again). An unavailable host halves it. Since calls are
// judged one by one, a host learns from whatever overlap the demand gives
// (two parallel steps suffice). A fixed concurrency keeps the window at the
// limit. Its methods run under Pool.mu.
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

// sample is what one call showed: its prompt's tokens new to the host and
// those the host held from the conversation's last call there, its
// completion tokens, the server's prompt and decode times (zero when it
// reports none) and the call's wall time.
type sample struct {
	fresh, held, completion int64
	promptEval, eval        time.Duration
	wall                    time.Duration
}

// costs are what a host's calls alone showed, in seconds per token: of a
// prompt's new tokens, of those it held, and of a completion's. decode is 0
// when the host reports no times.
type costs struct{ fresh, held, decode float64 }

// work is what s gave the host: with costs, the seconds the host takes for
// it alone; else its tokens, or 1 (a call) when it reports none.
func (s sample) work(c costs) float64 {
	if c.decode > 0 {
		prompt := min(c.fresh*float64(s.fresh)+c.held*float64(s.held), s.promptEval.Seconds())
		return prompt + c.decode*float64(s.completion)
	}
	if n := s.fresh + s.held + s.completion; n > 0 {
		return float64(n)
	}
	return 1
}

// level is what the calls of one level showed.
type level struct {
	recent [recentCalls]sample // the last calls, a ring
	n      int                 // calls measured
	kept   bool                // it showed minGain over the level below once
}

// calls are the level's recent calls.
func (l *level) calls() []sample { return l.recent[:min(l.n, recentCalls)] }

// rates are the level's recent calls' work per second of their wall time.
func (l *level) rates(c costs) []float64 {
	rs := make([]float64, 0, recentCalls)
	for _, s := range l.calls() {
		rs = append(rs, s.work(c)/s.wall.Seconds())
	}
	return rs
}

// rate is the work of the level's recent calls per second of their wall
// time, all together but for the slowest (of two or more): a call stalled by
// the machine (a GC pause, a busy core) moves it not at all. Together, not
// the median of their rates, because an agent's calls differ in size: a
// first turn's long prompt, a later turn's short one, an answer of 35 or of
// 200 tokens. On the real Ollama a level's calls ran at 0.5–1.1 of their
// work per second, and the median of four or eight such rates missed by
// more than the gain a level must show (see TestAdaptiveJudgesCallsOfMixedSize).
func (l *level) rate(c costs) float64 {
	calls := l.calls()
	slowest := -1
	if len(calls) > 1 {
		rs := l.rates(c)
		slowest = slices.Index(rs, slices.Min(rs))
	}
	var work, wall float64
	for i, s := range calls {
		if i != slowest {
			work, wall = work+s.work(c), wall+s.wall.Seconds()
		}
	}
	if wall <= 0 {
		return 0
	}
	return work / wall
}

// costs are the host's costs alone, from its recent calls of level 1: the
// decode cost their completion tokens showed, and the prompt costs that fit
// their prompt times best (see fitPrompt). Zero without server times.
func (c *concurrency) costs() costs {
	var completion int64
	var eval time.Duration
	var nn, hh, nh, np, hp float64 // sums of products of new tokens, held tokens and prompt seconds
	for _, s := range c.levels[0].calls() {
		completion, eval = completion+s.completion, eval+s.eval
		n, h, p := float64(s.fresh), float64(s.held), s.promptEval.Seconds()
		nn, hh, nh, np, hp = nn+n*n, hh+h*h, nh+n*h, np+n*p, hp+h*p
	}
	if eval <= 0 || completion <= 0 {
		return costs{}
	}
	fresh, held := fitPrompt(nn, hh, nh, np, hp)
	return costs{fresh: fresh, held: held, decode: eval.Seconds() / float64(completion)}
}

// fitPrompt is the cost of a new and of a held prompt token that fits prompt
// times p best over calls of n new and h held tokens (least squares, neither
// below 0), from the sums of their products. On Ollama a held token costs
// next to nothing; on a server that keeps nothing, what a new one does. Where
// the calls do not tell the two apart (none held anything, or all held in
// the same proportion), both get one cost.
func fitPrompt(nn, hh, nh, np, hp float64) (fresh, held float64) {
	if det := nn*hh - nh*nh; nn > 0 && hh > 0 && det > 0.01*nn*hh {
		fresh, held = (np*hh-hp*nh)/det, (hp*nn-np*nh)/det
		switch {
		case fresh >= 0 && held >= 0:
			return fresh, held
		case held < 0:
			return max(np/nn, 0), 0
		default:
			return 0, max(hp/hh, 0)
		}
	}
	tt := nn + 2*nh + hh
	if tt == 0 {
		return 0, 0
	}
	one := max((np+hp)/tt, 0)
	return one, one
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
// that showed s; unavailable says the host could not be reached.
func (c *concurrency) finished(lvl int, s sample, unavailable bool) {
	if !c.adaptive {
		return
	}
	if unavailable {
		c.window = max(1, c.window/2)
		return
	}
	if lvl < 1 || lvl > len(c.levels) || s.wall <= 0 {
		return
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
	l.recent[l.n%recentCalls] = s
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
	return !slices.ContainsFunc(top.rates(c.costs()), func(r float64) bool { return float64(w)*r >= below })
}

// throughput is what level lvl showed: lvl calls at its rate.
func (c *concurrency) throughput(lvl int) float64 {
	return float64(lvl) * c.levels[lvl-1].rate(c.costs())
}
