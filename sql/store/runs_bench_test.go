package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkWriteRunBatch writes one seed-shaped run per op into a file-backed
// store, as the pipeline's run log does: a batch with the run's first record,
// four steps and twenty events of about 600 bytes of JSON each, then a batch
// updating the finished run.
func BenchmarkWriteRunBatch(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "db.duckdb"), Options{DataRoot: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	data := []byte(`{"step":"` + strings.Repeat("x", 580) + `"}`)
	n := 0
	for b.Loop() {
		n++
		id := fmt.Sprintf("run_%08d", n)
		now := time.Now()
		run := RunRecord{ID: id, Status: "running", Dataset: "sales", Pipeline: "seed", CreatedAt: now, Data: data}
		batch := RunBatch{Runs: []RunRecord{run}}
		for i := range 4 {
			batch.Steps = append(batch.Steps, StepRecord{RunID: id, StepID: fmt.Sprintf("s%d", i), Status: "succeeded",
				MemoKey: id + fmt.Sprint(i), UpdatedAt: now, Data: data})
		}
		for seq := range 20 {
			batch.Events = append(batch.Events, EventRecord{RunID: id, Seq: int64(seq + 1), Type: "step_finished", Time: now, Data: data})
		}
		if err := s.WriteRunBatch(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		run.Status, run.FinishedAt, run.Stored = "succeeded", now, true
		if err := s.WriteRunBatch(b.Context(), RunBatch{Runs: []RunRecord{run},
			Events: []EventRecord{{RunID: id, Seq: 21, Type: "run_finished", Time: now, Data: data}}}); err != nil {
			b.Fatal(err)
		}
	}
}
