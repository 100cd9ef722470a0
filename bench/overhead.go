package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
)

const sectionOverhead = "orchestration overhead, scripted LLM"

// Headline keys of issue 17 besides those keys.go names.
const (
	KeyStartRunMs     = "start_run_ms"
	KeyRSSAfterRunMiB = "rss_after_run_mib" // the server after the seed data and one campaign run (rss.go)
)

// overheadDAG is one of issue 17's two DAG shapes, every step one LLM call of a
// tool-less agent.
type overheadDAG struct {
	name    string
	steps   []pipeline.Step
	depth   int // LLM calls on the critical path
	overKey string
	relKey  string
}

func overheadDAGs() []overheadDAG {
	step := func(id, agentName string, deps ...string) pipeline.Step {
		return pipeline.Step{ID: id, DependsOn: deps, Agent: &pipeline.AgentStep{Agent: agentName}}
	}
	seed := []pipeline.Step{step("a", "market_research_analyst"), step("b", "competitive_analyst"),
		step("c", "brand_performance_specialist", "a", "b"), step("d", "campaign_optimizer", "c")}
	var fan []pipeline.Step
	var ids []string
	for i := range 8 {
		id := fmt.Sprintf("s%d", i+1)
		fan, ids = append(fan, step(id, "data_analyst")), append(ids, id)
	}
	fan = append(fan, step("join", "campaign_optimizer", ids...))
	return []overheadDAG{
		{"seed", seed, 3, KeyStepOverheadSeedL0, KeyWallOverCriticalSeed},
		{"fan8", fan, 2, KeyStepOverheadFan8L0, KeyWallOverCriticalFan8},
	}
}

// overheadParallelism is the runs' MaxParallel, as the peers run them.
const overheadParallelism = 8

// overhead runs the seed (A∥B→C→D) and fan8 (8 → join) DAGs through the
// runner over a file-backed store, with a scripted LLM of 0 and 20 ms per call
// and 8 steps at once, and reports the medians of the per-step overhead
// ((wall − critical path) ÷ steps), of wall ÷ critical path, and of how long
// Start takes to return. Wall is from Start to run_finished as a watcher sees it.
func (s *suite) overhead(ctx context.Context) ([]Row, []string, error) {
	reps, warmup := 30, s.warmupRuns()
	if s.cfg.Quick {
		reps = 2
	}
	var rows []Row
	var starts []time.Duration
	for _, dag := range overheadDAGs() {
		for _, lat := range []time.Duration{0, 20 * time.Millisecond} {
			st, err := s.overheadCase(ctx, dag, lat, warmup, reps)
			if err != nil {
				return rows, nil, fmt.Errorf("%s DAG, L=%v: %w", dag.name, lat, err)
			}
			starts = append(starts, st.starts...)
			rows = append(rows, st.rows(dag, lat)...)
			bare, err := bareCase(ctx, dag, lat, warmup, reps)
			if err != nil {
				return rows, nil, fmt.Errorf("%s DAG, L=%v, bare goroutines: %w", dag.name, lat, err)
			}
			s.floor.Framework, s.floor.Stats = bareFramework, append(s.floor.Stats, bare)
			rows = append(rows, bareRows(bare, st.overCritical())...)
		}
	}
	start := Row{Section: sectionOverhead, Name: "StartRun latency (Runner.Start returns)", Scale: "both DAGs, both latencies",
		Value: msOf(medianDur(starts)), Unit: "ms", Samples: len(starts), Note: "median; the run goes on in the background"}
	return append(rows, withKey(start, KeyStartRunMs)), nil, nil
}

// warmupRuns is how many runs of each DAG and latency come before the
// measured ones, for mrswarm, the bare floor and LangGraph.js alike (Quick:
// 1). The peers' script always warmed up with 5; with 1, the first runs on
// mrswarm's fresh store weighed on its median: fan8 at 20 ms read 1.034–1.049
// over 4 rounds, and 1.034–1.040 with 5 (the two taking turns).
func (s *suite) warmupRuns() int {
	if s.cfg.Quick {
		return 1
	}
	return 5
}

// overheadStat is what the runs of one DAG at one latency measured.
type overheadStat struct {
	walls, starts []time.Duration
	critical      time.Duration
	steps         int
	// overTaken is each run's wall ÷ its critical path with the LLM calls
	// as long as its steps measured them (the scripted call's timer wakes up
	// to ~1 ms late), so what is left is the orchestration's own.
	overTaken []float64
}

// overCritical is the median run's wall ÷ critical path (0 at latency 0).
func (st overheadStat) overCritical() float64 {
	return ratio(msOf(medianDur(st.walls)), msOf(st.critical))
}

func (st overheadStat) rows(dag overheadDAG, lat time.Duration) []Row {
	scale := fmt.Sprintf("%s DAG (%d steps), L=%d ms, parallelism %d", dag.name, st.steps, lat.Milliseconds(), overheadParallelism)
	wall := medianDur(st.walls)
	over := Row{Section: sectionOverhead, Name: "per-step overhead", Scale: scale,
		Value: msOf(wall-st.critical) / float64(st.steps), Unit: "ms", Samples: len(st.walls),
		Note: "median run: (wall − critical path) ÷ steps; file-backed store"}
	if lat == 0 {
		return []Row{withKey(over, dag.overKey)}
	}
	rel := Row{Section: sectionOverhead, Name: "wall ÷ critical path", Scale: scale,
		Value: st.overCritical(), Unit: "×", Samples: len(st.walls),
		Note: fmt.Sprintf("critical path %d × %v", dag.depth, lat)}
	taken := Row{Section: sectionOverhead, Name: "wall ÷ critical path of the calls as they took", Scale: scale,
		Value: medianOf(st.overTaken), Unit: "×", Samples: len(st.overTaken),
		Note: "median run; the critical path summed from each step's measured LLM time instead of L (a scripted call's timer fires up to ~1 ms late)"}
	return []Row{over, withKey(rel, dag.relKey), taken}
}

// overheadCase measures reps runs (after warmup unmeasured ones) of dag at
// latency lat.
func (s *suite) overheadCase(ctx context.Context, dag overheadDAG, lat time.Duration, warmup, reps int) (overheadStat, error) {
	// The scripted LLM sleeps half a step's latency per call, for a tool call
	// and an answer; a tool-less agent makes one call, so it gets 2 × lat.
	model := newScriptedLLM(nil, 2*lat)
	env, err := s.newPipelineEnv(ctx, model, pipeline.Config{MaxParallel: overheadParallelism, DefaultModel: "scripted"})
	if err != nil {
		return overheadStat{}, err
	}
	defer env.close(ctx)
	var agents []agent.Definition
	for _, d := range agent.Builtins() {
		d.Tools, d.MaxSteps = nil, 0
		agents = append(agents, d)
	}
	req := pipeline.StartRequest{Dataset: benchDataset, Pipeline: pipeline.Pipeline{Name: "overhead_" + dag.name, Steps: dag.steps},
		Inputs: benchInputs, Agents: agents, Options: pipeline.Options{Force: true, MaxParallel: overheadParallelism}}
	st := overheadStat{critical: time.Duration(dag.depth) * lat, steps: len(dag.steps)}
	for i := range warmup + reps {
		wall, start, run, err := timeRun(ctx, env.runner, req)
		if err != nil {
			return st, err
		}
		if i >= warmup {
			st.walls, st.starts = append(st.walls, wall), append(st.starts, start)
			if taken := takenCriticalPath(run); lat > 0 && taken > 0 {
				st.overTaken = append(st.overTaken, msOf(wall)/msOf(taken))
			}
		}
	}
	return st, nil
}

// takenCriticalPath is the longest path through run's steps with each step
// as long as its measured LLM time.
func takenCriticalPath(run *pipeline.Run) time.Duration {
	done := map[string]time.Duration{}
	var longest time.Duration
	for _, st := range run.Steps { // in pipeline order: dependencies first
		var from time.Duration
		for _, dep := range run.Pipeline.Steps {
			if dep.ID == st.ID {
				for _, d := range dep.DependsOn {
					from = max(from, done[d])
				}
			}
		}
		done[st.ID] = from + st.Profile.LLM
		longest = max(longest, done[st.ID])
	}
	return longest
}

// timeRun starts req and watches it to run_finished: the wall time, how long
// Start took and the final run.
func timeRun(ctx context.Context, r *pipeline.Runner, req pipeline.StartRequest) (wall, start time.Duration, final *pipeline.Run, err error) {
	t0 := time.Now()
	run, err := r.Start(ctx, req)
	start = time.Since(t0)
	if err != nil {
		return 0, 0, nil, err
	}
	err = r.Watch(ctx, run.ID, 0, func(ev pipeline.Event) error {
		if ev.Type == pipeline.EventRunFinished {
			final = ev.Run
		}
		return nil
	})
	wall = time.Since(t0)
	switch {
	case err != nil:
		return 0, 0, nil, err
	case final == nil:
		return 0, 0, nil, errors.New("the event stream ended without run_finished")
	case final.Status != pipeline.RunSucceeded:
		return 0, 0, nil, fmt.Errorf("run %s ended %s: %v", final.ID, final.Status, final.Errors)
	}
	return wall, start, final, nil
}

// medianDur is the median of ds (0 for none).
func medianDur(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	return s[len(s)/2]
}

// msOf is d in milliseconds.
func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
