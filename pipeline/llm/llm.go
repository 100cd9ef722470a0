// Package llm is the pipeline's seam to language models: the [Client]
// interface the agent loop calls, its chat requests, responses with token
// usage and options, and the errors a backend reports. Each backend lives in
// its own subpackage (ollama); llmtest holds a scripted Client for tests.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"
)

// Client is what the pipeline needs from a model server. Implementations are
// safe for concurrent use.
type Client interface {
	// Chat sends one non-streaming chat call.
	Chat(ctx context.Context, req Request) (Response, error)
	// Capabilities lists what model supports (e.g. [CapabilityTools]).
	Capabilities(ctx context.Context, model string) ([]string, error)
}

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
	// Host is the base URL of the server that answered.
	Host string
}

// Capability names reported by a model (Ollama's /api/show "capabilities").
const (
	CapabilityCompletion = "completion"
	CapabilityTools      = "tools"
)

// CapabilityCache is a [Client] that remembers each model's capabilities after
// the first successful answer; chats go straight through.
type CapabilityCache struct {
	Client
	mu   sync.Mutex // guards caps
	caps map[string][]string
}

// NewCapabilityCache returns c with a capabilities cache of its own.
func NewCapabilityCache(c Client) *CapabilityCache {
	return &CapabilityCache{Client: c, caps: map[string][]string{}}
}

// Capabilities returns model's capabilities, asking the server only the first time.
func (c *CapabilityCache) Capabilities(ctx context.Context, model string) ([]string, error) {
	c.mu.Lock()
	caps, ok := c.caps[model]
	c.mu.Unlock()
	if ok {
		return slices.Clone(caps), nil
	}
	caps, err := c.Client.Capabilities(ctx, model)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.caps[model] = slices.Clone(caps)
	c.mu.Unlock()
	return caps, nil
}
