package pool

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// simHost plays epochs of calls against a concurrency with a fake clock: a
// host whose throughput at w calls in flight is rate(w) tokens per second.
type simHost struct {
	c    *concurrency
	now  time.Time
	rate func(w int) float64
}

const simTokens = 100 // completion tokens of every call

// epoch runs one epoch of calls, started with the window full when saturated
// (else one call at a time), and returns the window after it.
func (h *simHost) epoch(saturated bool) int {
	w := h.c.window
	n := epochCallsPerSlot * w
	inFlight := 1
	if saturated {
		inFlight = w
	}
	for range n {
		h.c.started(h.now, inFlight)
	}
	h.now = h.now.Add(time.Duration(float64(n*simTokens) / h.rate(w) * float64(time.Second)))
	for range n {
		h.c.finished(h.now, simTokens, false)
	}
	return h.c.window
}

func (h *simHost) epochs(n int) []int {
	var ws []int
	for range n {
		ws = append(ws, h.epoch(true))
	}
	return ws
}

func newSim(limit int, adaptive bool, rate func(w int) float64) *simHost {
	return &simHost{c: newConcurrency(limit, adaptive), now: time.Unix(1000, 0), rate: rate}
}

// slots is a server that runs up to n calls at once: throughput grows with
// the calls in flight up to n, then stays.
func slots(n int) func(int) float64 { return func(w int) float64 { return 100 * float64(min(w, n)) } }

func TestAdaptiveConcurrency(t *testing.T) {
	for name, tc := range map[string]struct {
		limit int
		rate  func(int) float64
		want  []int // the window after each saturated epoch
	}{
		// Raised while throughput grows, one step past the server's 4 slots, back
		// to 4; after reprobeEpochs settled epochs it probes 5 again.
		"four slots": {limit: 8, rate: slots(4),
			want: []int{2, 3, 4, 5, 4, 4, 4, 4, 4, 4, 4, 4, 5, 4}},
		// A CPU-bound server where two calls at once are slower than one after
		// the other (the tiny model on two cores): back to one call.
		"slower in parallel": {limit: 2, rate: func(w int) float64 { return []float64{0, 100, 70}[w] },
			want: []int{2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1}},
		// A gain below minGain does not pay for the latency: back to one.
		"5% gain": {limit: 4, rate: func(w int) float64 { return 100 + 5*float64(w-1) },
			want: []int{2, 1}},
		// Never beyond the configured limit.
		"limit below the slots": {limit: 3, rate: slots(8),
			want: []int{2, 3, 3, 3}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newSim(tc.limit, true, tc.rate)
			if got := h.epochs(len(tc.want)); !cmp.Equal(tc.want, got) {
				t.Errorf("windows %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAdaptiveNeedsDemand: epochs whose calls do not fill the window say
// nothing about the host; the window stays until demand fills it.
func TestAdaptiveNeedsDemand(t *testing.T) {
	h := newSim(8, true, slots(4))
	h.epochs(2) // 1 → 2 → 3
	for range 5 {
		if got := h.epoch(false); got != 3 {
			t.Fatalf("an unsaturated epoch moved the window to %d", got)
		}
	}
	if got := h.epoch(true); got != 4 {
		t.Errorf("window %d after a saturated epoch with a gain, want 4", got)
	}
}

// TestAdaptiveUnavailable: a host that cannot be reached halves the window.
func TestAdaptiveUnavailable(t *testing.T) {
	h := newSim(8, true, slots(8))
	h.epochs(5) // up to 6
	h.c.finished(h.now, 0, true)
	if h.c.window != 3 {
		t.Errorf("window %d after an unavailable host, want 3", h.c.window)
	}
	h.c.finished(h.now, 0, true)
	h.c.finished(h.now, 0, true)
	if h.c.window != 1 {
		t.Errorf("window %d, want never below 1", h.c.window)
	}
}

// TestFixedConcurrency: without Adaptive a host runs at its limit.
func TestFixedConcurrency(t *testing.T) {
	h := newSim(4, false, slots(1))
	if got := h.epochs(6); slices.ContainsFunc(got, func(w int) bool { return w != 4 }) {
		t.Errorf("windows %v, want 4 throughout", got)
	}
}
