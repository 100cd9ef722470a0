package pool

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// gated is a Backend whose calls announce themselves on started (by the
// content of their first message) and finish one per value sent on finish.
type gated struct {
	started chan string
	finish  chan struct{}
}

func newGated() *gated { return &gated{started: make(chan string), finish: make(chan struct{})} }

func (g *gated) Host() string                             { return "http://gated" }
func (g *gated) Models(context.Context) ([]string, error) { return []string{"m"}, nil }
func (g *gated) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

func (g *gated) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	select {
	case g.started <- req.Messages[0].Content:
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	select {
	case <-g.finish:
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	return llm.Response{Model: req.Model, Message: llm.Message{Role: "assistant", Content: "ok"}}, nil
}

// timers replaces the pool's timers: they fire only when the test says so.
type timers struct {
	mu      sync.Mutex
	pending []*timer
}

type timer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (ts *timers) afterFunc(d time.Duration, f func()) func() bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := &timer{d: d, f: f}
	ts.pending = append(ts.pending, t)
	return func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// fire runs every timer not stopped yet and returns their durations.
func (ts *timers) fire() []time.Duration {
	ts.mu.Lock()
	var run []*timer
	for _, t := range ts.pending {
		if !t.stopped {
			t.stopped = true
			run = append(run, t)
		}
	}
	ts.pending = nil
	ts.mu.Unlock()
	var ds []time.Duration
	for _, t := range run {
		ds = append(ds, t.d)
		t.f()
	}
	return ds
}

// stickyPool is a pool of one gated host of one slot with manual timers.
func stickyPool(t *testing.T) (*Pool, *gated, *timers) {
	t.Helper()
	g := newGated()
	p := newPool(t, Host{Backend: g, Limit: 1})
	ts := &timers{}
	p.afterFunc = ts.afterFunc
	return p, g, ts
}

// startCall makes a call tagged tag in the background; its error arrives on done.
func startCall(ctx context.Context, p *Pool, tag string, done chan<- error) {
	go func() {
		_, err := p.Chat(ctx, llm.Request{Messages: []llm.Message{{Role: "user", Content: tag}}})
		done <- err
	}()
}

// finishOne lets the running call finish and waits for its caller.
func finishOne(t *testing.T, g *gated, done <-chan error) {
	t.Helper()
	g.finish <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// expectStart fails unless the next call to start is want's. It gives up
// after a minute (a liveness guard, not a timing).
func expectStart(t *testing.T, g *gated, want string) {
	t.Helper()
	select {
	case got := <-g.started:
		if got != want {
			t.Fatalf("call %q started; want %q", got, want)
		}
	case <-time.After(time.Minute):
		t.Fatalf("no call started; want %q", want)
	}
}

func waiting(p *Pool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting
}

// A conversation's next turn gets the slot its last turn freed even though
// another conversation was waiting first; the other gets it once the first
// session ends.
func TestSessionKeepsItsSlot(t *testing.T) {
	p, g, _ := stickyPool(t)
	a, endA := llm.WithSession(t.Context())
	b, endB := llm.WithSession(t.Context())
	defer endB()
	done := make(chan error, 3)
	startCall(a, p, "A1", done)
	expectStart(t, g, "A1")
	startCall(b, p, "B1", done)
	waitFor(t, "B1 waiting", func() bool { return waiting(p) == 1 })
	finishOne(t, g, done)
	waitFor(t, "the slot kept for A", func() bool { return p.Hosts()[0].Held == 1 })
	startCall(a, p, "A2", done)
	expectStart(t, g, "A2") // not B1: the slot was kept for A
	finishOne(t, g, done)
	endA()
	expectStart(t, g, "B1")
	finishOne(t, g, done)
}

// A kept slot goes to the waiting calls when its grace passes, the grace
// being the finished call's wall time within [minGrace, maxGrace].
func TestHoldEndsAfterGrace(t *testing.T) {
	p, g, ts := stickyPool(t)
	a, endA := llm.WithSession(t.Context())
	defer endA()
	done := make(chan error, 2)
	startCall(a, p, "A1", done)
	expectStart(t, g, "A1")
	startCall(t.Context(), p, "other", done) // no session
	waitFor(t, "other waiting", func() bool { return waiting(p) == 1 })
	finishOne(t, g, done)
	ds := ts.fire()
	if len(ds) != 1 || ds[0] < minGrace || ds[0] > maxGrace {
		t.Fatalf("grace timers %v; want one within [%s, %s]", ds, minGrace, maxGrace)
	}
	expectStart(t, g, "other")
	finishOne(t, g, done)
}

// A session keeps its slot for at most maxStreak calls in a row while
// another call waits; then the waiting call goes first.
func TestStreakLetsOthersIn(t *testing.T) {
	p, g, _ := stickyPool(t)
	a, endA := llm.WithSession(t.Context())
	defer endA()
	done := make(chan error, 2)
	other := make(chan error, 1)
	startCall(a, p, "A", done)
	expectStart(t, g, "A")
	startCall(t.Context(), p, "other", other)
	waitFor(t, "other waiting", func() bool { return waiting(p) == 1 })
	for range maxStreak - 1 {
		finishOne(t, g, done)
		startCall(a, p, "A", done)
		expectStart(t, g, "A")
	}
	finishOne(t, g, done) // the maxStreak-th call in a row
	expectStart(t, g, "other")
	startCall(a, p, "A", done) // waits behind the other call now
	finishOne(t, g, other)
	expectStart(t, g, "A")
	finishOne(t, g, done)
}

// Without a session nothing is kept: a freed slot goes to a waiting call.
func TestNoSessionNoHold(t *testing.T) {
	p, g, ts := stickyPool(t)
	done := make(chan error, 2)
	startCall(t.Context(), p, "first", done)
	expectStart(t, g, "first")
	startCall(t.Context(), p, "second", done)
	waitFor(t, "second waiting", func() bool { return waiting(p) == 1 })
	finishOne(t, g, done)
	expectStart(t, g, "second")
	finishOne(t, g, done)
	if ds := ts.fire(); len(ds) != 0 {
		t.Fatalf("grace timers %v without sessions; want none", ds)
	}
}

// A window that narrows while two conversations run beside each other makes
// them take turns: the first to finish keeps no slot beyond the window, so
// its next turn waits for the other's call (here its last) to end.
func TestHoldWithinNarrowedWindow(t *testing.T) {
	r := newReleased()
	p := newPool(t, Host{Backend: r, Limit: 2})
	ts := &timers{}
	p.afterFunc = ts.afterFunc
	a, endA := llm.WithSession(t.Context())
	defer endA()
	b, endB := llm.WithSession(t.Context())
	defer endB()
	done := map[string]chan error{}
	start := func(ctx context.Context, name string) {
		t.Helper()
		done[name] = make(chan error, 1)
		startCall(ctx, p, name, done[name])
	}
	finish := func(name string) {
		t.Helper()
		close(r.gate(name))
		if err := <-done[name]; err != nil {
			t.Fatal(err)
		}
	}
	start(a, "A1")
	start(b, "B1")
	for range 2 {
		<-r.started
	}
	p.mu.Lock()
	p.members[0].conc.window = 1 // as an adaptive window that gave up two at once
	p.mu.Unlock()
	finish("A1")
	if h := p.Hosts()[0]; h.Held != 0 {
		t.Fatalf("%d slots kept with %d in flight at window 1; want none", h.Held, h.InFlight)
	}
	start(a, "A2")
	waitFor(t, "A2 waiting", func() bool { return waiting(p) == 1 })
	endB() // B's conversation is over: its slot is not kept
	finish("B1")
	if got := <-r.started; got != "A2" {
		t.Fatalf("call %q started; want A2", got)
	}
	finish("A2")
}
