package bench

import (
	"context"
	"fmt"
	"slices"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/llmtest"
	"github.com/mrswarm/mrswarm/sql/store"
)

// countCtx is the num_ctx of the counting calls: larger than the largest
// full-context prompt of the fed pipeline (about 24 KB, 17.5k tokens), since
// Ollama drops the messages that do not fit and counts only what is left.
const countCtx = 32768

// countMargin leaves room for the chat template's role prefixes.
const countMargin = 1024

// promptBytes is the size of the messages' contents.
func promptBytes(msgs []llm.Message) int {
	n := 0
	for _, m := range msgs {
		n += len(m.Content)
	}
	return n
}

// countedScript plays the built-in agents as the scripted LLM does (one tool
// call, then a final answer citing it: the same tools in both context modes)
// and takes each prompt's token count from Ollama: the prompt_eval_count of
// the same messages with one token generated, in a context that fits them. It
// isolates what the prompt construction costs from what a random tiny model
// happens to do.
type countedScript struct {
	script *llmtest.Script
	ollama llm.Client
	model  string
	// numCtx is the num_ctx of the counting calls; 0 keeps the client's and
	// skips the check that a prompt fits.
	numCtx int
}

// Capabilities are the script's: schema-constrained turns.
func (c *countedScript) Capabilities(ctx context.Context, model string) ([]string, error) {
	return c.script.Capabilities(ctx, model)
}

// Chat answers from the script with Ollama's count of the prompt.
func (c *countedScript) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	resp, err := c.script.Chat(ctx, req)
	if err != nil {
		return resp, err
	}
	one := 1
	opts := llm.Options{NumPredict: &one}
	if c.numCtx > 0 {
		if n := promptBytes(req.Messages); n > c.numCtx-countMargin {
			// A token is at least one byte: below this size nothing is dropped.
			return llm.Response{}, fmt.Errorf("a prompt of %d bytes may not fit num_ctx %d: Ollama would count only part of it", n, c.numCtx)
		}
		opts.NumCtx = &c.numCtx
	}
	counted, err := c.ollama.Chat(ctx, llm.Request{Model: c.model, Messages: req.Messages, Options: opts})
	if err != nil {
		return llm.Response{}, err
	}
	resp.Usage.PromptTokens = counted.Usage.PromptTokens
	return resp, nil
}

// scriptedComparison runs the fed pipeline with scripted agents (the same tool
// calls and upstream results in both modes) once with handle summaries and once
// with full results, each prompt counted by Ollama in num_ctx numCtx (countCtx
// for a measurement). Its whole-run totals are the headline keys
// prompt_tokens_handles and prompt_tokens_full.
func scriptedComparison(ctx context.Context, st *store.Store, preset pipeline.Pipeline, client llm.Client, o *OllamaTarget, numCtx int) ([]Row, error) {
	model := &countedScript{script: newScriptedLLM(nil, 0), ollama: client, model: o.Model, numCtx: numCtx}
	env := &pipelineEnv{st: st, preset: preset,
		runner: pipeline.NewRunner(st, model, pipeline.Config{MaxParallel: max(o.NumParallel, 1), DefaultModel: o.Model})}
	defer env.runner.Close(ctx)
	var runs [2]pipeline.Run
	var turns [2][]int64
	for i, mode := range []agent.ContextMode{agent.ContextHandles, agent.ContextFull} {
		run, _, err := env.run(ctx, pipeline.Options{MaxParallel: max(o.NumParallel, 1), Context: mode})
		if err != nil {
			return nil, fmt.Errorf("scripted agents, %s context: %w", contextName(mode), err)
		}
		runs[i], turns[i] = run, env.prompts
	}
	scale := ollamaScale(o, numCtx) + fmt.Sprintf(", scripted agents (one tool call, then the answer) fed 2 tool results + %d SQL rows", feedRows)
	row := func(name string, v float64, note string) Row {
		return Row{Section: sectionOllama, Name: name, Scale: scale, Value: v, Unit: "tokens", Samples: 1, Note: note}
	}
	const src = "Ollama prompt_eval_count of every agent turn, whole run"
	h, f := float64(runs[0].Tokens.PromptTokens), float64(runs[1].Tokens.PromptTokens)
	hm, fm := medianTokens(turns[0]), medianTokens(turns[1])
	turnNote := func(i int) string {
		if len(turns[i]) == 0 {
			return "no agent turns"
		}
		return fmt.Sprintf("median of %d agent turns (%d–%d)", len(turns[i]), slices.Min(turns[i]), slices.Max(turns[i]))
	}
	return []Row{
		withKey(row("prompt tokens, same tool calls, handle summaries", h, src), KeyPromptTokensHandles),
		withKey(withRatioOver(row("prompt tokens, same tool calls, full results pasted", f, src), h, "this ÷ handles"), KeyPromptTokensFull),
		row("prompt tokens per agent turn, same tool calls, handle summaries", hm, turnNote(0)),
		withRatioOver(row("prompt tokens per agent turn, same tool calls, full results pasted", fm, turnNote(1)), hm, "this ÷ handles"),
	}, nil
}

// medianTokens is the median of token counts (0 for none).
func medianTokens(xs []int64) float64 {
	if len(xs) == 0 {
		return 0
	}
	fs := make([]float64, len(xs))
	for i, x := range xs {
		fs[i] = float64(x)
	}
	return medianOf(fs)
}
