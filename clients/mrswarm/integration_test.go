package mrswarm_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mrswarm/mrswarm/clients/mrswarm"
	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/server/servertest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
)

// beverageRows counts the data rows of the beverage CSV.
func beverageRows(t *testing.T) int64 {
	t.Helper()
	path, err := servertest.BeverageCSV()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(recs) - 1)
}

// dialServer starts a server with the beverage CSV and returns a client of
// it with the dataset "beverage" loaded.
func dialServer(t *testing.T, opts servertest.Options) (*mrswarm.Client, *servertest.Server) {
	t.Helper()
	opts.Beverage = true
	srv := servertest.Start(t, opts)
	c, err := mrswarm.Dial(t.Context(), srv.GRPCAddr, mrswarm.WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.LoadDataset(t.Context(), "beverage", servertest.BeverageFile); err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestDatasetsAgainstServer(t *testing.T) {
	want := beverageRows(t)
	c, srv := dialServer(t, servertest.Options{})
	ctx := t.Context()

	again, err := c.LoadDataset(ctx, "beverage", servertest.BeverageFile)
	if err != nil {
		t.Fatal(err)
	}
	if !again.GetCacheHit() || again.GetDataset().GetRowCount() != want {
		t.Errorf("second load: cache_hit=%v rows=%d, want a hit with %d rows", again.GetCacheHit(), again.GetDataset().GetRowCount(), want)
	}
	f, err := os.Open(srv.DataRoot + "/" + servertest.BeverageFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	up, err := c.UploadDataset(ctx, "uploaded", "sales.csv", f)
	if err != nil {
		t.Fatal(err)
	}
	if up.GetDataset().GetRowCount() != want || up.GetDataset().GetFingerprint() != again.GetDataset().GetFingerprint() {
		t.Errorf("upload: rows %d fingerprint %s, want %d rows and the loaded file's fingerprint %s",
			up.GetDataset().GetRowCount(), up.GetDataset().GetFingerprint(), want, again.GetDataset().GetFingerprint())
	}
	ds, err := c.Datasets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range ds {
		names = append(names, d.GetName())
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"beverage", "uploaded"}, names); diff != "" {
		t.Errorf("datasets (-want +got):\n%s", diff)
	}
	if err := c.DropDataset(ctx, "uploaded"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Dataset(ctx, "uploaded"); status.Code(err) != codes.NotFound {
		t.Errorf("dropped dataset: err = %v, want NotFound", err)
	}
}

func TestToolsSQLAndRows(t *testing.T) {
	want := beverageRows(t)
	c, _ := dialServer(t, servertest.Options{})
	ctx := t.Context()

	tools, err := c.Tools(ctx, "beverage")
	if err != nil {
		t.Fatal(err)
	}
	available := map[string]bool{}
	for _, tl := range tools {
		available[tl.GetName()] = tl.GetAvailable()
	}
	if !available["kpi_summary"] || !available["brand_performance"] {
		t.Errorf("tools %v: want kpi_summary and brand_performance available", available)
	}
	kpi, err := c.CallTool(ctx, "beverage", "kpi_summary", nil)
	if err != nil {
		t.Fatal(err)
	}
	if kpi.GetResult().GetRowCount() != 1 {
		t.Errorf("kpi_summary rows = %d, want 1", kpi.GetResult().GetRowCount())
	}

	res, err := c.SQL(ctx, "SELECT region, count(*) AS n FROM beverage GROUP BY region ORDER BY region")
	if err != nil {
		t.Fatal(err)
	}
	h := res.GetResult().GetHandle()
	paged := collect(t, c.Rows(ctx, h, 3))
	streamed := collect(t, c.StreamRows(ctx, h, 2))
	if diff := cmp.Diff(paged, streamed); diff != "" {
		t.Errorf("Rows and StreamRows differ (-paged +streamed):\n%s", diff)
	}
	if int64(len(paged)) != res.GetResult().GetRowCount() {
		t.Errorf("%d rows paged, summary says %d", len(paged), res.GetResult().GetRowCount())
	}
	var sum float64
	for _, r := range paged {
		sum += r[1].(float64)
	}
	if int64(sum) != want {
		t.Errorf("sum of per-region counts = %v, want %d", sum, want)
	}
	page, err := c.CSVPage(ctx, h, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := page.GetCsv(); got[:len("region,n\n")] != "region,n\n" {
		t.Errorf("csv page starts %q, want the header region,n", got)
	}
}

// collect returns every row an iterator yields, failing t on error.
func collect(t *testing.T, seq func(func(mrswarm.Page, error) bool)) [][]any {
	t.Helper()
	var rows [][]any
	for p, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, p.Rows...)
	}
	return rows
}

func TestErrorCodes(t *testing.T) {
	c, _ := dialServer(t, servertest.Options{})
	tests := []struct {
		name string
		call func(ctx context.Context) error
		want codes.Code
	}{
		{"unknown dataset", func(ctx context.Context) error { _, err := c.Tools(ctx, "nope"); return err }, codes.NotFound},
		{"unknown handle", func(ctx context.Context) error { _, err := c.Result(ctx, "res_00000000"); return err }, codes.NotFound},
		{"path outside data root", func(ctx context.Context) error {
			_, err := c.LoadDataset(ctx, "x", "../../../../etc/passwd")
			return err
		}, codes.PermissionDenied},
		{"write SQL", func(ctx context.Context) error { _, err := c.SQL(ctx, "DROP TABLE beverage"); return err }, codes.InvalidArgument},
		{"unknown tool", func(ctx context.Context) error {
			_, err := c.CallTool(ctx, "beverage", "no_such_tool", nil)
			return err
		}, codes.InvalidArgument},
		{"unknown run", func(ctx context.Context) error { _, err := c.GetRun(ctx, "run_nope"); return err }, codes.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := status.Code(tt.call(t.Context())); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
}

// toolSQLPipeline is a two-step pipeline that needs no LLM.
func toolSQLPipeline(t *testing.T, limit int) *mrswarmv1.StartRunRequest {
	t.Helper()
	return &mrswarmv1.StartRunRequest{
		Dataset: "beverage",
		Source: &mrswarmv1.StartRunRequest_Pipeline{Pipeline: &mrswarmv1.Pipeline{
			Name: "tool_then_sql",
			Steps: []*mrswarmv1.Step{
				{Id: "kpi", Kind: &mrswarmv1.Step_Tool{Tool: &mrswarmv1.ToolStep{Tool: "kpi_summary"}}},
				{Id: "top", DependsOn: []string{"kpi"}, Kind: &mrswarmv1.Step_Sql{Sql: &mrswarmv1.SQLStep{
					Sql: fmt.Sprintf("SELECT brand, sum(total_revenue) AS revenue FROM beverage GROUP BY brand ORDER BY revenue DESC LIMIT %d", limit)}}},
			},
		}},
	}
}

// runEvents runs req to the end and returns its events.
func runEvents(t *testing.T, c *mrswarm.Client, req *mrswarmv1.StartRunRequest) []*mrswarmv1.Event {
	t.Helper()
	var evs []*mrswarmv1.Event
	for ev, err := range c.Run(t.Context(), req) {
		if err != nil {
			t.Fatalf("after %d events: %v", len(evs), err)
		}
		evs = append(evs, ev)
	}
	checkDense(t, evs)
	return evs
}

// checkDense checks that events are numbered 1..n without gaps or repeats.
func checkDense(t *testing.T, evs []*mrswarmv1.Event) {
	t.Helper()
	for i, ev := range evs {
		if ev.GetSeq() != int64(i+1) {
			t.Fatalf("event %d has seq %d: events lost or repeated", i, ev.GetSeq())
		}
	}
}

// stepStatuses returns step id -> status of a finished run's last event.
func stepStatuses(t *testing.T, evs []*mrswarmv1.Event) map[string]mrswarmv1.StepStatus {
	t.Helper()
	last := evs[len(evs)-1]
	if last.GetType() != mrswarmv1.EventType_EVENT_TYPE_RUN_FINISHED {
		t.Fatalf("last event is %v, want run_finished", last.GetType())
	}
	out := map[string]mrswarmv1.StepStatus{}
	for _, s := range last.GetRun().GetSteps() {
		out[s.GetId()] = s.GetStatus()
	}
	return out
}

func TestRunMemoized(t *testing.T) {
	c, _ := dialServer(t, servertest.Options{})
	ok, cached := mrswarmv1.StepStatus_STEP_STATUS_SUCCEEDED, mrswarmv1.StepStatus_STEP_STATUS_CACHED
	first := runEvents(t, c, toolSQLPipeline(t, 3))
	if first[0].GetType() != mrswarmv1.EventType_EVENT_TYPE_RUN_STARTED {
		t.Errorf("first event %v, want run_started", first[0].GetType())
	}
	if diff := cmp.Diff(map[string]mrswarmv1.StepStatus{"kpi": ok, "top": ok}, stepStatuses(t, first)); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	again := runEvents(t, c, toolSQLPipeline(t, 3))
	if diff := cmp.Diff(map[string]mrswarmv1.StepStatus{"kpi": cached, "top": cached}, stepStatuses(t, again)); diff != "" {
		t.Errorf("unchanged re-run (-want +got):\n%s", diff)
	}
	changed := runEvents(t, c, toolSQLPipeline(t, 5))
	if diff := cmp.Diff(map[string]mrswarmv1.StepStatus{"kpi": cached, "top": ok}, stepStatuses(t, changed)); diff != "" {
		t.Errorf("re-run with the SQL step changed (-want +got):\n%s", diff)
	}
	for _, s := range changed[len(changed)-1].GetRun().GetSteps() {
		if s.GetId() != "top" {
			continue
		}
		if rows := collect(t, c.Rows(t.Context(), s.GetResultHandle(), 0)); len(rows) != 5 {
			t.Errorf("changed top step: %d rows, want 5", len(rows))
		}
	}
}

// blockingLLM holds every chat until released (or its context ends), then
// reports the model unavailable, so an agent step stays running on demand.
type blockingLLM struct{ release chan struct{} }

func (b *blockingLLM) Chat(ctx context.Context, _ llm.Request) (llm.Response, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	return llm.Response{}, fmt.Errorf("scripted model: %w", llm.ErrUnavailable)
}

func (b *blockingLLM) Capabilities(context.Context, string) ([]string, error) {
	return []string{"completion"}, nil
}

// agentPipeline runs a tool step, then an agent step on the blocking model.
func agentPipeline() *mrswarmv1.StartRunRequest {
	return &mrswarmv1.StartRunRequest{
		Dataset: "beverage",
		Source: &mrswarmv1.StartRunRequest_Pipeline{Pipeline: &mrswarmv1.Pipeline{
			Name: "tool_then_agent",
			Steps: []*mrswarmv1.Step{
				{Id: "kpi", Kind: &mrswarmv1.Step_Tool{Tool: &mrswarmv1.ToolStep{Tool: "kpi_summary", Args: &structpb.Struct{}}}},
				{Id: "analyst", DependsOn: []string{"kpi"}, Kind: &mrswarmv1.Step_Agent{Agent: &mrswarmv1.AgentStep{Agent: "market_research_analyst"}}},
			},
		}},
	}
}

// isAgentStart reports the event at which the agent step is blocked in the model.
func isAgentStart(ev *mrswarmv1.Event) bool {
	return ev.GetType() == mrswarmv1.EventType_EVENT_TYPE_STEP_STARTED && ev.GetStepId() == "analyst"
}

func TestRunSurvivesDroppedConnection(t *testing.T) {
	model := &blockingLLM{release: make(chan struct{})}
	srv := servertest.Start(t, servertest.Options{Beverage: true, LLM: model, Model: "scripted"})
	p := startProxy(t, srv.GRPCAddr)
	c, err := mrswarm.Dial(t.Context(), p.Addr(), mrswarm.WithReattach(20, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.LoadDataset(t.Context(), "beverage", servertest.BeverageFile); err != nil {
		t.Fatal(err)
	}
	var evs []*mrswarmv1.Event
	cut := false
	for ev, err := range c.Run(t.Context(), agentPipeline()) {
		if err != nil {
			t.Fatalf("after %d events: %v", len(evs), err)
		}
		evs = append(evs, ev)
		if isAgentStart(ev) && !cut {
			p.cut() // the stream breaks while the run is still going
			close(model.release)
			cut = true
		}
	}
	if !cut {
		t.Fatal("the agent step never started")
	}
	checkDense(t, evs)
	if got := evs[len(evs)-1].GetType(); got != mrswarmv1.EventType_EVENT_TYPE_RUN_FINISHED {
		t.Errorf("last event %v, want run_finished", got)
	}
	if p.Accepted() < 2 {
		t.Errorf("proxy accepted %d connections: the client never reconnected", p.Accepted())
	}
}

func TestRunSurvivesServerRestart(t *testing.T) {
	model := &blockingLLM{release: make(chan struct{})}
	defer close(model.release)
	srv := servertest.Start(t, servertest.Options{Beverage: true, LLM: model, Model: "scripted", ShutdownTimeout: 300 * time.Millisecond})
	c, err := mrswarm.Dial(t.Context(), srv.GRPCAddr, mrswarm.WithReattach(30, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.LoadDataset(t.Context(), "beverage", servertest.BeverageFile); err != nil {
		t.Fatal(err)
	}
	var evs []*mrswarmv1.Event
	restarted := false
	for ev, err := range c.Run(t.Context(), agentPipeline()) {
		if err != nil {
			t.Fatalf("after %d events: %v", len(evs), err)
		}
		evs = append(evs, ev)
		if isAgentStart(ev) && !restarted {
			if err := srv.Restart(t.Context()); err != nil {
				t.Fatal(err)
			}
			restarted = true
		}
	}
	if !restarted {
		t.Fatal("the agent step never started")
	}
	checkDense(t, evs)
	run, err := c.GetRun(t.Context(), evs[0].GetRunId())
	if err != nil {
		t.Fatal(err)
	}
	switch run.GetStatus() {
	case mrswarmv1.RunStatus_RUN_STATUS_RUNNING, mrswarmv1.RunStatus_RUN_STATUS_PENDING:
		t.Errorf("run status after restart = %v, want it ended", run.GetStatus())
	}
	t.Logf("%d events, run %v after the restart", len(evs), run.GetStatus())
}

func TestPresetsAndValidate(t *testing.T) {
	c, _ := dialServer(t, servertest.Options{})
	presets, err := c.Presets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range presets {
		names = append(names, p.GetName())
	}
	if !slices.Contains(names, "campaign_optimization") {
		t.Errorf("presets %v lack campaign_optimization", names)
	}
	ok, err := c.Validate(t.Context(), &mrswarmv1.ValidatePipelineRequest{
		Dataset: "beverage", Source: &mrswarmv1.ValidatePipelineRequest_Preset{Preset: "campaign_optimization"},
	})
	if err != nil {
		t.Fatal(err)
	}
	preset, _ := pipeline.Preset("campaign_optimization")
	roots := 0
	for _, s := range preset.Steps {
		if len(s.DependsOn) == 0 {
			roots++
		}
	}
	if got := len(ok.GetStages()[0].GetStepIds()); got != roots {
		t.Errorf("campaign_optimization's first stage has %d steps, want its %d steps without dependencies (analysts and tools)", got, roots)
	}
	sql := func(id, dep string) *mrswarmv1.Step {
		return &mrswarmv1.Step{Id: id, DependsOn: []string{dep}, Kind: &mrswarmv1.Step_Sql{Sql: &mrswarmv1.SQLStep{Sql: "SELECT 1"}}}
	}
	_, err = c.Validate(t.Context(), &mrswarmv1.ValidatePipelineRequest{
		Dataset: "beverage", Source: &mrswarmv1.ValidatePipelineRequest_Pipeline{Pipeline: &mrswarmv1.Pipeline{
			Name: "bad", Steps: []*mrswarmv1.Step{sql("a", "b"), sql("b", "a"), sql("c", "nowhere")},
		}},
	})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "cycle") || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("invalid pipeline: err = %v, want InvalidArgument naming the cycle and the unknown dependency", err)
	}
}
