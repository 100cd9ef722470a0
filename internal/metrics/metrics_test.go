package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mrswarm/mrswarm/pipeline"
)

func TestUnaryInterceptorCountsByMethodAndCode(t *testing.T) {
	m := New(nil)
	icp := m.UnaryInterceptor()
	calls := []struct {
		method string
		err    error
	}{
		{"/mrswarm.v1.DatasetService/GetDataset", nil},
		{"/mrswarm.v1.DatasetService/GetDataset", nil},
		{"/mrswarm.v1.DatasetService/GetDataset", status.Error(codes.NotFound, "no such dataset")},
		{"/mrswarm.v1.ToolService/CallTool", errors.New("plain error")},
	}
	for _, c := range calls {
		info := &grpc.UnaryServerInfo{FullMethod: c.method}
		_, err := icp(t.Context(), "req", info, func(context.Context, any) (any, error) { return "resp", c.err })
		if !errors.Is(err, c.err) {
			t.Fatalf("interceptor changed the error: got %v, want %v", err, c.err)
		}
	}
	tests := []struct {
		method, code string
		want         float64
	}{
		{"/mrswarm.v1.DatasetService/GetDataset", "OK", 2},
		{"/mrswarm.v1.DatasetService/GetDataset", "NotFound", 1},
		{"/mrswarm.v1.ToolService/CallTool", "Unknown", 1},
		{"/mrswarm.v1.ToolService/CallTool", "OK", 0},
	}
	for _, tt := range tests {
		t.Run(tt.method+"/"+tt.code, func(t *testing.T) {
			got := testutil.ToFloat64(m.rpcRequests.WithLabelValues(tt.method, tt.code))
			if got != tt.want {
				t.Errorf("requests = %v, want %v", got, tt.want)
			}
		})
	}
	if n := testutil.CollectAndCount(m.rpcLatency); n != 3 {
		t.Errorf("latency series = %d, want 3", n)
	}
}

type fakeStream struct{ grpc.ServerStream }

func TestStreamInterceptorCountsByMethodAndCode(t *testing.T) {
	m := New(nil)
	icp := m.StreamInterceptor()
	info := &grpc.StreamServerInfo{FullMethod: "/mrswarm.v1.PipelineService/WatchRun", IsServerStream: true}
	for _, err := range []error{nil, status.Error(codes.Canceled, "gone"), status.Error(codes.Canceled, "gone")} {
		got := icp(nil, fakeStream{}, info, func(any, grpc.ServerStream) error { return err })
		if got != err {
			t.Fatalf("interceptor changed the error: got %v, want %v", got, err)
		}
	}
	want := `
# HELP mrswarm_grpc_requests_total gRPC requests handled, by full method and status code.
# TYPE mrswarm_grpc_requests_total counter
mrswarm_grpc_requests_total{code="Canceled",method="/mrswarm.v1.PipelineService/WatchRun"} 2
mrswarm_grpc_requests_total{code="OK",method="/mrswarm.v1.PipelineService/WatchRun"} 1
`
	if err := testutil.CollectAndCompare(m.rpcRequests, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// runEvents is what a two-step run emits: an agent step with two LLM calls (each
// naming its agent) and a tool call, then a failed tool step; then the
// run_finished of a run this process never saw start (an interrupted run found
// at startup).
func runEvents() []pipeline.Event {
	step := &pipeline.StepState{ID: "a", Kind: "agent", Agent: "market_research_analyst", Status: pipeline.StepRunning}
	done := *step
	done.Status = pipeline.StepSucceeded
	failed := &pipeline.StepState{ID: "t", Kind: "tool", Status: pipeline.StepFailed}
	return []pipeline.Event{
		{RunID: "r1", Type: pipeline.EventRunStarted},
		{RunID: "r1", Type: pipeline.EventStepStarted, StepID: "a", Step: step},
		{RunID: "r1", Type: pipeline.EventLLMCall, StepID: "a",
			LLM: &pipeline.LLMCall{Agent: "market_research_analyst", Model: "tiny", PromptTokens: 100, CompletionTokens: 20, Wall: 30 * time.Millisecond}},
		{RunID: "r1", Type: pipeline.EventToolCall, StepID: "a",
			Tool: &pipeline.ToolCall{Tool: "market_share", Duration: 2 * time.Millisecond}},
		{RunID: "r1", Type: pipeline.EventLLMCall, StepID: "a",
			LLM: &pipeline.LLMCall{Agent: "market_research_analyst", Model: "tiny", PromptTokens: 150, CompletionTokens: 40, Wall: 50 * time.Millisecond}},
		{RunID: "r1", Type: pipeline.EventStepFinished, StepID: "a", Step: &done},
		{RunID: "r1", Type: pipeline.EventToolCall, StepID: "t",
			Tool: &pipeline.ToolCall{Tool: "roi", Duration: time.Millisecond, Error: "boom"}},
		{RunID: "r1", Type: pipeline.EventStepFailed, StepID: "t", Step: failed},
		{RunID: "r1", Type: pipeline.EventRunFinished, Run: &pipeline.Run{ID: "r1", Status: pipeline.RunPartiallyFailed,
			Claims: pipeline.ClaimCounts{Verified: 3, PartlyVerified: 1, Unverified: 2}}},
		{RunID: "r0", Type: pipeline.EventRunFinished, Run: &pipeline.Run{ID: "r0", Status: pipeline.RunInterrupted}},
	}
}

func TestObserveEvent(t *testing.T) {
	m := New(nil)
	for _, ev := range runEvents() {
		m.ObserveEvent(ev)
	}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"llm calls", testutil.ToFloat64(m.llmCalls.WithLabelValues("tiny", "market_research_analyst")), 2},
		{"prompt tokens", testutil.ToFloat64(m.promptTokens.WithLabelValues("tiny", "market_research_analyst")), 250},
		{"completion tokens", testutil.ToFloat64(m.completionTokens.WithLabelValues("tiny", "market_research_analyst")), 60},
		{"unlabelled llm calls", testutil.ToFloat64(m.llmCalls.WithLabelValues("tiny", "")), 0},
		{"tool errors roi", testutil.ToFloat64(m.toolErrors.WithLabelValues("roi")), 1},
		{"tool errors market_share", testutil.ToFloat64(m.toolErrors.WithLabelValues("market_share")), 0},
		{"steps agent succeeded", testutil.ToFloat64(m.steps.WithLabelValues("agent", "succeeded")), 1},
		{"steps tool failed", testutil.ToFloat64(m.steps.WithLabelValues("tool", "failed")), 1},
		{"runs partially failed", testutil.ToFloat64(m.runs.WithLabelValues("partially_failed")), 1},
		{"runs succeeded", testutil.ToFloat64(m.runs.WithLabelValues("succeeded")), 0},
		{"runs interrupted", testutil.ToFloat64(m.runs.WithLabelValues("interrupted")), 1},
		{"runs active", testutil.ToFloat64(m.runsActive), 0},
		{"verified findings", testutil.ToFloat64(m.findings.WithLabelValues("verified")), 3},
		{"partly verified findings", testutil.ToFloat64(m.findings.WithLabelValues("partly_verified")), 1},
		{"unverified findings", testutil.ToFloat64(m.findings.WithLabelValues("unverified")), 2},
		{"findings without numbers", testutil.ToFloat64(m.findings.WithLabelValues("no_numbers")), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if n := len(m.active.runs); n != 0 {
		t.Errorf("%d runs still counted active after they finished", n)
	}
	if n := testutil.CollectAndCount(m.toolLatency); n != 2 {
		t.Errorf("tool latency series = %d, want 2 (market_share, roi)", n)
	}
}

func TestDatasetLoadAndToolCall(t *testing.T) {
	m := New(nil)
	m.DatasetLoad(false, 300*time.Millisecond)
	m.DatasetLoad(true, time.Millisecond)
	m.DatasetLoad(true, time.Millisecond)
	m.ToolCall("kpi_summary", 4*time.Millisecond)
	want := `
# HELP mrswarm_dataset_loads_total Dataset loads, by result: "hit" (same content already loaded) or "miss".
# TYPE mrswarm_dataset_loads_total counter
mrswarm_dataset_loads_total{result="hit"} 2
mrswarm_dataset_loads_total{result="miss"} 1
`
	if err := testutil.CollectAndCompare(m.datasetLoads, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if got := testutil.CollectAndCount(m.toolLatency, "mrswarm_tool_call_duration_seconds"); got != 1 {
		t.Errorf("tool latency series = %d, want 1", got)
	}
}

func TestHandlerExposesMetricsAndCollectors(t *testing.T) {
	m := New(nil)
	m.DatasetLoad(true, time.Millisecond)
	m.ObserveEvent(runEvents()[2])
	m.CountEvictions(func() int64 { return 2 })
	m.CountReopens(func() int64 { return 3 })
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`mrswarm_dataset_loads_total{result="hit"} 1`,
		`mrswarm_llm_prompt_tokens_total{agent="market_research_analyst",model="tiny"} 100`,
		"mrswarm_results_evicted_total 2",
		"mrswarm_store_reopens_total 3",
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestInstancesDoNotShareSeries(t *testing.T) {
	a, b := New(nil), New(nil)
	a.DatasetLoad(false, time.Millisecond)
	if got := testutil.ToFloat64(b.datasetLoads.WithLabelValues(LoadMiss)); got != 0 {
		t.Errorf("second instance sees %v loads, want 0", got)
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.DatasetLoad(true, time.Millisecond)
	m.ToolCall("roi", time.Millisecond)
	m.ObserveEvent(runEvents()[2])
}
