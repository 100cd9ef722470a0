package pipeline

import (
	"fmt"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
)

// toolless returns the named built-in agents without tools, so each step is exactly
// one LLM call and its latency is the scripted one.
func toolless(tb testing.TB, names ...string) []agent.Definition {
	tb.Helper()
	var out []agent.Definition
	for _, n := range names {
		d, ok := agent.Builtin(n)
		if !ok {
			tb.Fatalf("no agent %s", n)
		}
		d.Tools, d.MaxSteps = nil, 0
		out = append(out, d)
	}
	return out
}

// campaignLatencies are the original system's per-agent estimates (45 s, 40 s,
// 35 s, 30 s) scaled to milliseconds.
var campaignLatencies = map[string]time.Duration{
	"market_research_analyst":      45 * time.Millisecond,
	"competitive_analyst":          40 * time.Millisecond,
	"brand_performance_specialist": 35 * time.Millisecond,
	"campaign_optimizer":           30 * time.Millisecond,
}

// BenchmarkSchedulerEfficiency runs campaign_optimization with scripted latencies and
// reports wall time against the critical path (45+35+30 ms), the sequential sum
// (150 ms) and the critical path of the steps' measured walls, with 2 LLM slots
// and with 1.
func BenchmarkSchedulerEfficiency(b *testing.B) {
	const critical, sequential = 110 * time.Millisecond, 150 * time.Millisecond
	play := map[string]behaviour{}
	var names []string
	for n, d := range campaignLatencies {
		play[n] = behaviour{latency: d}
		names = append(names, n)
	}
	for _, par := range []int{2, 1} {
		b.Run(fmt.Sprintf("slots=%d", par), func(b *testing.B) {
			st := newStore(b)
			r := newTestRunner(b, st, newScript(play), par)
			req := StartRequest{Pipeline: campaign(b), Agents: toolless(b, names...), Options: Options{Force: true}}
			var wall, overhead, measured time.Duration
			for b.Loop() {
				run, _ := runToEnd(b, r, req)
				if run.Status != RunSucceeded {
					b.Fatalf("status %s: %v", run.Status, run.Errors)
				}
				wall += run.Profile.Wall
				overhead += run.Profile.Overhead
				measured += measuredCriticalPath(run)
			}
			avg := wall / time.Duration(b.N)
			b.ReportMetric(float64(avg.Microseconds())/1e3, "wall-ms")
			b.ReportMetric(float64(avg)/float64(critical), "wall/critical")
			b.ReportMetric(float64(avg)/float64(sequential), "wall/sequential")
			b.ReportMetric(float64(wall)/float64(measured), "wall/measured-critical")
			b.ReportMetric(float64(overhead.Microseconds())/1e3/float64(b.N), "overhead-ms/run")
		})
	}
}

// measuredCriticalPath is the longest dependency chain of a run by the steps'
// measured wall times: what a scheduler with no gaps of its own would take.
// wall/measured-critical isolates the scheduler from the steps' own overhead.
func measuredCriticalPath(run Run) time.Duration {
	wall := map[string]time.Duration{}
	for _, s := range run.Steps {
		wall[s.ID] = s.Profile.Wall
	}
	deps := map[string][]string{}
	for _, s := range run.Pipeline.Steps {
		deps[s.ID] = s.DependsOn
	}
	done := map[string]time.Duration{}
	var finish func(id string) time.Duration
	finish = func(id string) time.Duration {
		if d, ok := done[id]; ok {
			return d
		}
		var start time.Duration
		for _, d := range deps[id] {
			start = max(start, finish(d))
		}
		done[id] = start + wall[id]
		return done[id]
	}
	var longest time.Duration
	for id := range wall {
		longest = max(longest, finish(id))
	}
	return longest
}

// BenchmarkOrchestrationOverhead runs 8 one-call agent steps (4 parallel chains of 2)
// with an instant model: everything measured is the pipeline's own cost per step.
func BenchmarkOrchestrationOverhead(b *testing.B) {
	st := newStore(b)
	r := newTestRunner(b, st, newScript(nil), 2)
	p := chain("a1:data_analyst", "a2:campaign_optimizer<a1", "b1:data_analyst", "b2:campaign_optimizer<b1",
		"c1:data_analyst", "c2:campaign_optimizer<c1", "d1:data_analyst", "d2:campaign_optimizer<d1")
	req := StartRequest{Pipeline: p, Agents: toolless(b, "data_analyst", "campaign_optimizer"), Options: Options{Force: true}}
	steps := time.Duration(len(p.Steps))
	var wall, stepOverhead, runOverhead time.Duration
	for b.Loop() {
		run, _ := runToEnd(b, r, req)
		if run.Status != RunSucceeded {
			b.Fatalf("status %s: %v", run.Status, run.Errors)
		}
		wall += run.Profile.Wall
		runOverhead += run.Profile.Overhead
		for _, s := range run.Steps {
			stepOverhead += s.Profile.Overhead
		}
	}
	n := time.Duration(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
	b.ReportMetric(ms(wall/n/steps), "wall-ms/step")
	b.ReportMetric(ms(stepOverhead/n/steps), "step-overhead-ms/step")
	b.ReportMetric(ms(runOverhead/n/steps), "run-overhead-ms/step")
}

// BenchmarkValidate measures pipeline creation and validation of the comprehensive
// preset: the Runner's Validate (with the dataset lookup) and the graph alone.
func BenchmarkValidate(b *testing.B) {
	st := newStore(b)
	r := newTestRunner(b, st, newScript(nil), 2)
	b.Run("runner", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, _ := Preset("comprehensive")
			if _, err := r.Validate(b.Context(), testDataset, p, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("graph", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, _ := Preset("comprehensive")
			defs, _ := agentCatalog(nil, nil)
			if _, problems := buildGraph(p, defs, nil); len(problems) > 0 {
				b.Fatal(problems)
			}
		}
	})
}
