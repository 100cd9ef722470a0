package pipeline

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
)

func TestPresetsValidate(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(nil), 2)
	want := map[string][]Stage{
		"campaign_optimization": {
			{0, []string{"market_research_analyst", "competitive_analyst", "roi", "budget"}},
			{1, []string{"brand_performance_specialist"}},
			{2, []string{"campaign_optimizer"}},
			{3, []string{"report"}}},
		"roi_analysis": {{0, []string{"data_analyst"}}, {1, []string{"campaign_optimizer"}}, {2, []string{"report"}}},
		"sales_forecast": {{0, []string{"market_research_analyst", "forecast", "seasonality"}}, {1, []string{"forecasting_specialist"}},
			{2, []string{"report"}}},
		"brand_performance": {{0, []string{"competitive_analyst"}}, {1, []string{"brand_strategist"}},
			{2, []string{"report"}}},
		"comprehensive": {
			{0, []string{"market_research_analyst", "competitive_analyst", "data_analyst"}},
			{1, []string{"brand_performance_specialist", "forecasting_specialist"}},
			{2, []string{"campaign_optimizer", "content_strategist"}},
			{3, []string{"report"}}},
		"quick_insights": {{0, []string{"kpis", "shares"}}, {1, []string{"data_analyst"}}, {2, []string{"report"}}},
	}
	presets := Presets()
	if len(presets) != len(want) {
		t.Errorf("got %d presets, want %d", len(presets), len(want))
	}
	for _, p := range presets {
		t.Run(p.Name, func(t *testing.T) {
			stages, err := r.Validate(t.Context(), testDataset, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want[p.Name], stages); diff != "" {
				t.Errorf("stages (-want +got):\n%s", diff)
			}
		})
	}
	// Presets returns copies: changing one does not change the next.
	p := presets[0]
	p.Steps[0].Agent.Task = "changed"
	if again, _ := Preset(p.Name); again.Steps[0].Agent.Task != "" {
		t.Error("Preset shares memory with an earlier copy")
	}
	if _, ok := Preset("nope"); ok {
		t.Error(`Preset("nope") found something`)
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(nil), 2)
	agentStep := func(id, ag string, deps ...string) Step {
		return Step{ID: id, DependsOn: deps, Agent: &AgentStep{Agent: ag}}
	}
	badDef := agent.Definition{Name: "my_agent"} // no role, no task
	tests := []struct {
		name     string
		dataset  string
		p        Pipeline
		agents   []agent.Definition
		want     []string // substrings, each one problem
		notFound bool     // wraps store.ErrNotFound
	}{
		{name: "empty", p: Pipeline{}, want: []string{"pipeline has no steps"}},
		{name: "cycle with path", p: Pipeline{Steps: []Step{
			agentStep("a", "data_analyst", "c"), agentStep("b", "data_analyst", "a"),
			agentStep("c", "data_analyst", "b"), agentStep("d", "data_analyst")}},
			want: []string{"dependency cycle: a → b → c → a"}},
		{name: "tool args against the tool's schema", p: Pipeline{Steps: []Step{
			{ID: "ok", Tool: &ToolStep{Tool: "market_share", Args: json.RawMessage(`{"top_n": 5}`)}},
			{ID: "bad_type", Tool: &ToolStep{Tool: "market_share", Args: json.RawMessage(`{"top_n": "many"}`)}},
			{ID: "unknown_arg", Tool: &ToolStep{Tool: "kpi_summary", Args: json.RawMessage(`{"nope": 1}`)}},
			{ID: "bad_brand", Tool: &ToolStep{Tool: "brand_performance", Args: json.RawMessage(`{"brands": ["No Such Cola"]}`)}}}},
			want: []string{`step "bad_type": tool market_share args:`, `step "unknown_arg": tool kpi_summary args:`,
				`step "bad_brand": tool brand_performance args:`}},
		{name: "self dependency", p: Pipeline{Steps: []Step{agentStep("a", "data_analyst", "a")}},
			want: []string{"dependency cycle: a → a"}},
		{name: "everything at once", dataset: "nope", agents: []agent.Definition{badDef}, p: Pipeline{Steps: []Step{
			agentStep("a", "no_such_agent"),
			agentStep("a", "data_analyst"),
			agentStep("", "data_analyst"),
			agentStep("9x", "data_analyst"),
			agentStep("b", "data_analyst", "ghost", "a", "a"),
			{ID: "t", Tool: &ToolStep{Tool: "no_such_tool", Args: json.RawMessage(`{`)}},
			{ID: "two", Tool: &ToolStep{Tool: "kpi_summary"}, SQL: &SQLStep{SQL: "select 1"}},
			{ID: "none"},
			{ID: "q", SQL: &SQLStep{SQL: "  "}},
			{ID: "rep", Report: &ReportStep{}},
			{ID: "task", Agent: &AgentStep{Agent: "data_analyst", Task: "{{.Nope"}},
		}},
			want: []string{
				`agent definition 0 ("my_agent")`,
				`step "a": unknown agent "no_such_agent"`,
				`step 1: duplicate id "a"`,
				`step 2: empty id`,
				`step 3: invalid id "9x"`,
				`step "b": depends on unknown step "ghost"`,
				`step "b": depends on "a" twice`,
				`step "t": unknown tool "no_such_tool"`,
				`step "t": tool args are not valid JSON`,
				`step "two": several kinds set (sql, tool)`,
				`step "none": no kind set`,
				`step "q": empty sql`,
				`step "rep": a report step needs at least one dependency`,
				`step "task": task:`,
				`unknown dataset "nope"`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := tt.dataset
			if ds == "" {
				ds = testDataset
			}
			_, err := r.Validate(t.Context(), ds, tt.p, tt.agents)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if got := errors.Is(err, store.ErrNotFound); got != tt.notFound {
				t.Errorf("errors.Is(err, store.ErrNotFound) = %v, want %v", got, tt.notFound)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err is %T, want *ValidationError", err)
			}
			if len(ve.Problems) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(ve.Problems), len(tt.want), strings.Join(ve.Problems, "\n"))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestValidateUnknownDatasetAlone(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(nil), 2)
	_, err := r.Validate(t.Context(), "nope", campaign(t), nil)
	if !errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrInvalid) {
		t.Errorf("err = %v, want store.ErrNotFound only", err)
	}
}

func TestCustomAgentShadowsBuiltin(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(nil), 2)
	def, ok := agent.Builtin("data_analyst")
	if !ok {
		t.Fatal("no data_analyst")
	}
	def.Name = "my_analyst"
	p := chain("a:my_analyst")
	if _, err := r.Validate(t.Context(), testDataset, p, nil); err == nil {
		t.Error("unknown agent my_analyst accepted without its definition")
	}
	if _, err := r.Validate(t.Context(), testDataset, p, []agent.Definition{def}); err != nil {
		t.Errorf("custom agent rejected: %v", err)
	}
}
