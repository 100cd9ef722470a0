// Package agent runs one marketing-research agent to a final answer: it builds the
// prompt from the agent's definition, the run inputs and upstream context, and
// drives a local LLM through schema-constrained (or native) tool calls over the
// analysis tools of sql/tools, keeping every result in the store as a handle.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// Sentinel errors. Functions wrap them with %w and context.
var (
	// ErrInvalidDefinition: an agent definition failed validation.
	ErrInvalidDefinition = errors.New("agent: invalid definition")
	// ErrInvalidOutput: the model's answer stayed invalid after every retry.
	ErrInvalidOutput = errors.New("agent: invalid model output")
	// ErrBudgetExhausted: the step budget was used up and the forced final answer failed too.
	ErrBudgetExhausted = errors.New("agent: step budget exhausted")
)

// ContextMode selects how upstream results reach the prompt.
type ContextMode int

// Context modes.
const (
	// ContextHandles puts upstream outputs and result summaries (never rows) in the prompt.
	ContextHandles ContextMode = iota
	// ContextFull pastes complete upstream results; it exists to measure the saving.
	ContextFull
)

// ToolMode selects how tool calls are requested from the model.
type ToolMode int

// Tool modes.
const (
	// ToolSchema constrains every answer with a JSON Schema (Ollama's format).
	ToolSchema ToolMode = iota
	// ToolNative offers tools through the model's native tool calling.
	ToolNative
	// ToolAuto picks native when the model reports the "tools" capability, else schema.
	ToolAuto
)

// Inputs are the run inputs a task template can use.
type Inputs struct {
	TargetAudience string
	Budget         float64
	Duration       string
	CampaignGoals  string
	AnalysisFocus  string
	Brands         []string
	Extra          map[string]string
}

// Upstream is what an earlier step hands to this one: its final text and result summaries.
type Upstream struct {
	StepID  string
	Agent   string
	Output  string          // findings text of an agent step ("" for tool/sql steps)
	Results []store.Summary // handles it produced/cited
}

// Task is one agent run: the definition, the data and the run settings.
type Task struct {
	Def     Definition
	Prompt  string // overrides Def.Task when non-empty; rendered the same way
	Dataset string
	// Tools are the dataset's analysis tools (a *tools.Env built once per run);
	// nil means Run builds them from the store.
	Tools       Tools
	Inputs      Inputs
	Upstream    []Upstream
	Context     ContextMode
	ToolMode    ToolMode
	Model       string // resolved model name (never empty when Run is called)
	Options     llm.Options
	MaxRetries  int // invalid-output retries per turn (0 → default 2)
	TokenBudget int // approx prompt token budget for upstream context (0 → default)
	// MinToolCalls is how many tool calls the agent must make before it may answer
	// (0: the model decides; capped at Def.MaxSteps). It keeps an agent grounded in data.
	MinToolCalls int
	// Verify, when set, checks the numbers of a final answer against the data
	// its findings cite and returns the discrepancies, one line each (none: the
	// answer stands). An answer with discrepancies gets one repair turn that
	// lists them; the repaired answer is final whatever its check says.
	Verify func(ctx context.Context, answer Result) []string
	// Templates caches parsed task templates across runs (nil: parse each time).
	Templates *Templates
	// ToolDefs caches the agent's tools, their schemas compiled, across
	// steps and runs (nil: build them each time).
	ToolDefs *ToolDefs
}

// Tools is what the agent loop needs of a dataset's analysis tools; *tools.Env
// satisfies it.
type Tools interface {
	List() ([]tools.Info, error)
	Call(ctx context.Context, tool string, args json.RawMessage) (store.Summary, error)
}

// Call is one LLM call as the token tracker sees it.
type Call struct {
	Turn   int
	Model  string
	Usage  llm.Usage
	Retry  bool
	Repair bool   // the repair turn of an answer with unverified numbers
	Host   string // the server that answered
}

// ToolUse is one tool call made by the agent.
type ToolUse struct {
	Turn     int
	Tool     string
	Args     json.RawMessage
	Handle   string
	Duration time.Duration
	Err      error
}

// Observer gets every LLM and tool call as it happens (either func may be nil).
type Observer struct {
	OnLLMCall  func(Call)
	OnToolCall func(ToolUse)
}

// Finding is one conclusion of an agent, citing the handles that support it.
type Finding struct {
	Text    string   `json:"text"`
	Handles []string `json:"handles"`
}

// Result is what an agent run produced.
type Result struct {
	Summary   string    // the agent's short conclusion
	Findings  []Finding // each cites handles
	Handles   []string  // every handle the agent produced (tool results), in order
	Turns     int
	ToolCalls int
	Repairs   []string      // the discrepancies a repair turn was asked to fix (nil: none)
	LLMTime   time.Duration // sum of wall time of LLM calls
	SQLTime   time.Duration // sum of tool call durations
}
