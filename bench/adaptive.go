package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
)

const sectionAdaptive = "LLM concurrency, real Ollama"

// KeyOllamaParallelSpeedupAdaptive is sequential ÷ adaptive wall time of the
// campaign on the real Ollama.
const KeyOllamaParallelSpeedupAdaptive = "ollama_parallel_speedup_adaptive"

// poolConfig is one way of running the Ollama host: fixed or adaptive.
type poolConfig struct {
	name     string
	limit    int
	adaptive bool
}

// defaultRounds is OllamaTarget.Rounds when unset. A campaign on the tiny
// model lasts 2.0–6.2 s with the same pool (its answers differ run to run).
// With 7 rounds the median ratio of two pools that ran alike read 0.93–1.06
// over six make bench runs; with 15, eight readings of the adaptive speedup
// spread over 0.957–1.12, and the last one's 90 % bootstrap interval was
// 1.05–1.23. 30 rounds narrow that by about √2, for ~3.5 more minutes.
const defaultRounds = 30

// adaptive runs campaign_optimization on the real Ollama through a pool of
// that one host: fixed at one call at a time (and one step), fixed at
// OLLAMA_NUM_PARALLEL calls, and adaptive up to OLLAMA_NUM_PARALLEL, the runs'
// parallelism being the pool's capacity as the server sets it. Each pool
// keeps what it learned across its runs, as a server does; its first run
// (where the adaptive one starts at one call) is a warm-up. The pools take
// turns run by run for o.Rounds rounds, so that a machine whose load drifts
// slows all alike, in an order that changes from round to round (see
// roundOrder); the rows are medians, the notes every run with the calls
// that ran beside another (for the adaptive pool: what its probes cost).
func (s *suite) adaptive(ctx context.Context) ([]Row, []string, error) {
	o := s.cfg.Ollama
	if o == nil {
		return nil, []string{"adaptive LLM concurrency on the real Ollama: no Ollama configured"}, nil
	}
	slots := max(o.NumParallel, 2)
	configs := []poolConfig{{"fixed 1 (sequential)", 1, false}, {fmt.Sprintf("fixed %d", slots), slots, false},
		{fmt.Sprintf("adaptive, limit %d", slots), slots, true}}
	envs := make([]*poolEnv, len(configs))
	for i, c := range configs {
		e, err := s.newPoolEnv(ctx, o, c)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.name, err)
		}
		defer e.close(ctx)
		envs[i] = e
	}
	runs := make([][]poolRun, len(configs))
	for r := range s.rounds() {
		for _, i := range roundOrder(r, len(envs)) {
			e := envs[i]
			e.backend.take()
			_, wall, err := e.run(ctx, e.opts)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", configs[i].name, err)
			}
			run := e.backend.take()
			run.wall = wall
			runs[i] = append(runs[i], run)
		}
	}
	walls := make([][]time.Duration, len(configs))
	for i, rs := range runs {
		for _, r := range rs {
			walls[i] = append(walls[i], r.wall)
		}
	}
	rows := append(adaptiveRows(o, configs, walls), perTokenRow(o, runs[0], runs[2]))
	return rows, adaptiveNotes(configs, envs, runs), nil
}

// roundOrder is the order in which round r runs n pools: each rotation of
// 0…n-1, then each reversed, so that over 2n rounds each pool runs as often
// just after every other one (three pools: 012 120 201 210 021 102). Ollama's
// slots hold what the run before left, and in a fixed order one pool always
// ran after the same other one.
func roundOrder(r, n int) []int {
	order := make([]int, n)
	for k := range order {
		order[k] = (r + k) % n
	}
	if (r/n)%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

// msPerToken is the wall time of runs per completion token they generated,
// over all of them (0 without tokens).
func msPerToken(runs []poolRun) float64 {
	var wall time.Duration
	var tokens int64
	for _, r := range runs {
		wall, tokens = wall+r.wall, tokens+r.tokens
	}
	return ratio(msOf(wall), float64(tokens))
}

// perTokenRow compares the sequential and adaptive pools on equal work: each
// run's prompts name results by new handles, so the model's answers, and how
// long it takes to write them, differ from run to run.
func perTokenRow(o *OllamaTarget, seq, adaptive []poolRun) Row {
	return Row{Section: sectionAdaptive, Name: "adaptive speedup over sequential, per completion token",
		Scale: ollamaScale(o, o.NumCtx), Value: ratio(msPerToken(seq), msPerToken(adaptive)), Unit: "×", Samples: len(adaptive),
		Note: fmt.Sprintf("(Σ wall ÷ Σ completion tokens) sequential ÷ adaptive: %.1f ÷ %.1f ms per token", msPerToken(seq), msPerToken(adaptive))}
}

// rounds is how many measured runs each pool makes.
func (s *suite) rounds() int {
	switch {
	case s.cfg.Quick:
		return 1
	case s.cfg.Ollama.Rounds > 0:
		return s.cfg.Ollama.Rounds
	}
	return defaultRounds
}

// poolRun is one measured campaign of a pool: its wall time, its LLM calls,
// how many of them ran beside another on the server and the completion
// tokens the model generated (the model's answers, and so its work, differ
// from run to run: every run's prompts name results by new handles).
type poolRun struct {
	wall          time.Duration
	calls, beside int
	tokens        int64
}

func adaptiveRows(o *OllamaTarget, configs []poolConfig, walls [][]time.Duration) []Row {
	stats := make([]Stat, len(walls))
	for i, ws := range walls {
		stats[i] = statOf(ws)
	}
	scale := ollamaScale(o, o.NumCtx)
	var rows []Row
	for i, c := range configs {
		r := Row{Section: sectionAdaptive, Name: "campaign wall time, pool " + c.name, Scale: scale,
			Value: stats[i].ms(), Unit: "ms", Samples: stats[i].N}
		if i > 0 {
			r = withRatio(r, stats[0].ms(), "sequential ÷ this")
		}
		rows = append(rows, r)
	}
	lo, hi := medianRatioInterval(walls[0], walls[2], intervalShare)
	speedup := Row{Section: sectionAdaptive, Name: "adaptive speedup over sequential", Scale: scale,
		Value: ratio(stats[0].ms(), stats[2].ms()), Unit: "×", Samples: stats[2].N,
		Note: fmt.Sprintf("sequential wall ÷ adaptive wall, runs taking turns; ≥ 1 means parallel is not slower; "+
			"%.0f %% bootstrap interval %.3g–%.3g", 100*intervalShare, lo, hi)}
	return append(rows, withKey(speedup, KeyOllamaParallelSpeedupAdaptive))
}

// intervalShare is the share of the bootstrap distribution the speedup's
// interval covers.
const intervalShare = 0.9

// bootstrapResamples is how many times medianRatioInterval draws the samples
// again.
const bootstrapResamples = 2000

// medianRatioInterval is the central share of the bootstrap distribution of
// median(num) ÷ median(den): each resample draws both samples again, with
// replacement, and takes the ratio of their medians. The seed is fixed, so
// the same runs give the same interval. What it shows is how far the ratio
// could move with other runs of the same pools: a campaign's wall time on the
// tiny model spreads over ±40 % with its answers.
func medianRatioInterval(num, den []time.Duration, share float64) (lo, hi float64) {
	if len(num) == 0 || len(den) == 0 {
		return 0, 0
	}
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := make([]time.Duration, len(num)), make([]time.Duration, len(den))
	rs := make([]float64, bootstrapResamples)
	for k := range rs {
		for i := range a {
			a[i] = num[rng.IntN(len(num))]
		}
		for i := range b {
			b[i] = den[rng.IntN(len(den))]
		}
		rs[k] = ratio(msOf(statOf(a).Median), msOf(statOf(b).Median))
	}
	slices.Sort(rs)
	tail := int((1 - share) / 2 * bootstrapResamples)
	return rs[tail], rs[len(rs)-1-tail]
}

// adaptiveNotes are the failed runs, every run's wall time with its calls
// beside another of all its calls, and the adaptive pool's window at the end.
func adaptiveNotes(configs []poolConfig, envs []*poolEnv, runs [][]poolRun) []string {
	var notes []string
	for i, e := range envs {
		var ws []string
		for _, r := range runs[i] {
			ws = append(ws, fmt.Sprintf("%s (%d/%d, %d)", r.wall.Round(10*time.Millisecond), r.beside, r.calls, r.tokens))
		}
		notes = append(notes, fmt.Sprintf("real Ollama, %s: runs of %s (calls beside another / calls, completion tokens)", configs[i].name, strings.Join(ws, ", ")))
		for _, f := range e.failures {
			notes = append(notes, "real Ollama, "+configs[i].name+": a "+f)
		}
		if configs[i].adaptive {
			notes = append(notes, fmt.Sprintf("adaptive pool: window %d after its runs; %s", e.pool.Hosts()[0].Window, probeCost(runs[i])))
		}
	}
	return notes
}

// probeCost compares the adaptive pool's runs in which some calls ran beside
// another (its probes of two at once, or a window that stayed there) with
// the runs without.
func probeCost(runs []poolRun) string {
	var with, without []time.Duration
	calls, beside := 0, 0
	for _, r := range runs {
		calls, beside = calls+r.calls, beside+r.beside
		if r.beside > 0 {
			with = append(with, r.wall)
		} else {
			without = append(without, r.wall)
		}
	}
	msg := fmt.Sprintf("%d of %d calls ran beside another, in %d of %d runs", beside, calls, len(with), len(runs))
	if len(with) > 0 && len(without) > 0 {
		msg += fmt.Sprintf(" (median %s, the others %s)", statOf(with).Median.Round(10*time.Millisecond), statOf(without).Median.Round(10*time.Millisecond))
	}
	return msg
}

// poolEnv is the campaign over a pool of the Ollama host, warmed up.
type poolEnv struct {
	*pipelineEnv
	pool    *pool.Pool
	backend *overlapCounter
	opts    pipeline.Options
}

// overlapCounter is a pool backend that counts its calls and those that ran
// beside another one at some point.
type overlapCounter struct {
	pool.Backend
	mu      sync.Mutex // guards the fields below
	running map[*bool]bool
	calls   int
	beside  int
	tokens  int64 // completion tokens of the calls
}

func (c *overlapCounter) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	mark := new(bool)
	c.mu.Lock()
	c.running[mark] = true
	if len(c.running) > 1 {
		for m := range c.running {
			*m = true
		}
	}
	c.mu.Unlock()
	resp, err := c.Backend.Chat(ctx, req)
	c.mu.Lock()
	delete(c.running, mark)
	c.calls++
	c.tokens += resp.Usage.CompletionTokens
	if *mark {
		c.beside++
	}
	c.mu.Unlock()
	return resp, err
}

// take returns what ran since the last take: the calls, those beside another
// and their completion tokens.
func (c *overlapCounter) take() poolRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := poolRun{calls: c.calls, beside: c.beside, tokens: c.tokens}
	c.calls, c.beside, c.tokens = 0, 0, 0
	return r
}

// newPoolEnv returns the campaign over a fresh pool of the Ollama host as c
// says, after one warm-up run.
func (s *suite) newPoolEnv(ctx context.Context, o *OllamaTarget, c poolConfig) (*poolEnv, error) {
	client, err := newOllamaClient(ctx, o, o.NumCtx)
	if err != nil {
		return nil, err
	}
	counter := &overlapCounter{Backend: client, running: map[*bool]bool{}}
	p, err := pool.New([]pool.Host{{Backend: counter, Kind: pool.KindOllama, Limit: c.limit}},
		pool.Config{Model: o.Model, Adaptive: c.adaptive})
	if err != nil {
		return nil, err
	}
	env, err := s.newPipelineEnv(ctx, p, pipeline.Config{MaxParallel: p.Capacity(), DefaultModel: o.Model})
	if err != nil {
		return nil, err
	}
	env.tolerateFailedSteps = true
	if s.cfg.Quick {
		env.preset = firstStage(env.preset)
	}
	e := &poolEnv{pipelineEnv: env, pool: p, backend: counter, opts: pipeline.Options{MaxParallel: p.Capacity()}}
	if _, _, err := env.run(ctx, e.opts); err != nil {
		env.close(ctx)
		return nil, fmt.Errorf("warm-up run: %w", err)
	}
	return e, nil
}
