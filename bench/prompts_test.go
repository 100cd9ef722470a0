package bench

import (
	"os"
	"testing"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/pipeline"
)

// TestPromptComparison runs only the handles-versus-full comparison of the
// bench (scripted agents, the same tool calls and upstream results in both
// modes, every prompt counted by the real Ollama) and holds the goal of
// issue 17: the handle summaries' prompts are at least 10 times smaller.
// Counting the full prompts (8 of 13–18k tokens) takes the tiny model minutes
// on two cores, so it runs when MRSWARM_BENCH_PROMPTS=1 (and in `make bench`).
func TestPromptComparison(t *testing.T) {
	if os.Getenv("MRSWARM_BENCH_PROMPTS") != "1" {
		t.Skip("set MRSWARM_BENCH_PROMPTS=1 to count the prompts of the bench's handles-versus-full comparison")
	}
	srv := ollamatest.Shared(t)
	s, err := newSuite(Config{Quick: true, WorkDir: t.TempDir(), Log: testLog{t}}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	o := &OllamaTarget{Host: srv.Host, Model: srv.Model, NumParallel: 2}
	ctx := t.Context()
	client, err := newOllamaClient(ctx, o, countCtx)
	if err != nil {
		t.Fatal(err)
	}
	env, err := s.newPipelineEnv(ctx, newScriptedLLM(nil, 0), pipeline.Config{MaxParallel: 2, DefaultModel: "scripted"})
	if err != nil {
		t.Fatal(err)
	}
	defer env.close(ctx)
	fed, err := fedByTools(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := scriptedComparison(ctx, env.st, fed, client, o, countCtx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		t.Logf("%s: %.0f %s (ratio %.2f %s; %s)", r.Name, r.Value, r.Unit, r.Ratio, r.RatioOf, r.Note)
	}
	keys := Report{Rows: rows}.Keys()
	h, f := keys[KeyPromptTokensHandles], keys[KeyPromptTokensFull]
	if h <= 0 || f < 10*h {
		t.Errorf("prompt tokens with the same tool calls: handles %.0f, full %.0f (%.1f×); want full ≥ 10 × handles", h, f, f/h)
	}
}
