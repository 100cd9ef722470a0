package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"
)

// checkAccounting fails unless every started step's LLM + SQL + Overhead is
// its Wall with nothing negative, and the run's Overhead is within its Wall.
func checkAccounting(t *testing.T, run Run) {
	t.Helper()
	for _, s := range run.Steps {
		p := s.Profile
		if p.LLM < 0 || p.SQL < 0 || p.Overhead < 0 || p.LLM+p.SQL+p.Overhead != p.Wall {
			t.Errorf("step %s (%s): LLM %v + SQL %v + overhead %v != wall %v", s.ID, s.Status, p.LLM, p.SQL, p.Overhead, p.Wall)
		}
	}
	if rp := run.Profile; rp.Overhead < 0 || rp.Overhead > rp.Wall {
		t.Errorf("run %s: overhead %v of wall %v", run.Status, rp.Overhead, rp.Wall)
	}
}

// TestProfileOfCanceledRun cancels two agents in flight for a while: their LLM
// calls count as LLM time, not overhead, and the run's overhead stays within
// its wall time.
func TestProfileOfCanceledRun(t *testing.T) {
	st := newStore(t)
	m := newScript(map[string]behaviour{
		"market_research_analyst": {block: true}, "competitive_analyst": {block: true}})
	m.started = make(chan string, 8)
	r := newTestRunner(t, st, m, 2)
	run, err := r.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: campaign(t)})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		<-m.started
	}
	const inFlight = 300 * time.Millisecond
	time.Sleep(inFlight) // the calls are in flight at least this long
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	got, err := r.Cancel(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, got)
	for _, id := range []string{"market_research_analyst", "competitive_analyst"} {
		if s := step(t, got, id); s.Profile.LLM < inFlight {
			t.Errorf("canceled step %s: LLM %v, overhead %v; want the canceled call's %v or more as LLM",
				id, s.Profile.LLM, s.Profile.Overhead, inFlight)
		}
	}
	stored, err := r.Get(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, stored)
}

// TestProfileOfFailedRun: a step whose LLM calls fail spent that time in the LLM.
func TestProfileOfFailedRun(t *testing.T) {
	st := newStore(t)
	const latency = 100 * time.Millisecond
	m := newScript(map[string]behaviour{"data_analyst": {latency: latency, fail: errors.New("model exploded")}})
	r := newTestRunner(t, st, m, 1)
	got, _ := runToEnd(t, r, StartRequest{Pipeline: chain("a:data_analyst")})
	if got.Status != RunFailed {
		t.Fatalf("status %s, want failed", got.Status)
	}
	checkAccounting(t, got)
	if s := step(t, got, "a"); s.Profile.LLM < latency {
		t.Errorf("failed step: LLM %v, overhead %v; want its failed call's %v or more as LLM", s.Profile.LLM, s.Profile.Overhead, latency)
	}
}

func TestStepProfileFinish(t *testing.T) {
	tests := []struct {
		name               string
		in                 StepProfile
		llm, sql, overhead time.Duration
	}{
		{"overhead is the rest", StepProfile{Wall: 10, LLM: 6, SQL: 3}, 6, 3, 1},
		{"LLM measured past the step's end", StepProfile{Wall: 10, LLM: 12, SQL: 3}, 7, 3, 0},
		{"SQL over wall", StepProfile{Wall: 10, LLM: 4, SQL: 11}, 0, 10, 0},
		{"nothing measured", StepProfile{Wall: 10}, 0, 0, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.in.finish()
			if p.LLM != tt.llm || p.SQL != tt.sql || p.Overhead != tt.overhead || p.Wall != tt.in.Wall {
				t.Errorf("finish() = %+v, want LLM %v SQL %v overhead %v", p, tt.llm, tt.sql, tt.overhead)
			}
		})
	}
}

// TestRunProfileOverheadWithinWall: parallel steps whose overheads overlap.
func TestRunProfileOverheadWithinWall(t *testing.T) {
	t0 := time.Now()
	par := func(id string) StepState {
		return StepState{ID: id, StartedAt: t0, FinishedAt: t0.Add(9 * time.Second),
			Profile: StepProfile{Wall: 9 * time.Second, Overhead: 8 * time.Second, LLM: time.Second}}
	}
	rp := runProfile(9460*time.Millisecond, []StepState{par("a"), par("b")})
	if rp.Overhead > rp.Wall || rp.LLM != 2*time.Second {
		t.Errorf("run profile %+v: want overhead within wall 9.46s, LLM 2s", rp)
	}
	one := runProfile(10*time.Second, []StepState{par("a")})
	if one.Overhead != 8*time.Second+time.Second { // its overhead + 1s with no step running
		t.Errorf("one step: overhead %v, want 9s", one.Overhead)
	}
}
