package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

// TestCampaignWithOllama runs campaign_optimization end to end through the
// server against a real Ollama with the tiny model, streamed over gRPC; then
// replays its events as NDJSON over REST and re-runs it over REST, where every
// step is memoized and Ollama is not called again.
func TestCampaignWithOllama(t *testing.T) {
	srv := ollamatest.Shared(t)
	cfg := testConfig(t)
	cfg.OllamaHost, cfg.Model = srv.Host, srv.Model
	cfg.LLMOptions = TinyModelOptions(cfg.LLMOptions) // what --managed-ollama uses
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	ctx := t.Context()
	if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "beverage", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	stream, err := ts.pipes.RunPipeline(ctx, &mrswarmv1.StartRunRequest{
		Dataset: "beverage", Source: &mrswarmv1.StartRunRequest_Preset{Preset: "campaign_optimization"},
		Inputs: &mrswarmv1.RunInputs{TargetAudience: "health-conscious adults", Budget: 100000, Duration: "6 months"},
	})
	if err != nil {
		t.Fatal(err)
	}
	events := collect(t, stream.Recv)
	run := events[len(events)-1].GetRun()
	if run.GetStatus() != mrswarmv1.RunStatus_RUN_STATUS_SUCCEEDED {
		t.Fatalf("gRPC run %v: %v", run.GetStatus(), run.GetErrors())
	}
	var llmEvents, prompt int64
	for _, e := range events {
		if c := e.GetLlmCall(); c != nil {
			llmEvents++
			prompt += c.GetPromptTokens()
			if c.GetPromptTokens() <= 0 || c.GetWall().AsDuration() <= 0 || c.GetModel() != srv.Model {
				t.Errorf("llm_call event without Ollama's numbers: %v", c)
			}
		}
	}
	if llmEvents == 0 || int64(run.GetTokens().GetLlmCalls()) != llmEvents || run.GetTokens().GetPromptTokens() != prompt {
		t.Errorf("run tokens %v, but %d llm_call events with %d prompt tokens", run.GetTokens(), llmEvents, prompt)
	}
	report, err := ts.pipes.GetRunReport(ctx, &mrswarmv1.GetRunReportRequest{RunId: run.GetId()})
	if err != nil || !strings.Contains(report.GetMarkdown(), "# Campaign optimization report") {
		t.Errorf("report: %.200q, %v", report.GetMarkdown(), err)
	}
	t.Logf("gRPC run: %d events, %d LLM calls, %d prompt tokens, %v", len(events), llmEvents, prompt, time.Since(start))

	code, b := ts.do(t, "GET", "/v1/runs/"+run.GetId()+"/events", nil, "")
	if lines := ndjsonLines(t, b); code != http.StatusOK || len(lines) != len(events) {
		t.Errorf("REST replay of the events = %d with %d lines, want %d", code, len(lines), len(events))
	}

	start = time.Now()
	body := `{"dataset":"beverage","preset":"campaign_optimization",
		"inputs":{"target_audience":"health-conscious adults","budget":100000,"duration":"6 months"}}`
	code, b = ts.do(t, "POST", "/v1/runs:stream", strings.NewReader(body), "application/json")
	if code != http.StatusOK {
		t.Fatalf("REST run = %d %s", code, b)
	}
	lines := ndjsonLines(t, b)
	restRun := lines[len(lines)-1]["result"].(map[string]any)["run"].(map[string]any)
	if restRun["status"] != "RUN_STATUS_SUCCEEDED" {
		t.Fatalf("REST run %v: %v", restRun["status"], restRun["errors"])
	}
	for _, s := range restRun["steps"].([]any) {
		if st := s.(map[string]any)["status"]; st != "STEP_STATUS_CACHED" {
			t.Errorf("REST re-run step %v is %v, want STEP_STATUS_CACHED", s.(map[string]any)["id"], st)
		}
	}
	if calls := restRun["tokens"].(map[string]any)["llm_calls"]; calls != float64(0) {
		t.Errorf("REST re-run made %v LLM calls, want 0", calls)
	}
	t.Logf("REST re-run: %d events, %v", len(lines), time.Since(start))
}
