package pool

import (
	"github.com/google/go-cmp/cmp"
	"math"
	"slices"
	"testing"
	"time"
)

const simTokens = 100 // completion tokens of every simulated call

// perCall is a host's rate per call (tokens per second) at c calls in flight.
type perCall func(c int) float64

// slots is a server that runs up to n calls at once: a call's rate is the
// same up to n in flight; beyond, the extra calls wait, so the host's
// throughput stays that of n.
func slots(n int) perCall {
	return func(c int) float64 { return 100 * float64(min(c, n)) / float64(c) }
}

// saturate plays calls with the window always full (each call starts at the
// window's level) and returns the window after each.
func saturate(c *concurrency, rate perCall, calls int) []int {
	var ws []int
	for range calls {
		lvl := c.window
		c.finished(lvl, sample{completion: simTokens, wall: time.Duration(simTokens / rate(lvl) * float64(time.Second))}, false)
		ws = append(ws, c.window)
	}
	return ws
}

// climb is the windows while saturated calls raise the window from 1 to to:
// per level w, w-1 warm-up calls and minSamples measured ones, the last of
// which raises it.
func climb(from, to int) []int {
	var ws []int
	for w := from; w < to; w++ {
		ws = append(append(ws, rep(w, judgeAt(w)-1)...), w+1)
	}
	return ws
}

// judgeAt is how many saturated calls a just raised window w takes to be judged.
func judgeAt(w int) int { return w - 1 + minSamples }

// quickAt is how many saturated calls a just raised window w that is clearly
// worse than w-1 takes to be given up.
func quickAt(w int) int { return w - 1 + quickSamples }

func rep(w, n int) []int { return slices.Repeat([]int{w}, n) }

func TestAdaptiveConcurrency(t *testing.T) {
	for name, tc := range map[string]struct {
		limit int
		rate  perCall
		want  []int // the window after each call
	}{
		// Raised while throughput grows, one past the server's 4 slots, back to 4.
		"four slots": {limit: 8, rate: slots(4),
			want: slices.Concat(climb(1, 5), rep(5, judgeAt(5)-1), []int{4}, rep(4, 3))},
		// A CPU-bound server where two calls at once take three times as long
		// each (the tiny model on two cores): clearly worse, so back to one
		// call at a time after quickSamples calls.
		"slower in parallel": {limit: 2, rate: func(c int) float64 { return []float64{0, 100, 33}[c] },
			want: slices.Concat(climb(1, 2), rep(2, quickAt(2)-1), []int{1}, rep(1, 3))},
		// A gain below minGain does not pay for the latency: back to one.
		"5% gain": {limit: 4, rate: func(c int) float64 { return []float64{0, 100, 52.5, 35, 26}[c] },
			want: slices.Concat(climb(1, 2), rep(2, judgeAt(2)-1), []int{1}, rep(1, 3))},
		// Never beyond the configured limit.
		"limit below the slots": {limit: 3, rate: slots(8),
			want: slices.Concat(climb(1, 3), rep(3, 5))},
	} {
		t.Run(name, func(t *testing.T) {
			c := newConcurrency(tc.limit, true)
			if got := saturate(c, tc.rate, len(tc.want)); !cmp.Equal(tc.want, got) {
				t.Errorf("windows %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAdaptiveReprobes: a level that brought no gain is tried again after
// reprobeCalls calls, and kept when the host has grown.
func TestAdaptiveReprobes(t *testing.T) {
	c := newConcurrency(8, true)
	saturate(c, slots(2), len(climb(1, 3))+judgeAt(3)) // 1 → 2 → 3 → back to 2
	if c.window != 2 {
		t.Fatalf("window %d, want 2", c.window)
	}
	ws := saturate(c, slots(4), reprobeCalls+judgeAt(3)+judgeAt(4)+judgeAt(5)) // 3 after reprobeCalls, then 4, 5 and back to 4
	if i := slices.Index(ws, 3); i+1 != reprobeCalls {
		t.Errorf("level 3 tried again after %d calls, want %d (windows %v)", i+1, reprobeCalls, ws)
	}
	if ws[len(ws)-1] != 4 {
		t.Errorf("window %d at the end, want 4 on the grown host", ws[len(ws)-1])
	}
}

// TestAdaptiveHysteresis: a level that showed minGain once stays while its
// gain is smaller but still positive (noise on a busy machine), and goes
// back when it loses.
func TestAdaptiveHysteresis(t *testing.T) {
	c := newConcurrency(4, true)
	saturate(c, slots(4), len(climb(1, 4))) // up to 4, level 4 not judged yet
	saturate(c, slots(4), judgeAt(4))       // level 4 judged: kept
	if c.window != 4 {
		t.Fatalf("window %d, want 4", c.window)
	}
	three := c.throughput(3)
	dip := 1.05 * three / 4 // a per-call rate 5 % over level 3's throughput
	for range 20 {
		c.finished(4, sample{completion: simTokens, wall: time.Duration(simTokens / dip * float64(time.Second))}, false)
	}
	if c.window != 4 {
		t.Fatalf("window %d after a 5%% gain on a kept level, want 4", c.window)
	}
	loss := 0.9 * three / 4
	for range 20 {
		c.finished(4, sample{completion: simTokens, wall: time.Duration(simTokens / loss * float64(time.Second))}, false)
	}
	if c.window != 3 {
		t.Errorf("window %d after a loss, want 3", c.window)
	}
}

// TestAdaptiveReprobeBacksOff: each time the same level fails again, the
// calls before it is tried once more double, up to maxReprobeCalls.
func TestAdaptiveReprobeBacksOff(t *testing.T) {
	c := newConcurrency(2, true)
	rate := func(c int) float64 { return []float64{0, 100, 33}[c] }
	ws := saturate(c, rate, minSamples+3*(minSamples+350))
	var ones []int // calls at window 1 after each fall from 2
	for i := minSamples; i < len(ws); i++ {
		switch {
		case ws[i] == 1 && ws[i-1] == 2:
			ones = append(ones, 1)
		case ws[i] == 1 && len(ones) > 0:
			ones[len(ones)-1]++
		}
	}
	if want := []int{reprobeCalls, 2 * reprobeCalls, 4 * reprobeCalls}; !cmp.Equal(want, ones[:min(3, len(ones))]) {
		t.Errorf("calls at window 1 between probes %v, want %v first", ones, want)
	}
	for range 20 * maxReprobeCalls {
		c.finished(2, sample{completion: simTokens, wall: 3 * time.Second}, false)
		c.finished(1, sample{completion: simTokens, wall: time.Second}, false)
	}
	if c.gap != maxReprobeCalls {
		t.Errorf("gap %d after many failed probes, want %d", c.gap, maxReprobeCalls)
	}
}

// TestAdaptiveLearnsFromOverlap: calls that start alone say nothing about
// two at once; the window stays open until overlapping calls are measured.
func TestAdaptiveLearnsFromOverlap(t *testing.T) {
	c := newConcurrency(4, true)
	rate := func(c int) float64 { return []float64{0, 100, 33, 20, 15}[c] }
	saturate(c, rate, minSamples)
	for range 10 {
		c.finished(1, sample{completion: simTokens, wall: time.Second}, false)
	}
	if c.window != 2 {
		t.Fatalf("window %d after calls that started alone, want 2", c.window)
	}
	for range judgeAt(2) {
		c.finished(2, sample{completion: simTokens, wall: 3 * time.Second}, false)
	}
	if c.window != 1 {
		t.Errorf("window %d after two slow overlapping calls, want 1", c.window)
	}
}

// TestAdaptiveUnavailable: a host that cannot be reached halves the window.
func TestAdaptiveUnavailable(t *testing.T) {
	c := newConcurrency(8, true)
	saturate(c, slots(8), len(climb(1, 6))) // up to 6
	if c.window != 6 {
		t.Fatalf("window %d, want 6", c.window)
	}
	c.finished(0, sample{}, true)
	if c.window != 3 {
		t.Errorf("window %d after an unavailable host, want 3", c.window)
	}
	c.finished(0, sample{}, true)
	c.finished(0, sample{}, true)
	if c.window != 1 {
		t.Errorf("window %d, want never below 1", c.window)
	}
}

// TestFixedConcurrency: without Adaptive a host runs at its limit.
func TestFixedConcurrency(t *testing.T) {
	c := newConcurrency(4, false)
	if got := saturate(c, slots(1), 6); slices.ContainsFunc(got, func(w int) bool { return w != 4 }) {
		t.Errorf("windows %v, want 4 throughout", got)
	}
}

// TestFitPrompt: the prompt costs that fit what a host's calls alone showed.
// Ollama holds a conversation's processed tokens and charges only the new
// ones; a server that keeps nothing charges all of them alike; calls that
// held nothing, or held in one proportion, cannot tell the two apart.
func TestFitPrompt(t *testing.T) {
	type call struct{ fresh, held, seconds float64 }
	fit := func(calls []call) (float64, float64) {
		var nn, hh, nh, np, hp float64
		for _, c := range calls {
			nn, hh, nh = nn+c.fresh*c.fresh, hh+c.held*c.held, nh+c.fresh*c.held
			np, hp = np+c.fresh*c.seconds, hp+c.held*c.seconds
		}
		return fitPrompt(nn, hh, nh, np, hp)
	}
	const ms = 1e-3
	for name, tc := range map[string]struct {
		calls       []call
		fresh, held float64
	}{
		"held for free": {calls: []call{{1200, 0, 1.2}, {150, 1300, 0.15}, {400, 0, 0.4}, {200, 1500, 0.2}},
			fresh: ms, held: 0},
		"nothing kept": {calls: []call{{1200, 0, 1.2}, {150, 1300, 1.45}, {400, 0, 0.4}, {200, 1500, 1.7}},
			fresh: ms, held: ms},
		// Noise would make the held cost negative: it is 0 and the fresh
		// cost fits alone.
		"held below nothing": {calls: []call{{1000, 0, 1}, {100, 1000, 0.09}, {100, 2000, 0.08}},
			fresh: 1.017 / 1.02 * ms, held: 0},
		"nothing held":   {calls: []call{{1000, 0, 0.5}, {500, 0, 0.25}}, fresh: ms / 2, held: ms / 2},
		"one proportion": {calls: []call{{100, 100, 0.2}, {200, 200, 0.4}}, fresh: ms, held: ms},
		"no prompts":     {calls: []call{{0, 0, 0}}},
	} {
		t.Run(name, func(t *testing.T) {
			fresh, held := fit(tc.calls)
			if math.Abs(fresh-tc.fresh) > 1e-9 || math.Abs(held-tc.held) > 1e-9 {
				t.Errorf("costs %.4g, %.4g s per new, held token; want %.4g, %.4g", fresh, held, tc.fresh, tc.held)
			}
		})
	}
}

// TestAdaptiveCountsNewPromptTokens: on a server that reports its times, a
// call's work is what the host takes for it alone, its held prompt tokens at
// their cost (next to nothing here), so that a long conversation's later
// turns alone do not look faster than first turns in parallel. Alone, first
// turns of 1200 new tokens and later turns of 150 new and 1300 held tokens
// each take a second per 1000 processed tokens. Two first turns at once each
// take 1.6 times as long: the host gains a quarter. Counted whole, the later
// turns' 1550 tokens in 0.25 s made one call look more than twice as fast as
// two, and the window went back to 1.
func TestAdaptiveCountsNewPromptTokens(t *testing.T) {
	const decode = 100 // completion tokens of every call
	alone := func(fresh, held int64) sample {
		took := time.Duration(fresh+decode) * time.Millisecond
		return sample{fresh: fresh, held: held, completion: decode, promptEval: time.Duration(fresh) * time.Millisecond,
			eval: decode * time.Millisecond, wall: took}
	}
	c := newConcurrency(2, true)
	for _, s := range []sample{alone(1200, 0), alone(150, 1300), alone(1200, 0), alone(150, 1300)} {
		c.finished(1, s, false)
	}
	if c.window != 2 {
		t.Fatalf("window %d after %d calls alone, want 2", c.window, minSamples)
	}
	first := alone(1200, 0)
	first.promptEval, first.eval, first.wall = first.promptEval*16/10, first.eval*16/10, first.wall*16/10
	for range judgeAt(2) {
		c.finished(2, first, false)
		c.finished(1, alone(150, 1300), false) // a later turn alone, between the parallel stages
	}
	if c.window != 2 {
		t.Errorf("window %d after two at once gained a quarter, want 2", c.window)
	}
	if got, want := c.throughput(2)/c.throughput(1), 2/1.6; math.Abs(got-want) > 1e-9 {
		t.Errorf("throughput of two ÷ one %.3f, want %.3f", got, want)
	}
}

// TestAdaptiveJudgesCallsOfMixedSize: calls recorded on the real Ollama (the
// tiny model, two slots; BenchmarkOllamaAdaptive, a probe that the median of
// rates gave up): eight calls of the campaign's later agents alone, then the
// first stage's four calls two at once. Their rates (work per wall second)
// spread over 0.5–1.1; the median of each level's rates made two at once
// 1.07 times one, short of minGain, though together the four calls did a
// third more work per second of two slots than the eight did alone.
func TestAdaptiveJudgesCallsOfMixedSize(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	call := func(fresh, held, completion int64, pe, ev, wall int) sample {
		return sample{fresh: fresh, held: held, completion: completion, promptEval: ms(pe), eval: ms(ev), wall: ms(wall)}
	}
	alone := []sample{call(1179, 0, 35, 687, 41, 736), call(221, 1214, 111, 161, 100, 271), call(1234, 0, 34, 1018, 48, 1077),
		call(49, 1268, 57, 90, 66, 188), call(1174, 0, 35, 395, 30, 435), call(220, 1209, 147, 89, 87, 189),
		call(1490, 0, 85, 523, 62, 604), call(190, 1575, 98, 131, 67, 211)}
	two := []sample{call(417, 0, 42, 429, 44, 490), call(219, 494, 117, 94, 263, 366), call(218, 459, 205, 189, 230, 426),
		call(450, 0, 44, 334, 183, 529)}
	c := newConcurrency(2, true)
	for _, s := range alone {
		c.finished(1, s, false)
	}
	if c.window != 2 {
		t.Fatalf("window %d after the calls alone, want 2", c.window)
	}
	c.warm = 0 // the recorded calls at two were those measured
	for _, s := range two {
		c.finished(2, s, false)
	}
	gain := c.throughput(2) / c.throughput(1)
	t.Logf("two at once %.2f× one", gain)
	if gain < 1+minGain || c.window != 2 {
		t.Errorf("two at once %.2f× one, window %d; want at least %.2f× and window 2", gain, c.window, 1+minGain)
	}
}
