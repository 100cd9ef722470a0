package agent

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/goccy/go-yaml"

	"github.com/mrswarm/mrswarm/sql/tools"
)

// MaxStepsLimit is the largest step budget a definition may ask for.
const MaxStepsLimit = 8

// Definition is an agent: data, loaded from the embedded agents.yaml or sent by users.
type Definition struct {
	Name      string   `yaml:"name" json:"name"`
	Role      string   `yaml:"role" json:"role"`
	Goal      string   `yaml:"goal" json:"goal"`
	Backstory string   `yaml:"backstory" json:"backstory"`
	Task      string   `yaml:"task" json:"task"`   // text/template over Inputs: {{.TargetAudience}} {{.Budget}} ...
	Tools     []string `yaml:"tools" json:"tools"` // tool names from sql/tools
	MaxSteps  int      `yaml:"max_steps" json:"max_steps"`
	Model     string   `yaml:"model" json:"model"` // "" = run/server default
}

//go:embed agents.yaml
var builtinYAML []byte

var builtins = sync.OnceValue(func() []Definition {
	ds, err := ParseDefinitions(builtinYAML)
	if err != nil {
		panic("agent: embedded agents.yaml: " + err.Error())
	}
	return ds
})

// Builtins returns the original roles, in a stable order. The slice is a fresh copy.
func Builtins() []Definition {
	ds := builtins()
	out := make([]Definition, len(ds))
	for i, d := range ds {
		d.Tools = slices.Clone(d.Tools)
		out[i] = d
	}
	return out
}

// Builtin returns the built-in definition called name, and whether there is one.
func Builtin(name string) (Definition, bool) {
	for _, d := range Builtins() {
		if d.Name == name {
			return d, true
		}
	}
	return Definition{}, false
}

// ParseDefinitions decodes a YAML (or JSON) list of definitions, rejecting unknown
// fields. It does not validate them; call [Validate] on each.
func ParseDefinitions(data []byte) ([]Definition, error) {
	var ds []Definition
	if err := yaml.UnmarshalWithOptions(data, &ds, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDefinition, err)
	}
	return ds, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// Validate checks d and wraps ErrInvalidDefinition, listing every problem.
func Validate(d Definition) error { return validate(d, nil, true) }

// validate is Validate with templates from c; it parses and tries the task
// template only with template set (Run renders that template on the step's
// inputs anyway).
func validate(d Definition, c *Templates, template bool) error {
	var probs []string
	add := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }
	switch {
	case d.Name == "":
		add("name is empty")
	case !nameRE.MatchString(d.Name):
		add("name %q must start with a letter and hold at most 64 letters, digits, _ . -", d.Name)
	}
	if strings.TrimSpace(d.Role) == "" {
		add("role is empty")
	}
	if strings.TrimSpace(d.Task) == "" {
		add("task is empty")
	} else if template {
		if err := c.check(d.Task); err != nil {
			add("task template: %v", err)
		}
	}
	probs = append(probs, toolProblems(d)...)
	if len(probs) == 0 {
		return nil
	}
	name := d.Name
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Errorf("%w %q: %s", ErrInvalidDefinition, name, strings.Join(probs, "; "))
}

// toolProblems checks tool names against sql/tools and the step budget against the tools.
func toolProblems(d Definition) []string {
	var probs []string
	seen := map[string]bool{}
	for _, t := range d.Tools {
		switch {
		case !tools.Known(t):
			probs = append(probs, fmt.Sprintf("unknown tool %q", t))
		case seen[t]:
			probs = append(probs, fmt.Sprintf("tool %q listed twice", t))
		}
		seen[t] = true
	}
	switch {
	case d.MaxSteps < 0 || d.MaxSteps > MaxStepsLimit:
		probs = append(probs, fmt.Sprintf("max_steps %d is outside 0..%d", d.MaxSteps, MaxStepsLimit))
	case d.MaxSteps == 0 && len(d.Tools) > 0:
		probs = append(probs, "max_steps is 0 but tools are listed")
	case d.MaxSteps > 0 && len(d.Tools) == 0:
		probs = append(probs, fmt.Sprintf("max_steps is %d but no tools are listed", d.MaxSteps))
	}
	return probs
}

// templateFuncs are the helpers a task template may use.
var templateFuncs = template.FuncMap{
	"join":  strings.Join,
	"money": func(v float64) string { return fmt.Sprintf("%.2f", v) },
}
