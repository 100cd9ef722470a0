package pool

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// released is a Backend whose calls announce themselves on started (by the
// content of their first message) and each finish when the test releases
// it by that name. Every call reports the same decode time, as Ollama does
// whether or not the call's prompt had to be evaluated again.
type released struct {
	started chan string
	mu      sync.Mutex
	release map[string]chan struct{}
}

func newReleased() *released {
	return &released{started: make(chan string), release: map[string]chan struct{}{}}
}

func (r *released) Host() string                             { return "http://released" }
func (r *released) Models(context.Context) ([]string, error) { return []string{"m"}, nil }
func (r *released) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

func (r *released) gate(name string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.release[name] == nil {
		r.release[name] = make(chan struct{})
	}
	return r.release[name]
}

func (r *released) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	name := req.Messages[0].Content
	select {
	case r.started <- name:
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	select {
	case <-r.gate(name):
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	return llm.Response{Model: req.Model, Message: llm.Message{Role: "assistant", Content: "ok"},
		Usage: llm.Usage{PromptTokens: 1000, CompletionTokens: simTokens, EvalDuration: 100 * time.Millisecond}}, nil
}

// clock is a fake clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// adaptiveRig is an adaptive pool of one released host on a fake clock.
type adaptiveRig struct {
	t     *testing.T
	p     *Pool
	r     *released
	clock *clock
	done  map[string]chan error
}

func newAdaptiveRig(t *testing.T, limit int) *adaptiveRig {
	r := newReleased()
	p, err := New([]Host{{Backend: r, Limit: limit}}, Config{Model: "m", Adaptive: true})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Unix(0, 0)}
	p.now = c.now
	return &adaptiveRig{t: t, p: p, r: r, clock: c, done: map[string]chan error{}}
}

// start makes call name and waits until the host runs it.
func (a *adaptiveRig) start(name string) {
	a.t.Helper()
	a.done[name] = make(chan error, 1)
	startCall(a.t.Context(), a.p, name, a.done[name])
	select {
	case got := <-a.r.started:
		if got != name {
			a.t.Fatalf("call %q started; want %q", got, name)
		}
	case <-time.After(time.Minute): // a liveness guard, not a timing
		a.t.Fatalf("call %q did not start", name)
	}
}

// finish lets call name end after took on the fake clock and waits for it.
func (a *adaptiveRig) finish(name string, took time.Duration) {
	a.t.Helper()
	a.clock.advance(took)
	close(a.r.gate(name))
	if err := <-a.done[name]; err != nil {
		a.t.Fatal(err)
	}
}

func (a *adaptiveRig) window() int { return a.p.Hosts()[0].Window }

// TestAdaptiveJudgesWallTime: the pool judges a level by what its calls
// cost the caller, wall time with prompt evaluation included, not by the
// server's decode time. Calls alone take a second; then, while one call
// runs on, calls start beside it (level 2) and take parallel's wall time,
// every call reporting the same decode time. Where two at once take three
// times as long each (Ollama re-evaluating an evicted prompt, two calls
// sharing the cores) the window goes back to 1 and stays; where they take
// no longer (a server with free slots) it rises past 2.
func TestAdaptiveJudgesWallTime(t *testing.T) {
	for name, tc := range map[string]struct {
		limit    int
		parallel time.Duration // wall time of a call at level 2
		beside   int           // calls made beside the long one: one left out, then those judged
		want     int
	}{
		// Clearly worse: given up after quickSamples calls.
		"slower in parallel": {limit: 2, parallel: 3 * time.Second, beside: 1 + quickSamples, want: 1},
		"free slots":         {limit: 4, parallel: time.Second, beside: 1 + minSamples, want: 3},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAdaptiveRig(t, tc.limit)
			for _, name := range []string{"a1", "a2", "a3", "a4"} { // minSamples calls alone
				a.start(name)
				a.finish(name, time.Second)
			}
			if a.window() != 2 {
				t.Fatalf("window %d after %d calls alone, want 2", a.window(), minSamples)
			}
			a.start("long")
			for i := range tc.beside {
				name := fmt.Sprintf("b%d", i)
				a.start(name)
				a.finish(name, tc.parallel)
			}
			a.finish("long", 0)
			if a.window() != tc.want {
				t.Errorf("window %d, want %d", a.window(), tc.want)
			}
		})
	}
}

// TestLevelIsMeanInFlight: a call's level is the mean number of calls in
// flight over its life, so a call that started alone but ran beside another
// is judged as parallel, and one that met another only at its end is not.
func TestLevelIsMeanInFlight(t *testing.T) {
	m := &member{}
	t0 := time.Unix(0, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	x := m.begin(at(0))   // alone
	y := m.begin(at(0.1)) // beside x
	got := []int{m.end(y, at(3)), m.end(x, at(3))}
	z := m.begin(at(10))   // alone
	w := m.begin(at(12.9)) // joins at z's end
	got = append(got, m.end(w, at(13)), m.end(z, at(13)))
	if want := []int{2, 2, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("levels %v, want %v", got, want)
	}
	if m.inFlight != 0 {
		t.Errorf("%d in flight after every call ended", m.inFlight)
	}
}

// TestSampleSplitsHeldTokens: a call's prompt tokens are split into those its
// host held from the session's last call there (prompt and answer) and new
// ones; on another host, after a conversation that shrank, or without a
// session, all are new. The pool forgets a session once it ends.
func TestSampleSplitsHeldTokens(t *testing.T) {
	a, b := newReleased(), &scripted{name: "http://b", models: []string{"m"}}
	p, err := New([]Host{{Backend: a, Limit: 2}, {Backend: b, Limit: 2}}, Config{Model: "m", Adaptive: true})
	if err != nil {
		t.Fatal(err)
	}
	ma, mb := p.members[0], p.members[1]
	ctx, end := llm.WithSession(t.Context())
	s := llm.SessionOf(ctx)
	type split struct{ fresh, held int64 }
	var got []split
	for _, c := range []struct {
		m                  *member
		prompt, completion int64
	}{
		{ma, 500, 100}, // first turn
		{ma, 750, 120}, // held 600
		{mb, 900, 80},  // another host holds nothing
		{mb, 1000, 50}, // held 980
		{mb, 400, 50},  // shorter than what the host held: a new conversation
	} {
		p.mu.Lock()
		sm := p.sampleLocked(c.m, s, llm.Usage{PromptTokens: c.prompt, CompletionTokens: c.completion}, time.Second)
		p.mu.Unlock()
		got = append(got, split{sm.fresh, sm.held})
	}
	p.mu.Lock()
	none := p.sampleLocked(ma, nil, llm.Usage{PromptTokens: 700}, time.Second)
	p.mu.Unlock()
	got = append(got, split{none.fresh, none.held})
	want := []split{{500, 0}, {150, 600}, {900, 0}, {20, 980}, {400, 0}, {700, 0}}
	if !slices.Equal(got, want) {
		t.Errorf("new and held tokens %v, want %v", got, want)
	}
	end()
	waitFor(t, "the ended session forgotten", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.held) == 0
	})
}
