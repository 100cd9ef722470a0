// Package llm holds the vocabulary shared by mrswarm's LLM adapters and the
// pipeline that drives them: chat requests, responses with token usage, and
// the errors an adapter reports.
package llm

import (
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors an adapter wraps with details (address tried, model name).
var (
	// ErrUnavailable: the LLM server cannot be reached.
	ErrUnavailable = errors.New("llm: server unavailable")
	// ErrModelNotFound: the model is not present on the server.
	ErrModelNotFound = errors.New("llm: model not found")
	// ErrBadResponse: the server answered with something unusable.
	ErrBadResponse = errors.New("llm: bad response")
)

// Message is one chat message.
type Message struct {
	Role      string     `json:"role"` // "system", "user", "assistant", "tool"
	Content   string     `json:"content"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	ToolName  string     `json:"tool_name,omitempty"` // for role "tool"
}

// ToolCall is a native tool call returned by the model.
type ToolCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// ToolSpec describes a tool offered to a model through native tool calling.
type ToolSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"` // JSON Schema
}

// Options are model options; nil fields keep the model's defaults.
type Options struct {
	NumCtx      *int
	Temperature *float64
	Seed        *int
	NumPredict  *int
}

// Request is one chat call.
type Request struct {
	Model    string
	Messages []Message
	// Format is a JSON Schema that constrains the answer, or nil.
	Format json.RawMessage
	// Tools are offered for native tool calling, or nil.
	Tools     []ToolSpec
	Options   Options
	KeepAlive *time.Duration
}

// Usage is what the server reported for one call, plus the client's wall time.
type Usage struct {
	PromptTokens       int64
	CompletionTokens   int64
	TotalDuration      time.Duration
	LoadDuration       time.Duration
	PromptEvalDuration time.Duration
	EvalDuration       time.Duration
	Wall               time.Duration
}

// Response is the answer to a Request.
type Response struct {
	Model      string
	Message    Message
	DoneReason string // "stop", "length", ...
	Usage      Usage
}

// Capability names reported by a model (Ollama's /api/show "capabilities").
const (
	CapabilityCompletion = "completion"
	CapabilityTools      = "tools"
)
