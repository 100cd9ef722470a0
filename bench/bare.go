package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm/llmtest"
)

// bareFramework names the floor's row of the peer table.
const bareFramework = "bare goroutines, same timers, no persistence"

// bareRun runs dag's shape with nothing but goroutines: each step waits for its
// dependencies, then for a timer of lat (as the scripted LLM's call does), and
// closes its done channel. It returns the wall time until every step is done.
func bareRun(ctx context.Context, dag overheadDAG, lat time.Duration) (time.Duration, error) {
	done := make(map[string]chan struct{}, len(dag.steps))
	for _, st := range dag.steps {
		done[st.ID] = make(chan struct{})
	}
	errs := make(chan error, len(dag.steps))
	var wg sync.WaitGroup
	t0 := time.Now()
	for _, st := range dag.steps {
		wg.Go(func() {
			for _, d := range st.DependsOn {
				<-done[d]
			}
			defer close(done[st.ID])
			if err := llmtest.Sleep(ctx, lat); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	wall := time.Since(t0)
	close(errs)
	return wall, <-errs
}

// bareCase measures reps runs (after warmup unmeasured ones) of dag's bare
// shape at lat: the floor that Go's timers and scheduler set on this machine.
func bareCase(ctx context.Context, dag overheadDAG, lat time.Duration, warmup, reps int) (DAGStat, error) {
	critical := msOf(time.Duration(dag.depth) * lat)
	var over, rel []float64
	for i := range warmup + reps {
		wall, err := bareRun(ctx, dag, lat)
		if err != nil {
			return DAGStat{}, err
		}
		if i >= warmup {
			over = append(over, (msOf(wall)-critical)/float64(len(dag.steps)))
			rel = append(rel, ratio(msOf(wall), critical))
		}
	}
	st := DAGStat{DAG: dag.name, LatencyMs: int(lat.Milliseconds()), Steps: len(dag.steps), Runs: reps, OverheadMs: medianOf(over)}
	if lat > 0 {
		st.WallOverCritical = medianOf(rel)
	}
	return st, nil
}

// bareRows are the floor's rows beside mrswarm's wall ÷ critical path at lat.
func bareRows(st DAGStat, ours float64) []Row {
	scale := fmt.Sprintf("%s DAG (%d steps), L=%d ms, parallelism %d", st.DAG, st.Steps, st.LatencyMs, overheadParallelism)
	if st.LatencyMs == 0 {
		return []Row{{Section: sectionOverhead, Name: "per-step overhead, " + bareFramework, Scale: scale,
			Value: st.OverheadMs, Unit: "ms", Samples: st.Runs, Note: "median run"}}
	}
	r := Row{Section: sectionOverhead, Name: "wall ÷ critical path, " + bareFramework, Scale: scale,
		Value: st.WallOverCritical, Unit: "×", Samples: st.Runs,
		Note: "median run: the floor Go's timers set here (a timer wakes a sleeping process up to ~1 ms late)"}
	return []Row{withRatio(r, ours, "mrswarm ÷ this")}
}
