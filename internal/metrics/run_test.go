package metrics

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mrswarm/mrswarm/internal/repo"
	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
)

// finalLLM calls the first tool its format offers, then answers citing nothing.
type finalLLM struct{}

var firstTool = regexp.MustCompile(`"tool":\{"const":"([a-z_]+)"\}`)

func (finalLLM) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

func (finalLLM) Chat(_ context.Context, req llm.Request) (llm.Response, error) {
	answer := `{"action":"final","summary":"done","findings":[]}`
	called := false
	for _, m := range req.Messages {
		called = called || (m.Role == "assistant" && strings.Contains(m.Content, "call_tool"))
	}
	if m := firstTool.FindSubmatch(req.Format); m != nil && !called {
		answer = `{"action":"call_tool","tool":"` + string(m[1]) + `","args":{}}`
	}
	return llm.Response{Model: req.Model, DoneReason: "stop",
		Message: llm.Message{Role: "assistant", Content: answer},
		Usage:   llm.Usage{PromptTokens: 120, CompletionTokens: 12, Wall: time.Millisecond}}, nil
}

// TestHookRealRun runs a two-step pipeline (a tool step, then an agent) on the
// real beverage data and checks the metrics recorded through the runner's event hook.
func TestHookRealRun(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, "", store.Options{DataRoot: dataRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.LoadFile(ctx, "bev", "beverage_sales.csv", store.FormatCSV, nil); err != nil {
		t.Fatal(err)
	}
	m := New(nil)
	runner := pipeline.NewRunner(st, finalLLM{}, pipeline.Config{MaxParallel: 2, DefaultModel: "fake", OnEvent: m.ObserveEvent})
	defer runner.Close(context.WithoutCancel(ctx))
	p := pipeline.Pipeline{Name: "m", Steps: []pipeline.Step{
		{ID: "share", Tool: &pipeline.ToolStep{Tool: "market_share"}},
		{ID: "analyst", DependsOn: []string{"share"}, Agent: &pipeline.AgentStep{Agent: "market_research_analyst"}},
	}}
	run, err := runner.Start(ctx, pipeline.StartRequest{Dataset: "bev", Pipeline: p})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for testutil.ToFloat64(m.runs.WithLabelValues(string(pipeline.RunSucceeded))) != 1 {
		got, err := runner.Get(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) || (got.Status.Final() && got.Status != pipeline.RunSucceeded) {
			t.Fatalf("no succeeded run recorded; run is %s %v", got.Status, got.Errors)
		}
		time.Sleep(10 * time.Millisecond)
	}
	tests := []struct {
		name      string
		got, want float64
	}{
		{"llm calls", testutil.ToFloat64(m.llmCalls.WithLabelValues("fake", "market_research_analyst")), 2},
		{"prompt tokens", testutil.ToFloat64(m.promptTokens.WithLabelValues("fake", "market_research_analyst")), 240},
		{"tool steps", testutil.ToFloat64(m.steps.WithLabelValues("tool", "succeeded")), 1},
		{"agent steps", testutil.ToFloat64(m.steps.WithLabelValues("agent", "succeeded")), 1},
		{"runs active", testutil.ToFloat64(m.runsActive), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	// The tool step and the agent's tool call.
	if n := testutil.CollectAndCount(m.toolLatency); n < 1 || n > 2 {
		t.Errorf("tool latency series = %d, want 1 or 2", n)
	}
}

// dataRoot is <module root>/data.
func dataRoot(t *testing.T) string {
	t.Helper()
	dir, err := repo.DataDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// claimsLLM calls market_share, then answers with two findings citing its
// handle: one with a number the handle does not hold, one without numbers.
type claimsLLM struct{}

var lastHandle = regexp.MustCompile(`res_[0-9a-f]{8}`)

func (claimsLLM) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

func (claimsLLM) Chat(_ context.Context, req llm.Request) (llm.Response, error) {
	answer := `{"action":"call_tool","tool":"market_share","args":{}}`
	if hs := lastHandle.FindAllString(string(req.Format), -1); len(hs) > 0 {
		h := hs[len(hs)-1]
		answer = `{"action":"final","summary":"done","findings":[{"text":"The leader holds 42.5 %","handles":["` + h +
			`"]},{"text":"The leader leads","handles":["` + h + `"]}]}`
	}
	return llm.Response{Model: req.Model, DoneReason: "stop", Message: llm.Message{Role: "assistant", Content: answer},
		Usage: llm.Usage{PromptTokens: 100, CompletionTokens: 10, Wall: time.Millisecond}}, nil
}

// TestClaimMetricsRealRun: /metrics counts a finished run's findings by the
// claim check of its report.
func TestClaimMetricsRealRun(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, "", store.Options{DataRoot: dataRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.LoadFile(ctx, "bev", "beverage_sales.csv", store.FormatCSV, nil); err != nil {
		t.Fatal(err)
	}
	m := New(nil)
	runner := pipeline.NewRunner(st, claimsLLM{}, pipeline.Config{MaxParallel: 2, DefaultModel: "fake", OnEvent: m.ObserveEvent})
	defer runner.Close(context.WithoutCancel(ctx))
	p := pipeline.Pipeline{Name: "m", Steps: []pipeline.Step{
		{ID: "analyst", Agent: &pipeline.AgentStep{Agent: "market_research_analyst"}},
		{ID: "report", DependsOn: []string{"analyst"}, Report: &pipeline.ReportStep{}},
	}}
	run, err := runner.Start(ctx, pipeline.StartRequest{Dataset: "bev", Pipeline: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Watch(ctx, run.ID, 0, func(pipeline.Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for testutil.ToFloat64(m.runs.WithLabelValues(string(pipeline.RunSucceeded))) != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := map[string]float64{}
	for _, s := range []string{"verified", "partly_verified", "unverified", "no_numbers"} {
		got[s] = testutil.ToFloat64(m.findings.WithLabelValues(s))
	}
	want := map[string]float64{"verified": 0, "partly_verified": 0, "unverified": 1, "no_numbers": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mrswarm_report_findings_total (-want +got):\n%s", diff)
	}
}
