package agent

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

// Builtins returns the original roles, in a stable order.
func Builtins() []Definition { return nil }

// Validate checks d and wraps ErrInvalidDefinition, listing every problem.
func Validate(d Definition) error { return nil }
