package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/ollama"
)

const sectionOllama = "pipeline, real Ollama"

// ollama runs campaign_optimization on the real Ollama, one slot against
// OLLAMA_NUM_PARALLEL slots, then compares handle summaries with full results
// pasted into the prompts, with Ollama's own token counts and the bytes sent.
func (s *suite) ollama(ctx context.Context) ([]Row, []string, error) {
	o := s.cfg.Ollama
	if o == nil {
		return nil, []string{"pipeline on the real Ollama: no Ollama configured (needs `make ollama`)"}, nil
	}
	client, err := newOllamaClient(ctx, o, o.NumCtx)
	if err != nil {
		return nil, nil, err
	}
	slots := max(o.NumParallel, 1)
	env, err := s.newPipelineEnv(ctx, client, pipeline.Config{MaxParallel: slots, DefaultModel: o.Model})
	if err != nil {
		return nil, nil, err
	}
	defer env.close(ctx)
	env.tolerateFailedSteps = true
	if s.cfg.Quick {
		env.preset = firstStage(env.preset) // keeps the test suite's run short
	}
	reps := max(o.Reps, 1)
	seq, _, err := env.runs(ctx, reps, pipeline.Options{MaxParallel: 1})
	if err != nil {
		return nil, nil, fmt.Errorf("sequential: %w", err)
	}
	par, run, err := env.runs(ctx, reps, pipeline.Options{MaxParallel: slots})
	if err != nil {
		return nil, nil, fmt.Errorf("parallel: %w", err)
	}
	rows := scheduleRows(o, slots, seq, par, run)
	ctxRows, err := s.contextComparison(ctx, env, o)
	rows = append(rows, ctxRows...)
	var notes []string
	for _, f := range env.failures {
		notes = append(notes, "real Ollama: a "+f)
	}
	return rows, notes, err
}

func newOllamaClient(ctx context.Context, o *OllamaTarget, numCtx int) (*ollama.Client, error) {
	seed, temp := 42, 0.0
	opts := llm.Options{Seed: &seed, Temperature: &temp}
	if numCtx > 0 {
		opts.NumCtx = &numCtx
	}
	client, err := ollama.New(ollama.Config{Host: o.Host, Model: o.Model, Options: opts})
	if err != nil {
		return nil, err
	}
	if err := warmUp(ctx, client, o.Model); err != nil {
		return nil, fmt.Errorf("warm-up call: %w", err)
	}
	return client, nil
}

// contextComparison runs the pipeline with tool steps feeding its first agents
// (so that every agent has upstream results whatever the model does), once with
// handle summaries and once with full results, on a client whose num_ctx fits the
// full prompts (CompareCtx), counting Ollama's tokens and the bytes sent.
func (s *suite) contextComparison(ctx context.Context, env *pipelineEnv, o *OllamaTarget) ([]Row, error) {
	numCtx := o.CompareCtx
	if numCtx == 0 {
		numCtx = o.NumCtx
	}
	client, err := newOllamaClient(ctx, o, numCtx)
	if err != nil {
		return nil, err
	}
	counter := &countingLLM{Client: client}
	cmp := &pipelineEnv{st: env.st, preset: env.preset, tolerateFailedSteps: true,
		runner: pipeline.NewRunner(env.st, counter, pipeline.Config{MaxParallel: max(o.NumParallel, 1), DefaultModel: o.Model})}
	defer cmp.runner.Close(ctx)
	if cmp.preset, err = fedByTools(ctx, env); err != nil {
		return nil, err
	}
	opts := pipeline.Options{MaxParallel: max(o.NumParallel, 1)}
	opts.Context = agent.ContextHandles
	handles, _, err := cmp.run(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("handles context: %w", err)
	}
	hMax, hTurns := cmp.maxPrompt, cmp.prompts
	hb, hbMax := counter.take()
	opts.Context = agent.ContextFull
	full, _, err := cmp.run(ctx, opts)
	env.failures = append(env.failures, cmp.failures...)
	if err != nil {
		return nil, fmt.Errorf("full context: %w", err)
	}
	fb, fbMax := counter.take()
	c := comparison{o: o, numCtx: numCtx, steps: len(cmp.preset.Steps), handles: handles, full: full}
	rows := c.tokenRows()
	rows = append(rows, c.turnRows(hTurns, cmp.prompts)...)
	rows = append(rows, c.largestRows(hMax, cmp.maxPrompt)...)
	rows = append(rows, c.byteRows(hb, hbMax, fb, fbMax)...)
	countAt := countCtx
	if s.cfg.Quick {
		countAt = 0 // the test suite's smoke run: the client's num_ctx, long full prompts cut short
	}
	same, err := scriptedComparison(ctx, env.st, cmp.preset, client, o, countAt)
	return append(rows, same...), err
}

// feedSQL is the SQL cell that feeds the first agents a result of feedRows rows:
// tool results are small aggregates whose summary is nearly the whole table, while
// row-level results are where pasting everything costs.
const (
	feedRows = 300
	feedSQL  = "SELECT sale_date, brand, region, SUM(total_revenue) AS revenue, SUM(units_sold) AS units " +
		"FROM " + benchDataset + " GROUP BY ALL ORDER BY ALL LIMIT 300"
)

// fedByTools is the preset with two tool steps and a SQL cell of feedRows rows
// that its first agents depend on.
func fedByTools(ctx context.Context, env *pipelineEnv) (pipeline.Pipeline, error) {
	names, err := availableTools(ctx, env.st, benchDataset, 2)
	if err != nil {
		return pipeline.Pipeline{}, err
	}
	p := env.preset
	p.Name += "_fed"
	feeds := []string{"data_rows"}
	steps := []pipeline.Step{{ID: "data_rows", SQL: &pipeline.SQLStep{SQL: feedSQL}}}
	for _, n := range names {
		id := "data_" + n
		feeds = append(feeds, id)
		steps = append(steps, pipeline.Step{ID: id, Tool: &pipeline.ToolStep{Tool: n}})
	}
	for _, st := range p.Steps {
		if len(st.DependsOn) == 0 {
			st.DependsOn = append([]string(nil), feeds...)
		}
		steps = append(steps, st)
	}
	p.Steps = steps
	return p, nil
}

func scheduleRows(o *OllamaTarget, slots int, seq, par Stat, run pipeline.Run) []Row {
	scale := ollamaScale(o, o.NumCtx)
	row := func(name string, v float64, unit string, n int) Row {
		return Row{Section: sectionOllama, Name: name, Scale: scale, Value: v, Unit: unit, Samples: n}
	}
	p := run.Profile
	share := func(d time.Duration) float64 { return 100 * ratio(float64(d), float64(p.Wall)) }
	return []Row{
		row("sequential wall time (MaxParallel 1)", seq.ms(), "ms", seq.N),
		withRatio(row(fmt.Sprintf("parallel wall time (MaxParallel %d)", slots), par.ms(), "ms", par.N),
			seq.ms(), "sequential ÷ parallel"),
		row("LLM calls of the parallel run", float64(run.Tokens.LLMCalls), "calls", 1),
		row("total tokens of the parallel run", float64(run.Tokens.TotalTokens), "tokens", 1),
		withNote(row("LLM time ÷ wall time, parallel run", share(p.LLM), "%", 1), "summed over steps; exceeds 100% when steps overlap"),
		withNote(row("SQL time ÷ wall time, parallel run", share(p.SQL), "%", 1), "summed over steps"),
		withNote(row("orchestration overhead ÷ wall time, parallel run", share(p.Overhead), "%", 1),
			fmt.Sprintf("Run.Profile.Overhead %s of %s", p.Overhead.Round(time.Microsecond), p.Wall.Round(time.Millisecond))),
		withNote(row("peak RSS during the parallel run", float64(p.PeakRSS)/(1<<20), "MiB", 1), "benchmark process, Run.Profile.PeakRSS"),
	}
}

func ollamaScale(o *OllamaTarget, numCtx int) string {
	s := fmt.Sprintf("%s, OLLAMA_NUM_PARALLEL=%d", o.Model, o.NumParallel)
	if numCtx > 0 {
		s += fmt.Sprintf(", num_ctx %d", numCtx)
	}
	return s
}

// comparison is a handles run against a full-context run of the fed pipeline.
type comparison struct {
	o             *OllamaTarget
	numCtx, steps int
	handles, full pipeline.Run
}

func (c comparison) row(name string, v float64, unit, note string) Row {
	return Row{Section: sectionOllama, Name: name, Scale: ollamaScale(c.o, c.numCtx) + fmt.Sprintf(", first agents fed 2 tool results + %d SQL rows", feedRows),
		Value: v, Unit: unit, Samples: 1, Note: note}
}

func (c comparison) tokenRows() []Row {
	ht, ft := c.handles.Tokens, c.full.Tokens
	perCall := func(t pipeline.TokenUsage) float64 { return ratio(float64(t.PromptTokens), float64(t.LLMCalls)) }
	const src = "Ollama prompt_eval_count, whole run; depends on the turns the model takes"
	const turns = "whole run; depends on the turns the model takes"
	return []Row{
		c.row("LLM calls, handle summaries", float64(ht.LLMCalls), "calls", ""),
		c.row("LLM calls, full results pasted", float64(ft.LLMCalls), "calls", ""),
		c.row("prompt tokens, handle summaries", float64(ht.PromptTokens), "tokens", src),
		withRatioOver(c.row("prompt tokens, full results pasted", float64(ft.PromptTokens), "tokens", src),
			float64(ht.PromptTokens), "this ÷ handles"),
		c.row("prompt tokens per LLM call, handle summaries", perCall(ht), "tokens", ""),
		withRatioOver(c.row("prompt tokens per LLM call, full results pasted", perCall(ft), "tokens", ""),
			perCall(ht), "this ÷ handles"),
		c.row("total tokens, handle summaries", float64(ht.TotalTokens), "tokens", turns),
		withRatioOver(c.row("total tokens, full results pasted", float64(ft.TotalTokens), "tokens", turns),
			float64(ht.TotalTokens), "this ÷ handles"),
	}
}

// turnRows give the median prompt of one agent turn (one LLM call) in each mode.
func (c comparison) turnRows(handles, full []int64) []Row {
	med := medianTokens
	note := func(xs []int64) string { return fmt.Sprintf("median prompt_eval_count of %d agent turns", len(xs)) }
	return []Row{c.row("prompt tokens per agent turn, handle summaries", med(handles), "tokens", note(handles)),
		withRatioOver(c.row("prompt tokens per agent turn, full results pasted", med(full), "tokens", note(full)),
			med(handles), "this ÷ handles")}
}

// largestRows show the largest prompt of one call: at num_ctx, Ollama truncated
// the prompt and the token counts understate what was sent.
func (c comparison) largestRows(handles, full int64) []Row {
	note := func(n int64) string {
		if c.numCtx > 0 && n >= int64(c.numCtx)-64 {
			return fmt.Sprintf("largest prompt_eval_count of one call; reached num_ctx %d: Ollama truncated the prompt", c.numCtx)
		}
		return "largest prompt_eval_count of one call"
	}
	return []Row{c.row("largest prompt of one call, handle summaries", float64(handles), "tokens", note(handles)),
		withRatioOver(c.row("largest prompt of one call, full results pasted", float64(full), "tokens", note(full)),
			float64(handles), "this ÷ handles")}
}

func (c comparison) byteRows(hb, hmax, fb, fmax int64) []Row {
	const note = "message bytes the agents sent, before any truncation by Ollama"
	kib := func(n int64) float64 { return float64(n) / 1024 }
	return []Row{
		c.row("prompt bytes sent, whole run, handle summaries", kib(hb), "KiB", note),
		withRatioOver(c.row("prompt bytes sent, whole run, full results pasted", kib(fb), "KiB", note), kib(hb), "this ÷ handles"),
		c.row("largest prompt sent in one call, handle summaries", kib(hmax), "KiB", note),
		withRatioOver(c.row("largest prompt sent in one call, full results pasted", kib(fmax), "KiB", note), kib(hmax), "this ÷ handles"),
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
	llm.Client
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
	return c.Client.Chat(ctx, req)
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
// the two independent analysts and the roi and budget tool steps).
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
