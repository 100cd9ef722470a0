package mrswarm_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/server/servertest"
)

// startExampleServer runs an in-process server whose data root holds the
// beverage sales CSV; a real program dials its own server instead.
func startExampleServer() (addr string, stop func()) {
	dir, err := os.MkdirTemp("", "mrswarm-example-")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := servertest.New(context.Background(), dir, servertest.Options{Beverage: true})
	if err != nil {
		log.Fatal(err)
	}
	// A real program finds its local server's token by itself (FindToken);
	// this one's lives in a temporary folder.
	os.Setenv(mrswarm.TokenEnv, srv.Token)
	return srv.GRPCAddr, func() {
		srv.Stop()
		os.Unsetenv(mrswarm.TokenEnv)
		os.RemoveAll(dir)
	}
}

// Load a CSV from the server's data root, call a tool and read its result.
func Example() {
	addr, stop := startExampleServer()
	defer stop()
	ctx := context.Background()

	c, err := mrswarm.Dial(ctx, addr) // e.g. "127.0.0.1:7070"
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	loaded, err := c.LoadDataset(ctx, "beverage", "beverage_sales.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows:", loaded.GetDataset().GetRowCount(), "cache hit:", loaded.GetCacheHit())
	again, err := c.LoadDataset(ctx, "beverage", "beverage_sales.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loaded again, cache hit:", again.GetCacheHit())

	res, err := c.CallTool(ctx, "beverage", "brand_performance", map[string]any{"top_n": 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("brand_performance rows:", res.GetResult().GetRowCount())
	// Output:
	// rows: 15000 cache hit: false
	// loaded again, cache hit: true
	// brand_performance rows: 3
}

// Expand a result handle page by page.
func ExampleClient_Rows() {
	addr, stop := startExampleServer()
	defer stop()
	ctx := context.Background()
	c, err := mrswarm.Dial(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.LoadDataset(ctx, "beverage", "beverage_sales.csv"); err != nil {
		log.Fatal(err)
	}

	res, err := c.SQL(ctx, "SELECT region, count(*) AS sales FROM beverage GROUP BY region ORDER BY region")
	if err != nil {
		log.Fatal(err)
	}
	for page, err := range c.Rows(ctx, res.GetResult().GetHandle(), 5) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("rows %d-%d of %d\n", page.Offset, page.Offset+int64(len(page.Rows))-1, page.Total)
		for _, row := range page.Rows {
			fmt.Println(" ", row[0], row[1])
		}
	}
	// Output:
	// rows 0-4 of 8
	//   Africa 1957
	//   Asia Pacific 1844
	//   Australia 1856
	//   Europe 1928
	//   Latin America 1836
	// rows 5-7 of 8
	//   Middle East 1807
	//   North America 1839
	//   South America 1933
}

// Run a pipeline of a tool step and a SQL cell, watch its events, and run it
// again: the unchanged steps come back from the memo.
func ExampleClient_Run() {
	addr, stop := startExampleServer()
	defer stop()
	ctx := context.Background()
	c, err := mrswarm.Dial(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.LoadDataset(ctx, "beverage", "beverage_sales.csv"); err != nil {
		log.Fatal(err)
	}

	req := &mrswarmv1.StartRunRequest{
		Dataset: "beverage",
		Source: &mrswarmv1.StartRunRequest_Pipeline{Pipeline: &mrswarmv1.Pipeline{
			Name: "kpis_then_top_brands",
			Steps: []*mrswarmv1.Step{
				{Id: "kpis", Kind: &mrswarmv1.Step_Tool{Tool: &mrswarmv1.ToolStep{Tool: "kpi_summary"}}},
				{Id: "top", DependsOn: []string{"kpis"}, Kind: &mrswarmv1.Step_Sql{Sql: &mrswarmv1.SQLStep{
					Sql: "SELECT brand, sum(total_revenue) AS revenue FROM beverage GROUP BY brand ORDER BY revenue DESC LIMIT 3"}}},
			},
		}},
	}
	for range 2 {
		for ev, err := range c.Run(ctx, req) {
			if err != nil {
				log.Fatal(err)
			}
			switch ev.GetType() {
			case mrswarmv1.EventType_EVENT_TYPE_STEP_FINISHED:
				fmt.Println(ev.GetStepId(), ev.GetStep().GetStatus())
			case mrswarmv1.EventType_EVENT_TYPE_RUN_FINISHED:
				fmt.Println("run", ev.GetRun().GetStatus())
			}
		}
	}
	// Output:
	// kpis STEP_STATUS_SUCCEEDED
	// top STEP_STATUS_SUCCEEDED
	// run RUN_STATUS_SUCCEEDED
	// kpis STEP_STATUS_CACHED
	// top STEP_STATUS_CACHED
	// run RUN_STATUS_SUCCEEDED
}
