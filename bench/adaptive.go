package bench

import (
	"context"
	"fmt"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
)

const sectionAdaptive = "LLM concurrency, real Ollama"

// KeyOllamaParallelSpeedupAdaptive is sequential ÷ adaptive wall time of the
// campaign on the real Ollama.
const KeyOllamaParallelSpeedupAdaptive = "ollama_parallel_speedup_adaptive"

// adaptive runs campaign_optimization on the real Ollama through a pool of
// that one host: fixed at one call at a time (and one step), fixed at
// OLLAMA_NUM_PARALLEL calls, and adaptive up to OLLAMA_NUM_PARALLEL, the runs'
// parallelism being the pool's capacity as the server sets it. The adaptive
// pool keeps what it learned across its runs, as a server does; its first run
// (where it starts at one call) is a warm-up.
func (s *suite) adaptive(ctx context.Context) ([]Row, []string, error) {
	o := s.cfg.Ollama
	if o == nil {
		return nil, []string{"adaptive LLM concurrency on the real Ollama: no Ollama configured"}, nil
	}
	slots := max(o.NumParallel, 2)
	reps := max(o.Reps, 1)
	configs := []struct {
		name     string
		limit    int
		adaptive bool
	}{{"fixed 1 (sequential)", 1, false}, {fmt.Sprintf("fixed %d", slots), slots, false},
		{fmt.Sprintf("adaptive, limit %d", slots), slots, true}}
	var stats []Stat
	var notes []string
	for _, c := range configs {
		st, window, failures, err := s.poolRuns(ctx, o, c.limit, c.adaptive, reps)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.name, err)
		}
		stats = append(stats, st)
		for _, f := range failures {
			notes = append(notes, "real Ollama, "+c.name+": a "+f)
		}
		if c.adaptive {
			notes = append(notes, fmt.Sprintf("adaptive pool: window %d after its runs", window))
		}
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
	speedup := Row{Section: sectionAdaptive, Name: "adaptive speedup over sequential", Scale: scale,
		Value: ratio(stats[0].ms(), stats[2].ms()), Unit: "×", Samples: stats[2].N,
		Note: "sequential wall ÷ adaptive wall; ≥ 1 means parallel is not slower"}
	return append(rows, withKey(speedup, KeyOllamaParallelSpeedupAdaptive)), notes, nil
}

// poolRuns runs the campaign reps times (after one warm-up run) through a
// fresh pool of the Ollama host and returns the median wall time, the
// host's window at the end and the runs whose steps failed.
func (s *suite) poolRuns(ctx context.Context, o *OllamaTarget, limit int, adaptive bool, reps int) (Stat, int, []string, error) {
	client, err := newOllamaClient(ctx, o, o.NumCtx)
	if err != nil {
		return Stat{}, 0, nil, err
	}
	p, err := pool.New([]pool.Host{{Backend: client, Kind: pool.KindOllama, Limit: limit}},
		pool.Config{Model: o.Model, Adaptive: adaptive})
	if err != nil {
		return Stat{}, 0, nil, err
	}
	env, err := s.newPipelineEnv(ctx, p, pipeline.Config{MaxParallel: p.Capacity(), DefaultModel: o.Model})
	if err != nil {
		return Stat{}, 0, nil, err
	}
	defer env.close(ctx)
	env.tolerateFailedSteps = true
	if s.cfg.Quick {
		env.preset = firstStage(env.preset)
	}
	opts := pipeline.Options{MaxParallel: p.Capacity()}
	if _, _, err := env.run(ctx, opts); err != nil {
		return Stat{}, 0, nil, fmt.Errorf("warm-up run: %w", err)
	}
	st, _, err := env.runs(ctx, reps, opts)
	return st, p.Hosts()[0].Window, env.failures, err
}
