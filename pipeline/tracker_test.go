package pipeline

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

func TestTracker(t *testing.T) {
	tr := newTracker()
	calls := []struct {
		step, agent string
		prompt, out int64
	}{
		{"a", "market_research_analyst", 100, 10},
		{"a", "market_research_analyst", 150, 20},
		{"b", "competitive_analyst", 90, 5},
		{"c", "market_research_analyst", 10, 1}, // the same agent in another step
	}
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			got := tr.add(c.step, c.agent, llm.Usage{PromptTokens: c.prompt, CompletionTokens: c.out})
			if want := (TokenUsage{c.prompt, c.out, c.prompt + c.out, 1}); got != want {
				t.Errorf("add = %+v, want %+v", got, want)
			}
		})
	}
	wg.Wait()
	run, agents := tr.totals()
	if want := (TokenUsage{350, 36, 386, 4}); run != want {
		t.Errorf("run = %+v, want %+v", run, want)
	}
	wantAgents := map[string]TokenUsage{"market_research_analyst": {260, 31, 291, 3}, "competitive_analyst": {90, 5, 95, 1}}
	if diff := cmp.Diff(wantAgents, agents); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
	if got, want := tr.step("a"), (TokenUsage{250, 30, 280, 2}); got != want {
		t.Errorf("step a = %+v, want %+v", got, want)
	}
	agents["x"] = TokenUsage{} // a copy
	if _, again := tr.totals(); len(again) != 2 {
		t.Error("totals returned the tracker's own map")
	}
}

// BenchmarkTracker measures the cost of counting one LLM call.
func BenchmarkTracker(b *testing.B) {
	tr := newTracker()
	u := llm.Usage{PromptTokens: 812, CompletionTokens: 64, Wall: time.Second}
	steps := []string{"market_research_analyst", "competitive_analyst", "campaign_optimizer"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := steps[i%len(steps)]
		tr.add(s, s, u)
	}
}

func TestStepProfileAddsUp(t *testing.T) {
	tests := []struct {
		name                string
		wall, llm, sql, ovh time.Duration
	}{
		{"normal", 100 * time.Millisecond, 60 * time.Millisecond, 30 * time.Millisecond, 10 * time.Millisecond},
		{"no llm", 50 * time.Millisecond, 0, 45 * time.Millisecond, 5 * time.Millisecond},
		{"clock skew clamps at zero", 10 * time.Millisecond, 12 * time.Millisecond, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := StepProfile{Wall: tt.wall, LLM: tt.llm, SQL: tt.sql}.finish()
			if p.Overhead != tt.ovh {
				t.Errorf("overhead %v, want %v", p.Overhead, tt.ovh)
			}
		})
	}
}

func TestRunProfile(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	steps := []StepState{ // a and b overlap; a gap of 10ms before c
		{StartedAt: at(0), FinishedAt: at(50), Profile: StepProfile{Wall: 50 * time.Millisecond, LLM: 40 * time.Millisecond, SQL: 5 * time.Millisecond, Overhead: 5 * time.Millisecond}},
		{StartedAt: at(10), FinishedAt: at(40), Profile: StepProfile{Wall: 30 * time.Millisecond, LLM: 30 * time.Millisecond}},
		{StartedAt: at(60), FinishedAt: at(100), Profile: StepProfile{Wall: 40 * time.Millisecond, SQL: 38 * time.Millisecond, Overhead: 2 * time.Millisecond}},
		{}, // skipped
	}
	got := runProfile(110*time.Millisecond, steps)
	want := RunProfile{Wall: 110 * time.Millisecond, LLM: 70 * time.Millisecond, SQL: 43 * time.Millisecond,
		Overhead: 7*time.Millisecond + 20*time.Millisecond} // step overheads + idle 50–60 and 100–110
	if got != want {
		t.Errorf("runProfile = %+v, want %+v", got, want)
	}
}
