// Package mrswarm is the Go client of the mrswarm service: load marketing data
// into the server's DuckDB cache, call SQL analysis tools, run pipelines of
// local LLM agents and watch their events as they happen, and expand result
// handles page by page or as a stream.
//
// A [Client] wraps one gRPC connection:
//
//	c, err := mrswarm.Dial(ctx, "127.0.0.1:7070")
//	if err != nil { ... }
//	defer c.Close()
//	if _, err := c.LoadDataset(ctx, "beverage", "beverage_sales.csv"); err != nil { ... }
//	for ev, err := range c.Run(ctx, &mrswarmv1.StartRunRequest{
//		Dataset: "beverage",
//		Source:  &mrswarmv1.StartRunRequest_Preset{Preset: "campaign_optimization"},
//	}) {
//		if err != nil { ... }
//		fmt.Println(ev.GetSeq(), ev.GetType(), ev.GetStepId())
//	}
//
// [Client.Run] and [Client.Watch] survive a dropped connection: when the
// stream breaks before the run_finished event they re-attach with WatchRun
// from the last sequence number they delivered, so no event is lost or
// repeated.
//
// Errors are gRPC status errors; inspect them with
// [google.golang.org/grpc/status.Code].
package mrswarm
