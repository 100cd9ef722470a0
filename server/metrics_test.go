package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// TestMetrics checks that GET /metrics reports what the API did: loads by
// result, gRPC calls by method and code, tool latency and finished runs.
func TestMetrics(t *testing.T) {
	ts := startWithSales(t, &scriptLLM{}) // one load: a miss
	ctx := t.Context()
	if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.tools.CallTool(ctx, &mrswarmv1.CallToolRequest{Dataset: "sales", Tool: "kpi_summary"}); err != nil {
		t.Fatal(err)
	}
	ts.datasets.GetDataset(ctx, &mrswarmv1.GetDatasetRequest{Name: "nope"})
	code, b := ts.do(t, "GET", "/metrics", nil, "")
	if w := `mrswarm_tool_call_duration_seconds_count{tool="kpi_summary"} 1`; code != http.StatusOK || !strings.Contains(string(b), w) {
		t.Errorf("GET /metrics = %d without %s", code, w)
	}
	stream, err := ts.pipes.RunPipeline(ctx, &mrswarmv1.StartRunRequest{
		Dataset: "sales", Source: &mrswarmv1.StartRunRequest_Preset{Preset: "quick_insights"}})
	if err != nil {
		t.Fatal(err)
	}
	collect(t, stream.Recv)

	want := []string{
		`mrswarm_dataset_loads_total{result="miss"} 1`,
		`mrswarm_dataset_loads_total{result="hit"} 1`,
		`mrswarm_grpc_requests_total{code="NotFound",method="/mrswarm.v1.DatasetService/GetDataset"} 1`,
		"# TYPE mrswarm_store_reopens_total counter",
		`mrswarm_runs_total{status="succeeded"} 1`,
	}
	var body string
	for range 100 { // the run's metrics follow its events in the background
		code, b := ts.do(t, "GET", "/metrics", nil, "")
		if code != http.StatusOK {
			t.Fatalf("GET /metrics = %d", code)
		}
		body = string(b)
		if strings.Contains(body, want[len(want)-1]) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
}
