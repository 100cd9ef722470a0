package bench

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/pipeline"
)

// TestTakenCriticalPath: the longest path through the steps' measured LLM
// times, dependencies first, over the seed DAG's shape.
func TestTakenCriticalPath(t *testing.T) {
	run := &pipeline.Run{Pipeline: pipeline.Pipeline{Steps: overheadDAGs()[0].steps}} // a, b → c → d
	llm := map[string]time.Duration{"a": 21 * time.Millisecond, "b": 25 * time.Millisecond, "c": 20 * time.Millisecond, "d": 22 * time.Millisecond}
	for _, s := range run.Pipeline.Steps {
		run.Steps = append(run.Steps, pipeline.StepState{ID: s.ID, Profile: pipeline.StepProfile{LLM: llm[s.ID]}})
	}
	if got, want := takenCriticalPath(run), 67*time.Millisecond; got != want { // b + c + d
		t.Errorf("critical path %v, want %v", got, want)
	}
}

// TestBareRunWaitsForDependencies: the floor's steps wait for their
// dependencies, so a run lasts at least the critical path (3 timers for the
// seed DAG, 2 for fan8); a canceled context ends it with the context's error.
func TestBareRunWaitsForDependencies(t *testing.T) {
	const lat = 5 * time.Millisecond
	for _, dag := range overheadDAGs() {
		wall, err := bareRun(t.Context(), dag, lat)
		if err != nil {
			t.Fatal(err)
		}
		if min := time.Duration(dag.depth) * lat; wall < min {
			t.Errorf("%s: wall %v, shorter than its critical path %v", dag.name, wall, min)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := bareRun(ctx, overheadDAGs()[0], time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled run: %v, want context.Canceled", err)
	}
}

// BenchmarkOverhead runs make bench's orchestration-overhead section alone
// (both DAGs at L=0 and 20 ms, 30 runs each after 5 warm-ups, with the bare
// goroutines' floor) and logs its rows:
//
//	go test ./bench -run '^$' -bench '^BenchmarkOverhead$' -benchtime 1x -v
func BenchmarkOverhead(b *testing.B) {
	s, err := newSuite(Config{WorkDir: b.TempDir(), Log: io.Discard}.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rows, _, err := s.overhead(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			b.Logf("%s, %s: %.3f %s (ratio %.3f %s)", r.Name, r.Scale, r.Value, r.Unit, r.Ratio, r.RatioOf)
		}
	}
}
