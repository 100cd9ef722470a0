package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// scriptLLM plays agents in schema mode: the first turn calls the first tool the
// format offers with default arguments, later turns give a final answer citing
// the last handle the format offers. When gate is set, each call first waits
// for a value from it (or for its context to end).
type scriptLLM struct {
	gate  chan struct{}
	calls atomic.Int64
}

var (
	handleRE = regexp.MustCompile(`res_[0-9a-f]{8}`)
	toolRE   = regexp.MustCompile(`"tool":\{"const":"([a-z_]+)"\}`)
)

func (s *scriptLLM) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	s.calls.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return llm.Response{}, ctx.Err()
		}
	}
	content := s.answer(req)
	return llm.Response{Model: req.Model, Message: llm.Message{Role: "assistant", Content: content}, DoneReason: "stop",
		Usage: llm.Usage{PromptTokens: 120, CompletionTokens: int64(len(content) / 4)}}, nil
}

func (s *scriptLLM) answer(req llm.Request) string {
	calledBefore := false
	for _, m := range req.Messages {
		calledBefore = calledBefore || m.Role == "assistant"
	}
	if tool := toolRE.FindStringSubmatch(string(req.Format)); tool != nil && !calledBefore {
		return fmt.Sprintf(`{"action":"call_tool","tool":%q,"args":{}}`, tool[1])
	}
	handles := "[]"
	if hs := handleRE.FindAllString(string(req.Format), -1); len(hs) > 0 {
		handles = fmt.Sprintf("[%q]", hs[len(hs)-1])
	}
	return fmt.Sprintf(`{"action":"final","summary":"scripted summary","findings":[{"text":"scripted finding","handles":%s}]}`, handles)
}

func (s *scriptLLM) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

// startWithSales starts a server with model and the real data set loaded as "sales".
func startWithSales(t *testing.T, model *scriptLLM) *testServer {
	t.Helper()
	cfg := testConfig(t)
	cfg.LLM = model
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	if _, err := ts.datasets.LoadDataset(t.Context(), &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	return ts
}

// collect reads a gRPC event stream to its end.
func collect(t *testing.T, recv func() (*mrswarmv1.Event, error)) []*mrswarmv1.Event {
	t.Helper()
	var events []*mrswarmv1.Event
	for {
		e, err := recv()
		if errors.Is(err, io.EOF) {
			return events
		}
		if err != nil {
			t.Fatalf("after %d events: %v", len(events), err)
		}
		events = append(events, e)
	}
}

// checkDense fails unless events are numbered from first without gaps.
func checkDense(t *testing.T, seqs []int64, first int64) {
	t.Helper()
	for i, s := range seqs {
		if s != first+int64(i) {
			t.Fatalf("event %d has seq %d, want %d (seqs %v)", i, s, first+int64(i), seqs)
		}
	}
}

func TestPipelineRunGRPC(t *testing.T) {
	model := &scriptLLM{}
	ts := startWithSales(t, model)
	ctx := t.Context()

	started, err := ts.pipes.StartRun(ctx, &mrswarmv1.StartRunRequest{
		Dataset: "sales", Source: &mrswarmv1.StartRunRequest_Preset{Preset: "campaign_optimization"},
		Inputs: &mrswarmv1.RunInputs{TargetAudience: "health-conscious millennials", Budget: 250000, Duration: "6 months"},
	})
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	if got := len(started.GetStages()); got != 4 {
		t.Errorf("campaign_optimization has %d stages, want 4 (two analysts and two tools in parallel, then three in a row)", got)
	}
	stream, err := ts.pipes.WatchRun(ctx, &mrswarmv1.WatchRunRequest{RunId: started.GetRunId()})
	if err != nil {
		t.Fatal(err)
	}
	events := collect(t, stream.Recv)
	seqs := make([]int64, len(events))
	for i, e := range events {
		seqs[i] = e.GetSeq()
	}
	checkDense(t, seqs, 1)
	last := events[len(events)-1]
	if last.GetType() != mrswarmv1.EventType_EVENT_TYPE_RUN_FINISHED || last.GetRun().GetStatus() != mrswarmv1.RunStatus_RUN_STATUS_SUCCEEDED {
		t.Fatalf("last event %v with run status %v (%v), want RUN_FINISHED and SUCCEEDED", last.GetType(), last.GetRun().GetStatus(), last.GetRun().GetErrors())
	}

	run, err := ts.pipes.GetRun(ctx, &mrswarmv1.GetRunRequest{RunId: started.GetRunId()})
	if err != nil {
		t.Fatal(err)
	}
	preset, _ := pipeline.Preset("campaign_optimization")
	if len(run.GetSteps()) != len(preset.Steps) || run.GetTokens().GetLlmCalls() != int32(model.calls.Load()) || run.GetInputs().GetBudget() != 250000 {
		t.Errorf("run: %d steps, %d LLM calls (model saw %d), budget %v; want %d steps, equal calls, 250000",
			len(run.GetSteps()), run.GetTokens().GetLlmCalls(), model.calls.Load(), run.GetInputs().GetBudget(), len(preset.Steps))
	}
	for _, s := range run.GetSteps() {
		if s.GetStatus() != mrswarmv1.StepStatus_STEP_STATUS_SUCCEEDED {
			t.Errorf("step %s is %v, want SUCCEEDED", s.GetId(), s.GetStatus())
		}
	}
	report, err := ts.pipes.GetRunReport(ctx, &mrswarmv1.GetRunReportRequest{RunId: started.GetRunId()})
	if err != nil || report.GetHandle() == "" || !strings.Contains(report.GetMarkdown(), "Campaign optimization report") {
		t.Errorf("report: handle %q, markdown %.80q, %v", report.GetHandle(), report.GetMarkdown(), err)
	}
	c := run.GetClaims()
	if w := fmt.Sprintf("%d findings verified, %d partly verified, %d unverified against the handles they cite (%d without numbers)",
		c.GetVerified(), c.GetPartlyVerified(), c.GetUnverified(), c.GetNoNumbers()); c == nil || !strings.Contains(report.GetMarkdown(), w) {
		t.Errorf("GetRun claims %v; the report does not say %q", c, w)
	}

	// Re-attaching after seq N-2 delivers exactly the last two events.
	again, err := ts.pipes.WatchRun(ctx, &mrswarmv1.WatchRunRequest{RunId: started.GetRunId(), AfterSeq: int64(len(events) - 2)})
	if err != nil {
		t.Fatal(err)
	}
	tail := collect(t, again.Recv)
	if len(tail) != 2 || tail[1].GetSeq() != int64(len(events)) {
		t.Errorf("re-attach after %d gave %d events, want the last 2", len(events)-2, len(tail))
	}
	list, err := ts.pipes.ListRuns(ctx, &mrswarmv1.ListRunsRequest{})
	if err != nil || len(list.GetRuns()) != 1 || list.GetRuns()[0].GetId() != started.GetRunId() {
		t.Errorf("ListRuns = %v, %v", list, err)
	}
}

func TestRunPipelineREST(t *testing.T) {
	model := &scriptLLM{}
	ts := startWithSales(t, model)
	body := `{"dataset":"sales","preset":"campaign_optimization","inputs":{"target_audience":"students","budget":1000}}`

	stream := func() []map[string]any {
		code, b := ts.do(t, "POST", "/v1/runs:stream", strings.NewReader(body), "application/json")
		if code != http.StatusOK {
			t.Fatalf("POST /v1/runs:stream = %d %s", code, b)
		}
		var events []map[string]any
		for _, line := range ndjsonLines(t, b) {
			res, ok := line["result"].(map[string]any)
			if !ok {
				t.Fatalf("stream line without result: %v", line)
			}
			events = append(events, res)
		}
		return events
	}
	events := stream()
	last := events[len(events)-1]
	run, _ := last["run"].(map[string]any)
	if last["type"] != "EVENT_TYPE_RUN_FINISHED" || run["status"] != "RUN_STATUS_SUCCEEDED" {
		t.Fatalf("last event %v / %v (%v), want EVENT_TYPE_RUN_FINISHED / RUN_STATUS_SUCCEEDED", last["type"], run["status"], run["errors"])
	}
	for i, e := range events {
		if e["seq"] != fmt.Sprint(i+1) {
			t.Fatalf("event %d has seq %v, want %d", i, e["seq"], i+1)
		}
	}
	calls := model.calls.Load()

	// The same run again reuses every memoized step: no LLM call at all.
	events = stream()
	run = events[len(events)-1]["run"].(map[string]any)
	for _, s := range run["steps"].([]any) {
		if st := s.(map[string]any)["status"]; st != "STEP_STATUS_CACHED" {
			t.Errorf("re-run step %v is %v, want STEP_STATUS_CACHED", s.(map[string]any)["id"], st)
		}
	}
	if model.calls.Load() != calls {
		t.Errorf("re-run made %d LLM calls, want 0", model.calls.Load()-calls)
	}

	code, got := ts.doJSON(t, "GET", "/v1/runs/"+run["id"].(string), nil)
	if code != http.StatusOK || got["status"] != "RUN_STATUS_SUCCEEDED" {
		t.Errorf("GET run = %d %v", code, got["status"])
	}
	code, rep := ts.doJSON(t, "GET", "/v1/runs/"+run["id"].(string)+"/report", nil)
	if code != http.StatusOK || !strings.Contains(rep["markdown"].(string), "#") {
		t.Errorf("GET report = %d %v", code, rep)
	}
}

func TestCustomPipelineREST(t *testing.T) {
	ts := startWithSales(t, &scriptLLM{})
	body := `{"dataset":"sales","pipeline":{"name":"custom","steps":[
		{"id":"top","sql":{"sql":"SELECT brand, sum(units_sold) AS units FROM sales GROUP BY brand ORDER BY units DESC LIMIT 3"}},
		{"id":"kpis","tool":{"tool":"kpi_summary","args":{}}},
		{"id":"report","depends_on":["top","kpis"],"report":{"title":"Custom"}}]}}`
	code, b := ts.do(t, "POST", "/v1/runs:stream", strings.NewReader(body), "application/json")
	if code != http.StatusOK {
		t.Fatalf("= %d %s", code, b)
	}
	lines := ndjsonLines(t, b)
	run := lines[len(lines)-1]["result"].(map[string]any)["run"].(map[string]any)
	if run["status"] != "RUN_STATUS_SUCCEEDED" {
		t.Fatalf("custom run %v: %v", run["status"], run["errors"])
	}
	for _, s := range run["steps"].([]any) {
		if h := s.(map[string]any)["result_handle"]; !handleRE.MatchString(fmt.Sprint(h)) {
			t.Errorf("step %v has result handle %v", s.(map[string]any)["id"], h)
		}
	}
}

func TestPipelineBadInput(t *testing.T) {
	ts := startWithSales(t, &scriptLLM{})
	cyclic := `{"dataset":"sales","pipeline":{"name":"c","steps":[
		{"id":"a","depends_on":["b"],"sql":{"sql":"SELECT 1"}},{"id":"b","depends_on":["a"],"sql":{"sql":"SELECT 2"}},
		{"id":"c","depends_on":["nope"],"agent":{"agent":"no_such_agent"}}]}}`
	tests := []struct {
		name, method, path, body string
		want                     int
		mention                  []string
	}{
		{"no dataset", "POST", "/v1/runs", `{"preset":"campaign_optimization"}`, 400, []string{"dataset is required"}},
		{"no source", "POST", "/v1/runs", `{"dataset":"sales"}`, 400, []string{"preset or pipeline is required"}},
		{"unknown preset", "POST", "/v1/runs", `{"dataset":"sales","preset":"nope"}`, 404, []string{"nope", "campaign_optimization"}},
		{"unknown dataset", "POST", "/v1/runs", `{"dataset":"nope","preset":"campaign_optimization"}`, 404, []string{"nope"}},
		{"every problem at once", "POST", "/v1/pipelines:validate", cyclic, 400, []string{"cycle", "nope", "no_such_agent"}},
		{"unknown run", "GET", "/v1/runs/run_nope", "", 404, []string{"run_nope"}},
		{"report of unknown run", "GET", "/v1/runs/run_nope/report", "", 404, nil},
		{"cancel unknown run", "POST", "/v1/runs/run_nope:cancel", "{}", 404, nil},
		{"watch unknown run", "GET", "/v1/runs/run_nope/events", "", 404, nil},
		{"list limit too large", "GET", "/v1/runs?limit=5000", "", 400, []string{"limit 5000"}},
		{"negative after_seq", "GET", "/v1/runs/run_x/events?after_seq=-1", "", 400, []string{"after_seq"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			code, b := ts.do(t, tt.method, tt.path, body, "application/json")
			if code != tt.want {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, code, b, tt.want)
			}
			for _, m := range tt.mention {
				if !strings.Contains(string(b), m) {
					t.Errorf("answer %s does not mention %q", b, m)
				}
			}
		})
	}
}

// startRunningStep starts roi_analysis on "sales" and watches it until its first
// step has started; the run then waits on the model's gate.
func startRunningStep(t *testing.T, ts *testServer) (*mrswarmv1.StartRunResponse, mrswarmv1.PipelineService_WatchRunClient) {
	t.Helper()
	ctx := t.Context()
	started, err := ts.pipes.StartRun(ctx, &mrswarmv1.StartRunRequest{
		Dataset: "sales", Source: &mrswarmv1.StartRunRequest_Preset{Preset: "roi_analysis"}})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := ts.pipes.WatchRun(ctx, &mrswarmv1.WatchRunRequest{RunId: started.GetRunId()})
	if err != nil {
		t.Fatal(err)
	}
	for {
		e, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetType() == mrswarmv1.EventType_EVENT_TYPE_STEP_STARTED {
			return started, stream
		}
	}
}

func TestCancelRun(t *testing.T) {
	model := &scriptLLM{gate: make(chan struct{})}
	ts := startWithSales(t, model)
	ctx := t.Context()
	started, stream := startRunningStep(t, ts)
	_, err := ts.pipes.GetRunReport(ctx, &mrswarmv1.GetRunReportRequest{RunId: started.GetRunId()})
	wantCode(t, err, codes.FailedPrecondition)

	if _, err := ts.pipes.CancelRun(ctx, &mrswarmv1.CancelRunRequest{RunId: started.GetRunId()}); err != nil {
		t.Fatalf("CancelRun: %v", err)
	}
	rest := collect(t, stream.Recv)
	last := rest[len(rest)-1]
	if last.GetType() != mrswarmv1.EventType_EVENT_TYPE_RUN_FINISHED || last.GetRun().GetStatus() != mrswarmv1.RunStatus_RUN_STATUS_CANCELED {
		t.Errorf("after cancel: last event %v, run %v; want RUN_FINISHED, CANCELED", last.GetType(), last.GetRun().GetStatus())
	}
}

func TestAgentsAndPresets(t *testing.T) {
	ts := startWithSales(t, &scriptLLM{})
	agents, err := ts.pipes.ListAgents(t.Context(), &mrswarmv1.ListAgentsRequest{})
	if err != nil || len(agents.GetAgents()) == 0 {
		t.Fatalf("ListAgents = %v, %v", agents, err)
	}
	code, body := ts.doJSON(t, "GET", "/v1/agents", nil)
	if code != http.StatusOK || len(body["agents"].([]any)) != len(agents.GetAgents()) {
		t.Errorf("GET /v1/agents = %d with %v", code, body)
	}
	code, body = ts.doJSON(t, "GET", "/v1/presets", nil)
	if code != http.StatusOK || !strings.Contains(fmt.Sprint(body), "campaign_optimization") {
		t.Errorf("GET /v1/presets = %d %v", code, body)
	}
	v, err := ts.pipes.ValidatePipeline(t.Context(), &mrswarmv1.ValidatePipelineRequest{
		Dataset: "sales", Source: &mrswarmv1.ValidatePipelineRequest_Preset{Preset: "comprehensive"}})
	if err != nil || len(v.GetPipeline().GetSteps()) != 8 || len(v.GetStages()) == 0 {
		t.Errorf("ValidatePipeline(comprehensive) = %v, %v", v, err)
	}
}
