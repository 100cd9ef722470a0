package agent

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"text/template"
)

func TestTemplatesRenderEachInput(t *testing.T) {
	c := NewTemplates()
	text := "Reach {{.TargetAudience}} with {{money .Budget}}."
	for _, in := range []Inputs{{TargetAudience: "students", Budget: 1000}, {TargetAudience: "parents", Budget: 2.5}} {
		got, err := c.render(text, in)
		want := fmt.Sprintf("Reach %s with %.2f.", in.TargetAudience, in.Budget)
		if err != nil || got != want {
			t.Errorf("render(%+v) = %q, %v; want %q", in, got, err, want)
		}
	}
	if len(c.m) != 1 {
		t.Errorf("cache holds %d templates after rendering one text twice, want 1", len(c.m))
	}
}

func TestTemplatesValidateAsValidate(t *testing.T) {
	c := NewTemplates()
	base := Builtins()[0]
	for name, task := range map[string]string{
		"valid":         base.Task,
		"unknown field": "Study {{.Audience}}",
		"unparsable":    "Study {{.TargetAudience",
		"unknown func":  "{{shout .TargetAudience}}",
	} {
		d := base
		d.Task = task
		want := Validate(d)
		for round := range 2 { // the second round answers from the cache
			got := c.Validate(d)
			if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
				t.Errorf("%s, round %d: Templates.Validate = %v, Validate = %v", name, round, got, want)
			}
			if got != nil && !errors.Is(got, ErrInvalidDefinition) {
				t.Errorf("%s: %v does not wrap ErrInvalidDefinition", name, got)
			}
		}
	}
}

func TestTemplatesBounded(t *testing.T) {
	c := NewTemplates()
	for i := range maxTemplates + 10 {
		if _, err := c.render(fmt.Sprintf("task %d for {{.TargetAudience}}", i), Inputs{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.m) > maxTemplates {
		t.Errorf("cache holds %d templates, want at most %d", len(c.m), maxTemplates)
	}
}

func TestTemplatesConcurrent(t *testing.T) {
	c := NewTemplates()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			aud := fmt.Sprint("audience ", i)
			got, err := c.render("For {{.TargetAudience}}.", Inputs{TargetAudience: aud})
			if want := "For " + aud + "."; err != nil || got != want {
				t.Errorf("render = %q, %v; want %q", got, err, want)
			}
		})
	}
	wg.Wait()
}

// A template renders again when its inputs change, however little: the
// latest rendering is reused only for inputs equal to its own, which the
// caller may change after the call.
func TestTemplatesRenderAgainOnNewInputs(t *testing.T) {
	c := NewTemplates()
	text := `For {{.TargetAudience}} ({{money .Budget}}, {{.Budget}}): {{join .Brands ", "}}; {{range $k, $v := .Extra}}{{$k}}={{$v}} {{end}}{{printf "%#v %#v" .Brands .Extra}}`
	brands := []string{"Alpha", "Beta"}
	extra := map[string]string{"region": "North"}
	base := Inputs{TargetAudience: "students", Budget: 1000, Brands: brands, Extra: extra}
	changed := []Inputs{
		base,
		{TargetAudience: "parents", Budget: 1000, Brands: brands, Extra: extra},
		{TargetAudience: "parents", Budget: 1000.5, Brands: brands, Extra: extra},
		{TargetAudience: "parents", Budget: 1000.5, Brands: []string{"Alpha"}, Extra: extra},
		{TargetAudience: "parents", Budget: 1000.5, Brands: []string{"Alpha"}, Extra: map[string]string{"region": "South"}},
		{TargetAudience: "parents", Budget: 1000.5, Brands: []string{}, Extra: map[string]string{}},
		{TargetAudience: "parents", Budget: 1000.5, Extra: map[string]string{}},
		{TargetAudience: "parents", Budget: 1000.5},
		{TargetAudience: "parents", Budget: math.Copysign(0, -1)},
		{TargetAudience: "parents"},
		base,
	}
	for i, in := range changed {
		for round := range 2 { // the second answers from the latest rendering
			got, err := c.render(text, in)
			want, werr := execute(template.Must(template.New("t").Funcs(templateFuncs).Option("missingkey=zero").Parse(text)), in)
			if err != nil || werr != nil || got != want {
				t.Errorf("inputs %d, round %d: render = %q, %v; want %q, %v", i, round, got, err, want, werr)
			}
		}
	}
	brands[1], extra["region"] = "Gamma", "East" // the caller changes what it passed
	got, _ := c.render(text, base)
	if !strings.Contains(got, "Alpha, Gamma") || !strings.Contains(got, "region=East") {
		t.Errorf("render after the caller changed its inputs: %q", got)
	}
}
