package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/mrswarm/mrswarm/internal/ollamaproc"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// The tests in this file reproduce the defects a hostile client found (issue
// 11), each against a real server: gRPC over bufconn and the production gateway.

// sqlCount runs SELECT count(*) over REST and returns the count.
func (ts *testServer) sqlCount(t *testing.T, table string) int64 {
	t.Helper()
	code, body := ts.doJSON(t, "POST", "/v1/sql", map[string]any{"sql": "SELECT count(*) AS n FROM " + table})
	if code != http.StatusOK {
		t.Fatalf("count %s: %d %v", table, code, body)
	}
	head := body["result"].(map[string]any)["head"].([]any)
	n, err := strconv.ParseInt(fmt.Sprint(head[0].([]any)[0]), 10, 64)
	if err != nil {
		t.Fatalf("count %s: head %v: %v", table, head, err)
	}
	return n
}

// startBeverage starts a server on cfg with the real data loaded as beverage_sales.
func startBeverage(t *testing.T, cfg Config) *testServer {
	t.Helper()
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	if _, err := ts.datasets.LoadDataset(t.Context(), &mrswarmv1.LoadDatasetRequest{
		Name: "beverage_sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatalf("load: %v", err)
	}
	return ts
}

// Defect 1: a read-only SELECT whose reader options made DuckDB create a
// temporary table named like a dataset, which then shadowed it for every
// later query on that pooled connection (count 2 instead of 15000, tools
// failing with a Binder Error).
func TestUserSQLCannotShadowDatasets(t *testing.T) {
	cfg := testConfig(t)
	ts := startBeverage(t, cfg)
	path := filepath.Join(cfg.DataRoot, "beverage_sales.csv")
	for _, q := range []string{
		"SELECT count(*) FROM read_csv('" + path + "', store_rejects=true, rejects_table='beverage_sales', rejects_scan='x')",
		"SELECT count(*) FROM read_csv('" + path + "', \"REJECTS_TABLE\"='beverage_sales', ignore_errors=true)",
		"SELECT * FROM query('SELECT 1')",
		"SELECT setseed(0.5)",
	} {
		code, body := ts.doJSON(t, "POST", "/v1/sql", map[string]any{"sql": q})
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["message"]), "not allowed") {
			t.Errorf("%s: %d %v, want 400 saying it is not allowed", q, code, body)
		}
	}
	for range 4 { // every pooled connection
		if n := ts.sqlCount(t, "beverage_sales"); n != 15000 {
			t.Fatalf("beverage_sales has %d rows after the hostile queries, want 15000", n)
		}
		if _, err := ts.tools.CallTool(t.Context(), &mrswarmv1.CallToolRequest{Dataset: "beverage_sales", Tool: "kpi_summary"}); err != nil {
			t.Fatalf("kpi_summary after the hostile queries: %v", err)
		}
	}
}

// Defect 6: the database file (and its WAL) was readable from SQL when it lay
// inside the data root. Such a configuration is refused, and SQL cannot reach
// the database file outside the root.
func TestDatabaseFileIsNotReadable(t *testing.T) {
	cfg := testConfig(t)
	cfg.DBPath = filepath.Join(cfg.DataRoot, ".cache", "mrswarm.duckdb")
	err := Serve(t.Context(), cfg, bufconn.Listen(1<<10), bufconn.Listen(1<<10))
	if err == nil || !strings.Contains(err.Error(), "inside the data root") {
		t.Fatalf("Serve with the database inside the data root: %v, want a refusal naming the problem", err)
	}

	cfg = testConfig(t)
	ts := startBeverage(t, cfg)
	dir, base := filepath.Split(cfg.DBPath)
	for q, want := range map[string]int{
		"SELECT octet_length(content) FROM read_blob('" + cfg.DBPath + "')":                  http.StatusForbidden,
		"SELECT octet_length(content) FROM read_blob('" + cfg.DBPath + ".wal')":              http.StatusForbidden,
		"SELECT octet_length(content) FROM read_text(['" + dir + "./" + base + "'])":         http.StatusForbidden,
		"SELECT * FROM '" + cfg.DBPath + ".wal'":                                             http.StatusForbidden,
		"SELECT octet_length(content) FROM read_blob('" + dir + "' || '" + base + "')":       http.StatusBadRequest,
		"SELECT octet_length(content) FROM read_blob(concat('" + dir + "', '" + base + "'))": http.StatusBadRequest,
	} {
		code, body := ts.doJSON(t, "POST", "/v1/sql", map[string]any{"sql": q})
		if code != want {
			t.Errorf("%s: %d %v, want %d", q, code, body, want)
		}
	}
	if strings.HasPrefix(DefaultDBPath(), mustAbs(t, DefaultDataRoot)+string(filepath.Separator)) {
		t.Errorf("the default database %s lies inside the default data root", DefaultDBPath())
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Defect 7: statements refused with 400 still had side effects (EXPORT made
// its folder), and some gave 500. All are refused before anything runs.
func TestRefusedStatementsHaveNoEffect(t *testing.T) {
	cfg := testConfig(t)
	ts := startBeverage(t, cfg)
	exp := filepath.Join(cfg.DataRoot, "exp")
	for _, q := range []string{
		"EXPORT DATABASE '" + exp + "'",
		"EXPORT DATABASE '" + exp + "' (FORMAT parquet)",
		"/* hi */ EXPORT DATABASE '" + exp + "'",
		"SELECT * FROM duckdb_secrets()",
		"SELECT * FROM checkpoint()",
		"SELECT * FROM force_checkpoint()",
		"CREATE TEMPORARY SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')",
		"SELECT * FROM json_execute_serialized_sql('{}')",
		"SELECT * FROM U&\"\\0071uery\"('SELECT 1')",
		"SELECT 1; EXPORT DATABASE '" + exp + "'",
	} {
		code, body := ts.doJSON(t, "POST", "/v1/sql", map[string]any{"sql": q})
		if code != http.StatusBadRequest {
			t.Errorf("%s: %d %v, want 400", q, code, body)
		}
	}
	if _, err := os.Stat(exp); !os.IsNotExist(err) {
		t.Errorf("a refused EXPORT left %s behind (%v)", exp, err)
	}
}

// Defect 2: memory was unbounded. Under a 512 MB limit a 3 GB string_agg is
// ResourceExhausted with a message that names the limit, and the server keeps
// answering; dataset_profile on 5,000 columns stays small.
func TestMemoryLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.MemoryLimit = 512 << 20
	ts := startBeverage(t, cfg)
	q := "SELECT length(string_agg(repeat('x', 1000), '')) AS n FROM range(3000000)"
	_, err := ts.results.RunSQL(t.Context(), &mrswarmv1.RunSQLRequest{Sql: q})
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "memory") {
		t.Fatalf("3 GB string_agg under a 512 MB limit: %v, want ResourceExhausted about memory", err)
	}
	code, body := ts.doJSON(t, "POST", "/v1/sql", map[string]any{"sql": q})
	if code != http.StatusTooManyRequests {
		t.Errorf("REST: %d %v, want 429", code, body)
	}
	if n := ts.sqlCount(t, "beverage_sales"); n != 15000 {
		t.Errorf("after the refusal: %d rows, want 15000", n)
	}

	var b strings.Builder
	for i := range 5000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "c%d", i)
	}
	b.WriteByte('\n')
	for r := range 3 {
		for i := range 5000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%d", r*i)
		}
		b.WriteByte('\n')
	}
	writeFile(t, cfg.DataRoot, "wide.csv", b.String())
	if _, err := ts.datasets.LoadDataset(t.Context(), &mrswarmv1.LoadDatasetRequest{Name: "wide", Path: "wide.csv"}); err != nil {
		t.Fatalf("load 5,000 columns: %v", err)
	}
	res, err := ts.tools.CallTool(t.Context(), &mrswarmv1.CallToolRequest{Dataset: "wide", Tool: "dataset_profile"})
	if err != nil {
		t.Fatalf("dataset_profile on 5,000 columns: %v", err)
	}
	if rows := res.GetResult().GetRowCount(); rows != 128 {
		t.Errorf("dataset_profile profiled %d columns, want the first 128", rows)
	}
	t.Logf("peak RSS of the test process (server in process): %d MiB", peakRSS(t)>>20)
}

// peakRSS is the test process's peak resident memory (VmHWM).
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Defect 3: a 100 MB value went into the summary whole; the listing of every
// client then broke on the gRPC message limit. Heads are clipped per value
// with a marker and the listing stays small.
func TestSummariesAreClipped(t *testing.T) {
	ts := startBeverage(t, testConfig(t))
	res, err := ts.results.RunSQL(t.Context(), &mrswarmv1.RunSQLRequest{Sql: "SELECT repeat('x', 10000000) AS s, 1 AS n"})
	if err != nil {
		t.Fatalf("RunSQL: %v", err)
	}
	sum := res.GetResult()
	cell := sum.GetHead()[0].GetValues()[0].GetStringValue()
	if len(cell) > 300 || !strings.Contains(cell, "truncated, 10000000 bytes") {
		t.Errorf("head cell has %d bytes (%.80q…), want it clipped with a marker", len(cell), cell)
	}
	if len(sum.GetText()) > 1000 {
		t.Errorf("summary text has %d bytes, want at most 1000", len(sum.GetText()))
	}
	list, err := ts.results.ListResults(t.Context(), &mrswarmv1.ListResultsRequest{}) // client limit: 4 MB
	if err != nil || len(list.GetResults()) != 1 {
		t.Fatalf("ListResults: %d results, %v", len(list.GetResults()), err)
	}
	code, body := ts.do(t, "GET", "/v1/results", nil, "")
	if code != http.StatusOK || len(body) > 16<<10 {
		t.Errorf("GET /v1/results: %d with %d bytes", code, len(body))
	}
	page, err := ts.results.GetResultPage(t.Context(), &mrswarmv1.GetResultPageRequest{Handle: sum.GetHandle(), Limit: 1})
	if err == nil && len(page.GetRows()[0].GetValues()[0].GetStringValue()) != 10000000 {
		t.Errorf("the stored row lost data: page cell has %d bytes", len(page.GetRows()[0].GetValues()[0].GetStringValue()))
	}
}

// Defect 4: a 300 MB JSON body grew the server by 1.3 GB before being
// refused. Bodies over the limit are 413, declared or chunked; uploads keep
// their own limit.
func TestRESTBodyLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxBodyBytes = 1 << 20
	ts := startBeverage(t, cfg)
	// A client that sends Expect: 100-continue reads the refusal before sending
	// the body; the server never reads one over the limit.
	ts.transport.ExpectContinueTimeout = 10 * time.Second
	big := []byte(`{"sql": "SELECT '` + strings.Repeat("x", 32<<20) + `'"}`)
	req, err := http.NewRequestWithContext(t.Context(), "POST", "http://mrswarm/v1/sql", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.http.Do(req)
	if err != nil {
		t.Fatalf("32 MB body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(body, []byte("max-body-bytes")) {
		t.Errorf("32 MB body with a length: %d %.200s, want 413 naming the flag", resp.StatusCode, body)
	}
	over := []byte(`{"sql": "SELECT '` + strings.Repeat("x", 1<<20) + `'"}`) // just over, chunked
	code, body := ts.do(t, "POST", "/v1/sql", io.MultiReader(bytes.NewReader(over)), "application/json")
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the limit: %d %.200s, want 413", code, body)
	}
	if n := ts.sqlCount(t, "beverage_sales"); n != 15000 {
		t.Errorf("small body: count %d", n)
	}
	csv := "region,units\n" + strings.Repeat("EU,1\n", 400000) // 2 MB upload
	code, body = ts.do(t, "POST", "/v1/datasets/big:upload?format=csv", strings.NewReader(csv), "text/csv")
	if code != http.StatusOK {
		t.Errorf("2 MB upload under a 1 MiB body limit: %d %.300s, want 200 (uploads have their own limit)", code, body)
	}
}

// Defect 5: 30 KB of JSON nested 5,000 deep ran for minutes at 4 GB and held
// the load lock. It is refused at once; a load past the load timeout is
// DeadlineExceeded and leaves the old dataset intact.
func TestPathologicalLoads(t *testing.T) {
	cfg := testConfig(t)
	ts := startBeverage(t, cfg)
	deep := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	code, body := ts.do(t, "POST", "/v1/datasets/deep:upload?format=json", strings.NewReader(deep), "application/json")
	if code != http.StatusBadRequest || !bytes.Contains(body, []byte("nests more than")) {
		t.Errorf("deeply nested JSON: %d %.300s, want 400 naming the nesting", code, body)
	}
	code, _ = ts.do(t, "POST", "/v1/datasets/flat:upload?format=json", strings.NewReader(`[{"a": {"b": [1, 2]}, "c": "{{{{"}]`), "application/json")
	if code != http.StatusOK {
		t.Errorf("shallow JSON: %d, want 200", code)
	}

	cfg = testConfig(t)
	cfg.LoadTimeout = time.Millisecond
	ts = startServer(t, cfg)
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	_, err := ts.datasets.LoadDataset(t.Context(), &mrswarmv1.LoadDatasetRequest{Name: "beverage_sales", Path: "beverage_sales.csv"})
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "load-timeout") {
		t.Errorf("load past the load timeout: %v, want DeadlineExceeded naming --load-timeout", err)
	}
	if _, err := ts.datasets.GetDataset(t.Context(), &mrswarmv1.GetDatasetRequest{Name: "beverage_sales"}); status.Code(err) != codes.NotFound {
		t.Errorf("a timed-out load left a dataset: %v", err)
	}
}

// Defect 8: every result was kept forever. Over the byte budget the least
// recently used unpinned results go; a run's results stay; a fetched evicted
// handle is NotFound saying it expired; evictions show in /metrics.
func TestResultRetention(t *testing.T) {
	cfg := testConfig(t)
	cfg.ResultMaxBytes = 64 << 10
	ts := startBeverage(t, cfg)
	ctx := t.Context()
	run, err := ts.pipes.StartRun(ctx, &mrswarmv1.StartRunRequest{Dataset: "beverage_sales",
		Source: &mrswarmv1.StartRunRequest_Pipeline{Pipeline: &mrswarmv1.Pipeline{Name: "p", Steps: []*mrswarmv1.Step{
			{Id: "brands", Kind: &mrswarmv1.Step_Sql{Sql: &mrswarmv1.SQLStep{Sql: "SELECT brand, count(*) AS n FROM beverage_sales GROUP BY brand"}}},
		}}}})
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	stream, err := ts.pipes.WatchRun(ctx, &mrswarmv1.WatchRunRequest{RunId: run.GetRunId()})
	if err != nil {
		t.Fatal(err)
	}
	collect(t, stream.Recv)
	state, err := ts.pipes.GetRun(ctx, &mrswarmv1.GetRunRequest{RunId: run.GetRunId()})
	if err != nil || len(state.GetSteps()) != 1 || state.GetSteps()[0].GetResultHandle() == "" {
		t.Fatalf("run: %v %v", state, err)
	}
	cited := state.GetSteps()[0].GetResultHandle()

	var handles []string
	for i := range 40 { // ~15 KB each
		res, err := ts.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: fmt.Sprintf(
			"SELECT sale_date, brand, region, %d AS i FROM beverage_sales LIMIT 500", i)})
		if err != nil {
			t.Fatalf("RunSQL %d: %v", i, err)
		}
		handles = append(handles, res.GetResult().GetHandle())
	}
	list, err := ts.results.ListResults(ctx, &mrswarmv1.ListResultsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.GetResults()); n >= 20 {
		t.Errorf("%d results kept under a 64 KiB budget, want fewer", n)
	}
	if _, err := ts.results.GetResult(ctx, &mrswarmv1.GetResultRequest{Handle: cited}); err != nil {
		t.Errorf("the run's result was evicted: %v", err)
	}
	if _, err := ts.results.GetResult(ctx, &mrswarmv1.GetResultRequest{Handle: handles[len(handles)-1]}); err != nil {
		t.Errorf("the newest result was evicted: %v", err)
	}
	_, err = ts.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: handles[0]})
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "expired") {
		t.Errorf("fetch of the oldest result: %v, want NotFound saying it expired", err)
	}
	code, metrics := ts.do(t, "GET", "/metrics", nil, "")
	if code != http.StatusOK || !bytes.Contains(metrics, []byte("mrswarm_results_evicted_total ")) ||
		bytes.Contains(metrics, []byte("mrswarm_results_evicted_total 0\n")) {
		t.Errorf("/metrics does not count the evictions")
	}
}

// Defect 10: when the LLM died, /healthz still said SERVING. The LLM's health
// is its own health service and makes /healthz DEGRADED (still 200: data,
// SQL and tools work).
func TestHealthReportsLLM(t *testing.T) {
	bin, err := ollamaproc.FindBinary()
	if err != nil {
		if os.Getenv("MRSWARM_REQUIRE_OLLAMA") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	p, err := ollamaproc.Launch(t.Context(), ollamaproc.Config{Bin: bin, Model: "-", ToolsModel: "-"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	cfg := testConfig(t)
	cfg.OllamaHost = p.Host
	ts := startServer(t, cfg)
	hc := healthpb.NewHealthClient(ts.conn)
	llmStatus := func() healthpb.HealthCheckResponse_ServingStatus {
		resp, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{Service: llmService})
		if err != nil {
			t.Fatalf("health of %s: %v", llmService, err)
		}
		return resp.GetStatus()
	}
	if st := llmStatus(); st != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("LLM health with Ollama up: %v", st)
	}
	if code, body := ts.doJSON(t, "GET", "/healthz", nil); code != http.StatusOK || body["status"] != "SERVING" || body["llm_status"] != "SERVING" {
		t.Errorf("/healthz with Ollama up = %d %v", code, body)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(4 * llmPingEvery)
	for llmStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		if time.Now().After(deadline) {
			t.Fatal("LLM health still SERVING after Ollama stopped")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := ts.doJSON(t, "GET", "/healthz", nil); code != http.StatusOK || body["status"] != "DEGRADED" || body["llm_status"] != "NOT_SERVING" {
		t.Errorf("/healthz with Ollama down = %d %v, want 200 DEGRADED", code, body)
	}
	if resp, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("the server's own health = %v, %v; want SERVING", resp.GetStatus(), err)
	}
}
