package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// The wire format of /chat/completions, as far as mrswarm uses it.
type (
	chatRequest struct {
		Model          string          `json:"model"`
		Messages       []message       `json:"messages"`
		Stream         bool            `json:"stream"`
		Temperature    *float64        `json:"temperature,omitempty"`
		Seed           *int            `json:"seed,omitempty"`
		MaxTokens      *int            `json:"max_tokens,omitempty"`
		ResponseFormat *responseFormat `json:"response_format,omitempty"`
		Tools          []tool          `json:"tools,omitempty"`
	}
	// message.Content is a string, or null on an assistant turn that only
	// calls tools (Ollama drops the calls of a turn with string content).
	message struct {
		Role       string     `json:"role"`
		Content    *string    `json:"content"`
		ToolCalls  []toolCall `json:"tool_calls,omitempty"`
		ToolCallID string     `json:"tool_call_id,omitempty"`
	}
	toolCall struct {
		ID       string `json:"id,omitempty"`
		Type     string `json:"type"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"` // JSON text
		} `json:"function"`
	}
	responseFormat struct {
		Type       string     `json:"type"` // "json_schema"
		JSONSchema jsonSchema `json:"json_schema"`
	}
	jsonSchema struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict bool            `json:"strict"`
	}
	tool struct {
		Type     string       `json:"type"` // "function"
		Function toolFunction `json:"function"`
	}
	toolFunction struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	}
	chatResponse struct {
		Model   string `json:"model"`
		Choices []struct {
			Message      message `json:"message"`
			FinishReason string  `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		} `json:"usage"`
	}
)

// Chat sends req as one non-streaming /chat/completions call and returns the
// answer with the server's usage counts and the wall time of the call.
func (c *Client) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	model, err := c.model(req.Model)
	if err != nil {
		return llm.Response{}, err
	}
	creq := c.chatRequest(model, req)
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	var cresp chatResponse
	start := time.Now()
	err = c.do(ctx, "chat", model, http.MethodPost, "/chat/completions", creq, &cresp)
	wall := time.Since(start)
	if err != nil {
		return llm.Response{}, err
	}
	resp, err := response(cresp, wall)
	if err != nil {
		return llm.Response{}, fmt.Errorf("openai: chat %s at %s: %w", model, c.Host(), err)
	}
	resp.Host = c.Host()
	return resp, nil
}

// chatRequest builds the wire request: the client's defaults under the
// request's own options, the schema as response_format, the tools.
func (c *Client) chatRequest(model string, req llm.Request) chatRequest {
	o := merge(c.cfg.Options, req.Options)
	creq := chatRequest{Model: model, Messages: messages(req.Messages),
		Temperature: o.Temperature, Seed: o.Seed, MaxTokens: o.NumPredict}
	if len(req.Format) > 0 {
		creq.ResponseFormat = &responseFormat{Type: "json_schema",
			JSONSchema: jsonSchema{Name: "answer", Schema: req.Format}}
	}
	for _, spec := range req.Tools {
		creq.Tools = append(creq.Tools, tool{Type: "function", Function: toolFunction{
			Name: spec.Name, Description: spec.Description, Parameters: spec.Parameters}})
	}
	return creq
}

// merge returns base with the non-nil fields of over.
func merge(base, over llm.Options) llm.Options {
	if over.NumCtx != nil {
		base.NumCtx = over.NumCtx
	}
	if over.Temperature != nil {
		base.Temperature = over.Temperature
	}
	if over.Seed != nil {
		base.Seed = over.Seed
	}
	if over.NumPredict != nil {
		base.NumPredict = over.NumPredict
	}
	return base
}

// messages converts a conversation. Tool calls get ids ("call_<turn>_<i>")
// and each "tool" message answers the next unanswered call in order, as the
// API requires.
func messages(ms []llm.Message) []message {
	var out []message
	var pending []string // ids of calls not yet answered
	for i, m := range ms {
		wm := message{Role: m.Role}
		if m.Content != "" || len(m.ToolCalls) == 0 {
			wm.Content = &m.Content
		}
		for j, tc := range m.ToolCalls {
			id := "call_" + strconv.Itoa(i) + "_" + strconv.Itoa(j)
			wc := toolCall{ID: id, Type: "function"}
			wc.Function.Name, wc.Function.Arguments = tc.Name, string(tc.Arguments)
			if len(tc.Arguments) == 0 {
				wc.Function.Arguments = "{}"
			}
			wm.ToolCalls = append(wm.ToolCalls, wc)
			pending = append(pending, id)
		}
		if m.Role == "tool" && len(pending) > 0 {
			wm.ToolCallID, pending = pending[0], pending[1:]
		}
		out = append(out, wm)
	}
	return out
}

// response converts the first choice and the usage.
func response(r chatResponse, wall time.Duration) (llm.Response, error) {
	if len(r.Choices) == 0 {
		return llm.Response{}, fmt.Errorf("%w: no choice in the answer", llm.ErrBadResponse)
	}
	choice := r.Choices[0]
	msg := llm.Message{Role: choice.Message.Role}
	if choice.Message.Content != nil {
		msg.Content = *choice.Message.Content
	}
	for _, tc := range choice.Message.ToolCalls {
		args := json.RawMessage(tc.Function.Arguments)
		if !json.Valid(args) {
			return llm.Response{}, fmt.Errorf("%w: arguments of tool call %q are not JSON", llm.ErrBadResponse, tc.Function.Name)
		}
		msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{Name: tc.Function.Name, Arguments: args})
	}
	return llm.Response{
		Model:      r.Model,
		Message:    msg,
		DoneReason: choice.FinishReason,
		Usage: llm.Usage{
			PromptTokens:     r.Usage.PromptTokens,
			CompletionTokens: r.Usage.CompletionTokens,
			Wall:             wall,
		},
	}, nil
}
