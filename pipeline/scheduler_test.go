package pipeline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// TestCampaignEndToEndScripted runs the campaign_optimization preset with real tools
// on the beverage data and a scripted model that calls one tool per agent.
func TestCampaignEndToEndScripted(t *testing.T) {
	st := newStore(t)
	m := newScript(nil)
	m.def = behaviour{useTool: true, latency: 5 * time.Millisecond}
	r := newTestRunner(t, st, m, 2)
	run, events := runToEnd(t, r, StartRequest{Pipeline: campaign(t)})
	if run.Status != RunSucceeded {
		t.Fatalf("status %s, errors %v", run.Status, run.Errors)
	}
	for _, s := range run.Steps {
		if s.Status != StepSucceeded || s.ResultHandle == "" || s.MemoKey == "" {
			t.Errorf("step %s: status %s, result %q, memo %q", s.ID, s.Status, s.ResultHandle, s.MemoKey)
		}
		if p := s.Profile; p.LLM+p.SQL+p.Overhead != p.Wall || p.QueueWait < 0 || p.Wall <= 0 {
			t.Errorf("step %s: profile %+v does not add up", s.ID, p)
		}
		if s.Kind == KindAgent && (s.ToolCalls != 1 || s.Tokens.LLMCalls != 2 || s.Tokens.PromptTokens == 0) {
			t.Errorf("step %s: %d tool calls, tokens %+v; want 1 tool call and 2 LLM calls", s.ID, s.ToolCalls, s.Tokens)
		}
	}
	// Tokens roll up: run = Σ steps = Σ agents.
	var sum TokenUsage
	for _, s := range run.Steps {
		sum = sum.plus(s.Tokens)
	}
	var agents TokenUsage
	for _, u := range run.AgentTokens {
		agents = agents.plus(u)
	}
	if run.Tokens != sum || run.Tokens != agents || run.Tokens.LLMCalls != 8 {
		t.Errorf("run tokens %+v, Σ steps %+v, Σ agents %+v; want equal with 8 calls", run.Tokens, sum, agents)
	}
	if run.ReportHandle == "" || run.ReportHandle != step(t, run, "report").ResultHandle {
		t.Errorf("report handle %q, report step %q", run.ReportHandle, step(t, run, "report").ResultHandle)
	}
	counts := map[EventType]int{}
	for _, ev := range events {
		counts[ev.Type]++
	}
	want := map[EventType]int{EventRunStarted: 1, EventStageStarted: 4, EventStageFinished: 4,
		EventStepStarted: 7, EventStepFinished: 7, EventLLMCall: 8, EventToolCall: 6, EventRunFinished: 1}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("event counts (-want +got):\n%s", diff)
	}
}

// TestFirstStageOverlaps checks that the two independent first-stage agents of
// campaign_optimization run at the same time.
func TestFirstStageOverlaps(t *testing.T) {
	st := newStore(t)
	// Each first-stage agent's calls wait until both have called their model:
	// run one after the other, the first would only end after a 30 s fallback.
	both := make(chan struct{})
	var mu sync.Mutex
	seen := map[string]bool{}
	arrive := func(name string) func() {
		return func() {
			mu.Lock()
			defer mu.Unlock()
			if !seen[name] {
				if seen[name] = true; len(seen) == 2 {
					close(both)
				}
			}
		}
	}
	m := newScript(map[string]behaviour{
		"market_research_analyst": {until: both, opens: arrive("market_research_analyst")},
		"competitive_analyst":     {until: both, opens: arrive("competitive_analyst")},
	})
	r := newTestRunner(t, st, m, 2)
	run, _ := runToEnd(t, r, StartRequest{Pipeline: campaign(t)})
	if run.Status != RunSucceeded {
		t.Fatalf("status %s: %v", run.Status, run.Errors)
	}
	aStart, aEnd := m.span(t, "market_research_analyst")
	bStart, bEnd := m.span(t, "competitive_analyst")
	if !aStart.Before(bEnd) || !bStart.Before(aEnd) {
		t.Errorf("first-stage agents did not overlap: [%v, %v] and [%v, %v]", aStart, aEnd, bStart, bEnd)
	}
	// And the dependent started only after both ended.
	cStart, _ := m.span(t, "brand_performance_specialist")
	if cStart.Before(aEnd) || cStart.Before(bEnd) {
		t.Error("brand_performance_specialist started before its dependencies ended")
	}
}

// TestSlowBranchDoesNotDelayFastBranch: no stage barrier. The slow step's calls
// wait until the fast branch's second-stage step has called its model, so the
// test needs no timing: with a stage barrier the slow step would only end after
// a 30 s fallback, after "next" started.
func TestSlowBranchDoesNotDelayFastBranch(t *testing.T) {
	st := newStore(t)
	gate := make(chan struct{})
	var once sync.Once
	m := newScript(map[string]behaviour{
		"market_research_analyst": {until: gate},
		"data_analyst":            {latency: 10 * time.Millisecond},
		"forecasting_specialist":  {opens: func() { once.Do(func() { close(gate) }) }},
	})
	r := newTestRunner(t, st, m, 2)
	p := chain("slow:market_research_analyst", "fast:data_analyst", "next:forecasting_specialist<fast",
		"join:campaign_optimizer<slow,next")
	run, _ := runToEnd(t, r, StartRequest{Pipeline: p})
	if run.Status != RunSucceeded {
		t.Fatalf("status %s: %v", run.Status, run.Errors)
	}
	slow, next := step(t, run, "slow"), step(t, run, "next")
	if !next.StartedAt.Before(slow.FinishedAt) {
		t.Errorf("fast branch's dependent started at %v, after the slow step ended at %v", next.StartedAt, slow.FinishedAt)
	}
	if next.Stage != 1 || slow.Stage != 0 || step(t, run, "join").Stage != 2 {
		t.Errorf("stages slow=%d next=%d join=%d, want 0, 1, 2", slow.Stage, next.Stage, step(t, run, "join").Stage)
	}
}

func TestFailureIsolation(t *testing.T) {
	st := newStore(t)
	m := newScript(map[string]behaviour{"competitive_analyst": {fail: llm.ErrUnavailable}})
	r := newTestRunner(t, st, m, 2)
	p := chain("a:market_research_analyst", "b:data_analyst<a",
		"c:competitive_analyst", "d:brand_strategist<c", "e:campaign_optimizer<d")
	run, events := runToEnd(t, r, StartRequest{Pipeline: p})
	want := map[string]StepStatus{"a": StepSucceeded, "b": StepSucceeded, "c": StepFailed, "d": StepSkipped, "e": StepSkipped}
	if diff := cmp.Diff(want, statuses(run)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if run.Status != RunPartiallyFailed {
		t.Errorf("run status %s, want %s", run.Status, RunPartiallyFailed)
	}
	errs := strings.Join(run.Errors, "\n")
	for _, w := range []string{`step "c" (agent competitive_analyst) failed`, "llm: server unavailable",
		`step "d" skipped: dependency "c" failed`, `step "e" skipped: dependency "d" skipped`} {
		if !strings.Contains(errs, w) {
			t.Errorf("run errors lack %q:\n%s", w, errs)
		}
	}
	if m.callsBy()["brand_strategist"] != 0 || m.callsBy()["campaign_optimizer"] != 0 {
		t.Error("a skipped step called the model")
	}
	var skipped, failed int
	for _, ev := range events {
		switch ev.Type {
		case EventStepSkipped:
			skipped++
		case EventStepFailed:
			failed++
		}
	}
	if skipped != 2 || failed != 1 {
		t.Errorf("%d step_skipped and %d step_failed events, want 2 and 1", skipped, failed)
	}

	// Every step failing (or skipped) is a failed run.
	m.play["market_research_analyst"] = behaviour{fail: errors.New("boom")}
	run, _ = runToEnd(t, r, StartRequest{Pipeline: chain("a:market_research_analyst", "c:competitive_analyst"),
		Options: Options{Force: true}})
	if run.Status != RunFailed || len(run.Errors) != 2 {
		t.Errorf("status %s, errors %q; want failed with 2 errors", run.Status, run.Errors)
	}
}

func TestCancelStopsInFlightCalls(t *testing.T) {
	st := newStore(t)
	m := newScript(map[string]behaviour{
		"market_research_analyst": {block: true}, "competitive_analyst": {block: true}})
	m.started = make(chan string, 8)
	r := newTestRunner(t, st, m, 2)
	run, err := r.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: campaign(t)})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // both first-stage calls are in flight
		select {
		case <-m.started:
		case <-time.After(30 * time.Second):
			t.Fatal("first-stage calls did not start")
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	got, err := r.Cancel(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != RunCanceled {
		t.Errorf("status %s, want canceled", got.Status)
	}
	for _, s := range got.Steps {
		if s.Status != StepCanceled {
			t.Errorf("step %s %s, want canceled", s.ID, s.Status)
		}
	}
	calls := m.recorded()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	for _, c := range calls {
		if !c.sawCanceled {
			t.Errorf("call of %s ended with %v, not context.Canceled", c.agent, c.err)
		}
	}
	// The stored run says the same, and its stream is complete.
	stored, err := r.Get(t.Context(), run.ID)
	if err != nil || stored.Status != RunCanceled {
		t.Errorf("stored run: %v, %v", stored.Status, err)
	}
	var events []Event
	if err := r.Watch(t.Context(), run.ID, 0, func(ev Event) error { events = append(events, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, stored, events)
}

func TestGetListUnknown(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(nil), 2)
	if _, err := r.Get(t.Context(), "run_nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get unknown: %v", err)
	}
	if err := r.Watch(t.Context(), "run_nope", 0, func(Event) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("Watch unknown: %v", err)
	}
	a, _ := runToEnd(t, r, StartRequest{Pipeline: chain("a:data_analyst")})
	b, _ := runToEnd(t, r, StartRequest{Pipeline: chain("b:data_analyst")})
	runs, err := r.List(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, run := range runs {
		ids = append(ids, run.ID)
	}
	if diff := cmp.Diff([]string{b.ID, a.ID}, ids); diff != "" {
		t.Errorf("List ids (-want +got):\n%s", diff)
	}
}

// TestToolAndSQLSteps runs direct tool calls and SQL cells; an agent after them
// gets their results as upstream handles it can cite.
func TestToolAndSQLSteps(t *testing.T) {
	st := newStore(t)
	m := newScript(nil)
	r := newTestRunner(t, st, m, 2)
	p, _ := Preset("quick_insights")
	p.Steps = append(p.Steps,
		Step{ID: "by_brand", SQL: &SQLStep{SQL: `SELECT brand, sum(total_revenue) AS revenue FROM beverage GROUP BY brand ORDER BY revenue DESC`}},
		Step{ID: "write", SQL: &SQLStep{SQL: `DELETE FROM beverage`}},
		Step{ID: "after_write", DependsOn: []string{"write"}, Agent: &AgentStep{Agent: "data_analyst"}})
	p.Steps[2].DependsOn = append(p.Steps[2].DependsOn, "by_brand") // data_analyst
	run, _ := runToEnd(t, r, StartRequest{Pipeline: p})
	want := map[string]StepStatus{"kpis": StepSucceeded, "shares": StepSucceeded, "by_brand": StepSucceeded,
		"data_analyst": StepSucceeded, "report": StepSucceeded, "write": StepFailed, "after_write": StepSkipped}
	if diff := cmp.Diff(want, statuses(run)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if run.Status != RunPartiallyFailed {
		t.Errorf("status %s", run.Status)
	}
	byBrand := step(t, run, "by_brand")
	sum, err := st.Result(t.Context(), byBrand.ResultHandle)
	if err != nil || sum.Rows != 17 {
		t.Errorf("by_brand result %s: %d rows, %v; want 17 brands", byBrand.ResultHandle, sum.Rows, err)
	}
	if kp := step(t, run, "kpis"); kp.ToolCalls != 1 || kp.Profile.SQL <= 0 {
		t.Errorf("tool step: %d tool calls, SQL time %v", kp.ToolCalls, kp.Profile.SQL)
	}
	// The agent could cite every upstream result and the tool result it looked at.
	da := step(t, run, "data_analyst")
	cited := handleRE.FindAllString(da.Output, -1)
	citable := append([]string{step(t, run, "kpis").ResultHandle,
		step(t, run, "shares").ResultHandle, byBrand.ResultHandle}, da.Handles...)
	if len(cited) != 1 || !slices.Contains(citable, cited[0]) {
		t.Errorf("data_analyst cites %v, want one of %v", cited, citable)
	}
	// The data is intact.
	ds, err := st.Dataset(t.Context(), testDataset)
	if err != nil || ds.Rows != 15000 {
		t.Errorf("dataset after a DELETE cell: %d rows, %v", ds.Rows, err)
	}
}
