package server

import (
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// The fuzz targets here drive a real server with the beverage data, as a
// hostile client would: no input may crash it or surface as an internal
// error, and the data must stay intact. `make test` runs each briefly,
// `make fuzz` longer (scripts/fuzz.sh).

// fuzzServer starts one server with the beverage data for a fuzz target.
func fuzzServer(f *testing.F) *testServer {
	cfg := testConfig(f)
	cfg.MemoryLimit = 512 << 20
	copyBeverage(f, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(f, cfg)
	if _, err := ts.datasets.LoadDataset(f.Context(), &mrswarmv1.LoadDatasetRequest{
		Name: "beverage_sales", Path: "beverage_sales.csv"}); err != nil {
		f.Fatal(err)
	}
	return ts
}

// noInternal fails on a code that means the server did not understand the
// input (Internal, Unknown) instead of answering it precisely.
func noInternal(t *testing.T, what string, err error) {
	t.Helper()
	if c := status.Code(err); c == codes.Internal || c == codes.Unknown {
		t.Fatalf("%s: %v", what, err)
	}
}

func FuzzToolArgs(f *testing.F) {
	ts := fuzzServer(f)
	for _, seed := range []struct{ tool, args string }{
		{"kpi_summary", `{}`},
		{"brand_performance", `{"top_n": 5, "brands": ["Coca-Cola"]}`},
		{"market_share", `{"top_n": "many"}`},
		{"time_series", `{"period": "week", "start_date": "2024-01-01", "end_date": "2023-01-01"}`},
		{"sales_forecast", `{"horizon": 1e308}`},
		{"cross_sectional", `{"dimension": "region", "measure": "revenue", "regions": [null]}`},
		{"budget_plan", `{"total_budget": -1, "channels": ["tv", "tv"], "channel_weights": [1]}`},
		{"no_such_tool", `{"x": {"y": [1, 2, {"z": "'; DROP TABLE beverage_sales; --"}]}}`},
	} {
		f.Add(seed.tool, seed.args)
	}
	f.Fuzz(func(t *testing.T, tool, args string) {
		if !utf8.ValidString(tool) {
			return // proto strings are UTF-8: no client can send it
		}
		var s structpb.Struct
		if protojson.Unmarshal([]byte(args), &s) != nil {
			return // the gateway refuses what is not a JSON object
		}
		_, err := ts.tools.CallTool(t.Context(), &mrswarmv1.CallToolRequest{Dataset: "beverage_sales", Tool: tool, Args: &s})
		noInternal(t, "CallTool "+tool+" "+args, err)
	})
}

func FuzzValidatePipeline(f *testing.F) {
	ts := fuzzServer(f)
	for _, seed := range []string{
		`{"dataset": "beverage_sales", "preset": "campaign_optimization"}`,
		`{"dataset": "beverage_sales", "pipeline": {"steps": [{"id": "a", "depends_on": ["b"], "sql": {"sql": "SELECT 1"}},
			{"id": "b", "depends_on": ["a"], "tool": {"tool": "kpi_summary"}}]}}`,
		`{"dataset": "nope", "pipeline": {"steps": [{"id": "", "agent": {"agent": "data_analyst"}}, {"id": "x"}]}}`,
		`{"dataset": "beverage_sales", "pipeline": {"steps": [{"id": "r", "report": {}}]}, "agents": [{"name": "a"}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, req string) {
		var r mrswarmv1.ValidatePipelineRequest
		if protojson.Unmarshal([]byte(req), &r) != nil {
			return
		}
		_, err := ts.pipes.ValidatePipeline(t.Context(), &r)
		noInternal(t, "ValidatePipeline "+req, err)
	})
}

func FuzzPageParams(f *testing.F) {
	ts := fuzzServer(f)
	res, err := ts.results.RunSQL(f.Context(), &mrswarmv1.RunSQLRequest{Sql: "SELECT * FROM beverage_sales LIMIT 300"})
	if err != nil {
		f.Fatal(err)
	}
	h := res.GetResult().GetHandle()
	f.Add(h, int64(0), int32(0), int32(0))
	f.Add(h, int64(299), int32(10000), int32(2))
	f.Add(h, int64(-1), int32(-5), int32(7))
	f.Add(h+"x", int64(1)<<62, int32(10001), int32(1))
	f.Add("res_../../x", int64(0), int32(1), int32(1))
	f.Add(`res_"; DROP TABLE x`, int64(0), int32(1), int32(1))
	f.Fuzz(func(t *testing.T, handle string, offset int64, limit, format int32) {
		if !utf8.ValidString(handle) {
			return // proto strings are UTF-8: no client can send it
		}
		page, err := ts.results.GetResultPage(t.Context(), &mrswarmv1.GetResultPageRequest{
			Handle: handle, Offset: offset, Limit: limit, Format: mrswarmv1.PageFormat(format)})
		noInternal(t, "GetResultPage", err)
		if err == nil && int32(len(page.GetRows())) > max(limit, 100) {
			t.Fatalf("page of %d rows for limit %d", len(page.GetRows()), limit)
		}
		_, err = ts.results.GetResult(t.Context(), &mrswarmv1.GetResultRequest{Handle: handle})
		noInternal(t, "GetResult", err)
	})
}
