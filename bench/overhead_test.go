package bench

import (
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
