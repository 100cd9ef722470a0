package bench

import (
	"context"
	"fmt"
	"sync"
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
	opts := llm.Options{Seed: &seed, Temperature: &temp}
	if o.NumCtx > 0 {
		opts.NumCtx = &o.NumCtx
	}
	client, err := ollama.New(ollama.Config{Host: o.Host, Model: o.Model, Options: opts})
	if err != nil {
		return nil, nil, err
	}
	if err := warmUp(ctx, client, o.Model); err != nil {
		return nil, nil, fmt.Errorf("warm-up call: %w", err)
	}
	counter := &countingLLM{LLM: client}
	env, err := s.newPipelineEnv(ctx, counter, pipeline.Config{MaxParallel: slots, DefaultModel: o.Model})
	if err != nil {
		return nil, nil, err
	}
	defer env.close(ctx)
	env.tolerateFailedSteps = true
	if s.cfg.Quick {
		env.preset = firstStage(env.preset) // keeps the test suite's run short
	}
	reps := max(o.Reps, 1)
	seq, _, err := env.runs(ctx, reps, pipeline.Options{MaxParallel: 1, Context: agent.ContextHandles})
	if err != nil {
		return nil, nil, fmt.Errorf("sequential: %w", err)
	}
	counter.take() // the sequential runs' prompts are not compared
	par, handles, err := env.runs(ctx, reps, pipeline.Options{MaxParallel: slots, Context: agent.ContextHandles})
	if err != nil {
		return nil, nil, fmt.Errorf("parallel: %w", err)
	}
	maxHandles := env.maxPrompt
	hb, hmax := counter.take()
	hb /= int64(par.N) // per run
	_, full, err := env.runs(ctx, 1, pipeline.Options{MaxParallel: slots, Context: agent.ContextFull})
	if err != nil {
		return nil, nil, fmt.Errorf("full context: %w", err)
	}
	fb, fmax := counter.take()
	rows := ollamaRows(o, slots, seq, par, handles, full)
	rows = append(rows, maxPromptRows(o, maxHandles, env.maxPrompt)...)
	rows = append(rows, promptByteRows(o, hb, hmax, fb, fmax)...)
	var notes []string
	for _, f := range env.failures {
		notes = append(notes, "real Ollama: a "+f)
	}
	return rows, notes, nil
}

// promptByteRows compare the prompt bytes the agents sent, handles against full.
func promptByteRows(o *OllamaTarget, hb, hmax, fb, fmax int64) []Row {
	row := func(name string, v int64) Row {
		return Row{Section: sectionOllama, Name: name, Scale: ollamaScale(o), Value: float64(v) / 1024, Unit: "KiB", Samples: 1,
			Note: "message bytes the agents sent, before any truncation by Ollama"}
	}
	return []Row{
		row("prompt bytes sent, whole run, handles", hb),
		withRatioOver(row("prompt bytes sent, whole run, full context", fb), float64(hb)/1024, "this ÷ handles"),
		row("largest prompt sent in one call, handles", hmax),
		withRatioOver(row("largest prompt sent in one call, full context", fmax), float64(hmax)/1024, "this ÷ handles"),
	}
}

func ollamaScale(o *OllamaTarget) string {
	s := fmt.Sprintf("%s, OLLAMA_NUM_PARALLEL=%d", o.Model, o.NumParallel)
	if o.NumCtx > 0 {
		s += fmt.Sprintf(", num_ctx %d", o.NumCtx)
	}
	return s
}

// maxPromptRows show the largest prompt of one call: at num_ctx, Ollama truncated
// the prompt and the token counts above understate it.
func maxPromptRows(o *OllamaTarget, handles, full int64) []Row {
	note := "largest prompt_eval_count of one call"
	if o.NumCtx > 0 && max(handles, full) >= int64(o.NumCtx) {
		note += fmt.Sprintf("; reached num_ctx %d, so Ollama truncated prompts", o.NumCtx)
	}
	row := func(name string, v int64) Row {
		return Row{Section: sectionOllama, Name: name, Scale: ollamaScale(o), Value: float64(v), Unit: "tokens", Samples: 1, Note: note}
	}
	return []Row{row("largest prompt of one call, handles", handles),
		withRatioOver(row("largest prompt of one call, full context", full), float64(handles), "this ÷ handles")}
}

func ollamaRows(o *OllamaTarget, slots int, seq, par Stat, handles, full pipeline.Run) []Row {
	scale := ollamaScale(o)
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
		withRatioOver(withNote(row("prompt tokens, full results pasted", float64(ft.PromptTokens), "tokens", 1),
			"Ollama prompt_eval_count, whole run"), float64(ht.PromptTokens), "this ÷ handles"),
		row("prompt tokens per LLM call, handles", perCall(ht), "tokens", 1),
		withRatioOver(row("prompt tokens per LLM call, full context", perCall(ft), "tokens", 1), perCall(ht), "this ÷ handles"),
		row("total tokens, handles", float64(ht.TotalTokens), "tokens", 1),
		withRatioOver(row("total tokens, full context", float64(ft.TotalTokens), "tokens", 1), float64(ht.TotalTokens), "this ÷ handles"),
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

// countingLLM passes calls through and counts the prompt bytes the agents send,
// which Ollama's prompt_eval_count understates once a prompt exceeds num_ctx.
type countingLLM struct {
	agent.LLM
	mu          sync.Mutex
	promptBytes int64
	maxBytes    int64
}

// Chat counts the bytes of the request's messages and calls the wrapped model.
func (c *countingLLM) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	var n int64
	for _, m := range req.Messages {
		n += int64(len(m.Content))
	}
	c.mu.Lock()
	c.promptBytes += n
	c.maxBytes = max(c.maxBytes, n)
	c.mu.Unlock()
	return c.LLM.Chat(ctx, req)
}

// take returns the counts since the last take and resets them.
func (c *countingLLM) take() (total, largest int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	total, largest = c.promptBytes, c.maxBytes
	c.promptBytes, c.maxBytes = 0, 0
	return total, largest
}

// firstStage keeps the steps that depend on nothing (for campaign_optimization:
// the two independent analysts).
func firstStage(p pipeline.Pipeline) pipeline.Pipeline {
	out := p
	out.Steps = nil
	for _, st := range p.Steps {
		if len(st.DependsOn) == 0 {
			out.Steps = append(out.Steps, st)
		}
	}
	return out
}
