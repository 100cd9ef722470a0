package pipeline

import (
	"context"
	"sync"
	"time"
)

// scheduler runs a graph's steps as soon as their own dependencies are final,
// in the shape of cmd/go's (*Builder).Do: pending-dependency counts, a ready
// queue and N workers. It knows nothing of what a step does.
type scheduler struct {
	g *graph

	mu      sync.Mutex    // guards pending, ready, readyAt and left
	pending []int         // dependencies of each step not yet final
	ready   []int         // steps whose dependencies are final, FIFO
	readyAt []time.Time   // when each step became ready
	left    int           // steps not yet final
	final   chan struct{} // closed when left reaches 0
}

func newScheduler(g *graph) *scheduler {
	n := len(g.nodes)
	s := &scheduler{g: g, pending: make([]int, n), readyAt: make([]time.Time, n), left: n, final: make(chan struct{})}
	for i, nd := range g.nodes {
		s.pending[i] = len(nd.deps)
	}
	return s
}

// run calls do for every step with up to workers at a time, each once its
// dependencies' do calls have returned, and returns when every step's has.
// do gets the time the step became ready. The workers leave right after: run
// does not wait for them, so that the run finishes without first waking each
// idle worker in turn.
func (s *scheduler) run(ctx context.Context, workers int, do func(ctx context.Context, i int, readyAt time.Time)) {
	n := len(s.g.nodes)
	if n == 0 {
		return
	}
	// sema has room for every step and each step is made ready exactly once, so a
	// send never blocks (and must not be dropped on cancellation: every step, even
	// a canceled one, passes through do to become final).
	sema := make(chan struct{}, n)
	s.mu.Lock()
	now := time.Now()
	for i := range s.g.nodes {
		if s.pending[i] == 0 {
			s.pushLocked(i, now, sema)
		}
	}
	s.mu.Unlock()
	for range min(workers, n) {
		go func() {
			for range sema { // receiving entitles a worker to pop the ready queue
				s.mu.Lock()
				i := s.ready[0]
				s.ready = s.ready[1:]
				at := s.readyAt[i]
				s.mu.Unlock()
				do(ctx, i, at)
				s.done(i, sema)
			}
		}()
	}
	<-s.final
}

// pushLocked makes step i ready.
func (s *scheduler) pushLocked(i int, now time.Time, sema chan struct{}) {
	s.ready, s.readyAt[i] = append(s.ready, i), now
	sema <- struct{}{} // never blocks: see run
}

// done makes the dependents of step i whose dependencies are now all final ready.
func (s *scheduler) done(i int, sema chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, j := range s.g.nodes[i].dependents {
		if s.pending[j]--; s.pending[j] == 0 {
			s.pushLocked(j, now, sema)
		}
	}
	if s.left--; s.left == 0 {
		close(sema)    // the workers leave
		close(s.final) // last: its waiter is the next to run here
	}
}
