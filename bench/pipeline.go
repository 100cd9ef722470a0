package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/llmtest"
	"github.com/mrswarm/mrswarm/sql/store"
)

const (
	sectionScripted = "pipeline, scripted LLM"
	presetName      = "campaign_optimization"
	benchDataset    = "beverage"
)

// benchInputs are the run inputs of every benchmark run.
var benchInputs = agent.Inputs{
	TargetAudience: "health-conscious millennials",
	Budget:         100000,
	Duration:       "6 months",
	CampaignGoals:  "grow market share of premium brands",
	AnalysisFocus:  "profitability by region and brand",
}

// pipelineEnv is a store with the beverage data and a runner over a model.
type pipelineEnv struct {
	st     *store.Store
	runner *pipeline.Runner
	preset pipeline.Pipeline

	// maxPrompt is the largest prompt_eval_count of one LLM call in the last run.
	maxPrompt int64
	// prompts are the prompt_eval_counts of the last run's LLM calls (agent turns).
	prompts []int64
	// tolerateFailedSteps accepts runs that ended failed or partially failed (a
	// tiny random model sometimes gives up on a step) and records them in failures.
	tolerateFailedSteps bool
	failures            []string
}

func (s *suite) newPipelineEnv(ctx context.Context, model llm.Client, cfg pipeline.Config) (*pipelineEnv, error) {
	p, ok := pipeline.Preset(presetName)
	if !ok {
		return nil, fmt.Errorf("preset %s: %w", presetName, pipeline.ErrNotFound)
	}
	st, err := s.openStore(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := st.LoadFile(ctx, benchDataset, filepath.Base(s.realCSV()), store.FormatCSV, nil); err != nil {
		st.Close()
		return nil, err
	}
	return &pipelineEnv{st: st, runner: pipeline.NewRunner(st, model, cfg), preset: p}, nil
}

func (e *pipelineEnv) close(ctx context.Context) {
	e.runner.Close(ctx)
	e.st.Close()
}

// run starts the preset, watches it to the end and returns the finished run and
// the wall time from Start to run_finished.
func (e *pipelineEnv) run(ctx context.Context, opts pipeline.Options) (pipeline.Run, time.Duration, error) {
	opts.Force = true // every repetition really runs; no memo hits
	start := time.Now()
	r, err := e.runner.Start(ctx, pipeline.StartRequest{Dataset: benchDataset, Pipeline: e.preset, Inputs: benchInputs, Options: opts})
	if err != nil {
		return pipeline.Run{}, 0, err
	}
	var final *pipeline.Run
	e.maxPrompt, e.prompts = 0, nil
	err = e.runner.Watch(ctx, r.ID, 0, func(ev pipeline.Event) error {
		switch {
		case ev.Type == pipeline.EventRunFinished:
			final = ev.Run
		case ev.LLM != nil:
			e.maxPrompt = max(e.maxPrompt, ev.LLM.PromptTokens)
			e.prompts = append(e.prompts, ev.LLM.PromptTokens)
		}
		return nil
	})
	wall := time.Since(start)
	if err != nil {
		return pipeline.Run{}, 0, err
	}
	got, err := e.runner.Get(ctx, r.ID)
	if err != nil {
		return pipeline.Run{}, 0, err
	}
	if final == nil {
		return got, wall, errors.New("the event stream ended without run_finished")
	}
	switch {
	case got.Status == pipeline.RunSucceeded:
	case e.tolerateFailedSteps && (got.Status == pipeline.RunFailed || got.Status == pipeline.RunPartiallyFailed):
		e.failures = append(e.failures, fmt.Sprintf("run with %s context, MaxParallel %d ended %s: %s", contextName(opts.Context), opts.MaxParallel, got.Status, strings.Join(got.Errors, "; ")))
	default:
		return got, wall, fmt.Errorf("run %s ended %s: %v", got.ID, got.Status, got.Errors)
	}
	return got, wall, nil
}

// runs repeats a run n times and returns the median wall time and the last run.
func (e *pipelineEnv) runs(ctx context.Context, n int, opts pipeline.Options) (Stat, pipeline.Run, error) {
	var last pipeline.Run
	st, err := repeat(n, func() (time.Duration, error) {
		r, wall, err := e.run(ctx, opts)
		last = r
		return wall, err
	})
	return st, last, err
}

// scripted runs campaign_optimization with the original's per-agent latencies
// scripted into a fake LLM: one slot (sequential) against two (parallel), and both
// against the critical path and the sum of the scripted latencies.
func (s *suite) scripted(ctx context.Context) ([]Row, []string, error) {
	model := newScriptedLLM(OriginalLatencies, 30*time.Millisecond)
	env, err := s.newPipelineEnv(ctx, model, pipeline.Config{MaxParallel: 2, DefaultModel: "scripted"})
	if err != nil {
		return nil, nil, err
	}
	defer env.close(ctx)
	reps := s.cfg.Reps * 2
	seq, _, err := env.runs(ctx, reps, pipeline.Options{MaxParallel: 1})
	if err != nil {
		return nil, nil, fmt.Errorf("sequential: %w", err)
	}
	par, last, err := env.runs(ctx, reps, pipeline.Options{MaxParallel: 2})
	if err != nil {
		return nil, nil, fmt.Errorf("parallel: %w", err)
	}
	crit, sum := scriptedPaths(env.preset, last, model)
	row := func(name string, v float64, unit string, n int) Row {
		return Row{Section: sectionScripted, Name: name, Scale: "45/40/35/30 ms per agent", Value: v, Unit: unit, Samples: n}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	over := last.Profile.Overhead
	return []Row{
		row("sequential wall time (MaxParallel 1)", seq.ms(), "ms", seq.N),
		withRatio(row("parallel wall time (MaxParallel 2)", par.ms(), "ms", par.N), seq.ms(), "sequential ÷ parallel"),
		withNote(row("critical path of the scripted latencies", ms(crit), "ms", 0), "longest dependency chain, LLM time only"),
		withNote(row("sum of the scripted latencies", ms(sum), "ms", 0), "what one slot must take at least"),
		withNote(row("parallel efficiency", 100*ratio(ms(crit), par.ms()), "%", 0), "critical path ÷ parallel wall"),
		withNote(row("sequential efficiency", 100*ratio(ms(sum), seq.ms()), "%", 0), "latency sum ÷ sequential wall"),
		withNote(row("orchestration overhead of one parallel run", ms(over), "ms", 1),
			fmt.Sprintf("Run.Profile: wall − LLM − SQL, %d steps", len(last.Steps))),
	}, nil, nil
}

// scriptedPaths returns the longest dependency chain and the sum of the scripted
// LLM latencies of run's steps (the latency share per call × that step's LLM calls).
func scriptedPaths(p pipeline.Pipeline, run pipeline.Run, model *llmtest.Script) (crit, sum time.Duration) {
	cost := map[string]time.Duration{}
	for _, st := range run.Steps {
		d, ok := model.Latency[st.Agent]
		if !ok && st.Agent != "" {
			d = model.Default
		}
		cost[st.ID] = d / llmtest.CallsPerStep * time.Duration(st.Tokens.LLMCalls)
		sum += cost[st.ID]
	}
	finish := map[string]time.Duration{}
	var visit func(id string) time.Duration
	visit = func(id string) time.Duration {
		if f, ok := finish[id]; ok {
			return f
		}
		var start time.Duration
		for _, step := range p.Steps {
			if step.ID == id {
				for _, dep := range step.DependsOn {
					start = max(start, visit(dep))
				}
			}
		}
		finish[id] = start + cost[id]
		return finish[id]
	}
	for _, step := range p.Steps {
		crit = max(crit, visit(step.ID))
	}
	return crit, sum
}

func contextName(m agent.ContextMode) string {
	if m == agent.ContextFull {
		return "full"
	}
	return "handle"
}
