package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// BenchmarkAPI measures the API's own costs on the real data set through the
// in-process server: a cold load and a cache-hit load, RunSQL plus its first page over gRPC,
// and the same over REST through the gateway.
func BenchmarkAPI(b *testing.B) {
	cfg := Config{DataRoot: b.TempDir(), DBPath: b.TempDir() + "/bench.duckdb", Logger: testLogger()}
	copyBeverage(b, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(b, cfg)
	ctx := b.Context()
	load := &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}
	if _, err := ts.datasets.LoadDataset(ctx, load); err != nil {
		b.Fatal(err)
	}
	b.Run("load_cold_15k", func(b *testing.B) {
		cold := &mrswarmv1.LoadDatasetRequest{Name: "cold", Path: "beverage_sales.csv"}
		for b.Loop() {
			if r, err := ts.datasets.LoadDataset(ctx, cold); err != nil || r.GetCacheHit() {
				b.Fatalf("hit=%v err=%v", r.GetCacheHit(), err)
			}
			b.StopTimer()
			if _, err := ts.datasets.DropDataset(ctx, &mrswarmv1.DropDatasetRequest{Name: "cold"}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	b.Run("load_cache_hit_15k", func(b *testing.B) {
		for b.Loop() {
			if r, err := ts.datasets.LoadDataset(ctx, load); err != nil || !r.GetCacheHit() {
				b.Fatalf("hit=%v err=%v", r.GetCacheHit(), err)
			}
		}
	})
	query := "SELECT region, brand, sum(total_revenue) AS revenue FROM sales GROUP BY ALL ORDER BY revenue DESC"
	b.Run("runsql_first_page_grpc", func(b *testing.B) {
		for b.Loop() {
			r, err := ts.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: query})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ts.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: r.GetResult().GetHandle(), Limit: 100}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("runsql_first_page_rest", func(b *testing.B) {
		body := fmt.Sprintf(`{"sql":%q}`, query)
		for b.Loop() {
			code, m := ts.doJSON(b, "POST", "/v1/sql", json.RawMessage(body))
			if code != http.StatusOK {
				b.Fatalf("= %d %v", code, m)
			}
			h := m["result"].(map[string]any)["handle"].(string)
			if code, m := ts.doJSON(b, "GET", "/v1/results/"+h+"/rows?limit=100", nil); code != http.StatusOK {
				b.Fatalf("= %d %v", code, m)
			}
		}
	})
}
