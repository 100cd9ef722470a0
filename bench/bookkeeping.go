package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/mrswarm/mrswarm/internal/metrics"
	"github.com/mrswarm/mrswarm/pipeline"
)

const sectionBookkeeping = "pipeline bookkeeping"

// bigPipelineSteps is the size of the generated pipeline whose validation is timed.
const bigPipelineSteps = 100

// perOp times n calls of fn per batch, repeats the batch and returns the median
// time per call.
func perOp(reps, n int, fn func() error) (Stat, error) {
	st, err := repeat(reps, func() (time.Duration, error) {
		d, err := timed(func() error {
			for range n {
				if err := fn(); err != nil {
					return err
				}
			}
			return nil
		})
		return d / time.Duration(n), err
	})
	st.N *= n
	return st, err
}

// bookkeeping measures what the pipeline costs besides the LLM and SQL: creating
// and validating pipelines, orchestration per LLM call with an instant LLM, and
// the metrics' token accounting per LLM call event.
func (s *suite) bookkeeping(ctx context.Context) ([]Row, []string, error) {
	model := newScriptedLLM(nil, 0)
	env, err := s.newPipelineEnv(ctx, model, pipeline.Config{MaxParallel: 2, DefaultModel: "scripted"})
	if err != nil {
		return nil, nil, err
	}
	defer env.close(ctx)
	n := 200
	if s.cfg.Quick {
		n = 2
	}
	preset, err := perOp(s.cfg.Reps, n, func() error {
		p, ok := pipeline.Preset(presetName)
		if !ok {
			return pipeline.ErrNotFound
		}
		_, err := env.runner.Validate(ctx, benchDataset, p, nil)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("validate preset: %w", err)
	}
	big, err := bigPipeline(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	bigStat, err := perOp(s.cfg.Reps, max(n/10, 1), func() error {
		_, err := env.runner.Validate(ctx, benchDataset, big, nil)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("validate %d steps: %w", len(big.Steps), err)
	}
	runs, last, err := env.runs(ctx, s.cfg.Reps*2, pipeline.Options{MaxParallel: 2})
	if err != nil {
		return nil, nil, fmt.Errorf("instant-LLM run: %w", err)
	}
	obs, err := perOp(s.cfg.Reps, n*50, observeLLMCall())
	if err != nil {
		return nil, nil, err
	}
	row := func(name, scale string, st Stat) Row {
		return Row{Section: sectionBookkeeping, Name: name, Scale: scale, Value: st.us(), Unit: "µs", Samples: st.N}
	}
	calls := max(last.Tokens.LLMCalls, 1)
	perCall := last.Profile.Overhead / time.Duration(calls)
	return []Row{
		row("Preset + Validate", presetName, preset),
		row("Validate", fmt.Sprintf("%d-step generated DAG", len(big.Steps)), bigStat),
		withNote(Row{Section: sectionBookkeeping, Name: "whole run, instant scripted LLM", Scale: presetName,
			Value: runs.ms(), Unit: "ms", Samples: runs.N}, "SQL, events, persistence, report; no LLM wait"),
		withNote(Row{Section: sectionBookkeeping, Name: "orchestration overhead per LLM call", Scale: presetName,
			Value: float64(perCall) / float64(time.Millisecond), Unit: "ms", Samples: 1},
			fmt.Sprintf("Run.Profile.Overhead ÷ %d LLM calls (includes token tracking, events, persistence)", calls)),
		withNote(row("metrics.ObserveEvent of an llm_call", "per call", obs), "Prometheus token and call counters"),
	}, nil, nil
}

// bigPipeline is a DAG of tool steps, each depending on the two before it.
func bigPipeline(ctx context.Context, env *pipelineEnv) (pipeline.Pipeline, error) {
	names, err := availableTools(ctx, env.st, benchDataset, 0)
	if err != nil {
		return pipeline.Pipeline{}, err
	}
	p := pipeline.Pipeline{Name: "bench_dag", Description: "generated for the validation benchmark"}
	for i := range bigPipelineSteps {
		st := pipeline.Step{ID: fmt.Sprintf("s%03d", i), Tool: &pipeline.ToolStep{Tool: names[i%len(names)]}}
		for _, d := range []int{i - 1, i - 2} {
			if d >= 0 {
				st.DependsOn = append(st.DependsOn, fmt.Sprintf("s%03d", d))
			}
		}
		p.Steps = append(p.Steps, st)
	}
	return p, nil
}

// observeLLMCall returns a function that feeds one llm_call event to fresh metrics.
func observeLLMCall() func() error {
	m := metrics.New(nil)
	step := &pipeline.StepState{ID: "a", Kind: "agent", Agent: "market_research_analyst"}
	ev := pipeline.Event{RunID: "r", Type: pipeline.EventLLMCall, StepID: "a", Step: step,
		LLM: &pipeline.LLMCall{Model: "m", PromptTokens: 812, CompletionTokens: 64, Wall: 30 * time.Millisecond}}
	return func() error {
		m.ObserveEvent(ev)
		return nil
	}
}
