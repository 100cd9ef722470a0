package pool

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// sharedServer is a scripted server on a virtual clock whose calls share
// its compute: with k calls running it processes speed(k) tokens per second
// in all, each call getting an equal share (processor sharing), so a call
// takes its tokens ÷ (speed(k)/k) seconds while k stay the same. A call's
// prompt tokens are its first message's length, and it answers 100
// completion tokens. With cache, it keeps each conversation's processed
// tokens, as Ollama does for the conversation on a slot: a session's next
// call processes only its prompt's new tokens (it still reports all of
// them). With durations, it reports its prompt and decode time (Ollama's
// prompt_eval_duration and eval_duration) on the virtual clock. The
// simulation (see simulate) moves the clock from one call's end to the
// next.
type sharedServer struct {
	speed     func(k int) float64
	cache     bool
	durations bool

	mu      sync.Mutex // guards the fields below
	running []*simCall
	// overlapped counts the calls that ran beside another one at some point.
	overlapped int
	started    int
	kept       map[*llm.Session]int64 // the tokens processed of each conversation (with cache)
}

// simCall is one call on a sharedServer.
type simCall struct {
	left    float64 // tokens still to process, the completion's last
	tokens  int64   // prompt tokens
	beside  bool    // ran beside another call
	elapsed float64 // seconds it has run
	prompt  float64 // seconds its prompt took, once processed
	done    chan struct{}
}

const simCompletion = 100

func (s *sharedServer) Host() string                             { return "http://shared" }
func (s *sharedServer) Models(context.Context) ([]string, error) { return []string{"m"}, nil }
func (s *sharedServer) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

func (s *sharedServer) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	prompt := int64(len(req.Messages[0].Content))
	sess := llm.SessionOf(ctx)
	s.mu.Lock()
	fresh := prompt
	if k := s.kept[sess]; s.cache && sess != nil && k <= prompt {
		fresh -= k
	}
	c := &simCall{left: float64(fresh + simCompletion), tokens: prompt, done: make(chan struct{})}
	s.running = append(s.running, c)
	s.started++
	if len(s.running) > 1 {
		for _, r := range s.running {
			r.beside = true
		}
	}
	s.mu.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	u := llm.Usage{PromptTokens: c.tokens, CompletionTokens: simCompletion}
	s.mu.Lock()
	if s.cache && sess != nil {
		if s.kept == nil {
			s.kept = map[*llm.Session]int64{}
		}
		s.kept[sess] = prompt + simCompletion
	}
	if s.durations {
		u.PromptEvalDuration = seconds(c.prompt)
		u.EvalDuration = seconds(c.elapsed - c.prompt)
	}
	s.mu.Unlock()
	return llm.Response{Model: req.Model, Message: llm.Message{Role: "assistant", Content: "ok"}, DoneReason: "stop", Usage: u}, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// advance moves the server's calls on by d seconds and returns those that ended.
func (s *sharedServer) advance(d float64) []*simCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := len(s.running)
	if k == 0 {
		return nil
	}
	per := s.speed(k) / float64(k)
	var ended []*simCall
	s.running = slices.DeleteFunc(s.running, func(c *simCall) bool {
		if c.left > simCompletion && c.left-d*per <= simCompletion {
			c.prompt = c.elapsed + (c.left-simCompletion)/per
		}
		c.left -= d * per
		c.elapsed += d
		if c.left > 1e-6 {
			return false
		}
		ended = append(ended, c)
		if c.beside {
			s.overlapped++
		}
		return true
	})
	return ended
}

// nextEnd is the seconds until the next running call ends, +Inf for none.
func (s *sharedServer) nextEnd() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := math.Inf(1)
	if k := len(s.running); k > 0 {
		per := s.speed(k) / float64(k)
		for _, c := range s.running {
			next = min(next, c.left/per)
		}
	}
	return next
}

// simTimers are the pool's timers on the virtual clock.
type simTimers struct {
	clock   *clock
	mu      sync.Mutex
	pending []*simTimer
}

type simTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func (ts *simTimers) afterFunc(d time.Duration, f func()) func() bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := &simTimer{at: ts.clock.now().Add(d), f: f}
	ts.pending = append(ts.pending, t)
	return func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// next is the earliest pending timer's time, zero for none.
func (ts *simTimers) next() time.Time {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.pending = slices.DeleteFunc(ts.pending, func(t *simTimer) bool { return t.stopped })
	var at time.Time
	for _, t := range ts.pending {
		if at.IsZero() || t.at.Before(at) {
			at = t.at
		}
	}
	return at
}

// fireDue runs the timers due at the clock's time.
func (ts *simTimers) fireDue() {
	ts.mu.Lock()
	var due []*simTimer
	for _, t := range ts.pending {
		if !t.stopped && !t.at.After(ts.clock.now()) {
			t.stopped = true
			due = append(due, t)
		}
	}
	ts.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

// campaign is the demand of one campaign_optimization run: stages one after
// the other, each of agent steps (sessions) running at once, each step a
// conversation of calls with these prompt tokens (later agents carry longer
// prompts).
var campaign = [][][]int{
	{conversation8(500), conversation8(500)}, // market research ∥ competitive
	{conversation8(1300)},                    // brand performance
	{conversation8(1400)},                    // campaign optimizer
}

// conversation8 is the prompt tokens of a conversation of 8 calls from first
// on, each turn adding the previous answer and a tool result.
func conversation8(first int) []int {
	ps := make([]int, 8)
	for i := range ps {
		ps[i] = first + 150*i
	}
	return ps
}

// simRun is what a simulation showed.
type simRun struct {
	calls, overlapped int
	took              time.Duration // virtual wall time of all campaigns
	window            int           // at the end
}

// simulate runs campaigns through a pool of one sharedServer of the given
// limit on a virtual clock: every call's session runs its calls back to
// back, and the clock moves to the next call's end (or pool timer) only once
// every session is either running a call or waiting for a slot it cannot
// get.
func simulate(t *testing.T, srv *sharedServer, limit int, adaptive bool, campaigns int) simRun {
	t.Helper()
	p, err := New([]Host{{Backend: srv, Limit: limit}}, Config{Model: "m", Adaptive: adaptive})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Unix(0, 0)}
	ts := &simTimers{clock: clk}
	p.now, p.afterFunc = clk.now, ts.afterFunc

	var live atomic.Int64 // sessions that have not ended
	finished := make(chan error, 1)
	go func() { finished <- driveCampaigns(t.Context(), p, &live, campaigns) }()
	guard := time.Now()
	for {
		select {
		case err := <-finished:
			if err != nil {
				t.Fatal(err)
			}
			return simRun{calls: srv.started, overlapped: srv.overlapped, took: clk.now().Sub(time.Unix(0, 0)), window: p.Hosts()[0].Window}
		default:
		}
		if time.Since(guard) > 2*time.Minute { // a liveness guard, not a timing
			t.Fatalf("simulation stuck: %+v", p.Hosts()[0])
		}
		if !quiescent(p, srv, &live) {
			time.Sleep(20 * time.Microsecond)
			continue
		}
		step(t, srv, ts, clk)
	}
}

// driveCampaigns plays the campaigns' stages one after the other, the
// sessions of a stage at once.
func driveCampaigns(ctx context.Context, p *Pool, live *atomic.Int64, campaigns int) error {
	for range campaigns {
		for _, stage := range campaign {
			live.Add(int64(len(stage)))
			errs := make(chan error, len(stage))
			for _, calls := range stage {
				go func() { errs <- conversation(ctx, p, live, calls) }()
			}
			for range stage {
				if err := <-errs; err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// conversation makes a session's calls back to back, then ends it.
func conversation(ctx context.Context, p *Pool, live *atomic.Int64, prompts []int) error {
	sctx, end := llm.WithSession(ctx)
	defer live.Add(-1)
	defer end()
	for _, n := range prompts {
		if _, err := p.Chat(sctx, llm.Request{Messages: []llm.Message{{Role: "user", Content: strings.Repeat("x", n)}}}); err != nil {
			return fmt.Errorf("chat: %w", err)
		}
	}
	return nil
}

// quiescent reports whether every live session is running a call on the
// server or waiting for a slot that nothing but the clock can free, and the
// pool counts in flight exactly the calls the server runs.
func quiescent(p *Pool, srv *sharedServer, live *atomic.Int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	srv.mu.Lock()
	running := len(srv.running)
	srv.mu.Unlock()
	m := p.members[0]
	n := live.Load()
	if n == 0 || int64(running+p.waiting) != n || running != m.inFlight {
		return false // a session between calls, or a call granted (or ended) and not yet on (or off) the server
	}
	ending := slices.ContainsFunc(m.holds, func(h *hold) bool { return h.s.Ended() }) // dropped at once, off the clock
	return p.waiting == 0 || (!m.free() && !ending)
}

// step moves the clock to the next call's end or timer, whichever is first.
func step(t *testing.T, srv *sharedServer, ts *simTimers, clk *clock) {
	t.Helper()
	d := srv.nextEnd()
	if at := ts.next(); !at.IsZero() {
		d = min(d, at.Sub(clk.now()).Seconds())
	}
	if math.IsInf(d, 1) {
		t.Fatal("simulation: sessions wait and nothing runs")
	}
	d = max(d, 0)
	clk.advance(time.Duration(d * float64(time.Second)))
	for _, c := range srv.advance(d) {
		close(c.done)
	}
	ts.fireDue()
}

// TestAdaptiveSettlesCheaply plays campaign-shaped demand (two
// conversations at once, then one at a time, 32 calls a campaign) through the
// pool on a server whose speed is scripted. Where two calls at once are
// slower in all than one (the tiny model on this 2-core machine: two calls
// share the cores and each takes more than twice as long), the adaptive pool
// must settle at one call and pay little for learning that: a probe of two
// calls at once lasts a few calls, not the rest of a parallel stage (the
// conversations' kept slots must not outlast a narrowed window), probes
// come ever more seldom (after 50, 100, 200, 400 calls), and its campaigns
// take hardly longer than fixed at 1. Where the server has two slots, it must
// find them and come close to fixed at 2. Each case runs on three servers:
// one that processes every prompt whole, without and with its prompt and
// decode times reported (without them the pool counts tokens), and one that
// keeps each conversation's processed prompt as Ollama does and reports its
// times. There a conversation's later turns cost only their new tokens while
// reporting all of them, and the later stages' long conversations alone must
// not look faster than the first stage's calls in parallel. (Without server
// times the pool cannot tell what a server kept: see concurrency.)
func TestAdaptiveSettlesCheaply(t *testing.T) {
	const campaigns = 30 // 960 calls
	servers := map[string]func(speed func(int) float64) *sharedServer{
		"whole prompts": func(speed func(int) float64) *sharedServer { return &sharedServer{speed: speed} },
		"whole prompts, server times": func(speed func(int) float64) *sharedServer {
			return &sharedServer{speed: speed, durations: true}
		},
		"prompt cache, server times": func(speed func(int) float64) *sharedServer {
			return &sharedServer{speed: speed, cache: true, durations: true}
		},
	}
	for name, tc := range map[string]struct {
		speed     func(k int) float64 // the server's tokens/s with k calls running
		window    int                 // the adaptive window at the end
		maxBeside int                 // calls that ran beside another, at most (0: any)
		best      int                 // the fixed limit that is faster
		maxOver   float64             // adaptive's time ÷ the better fixed one's, at most
	}{
		// Clearly worse: each probe is given up after two calls
		// (quickSamples); 5 probes of 4 calls beside another. With the
		// prompt cache a campaign takes a sixth of the time, and the same
		// probes weigh 0.7 %.
		"slower in parallel": {speed: func(k int) float64 { return 1000 * []float64{0, 1, 0.8}[k] },
			window: 1, maxBeside: 24, best: 1, maxOver: 1.008},
		// Hardly worse: each probe needs minSamples calls; 5 probes of 6.
		"a little slower in parallel": {speed: func(k int) float64 { return 1000 * []float64{0, 1, 0.95}[k] },
			window: 1, maxBeside: 32, best: 1, maxOver: 1.004},
		"two slots": {speed: func(k int) float64 { return 1000 * float64(min(k, 2)) },
			window: 2, best: 2, maxOver: 1.01},
	} {
		for server, newServer := range servers {
			t.Run(name+"/"+server, func(t *testing.T) {
				got := simulate(t, newServer(tc.speed), 2, true, campaigns)
				best := simulate(t, newServer(tc.speed), tc.best, false, campaigns)
				over := got.took.Seconds() / best.took.Seconds()
				t.Logf("adaptive: %d of %d calls beside another, %v; fixed %d: %v (%.4f×)", got.overlapped, got.calls, got.took, tc.best, best.took, over)
				if got.window != tc.window {
					t.Errorf("window %d at the end, want %d", got.window, tc.window)
				}
				if tc.maxBeside > 0 && got.overlapped > tc.maxBeside {
					t.Errorf("%d of %d calls ran beside another, want at most %d", got.overlapped, got.calls, tc.maxBeside)
				}
				if over > tc.maxOver {
					t.Errorf("adaptive took %v, %.4f× fixed %d's %v; want at most %.3f×", got.took, over, tc.best, best.took, tc.maxOver)
				}
			})
		}
	}
}
