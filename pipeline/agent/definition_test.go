package agent

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuiltinsAreValid(t *testing.T) {
	want := []string{"market_research_analyst", "competitive_analyst", "data_analyst",
		"brand_performance_specialist", "campaign_optimizer", "forecasting_specialist",
		"brand_strategist", "content_strategist", "creative_copywriter", "report_summarizer"}
	var got []string
	for _, d := range Builtins() {
		got = append(got, d.Name)
		if err := Validate(d); err != nil {
			t.Errorf("builtin %s: %v", d.Name, err)
		}
		if d.Goal == "" || d.Backstory == "" {
			t.Errorf("builtin %s: goal or backstory empty", d.Name)
		}
		text, err := (*Templates)(nil).render(d.Task, Inputs{TargetAudience: "students", Budget: 1000, Duration: "6 months",
			CampaignGoals: "grow share", Brands: []string{"Coca-Cola", "Red Bull"}})
		if err != nil || strings.Contains(text, "<no value>") || strings.Contains(text, "{{") {
			t.Errorf("builtin %s: task renders %q, %v", d.Name, text, err)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("builtin names (-want +got):\n%s", diff)
	}
}

func TestBuiltinsAreCopies(t *testing.T) {
	a := Builtins()
	a[0].Tools[0] = "changed"
	if b := Builtins(); b[0].Tools[0] == "changed" {
		t.Fatal("Builtins shares its slices with callers")
	}
}

func TestValidate(t *testing.T) {
	ok := testDef(2, "market_share", "roi")
	tests := []struct {
		name  string
		edit  func(*Definition)
		probs []string // substrings of the error; nil means valid
	}{
		{"valid", func(*Definition) {}, nil},
		{"no tools no steps", func(d *Definition) { d.Tools, d.MaxSteps = nil, 0 }, nil},
		{"empty name", func(d *Definition) { d.Name = "" }, []string{"name is empty"}},
		{"bad name", func(d *Definition) { d.Name = "1 bad" }, []string{"must start with a letter"}},
		{"every problem", func(d *Definition) {
			d.Role, d.Tools, d.MaxSteps = "", []string{"roi", "roi", "nope"}, 99
		}, []string{"role is empty", `tool "roi" listed twice`, `unknown tool "nope"`, "max_steps 99 is outside 0..8"}},
		{"negative steps", func(d *Definition) { d.MaxSteps = -1 }, []string{"max_steps -1"}},
		{"tools without steps", func(d *Definition) { d.MaxSteps = 0 }, []string{"max_steps is 0 but tools are listed"}},
		{"steps without tools", func(d *Definition) { d.Tools = nil }, []string{"no tools are listed"}},
		{"template syntax", func(d *Definition) { d.Task = "{{.TargetAudience" }, []string{"task template"}},
		{"template field", func(d *Definition) { d.Task = "{{.Nope}}" }, []string{"task template", "Nope"}},
		{"empty task", func(d *Definition) { d.Task = " " }, []string{"task is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ok
			d.Tools = append([]string(nil), ok.Tools...)
			tt.edit(&d)
			err := Validate(d)
			if tt.probs == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidDefinition) {
				t.Fatalf("Validate = %v, want ErrInvalidDefinition", err)
			}
			for _, p := range tt.probs {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q lacks %q", err, p)
				}
			}
		})
	}
}

func TestParseDefinitions(t *testing.T) {
	ds, err := ParseDefinitions([]byte(`[{"name":"a","role":"R","task":"t","tools":["roi"],"max_steps":1}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Definition{{Name: "a", Role: "R", Task: "t", Tools: []string{"roi"}, MaxSteps: 1}}
	if diff := cmp.Diff(want, ds); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ParseDefinitions([]byte("- name: a\n  colour: red\n")); !errors.Is(err, ErrInvalidDefinition) {
		t.Errorf("unknown field: err = %v, want ErrInvalidDefinition", err)
	}
}
