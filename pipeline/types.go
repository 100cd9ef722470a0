// Package pipeline schedules mrswarm's analyses: DAGs of agent steps, direct tool
// calls, read-only SQL cells and a report step, run in parallel as soon as each
// step's own dependencies finish. It numbers and persists every event of a run,
// memoizes steps notebook-style, tracks tokens and profiles each step.
//
// Each step is resolved once, when the graph is built, into an action (step.go
// and step_*.go: the only place that looks at a step's kind). A run is a
// scheduler (sched.go) driving the graph, a recorder (recorder.go) keeping the
// run's state, an event log (eventlog.go) numbering and fanning out events, and
// the run log (runlog.go), the one owner of stored runs, steps and events,
// which also calls the runner's event hook. The report is rendered by
// pipeline/report; models are reached through pipeline/llm.
package pipeline

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
)

// Sentinel errors. Functions wrap them with %w; callers test with errors.Is.
var (
	// ErrInvalid: the pipeline or request is malformed; the message lists every problem.
	ErrInvalid = errors.New("pipeline: invalid pipeline")
	// ErrNotFound: unknown run or preset.
	ErrNotFound = errors.New("pipeline: not found")
	// ErrNotFinished: the operation needs a finished run (e.g. its report).
	ErrNotFinished = errors.New("pipeline: run not finished")
)

// AgentStep runs an agent. Task overrides the agent's task template when non-empty;
// Model overrides the run's model when non-empty.
type AgentStep struct {
	Agent string `json:"agent"`
	Task  string `json:"task,omitempty"`
	Model string `json:"model,omitempty"`
}

// ToolStep calls a tool directly with JSON arguments (nil or {} for defaults).
type ToolStep struct {
	Tool string          `json:"tool"`
	Args json.RawMessage `json:"args,omitempty"`
}

// SQLStep is a read-only SQL cell.
type SQLStep struct {
	SQL string `json:"sql"`
}

// ReportStep assembles the markdown report from its dependencies.
type ReportStep struct {
	Title string `json:"title,omitempty"`
}

// Step is one node of a pipeline. Exactly one of Agent, Tool, SQL and Report is set.
type Step struct {
	ID        string      `json:"id"`
	DependsOn []string    `json:"depends_on,omitempty"`
	Agent     *AgentStep  `json:"agent,omitempty"`
	Tool      *ToolStep   `json:"tool,omitempty"`
	SQL       *SQLStep    `json:"sql,omitempty"`
	Report    *ReportStep `json:"report,omitempty"`
}

// Step kinds returned by [Step.Kind].
const (
	KindAgent  = "agent"
	KindTool   = "tool"
	KindSQL    = "sql"
	KindReport = "report"
)

// Pipeline is a named DAG of steps.
type Pipeline struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Steps       []Step `json:"steps"`
}

// Stage groups the steps of one dependency depth, for display; scheduling does not
// wait for whole stages.
type Stage struct {
	Index   int      `json:"index"`
	StepIDs []string `json:"step_ids"`
}

// Options tune one run.
type Options struct {
	MaxParallel int               `json:"max_parallel,omitempty"` // 0 → Config.MaxParallel
	Force       bool              `json:"force,omitempty"`        // ignore memoized results
	Context     agent.ContextMode `json:"context,omitempty"`
	ToolMode    agent.ToolMode    `json:"tool_mode,omitempty"`
	Model       string            `json:"model,omitempty"` // "" → Config.DefaultModel
}

// StartRequest asks for one run of a pipeline on a dataset.
type StartRequest struct {
	Dataset  string
	Pipeline Pipeline
	Inputs   agent.Inputs
	Options  Options
	Agents   []agent.Definition // custom definitions; they shadow built-ins of the same name
}

// RunStatus is the state of a run.
type RunStatus string

// Run states. Succeeded, Failed, PartiallyFailed, Canceled and Interrupted are final.
const (
	RunPending         RunStatus = "pending"
	RunRunning         RunStatus = "running"
	RunSucceeded       RunStatus = "succeeded"
	RunFailed          RunStatus = "failed"
	RunPartiallyFailed RunStatus = "partially_failed"
	RunCanceled        RunStatus = "canceled"
	RunInterrupted     RunStatus = "interrupted"
)

// Final reports whether s is a final state.
func (s RunStatus) Final() bool {
	switch s {
	case RunSucceeded, RunFailed, RunPartiallyFailed, RunCanceled, RunInterrupted:
		return true
	}
	return false
}

// StepStatus is the state of a step.
type StepStatus string

// Step states. Cached means a memoized result was reused with no LLM call.
const (
	StepPending   StepStatus = "pending"
	StepRunning   StepStatus = "running"
	StepSucceeded StepStatus = "succeeded"
	StepFailed    StepStatus = "failed"
	StepSkipped   StepStatus = "skipped"
	StepCached    StepStatus = "cached"
	StepCanceled  StepStatus = "canceled"
)

// Done reports whether s is a final state whose result dependents can use.
func (s StepStatus) Done() bool { return s == StepSucceeded || s == StepCached }

// TokenUsage counts tokens exactly as the LLM server reported them.
type TokenUsage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
	LLMCalls         int   `json:"llm_calls"`
}

// StepProfile is a step's time breakdown: Overhead = Wall − LLM − SQL.
// QueueWait is the time from ready (dependencies done) to started.
type StepProfile struct {
	Wall      time.Duration `json:"wall"`
	QueueWait time.Duration `json:"queue_wait"`
	LLM       time.Duration `json:"llm"`
	SQL       time.Duration `json:"sql"`
	Overhead  time.Duration `json:"overhead"`
}

// RunProfile is a run's time breakdown plus process CPU time and peak RSS (bytes)
// measured while it ran (process-wide: concurrent runs share them). LLM and SQL
// sum the steps' times, so with parallel steps they can exceed Wall; Overhead sums
// the steps' overheads plus the time no step was running, at most Wall.
type RunProfile struct {
	Wall      time.Duration `json:"wall"`
	LLM       time.Duration `json:"llm"`
	SQL       time.Duration `json:"sql"`
	Overhead  time.Duration `json:"overhead"`
	CPUUser   time.Duration `json:"cpu_user"`
	CPUSystem time.Duration `json:"cpu_system"`
	PeakRSS   int64         `json:"peak_rss"`
}

// StepState is the state of one step in a run.
type StepState struct {
	ID           string      `json:"id"`
	Kind         string      `json:"kind"`
	Agent        string      `json:"agent,omitempty"`
	Stage        int         `json:"stage"`
	Status       StepStatus  `json:"status"`
	ResultHandle string      `json:"result_handle,omitempty"` // the step's main result
	Handles      []string    `json:"handles,omitempty"`       // every handle it produced
	Output       string      `json:"output,omitempty"`        // findings text / summary
	Error        string      `json:"error,omitempty"`
	Tokens       TokenUsage  `json:"tokens"`
	Profile      StepProfile `json:"profile"`
	MemoKey      string      `json:"memo_key,omitempty"`
	ToolCalls    int         `json:"tool_calls"`
	StartedAt    time.Time   `json:"started_at"`
	FinishedAt   time.Time   `json:"finished_at"`
}

// Run is one execution of a pipeline on a dataset.
type Run struct {
	ID           string                `json:"id"`
	Tenant       string                `json:"tenant,omitempty"` // owner, from the dataset
	Status       RunStatus             `json:"status"`
	Dataset      string                `json:"dataset"`
	Pipeline     Pipeline              `json:"pipeline"`
	Inputs       agent.Inputs          `json:"inputs"`
	Options      Options               `json:"options"`
	Steps        []StepState           `json:"steps"`
	Stages       []Stage               `json:"stages"`
	Tokens       TokenUsage            `json:"tokens"`
	AgentTokens  map[string]TokenUsage `json:"agent_tokens,omitempty"`
	Profile      RunProfile            `json:"profile"`
	Errors       []string              `json:"errors,omitempty"`
	ReportHandle string                `json:"report_handle,omitempty"`
	Claims       ClaimCounts           `json:"claims"` // the report's claim check of the agents' findings
	CreatedAt    time.Time             `json:"created_at"`
	FinishedAt   time.Time             `json:"finished_at"`
}

// EventType names what an event reports.
type EventType string

// Event types, in the order a run emits them.
const (
	EventRunStarted    EventType = "run_started"
	EventStageStarted  EventType = "stage_started"
	EventStepStarted   EventType = "step_started"
	EventToolCall      EventType = "tool_call"
	EventLLMCall       EventType = "llm_call"
	EventStepFinished  EventType = "step_finished"
	EventStepFailed    EventType = "step_failed"
	EventStepSkipped   EventType = "step_skipped"
	EventStageFinished EventType = "stage_finished"
	EventRunFinished   EventType = "run_finished"
)

// LLMCall is one LLM call with its tokens and durations as the server reported them.
type LLMCall struct {
	Agent            string        `json:"agent,omitempty"` // the agent that made the call
	Model            string        `json:"model"`
	PromptTokens     int64         `json:"prompt_tokens"`
	CompletionTokens int64         `json:"completion_tokens"`
	Total            time.Duration `json:"total"`
	Load             time.Duration `json:"load"`
	PromptEval       time.Duration `json:"prompt_eval"`
	Eval             time.Duration `json:"eval"`
	Wall             time.Duration `json:"wall"`
	Turn             int           `json:"turn"`
	Host             string        `json:"host,omitempty"` // the LLM server that answered
}

// ToolCall is one tool call made by an agent or a tool step.
type ToolCall struct {
	Tool     string        `json:"tool"`
	Args     string        `json:"args,omitempty"`
	Handle   string        `json:"handle,omitempty"`
	Duration time.Duration `json:"duration"`
	Error    string        `json:"error,omitempty"`
}

// Event is one numbered event of a run; Seq is dense from 1.
type Event struct {
	Seq     int64      `json:"seq"`
	RunID   string     `json:"run_id"`
	Time    time.Time  `json:"time"`
	Type    EventType  `json:"type"`
	StepID  string     `json:"step_id,omitempty"`
	Stage   int        `json:"stage"`
	Message string     `json:"message,omitempty"`
	Step    *StepState `json:"step,omitempty"`
	LLM     *LLMCall   `json:"llm,omitempty"`
	Tool    *ToolCall  `json:"tool,omitempty"`
	Run     *Run       `json:"run,omitempty"` // set on run_finished
}

// ClaimCounts counts a report's agent findings by how the numbers in them
// matched the rows of the handles they cite.
type ClaimCounts struct {
	Verified       int `json:"verified"`
	PartlyVerified int `json:"partly_verified"`
	Unverified     int `json:"unverified"`
	NoNumbers      int `json:"no_numbers"`
}
