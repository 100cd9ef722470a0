package agent

import (
	"errors"
	"fmt"
	"sync"
	"testing"
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
