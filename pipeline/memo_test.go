package pipeline

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/agent"
)

func TestMemoization(t *testing.T) {
	st := newStore(t)
	m := newScript(nil)
	m.def = behaviour{useTool: true}
	r := newTestRunner(t, st, m, 2)
	inputs := agent.Inputs{TargetAudience: "young adults", Budget: 50000}
	first, _ := runToEnd(t, r, StartRequest{Pipeline: campaign(t), Inputs: inputs})
	if first.Status != RunSucceeded {
		t.Fatalf("first run %s: %v", first.Status, first.Errors)
	}
	calls := len(m.recorded())

	t.Run("unchanged re-run is all cached", func(t *testing.T) {
		run, _ := runToEnd(t, r, StartRequest{Pipeline: campaign(t), Inputs: inputs})
		for _, s := range run.Steps {
			if s.Status != StepCached {
				t.Errorf("step %s %s, want cached", s.ID, s.Status)
			}
			if prev := step(t, first, s.ID); s.MemoKey != prev.MemoKey || s.ResultHandle != prev.ResultHandle {
				t.Errorf("step %s: memo %s / handle %s, first run had %s / %s", s.ID, s.MemoKey, s.ResultHandle, prev.MemoKey, prev.ResultHandle)
			}
		}
		if n := len(m.recorded()); n != calls {
			t.Errorf("%d LLM calls on a cached re-run", n-calls)
		}
		if run.Status != RunSucceeded || run.Tokens.LLMCalls != 0 || run.ReportHandle != first.ReportHandle {
			t.Errorf("status %s, tokens %+v, report %s (first %s)", run.Status, run.Tokens, run.ReportHandle, first.ReportHandle)
		}
	})

	t.Run("changed task re-runs the step and its dependents only", func(t *testing.T) {
		p := campaign(t)
		p.Steps[2].Agent.Task = "Compare the brands' profit margins only." // brand_performance_specialist
		before := m.callsBy()
		run, _ := runToEnd(t, r, StartRequest{Pipeline: p, Inputs: inputs})
		want := map[string]StepStatus{"market_research_analyst": StepCached, "competitive_analyst": StepCached,
			"roi": StepCached, "budget": StepCached, "brand_performance_specialist": StepSucceeded, "campaign_optimizer": StepSucceeded, "report": StepSucceeded}
		if diff := cmp.Diff(want, statuses(run)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		after := m.callsBy()
		for _, a := range []string{"market_research_analyst", "competitive_analyst"} {
			if after[a] != before[a] {
				t.Errorf("%s called the model again", a)
			}
		}
	})

	t.Run("changed input re-runs agents and report", func(t *testing.T) {
		in := inputs
		in.Budget = 75000
		run, _ := runToEnd(t, r, StartRequest{Pipeline: campaign(t), Inputs: in})
		for _, s := range run.Steps {
			if want := map[string]StepStatus{KindTool: StepCached}[s.Kind]; want == "" && s.Status != StepSucceeded ||
				want != "" && s.Status != want { // tool steps do not read the inputs
				t.Errorf("step %s %s, want succeeded (inputs changed), tools cached", s.ID, s.Status)
			}
		}
	})

	t.Run("force re-runs everything", func(t *testing.T) {
		run, _ := runToEnd(t, r, StartRequest{Pipeline: campaign(t), Inputs: inputs, Options: Options{Force: true}})
		for _, s := range run.Steps {
			if s.Status != StepSucceeded {
				t.Errorf("step %s %s, want succeeded", s.ID, s.Status)
			}
		}
	})

	t.Run("deleted handle invalidates the memo", func(t *testing.T) {
		p := chain("x:data_analyst")
		a, _ := runToEnd(t, r, StartRequest{Pipeline: p})
		if err := st.DeleteResult(t.Context(), step(t, a, "x").ResultHandle); err != nil {
			t.Fatal(err)
		}
		b, _ := runToEnd(t, r, StartRequest{Pipeline: p})
		if got := step(t, b, "x").Status; got != StepSucceeded {
			t.Errorf("status %s, want succeeded (its stored handle is gone)", got)
		}
	})
}

func TestMemoKeys(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(nil), 2)
	keys := func(p Pipeline, in agent.Inputs, o Options) map[string]string {
		spec, err := r.plan(t.Context(), "run_test", StartRequest{Dataset: testDataset, Pipeline: p, Inputs: in, Options: o})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for i, n := range spec.g.nodes {
			out[n.step.ID] = spec.memo[i]
		}
		return out
	}
	tool := func(args string) Pipeline {
		return Pipeline{Steps: []Step{{ID: "t", Tool: &ToolStep{Tool: "market_share", Args: json.RawMessage(args)}},
			{ID: "a", DependsOn: []string{"t"}, Agent: &AgentStep{Agent: "data_analyst"}}}}
	}
	base := keys(campaign(t), agent.Inputs{}, Options{})
	tests := []struct {
		name    string
		got     map[string]string
		changed []string
	}{
		{"same", keys(campaign(t), agent.Inputs{}, Options{}), nil},
		{"input", keys(campaign(t), agent.Inputs{CampaignGoals: "awareness"}, Options{}),
			[]string{"market_research_analyst", "competitive_analyst", "brand_performance_specialist", "campaign_optimizer", "report"}},
		{"context mode", keys(campaign(t), agent.Inputs{}, Options{Context: agent.ContextFull}),
			[]string{"market_research_analyst", "competitive_analyst", "brand_performance_specialist", "campaign_optimizer", "report"}},
		{"parallelism does not matter", keys(campaign(t), agent.Inputs{}, Options{MaxParallel: 1}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var changed []string
			for _, s := range campaign(t).Steps {
				if tt.got[s.ID] != base[s.ID] {
					changed = append(changed, s.ID)
				}
			}
			if diff := cmp.Diff(tt.changed, changed); diff != "" {
				t.Errorf("changed keys (-want +got):\n%s", diff)
			}
		})
	}
	// Tool args: formatting and key order do not matter, values do.
	a, b, c := keys(tool(`{"top_n": 5, "measure":"revenue"}`), agent.Inputs{}, Options{}),
		keys(tool(`{"measure":"revenue","top_n":5}`), agent.Inputs{}, Options{}),
		keys(tool(`{"measure":"revenue","top_n":6}`), agent.Inputs{}, Options{})
	if a["t"] != b["t"] || a["a"] != b["a"] {
		t.Error("equivalent tool args give different keys")
	}
	if a["t"] == c["t"] || a["a"] == c["a"] {
		t.Error("different tool args (or their dependent) share a key")
	}
}

// TestMemoKeysSharedByEqualSteps: memoKeys hashes equal inputs once, and
// every step's key is still the hash of its own inputs: the same for the
// same agent on the same dependencies, different for a changed task, model
// or dependency.
func TestMemoKeysSharedByEqualSteps(t *testing.T) {
	r := newTestRunner(t, newStore(t), newScript(nil), 2)
	p := chain("a:data_analyst", "b:data_analyst", "c:data_analyst", "d:data_analyst",
		"e:market_research_analyst", "j1:campaign_optimizer<a,b", "j2:campaign_optimizer<a,c", "j3:campaign_optimizer<d,a", "j4:campaign_optimizer<b,a")
	p.Steps[2].Agent.Task = "Look at the brands only."
	p.Steps[3].Agent.Model = "other"
	spec, err := r.plan(t.Context(), "run_memo", StartRequest{Dataset: testDataset, Pipeline: p})
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range spec.memo {
		if want := memoKey(spec.memoInput(i, spec.memo)); k != want {
			t.Errorf("step %s: key %s, its inputs hash to %s", spec.g.nodes[i].step.ID, k, want)
		}
	}
	key := func(id string) string { return spec.memo[spec.g.index[id]] }
	for _, pair := range [][2]string{{"a", "b"}, {"j1", "j4"}} { // b's key is a's
		if key(pair[0]) != key(pair[1]) {
			t.Errorf("equal steps %s and %s have keys %s and %s", pair[0], pair[1], key(pair[0]), key(pair[1]))
		}
	}
	for _, pair := range [][2]string{{"a", "c"}, {"a", "d"}, {"a", "e"}, {"j1", "j2"}, {"j1", "j3"}} {
		if key(pair[0]) == key(pair[1]) {
			t.Errorf("steps %s and %s differ but share key %s", pair[0], pair[1], key(pair[0]))
		}
	}
}
