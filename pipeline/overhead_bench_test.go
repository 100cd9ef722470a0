package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// overheadDAGs are the two shapes of the orchestration benchmarks: the seed's
// four agents (A∥B→C→D, critical path 3 calls) and eight independent steps
// joined by a ninth (critical path 2 calls). Every step is one LLM call of a
// tool-less agent.
var overheadDAGs = []struct {
	name  string
	p     Pipeline
	depth int
}{
	{"seed", chain("a:market_research_analyst", "b:competitive_analyst",
		"c:brand_performance_specialist<a,b", "d:campaign_optimizer<c"), 3},
	{"fan8", chain("s1:data_analyst", "s2:data_analyst", "s3:data_analyst", "s4:data_analyst",
		"s5:data_analyst", "s6:data_analyst", "s7:data_analyst", "s8:data_analyst",
		"join:campaign_optimizer<s1,s2,s3,s4,s5,s6,s7,s8"), 2},
}

// BenchmarkStepOverhead runs both DAGs with a scripted LLM of latency L per call
// (0 and 20 ms), 8 steps at once, over a file-backed store as the server keeps
// it, and reports the medians of the per-step overhead (wall − critical path) ÷
// steps, wall ÷ critical path, and how long Start took to return. Wall is from
// Start to run_finished as a watcher sees it.
func BenchmarkStepOverhead(b *testing.B) {
	for _, dag := range overheadDAGs {
		for _, lat := range []time.Duration{0, 20 * time.Millisecond} {
			b.Run(fmt.Sprintf("%s/L=%dms", dag.name, lat.Milliseconds()), func(b *testing.B) {
				st := openStore(b, filepath.Join(b.TempDir(), "bench.duckdb"))
				b.Cleanup(func() { st.Close() })
				loadBeverage(b, st)
				s := newScript(nil)
				s.def = behaviour{latency: lat}
				r := newTestRunner(b, st, s, 8)
				req := StartRequest{Dataset: testDataset, Pipeline: dag.p, Agents: toolless(b, agentNames(dag.p)...),
					Options: Options{Force: true, MaxParallel: 8}}
				critical := lat * time.Duration(dag.depth)
				var walls, starts []time.Duration
				for b.Loop() {
					wall, start := timeRun(b, r, req)
					walls, starts = append(walls, wall), append(starts, start)
				}
				steps := time.Duration(len(dag.p.Steps))
				wall := median(walls)
				b.ReportMetric(float64(wall-critical)/float64(steps)/1e6, "overhead-ms/step")
				if critical > 0 {
					b.ReportMetric(float64(wall)/float64(critical), "wall/critical")
				}
				b.ReportMetric(float64(median(starts))/1e6, "start-ms")
			})
		}
	}
}

// timeRun starts req, watches it to run_finished and returns the wall time and
// how long Start took.
func timeRun(tb testing.TB, r *Runner, req StartRequest) (wall, start time.Duration) {
	tb.Helper()
	ctx := context.Background()
	t0 := time.Now()
	run, err := r.Start(ctx, req)
	start = time.Since(t0)
	if err != nil {
		tb.Fatal(err)
	}
	var final *Run
	if err := r.Watch(ctx, run.ID, 0, func(ev Event) error {
		if ev.Type == EventRunFinished {
			final = ev.Run
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	wall = time.Since(t0)
	if final == nil || final.Status != RunSucceeded {
		tb.Fatalf("run did not succeed: %+v", final)
	}
	return wall, start
}

// agentNames lists the distinct agents of p's steps.
func agentNames(p Pipeline) []string {
	var names []string
	for _, s := range p.Steps {
		if s.Agent != nil && !slices.Contains(names, s.Agent.Agent) {
			names = append(names, s.Agent.Agent)
		}
	}
	return names
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
