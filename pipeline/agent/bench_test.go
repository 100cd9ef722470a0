package agent

import (
	"testing"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
)

// BenchmarkPromptTokens measures the prompt tokens of an agent turn whose upstream
// context holds three tool results on the beverage data (market share by brand,
// monthly revenue, cross-section by country), with handle summaries vs the full rows
// pasted in, as counted by Ollama (prompt_eval_count) for the tiny model.
func BenchmarkPromptTokens(b *testing.B) {
	srv := ollamatest.Shared(b)
	st := beverageStore(b)
	ups := upstreamResults(b, st)
	client := realClient(b, srv, srv.Model)
	d, _ := Builtin("report_summarizer")
	tokens := func(mode ContextMode) float64 {
		task := realTask(srv.Model, d)
		task.Upstream, task.Context = ups, mode
		numCtx := 32768 // the full context must not be truncated
		task.Options.NumCtx = &numCtx
		var first int64
		obs := Observer{OnLLMCall: func(c Call) {
			if first == 0 {
				first = c.Usage.PromptTokens
			}
		}}
		if _, err := Run(b.Context(), client, st, task, obs); err != nil {
			b.Fatal(err)
		}
		return float64(first)
	}
	var handles, full float64
	for b.Loop() {
		handles = tokens(ContextHandles)
		full = tokens(ContextFull)
	}
	b.ReportMetric(handles, "handles-prompt-tokens/turn")
	b.ReportMetric(full, "full-prompt-tokens/turn")
	b.ReportMetric(full/handles, "full/handles")
}
