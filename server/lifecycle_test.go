package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/testing/protocmp"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

func TestRestartKeepsDatasetsAndHandles(t *testing.T) {
	cfg := testConfig(t)
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")

	first := startServer(t, cfg)
	ctx := t.Context()
	loaded, err := first.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := first.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: brandSQL})
	if err != nil {
		t.Fatal(err)
	}
	h := run.GetResult().GetHandle()
	before, err := first.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: h, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.stop(); err != nil {
		t.Fatalf("first server: %v", err)
	}

	second := startServer(t, cfg)
	d, err := second.datasets.GetDataset(ctx, &mrswarmv1.GetDatasetRequest{Name: "sales"})
	if err != nil {
		t.Fatalf("after restart GetDataset: %v", err)
	}
	if d.GetFingerprint() != loaded.GetDataset().GetFingerprint() || d.GetRowCount() != 15000 {
		t.Errorf("after restart: %s / %d rows, want %s / 15000", d.GetFingerprint(), d.GetRowCount(), loaded.GetDataset().GetFingerprint())
	}
	after, err := second.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: h, Limit: 100})
	if err != nil {
		t.Fatalf("after restart GetResultPage(%s): %v", h, err)
	}
	if diff := cmp.Diff(before, after, protocmp.Transform()); diff != "" {
		t.Errorf("page after restart (-before +after):\n%s", diff)
	}
	again, err := second.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"})
	if err != nil || !again.GetCacheHit() {
		t.Errorf("reload after restart: hit=%v err=%v, want a cache hit", again.GetCacheHit(), err)
	}
}

func TestHealthAndOpenAPI(t *testing.T) {
	ts := startServer(t, testConfig(t))
	hc := healthpb.NewHealthClient(ts.conn)
	for _, svc := range []string{"", "mrswarm.v1.DatasetService", "mrswarm.v1.PipelineService"} {
		resp, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, %v; want SERVING", svc, resp.GetStatus(), err)
		}
	}
	// No Ollama is configured: the server serves, degraded (TestHealthReportsLLM).
	if code, body := ts.doJSON(t, "GET", "/healthz", nil); code != http.StatusOK || body["status"] == "NOT_SERVING" {
		t.Errorf("/healthz = %d %v", code, body)
	}
	code, b := ts.do(t, "GET", "/openapi.json", nil, "")
	var doc struct {
		Swagger string                    `json:"swagger"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); code != http.StatusOK || err != nil {
		t.Fatalf("/openapi.json = %d, %v", code, err)
	}
	for _, p := range []string{"/v1/datasets", "/v1/sql", "/v1/runs:stream", "/v1/results/{handle}/rows"} {
		if doc.Paths[p] == nil {
			t.Errorf("OpenAPI document lacks %s", p)
		}
	}
}

// TestGracefulShutdown stops the server while a stream is in flight: the stream
// still delivers every row, Serve returns nil, and nothing keeps serving.
func TestGracefulShutdown(t *testing.T) {
	cfg := testConfig(t)
	// Graceful stop ends when the stream does; the bound only has to outlast
	// 1,500 messages under -race on a loaded machine (5 s did not on a CI run).
	cfg.ShutdownTimeout = 2 * time.Minute
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	ctx := t.Context()
	if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	run, err := ts.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: "SELECT * FROM sales"})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := ts.results.StreamResult(ctx, &mrswarmv1.StreamResultRequest{Handle: run.GetResult().GetHandle(), ChunkRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	p, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	rows := len(p.GetRows())

	stopped := make(chan error, 1)
	go func() { stopped <- ts.stopServerOnly() }()
	for {
		p, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("in-flight stream broke at %d rows: %v", rows, err)
		}
		rows += len(p.GetRows())
	}
	if rows != 15000 {
		t.Errorf("in-flight stream delivered %d rows, want 15000", rows)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	_, err = ts.datasets.ListDatasets(ctx, &mrswarmv1.ListDatasetsRequest{})
	wantCode(t, err, codes.Unavailable)
	if leftover := servingGoroutines(); leftover != "" {
		t.Errorf("goroutines still serving after shutdown:\n%s", leftover)
	}
}

// servingGoroutines returns the stacks of goroutines in a server's accept loop,
// waiting a little for them to finish.
func servingGoroutines() string {
	markers := []string{"grpc.(*Server).Serve(", "net/http.(*Server).Serve(", "server.Serve("}
	var found []string
	for range 50 {
		found = found[:0]
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range bytes.Split(buf, []byte("\n\n")) {
			for _, m := range markers {
				if strings.Contains(string(g), m) {
					found = append(found, string(g))
					break
				}
			}
		}
		if len(found) == 0 {
			return ""
		}
		time.Sleep(20 * time.Millisecond)
	}
	return strings.Join(found, "\n\n")
}

// TestShutdownInterruptsRuns stops the server while a run waits on its model:
// the watcher's stream ends with run_finished (interrupted) rather than being
// cut, and a restart on the same database reports the run interrupted.
func TestShutdownInterruptsRuns(t *testing.T) {
	model := &scriptLLM{gate: make(chan struct{})}
	ts := startWithSales(t, model)
	ctx := t.Context()
	started, stream := startRunningStep(t, ts)
	stopped := make(chan error, 1)
	go func() { stopped <- ts.stopServerOnly() }()
	rest := collect(t, stream.Recv)
	last := rest[len(rest)-1]
	if last.GetType() != mrswarmv1.EventType_EVENT_TYPE_RUN_FINISHED ||
		last.GetRun().GetStatus() != mrswarmv1.RunStatus_RUN_STATUS_INTERRUPTED {
		t.Errorf("last event %v with run %v; want RUN_FINISHED, INTERRUPTED", last.GetType(), last.GetRun().GetStatus())
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}

	again := startServer(t, ts.cfg)
	run, err := again.pipes.GetRun(ctx, &mrswarmv1.GetRunRequest{RunId: started.GetRunId()})
	if err != nil {
		t.Fatal(err)
	}
	if run.GetStatus() != mrswarmv1.RunStatus_RUN_STATUS_INTERRUPTED {
		t.Errorf("after restart the run is %v, want INTERRUPTED", run.GetStatus())
	}
}
