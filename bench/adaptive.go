package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline"
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

// adaptive runs campaign_optimization on the real Ollama through a pool of
// that one host: fixed at one call at a time (and one step), fixed at
// OLLAMA_NUM_PARALLEL calls, and adaptive up to OLLAMA_NUM_PARALLEL, the runs'
// parallelism being the pool's capacity as the server sets it. Each pool
// keeps what it learned across its runs, as a server does; its first run
// (where the adaptive one starts at one call) is a warm-up. The pools take
// turns run by run, so that a machine whose load drifts slows all alike.
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
	walls := make([][]time.Duration, len(configs))
	for range max(o.Reps, 1) {
		for i, e := range envs {
			_, wall, err := e.run(ctx, e.opts)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", configs[i].name, err)
			}
			walls[i] = append(walls[i], wall)
		}
	}
	stats := make([]Stat, len(configs))
	for i, ws := range walls {
		stats[i] = statOf(ws)
	}
	return adaptiveRows(o, configs, stats), adaptiveNotes(configs, envs, walls), nil
}

// statOf is the median and minimum of ds (not empty).
func statOf(ds []time.Duration) Stat {
	ds = slices.Sorted(slices.Values(ds))
	return Stat{Median: ds[len(ds)/2], Min: ds[0], N: len(ds)}
}

func adaptiveRows(o *OllamaTarget, configs []poolConfig, stats []Stat) []Row {
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
		Note: "sequential wall ÷ adaptive wall, runs taking turns; ≥ 1 means parallel is not slower"}
	return append(rows, withKey(speedup, KeyOllamaParallelSpeedupAdaptive))
}

// adaptiveNotes are the failed runs, every run's wall time and the adaptive
// pool's window at the end.
func adaptiveNotes(configs []poolConfig, envs []*poolEnv, walls [][]time.Duration) []string {
	var notes []string
	for i, e := range envs {
		var ws []string
		for _, w := range walls[i] {
			ws = append(ws, w.Round(10*time.Millisecond).String())
		}
		notes = append(notes, fmt.Sprintf("real Ollama, %s: runs of %s", configs[i].name, strings.Join(ws, ", ")))
		for _, f := range e.failures {
			notes = append(notes, "real Ollama, "+configs[i].name+": a "+f)
		}
		if configs[i].adaptive {
			notes = append(notes, fmt.Sprintf("adaptive pool: window %d after its runs", e.pool.Hosts()[0].Window))
		}
	}
	return notes
}

// poolEnv is the campaign over a pool of the Ollama host, warmed up.
type poolEnv struct {
	*pipelineEnv
	pool *pool.Pool
	opts pipeline.Options
}

// newPoolEnv returns the campaign over a fresh pool of the Ollama host as c
// says, after one warm-up run.
func (s *suite) newPoolEnv(ctx context.Context, o *OllamaTarget, c poolConfig) (*poolEnv, error) {
	client, err := newOllamaClient(ctx, o, o.NumCtx)
	if err != nil {
		return nil, err
	}
	p, err := pool.New([]pool.Host{{Backend: client, Kind: pool.KindOllama, Limit: c.limit}},
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
	e := &poolEnv{pipelineEnv: env, pool: p, opts: pipeline.Options{MaxParallel: p.Capacity()}}
	if _, _, err := env.run(ctx, e.opts); err != nil {
		env.close(ctx)
		return nil, fmt.Errorf("warm-up run: %w", err)
	}
	return e, nil
}
