package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/mrswarm/mrswarm/clients/llm"
	"github.com/mrswarm/mrswarm/clients/ollama"
	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
)

const sectionOllama = "pipeline, real Ollama"

// ollama runs campaign_optimization on the real Ollama: one slot against
// OLLAMA_NUM_PARALLEL slots, and handle summaries against full results pasted
// into the prompts, with Ollama's own token counts.
func (s *suite) ollama(ctx context.Context) ([]Row, []string, error) {
	o := s.cfg.Ollama
	if o == nil {
		return nil, []string{"pipeline on the real Ollama: no Ollama configured (needs `make ollama`)"}, nil
	}
	slots := max(o.NumParallel, 1)
	seed, temp := 42, 0.0
	client, err := ollama.New(ollama.Config{Host: o.Host, Model: o.Model,
		Options: llm.Options{Seed: &seed, Temperature: &temp}})
	if err != nil {
		return nil, nil, err
	}
	if err := warmUp(ctx, client, o.Model); err != nil {
		return nil, nil, fmt.Errorf("warm-up call: %w", err)
	}
	env, err := s.newPipelineEnv(ctx, client, pipeline.Config{MaxParallel: slots, DefaultModel: o.Model})
	if err != nil {
		return nil, nil, err
	}
	defer env.close(ctx)
	reps := 2
	if s.cfg.Quick {
		reps = 1
	}
	seq, _, err := env.runs(ctx, reps, pipeline.Options{MaxParallel: 1, Context: agent.ContextHandles})
	if err != nil {
		return nil, nil, fmt.Errorf("sequential: %w", err)
	}
	par, handles, err := env.runs(ctx, reps, pipeline.Options{MaxParallel: slots, Context: agent.ContextHandles})
	if err != nil {
		return nil, nil, fmt.Errorf("parallel: %w", err)
	}
	_, full, err := env.runs(ctx, 1, pipeline.Options{MaxParallel: slots, Context: agent.ContextFull})
	if err != nil {
		return nil, nil, fmt.Errorf("full context: %w", err)
	}
	return ollamaRows(o, slots, seq, par, handles, full), nil, nil
}

func ollamaRows(o *OllamaTarget, slots int, seq, par Stat, handles, full pipeline.Run) []Row {
	scale := fmt.Sprintf("%s, OLLAMA_NUM_PARALLEL=%d", o.Model, o.NumParallel)
	row := func(name string, v float64, unit string, n int) Row {
		return Row{Section: sectionOllama, Name: name, Scale: scale, Value: v, Unit: unit, Samples: n}
	}
	ht, ft := handles.Tokens, full.Tokens
	perCall := func(t pipeline.TokenUsage) float64 { return ratio(float64(t.PromptTokens), float64(t.LLMCalls)) }
	hp := handles.Profile
	share := func(d time.Duration) float64 { return 100 * ratio(float64(d), float64(hp.Wall)) }
	return []Row{
		row("sequential wall time (MaxParallel 1), handles", seq.ms(), "ms", seq.N),
		withRatio(row(fmt.Sprintf("parallel wall time (MaxParallel %d), handles", slots), par.ms(), "ms", par.N),
			seq.ms(), "sequential ÷ parallel"),
		row("LLM calls, handles", float64(ht.LLMCalls), "calls", 1),
		row("LLM calls, full context", float64(ft.LLMCalls), "calls", 1),
		withNote(row("prompt tokens, handle summaries", float64(ht.PromptTokens), "tokens", 1), "Ollama prompt_eval_count, whole run"),
		withRatio(withNote(row("prompt tokens, full results pasted", float64(ft.PromptTokens), "tokens", 1),
			"Ollama prompt_eval_count, whole run"), float64(ht.PromptTokens), "this ÷ handles"),
		row("prompt tokens per LLM call, handles", perCall(ht), "tokens", 1),
		withRatio(row("prompt tokens per LLM call, full context", perCall(ft), "tokens", 1), perCall(ht), "this ÷ handles"),
		row("total tokens, handles", float64(ht.TotalTokens), "tokens", 1),
		withRatio(row("total tokens, full context", float64(ft.TotalTokens), "tokens", 1), float64(ht.TotalTokens), "this ÷ handles"),
		withNote(row("LLM time ÷ wall time, parallel run", share(hp.LLM), "%", 1), "summed over steps; exceeds 100% when steps overlap"),
		withNote(row("SQL time ÷ wall time, parallel run", share(hp.SQL), "%", 1), "summed over steps"),
		withNote(row("orchestration overhead ÷ wall time, parallel run", share(hp.Overhead), "%", 1),
			fmt.Sprintf("Run.Profile.Overhead %s of %s", hp.Overhead.Round(time.Microsecond), hp.Wall.Round(time.Millisecond))),
		withNote(row("peak RSS during the parallel run", float64(hp.PeakRSS)/(1<<20), "MiB", 1), "benchmark process, Run.Profile.PeakRSS"),
	}
}

// warmUp loads the model so that the first measured run does not pay for it.
func warmUp(ctx context.Context, c *ollama.Client, model string) error {
	n := 1
	_, err := c.Chat(ctx, llm.Request{Model: model, Messages: []llm.Message{{Role: "user", Content: "hi"}},
		Options: llm.Options{NumPredict: &n}})
	return err
}
