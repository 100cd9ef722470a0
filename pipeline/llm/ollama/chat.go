package ollama

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/ollama/ollama/api"
)

// Chat sends req as one non-streaming /api/chat call and returns the answer
// with Ollama's token counts and durations and the wall time of the call.
// req.Format goes to Ollama's format (a JSON Schema constrains the answer),
// req.Tools to its tools; native tool calls come back in Message.ToolCalls.
func (c *Client) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	model, err := c.model(req.Model)
	if err != nil {
		return llm.Response{}, err
	}
	areq, err := c.chatRequest(model, req)
	if err != nil {
		return llm.Response{}, err
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	var final *api.ChatResponse
	start := time.Now()
	err = c.api.Chat(ctx, areq, func(r api.ChatResponse) error {
		final = &r
		return nil
	})
	wall := time.Since(start)
	if err != nil {
		return llm.Response{}, c.callError(ctx, "chat", model, err)
	}
	if final == nil || !final.Done {
		// The api client ends quietly when the body breaks off.
		if ctx.Err() != nil {
			return llm.Response{}, c.callError(ctx, "chat", model, ctx.Err())
		}
		return llm.Response{}, fmt.Errorf("ollama: chat %s at %s: %w: no final answer", model, c.Host(), llm.ErrBadResponse)
	}
	resp, err := response(*final, wall)
	if err != nil {
		return llm.Response{}, fmt.Errorf("ollama: chat %s at %s: %w", model, c.Host(), err)
	}
	resp.Host = c.Host()
	return resp, nil
}

// chatRequest builds the api request: the client's defaults under the
// request's own options and keep-alive.
func (c *Client) chatRequest(model string, req llm.Request) (*api.ChatRequest, error) {
	stream := false
	areq := &api.ChatRequest{
		Model:   model,
		Stream:  &stream,
		Format:  req.Format,
		Options: options(c.cfg.Options, req.Options),
	}
	if keep := firstNonNil(req.KeepAlive, c.cfg.KeepAlive); keep != nil {
		areq.KeepAlive = &api.Duration{Duration: *keep}
	}
	for _, m := range req.Messages {
		am, err := message(m)
		if err != nil {
			return nil, err
		}
		areq.Messages = append(areq.Messages, am)
	}
	for _, spec := range req.Tools {
		tool, err := tool(spec)
		if err != nil {
			return nil, err
		}
		areq.Tools = append(areq.Tools, tool)
	}
	return areq, nil
}

// options merges base and over into Ollama's option map; over wins.
func options(base, over llm.Options) map[string]any {
	opts := map[string]any{}
	put(opts, "num_ctx", over.NumCtx, base.NumCtx)
	put(opts, "temperature", over.Temperature, base.Temperature)
	put(opts, "seed", over.Seed, base.Seed)
	put(opts, "num_predict", over.NumPredict, base.NumPredict)
	if len(opts) == 0 {
		return nil
	}
	return opts
}

// put sets opts[key] to the first non-nil value of ps.
func put[T any](opts map[string]any, key string, ps ...*T) {
	if p := firstNonNil(ps...); p != nil {
		opts[key] = *p
	}
}

func firstNonNil[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

// message converts a chat message, including the tool calls of an
// assistant turn. Ollama v0.6.5 has no tool name on "tool" messages; only
// their content is sent.
func message(m llm.Message) (api.Message, error) {
	am := api.Message{Role: m.Role, Content: m.Content}
	for _, tc := range m.ToolCalls {
		var args api.ToolCallFunctionArguments
		if len(tc.Arguments) > 0 {
			if err := json.Unmarshal(tc.Arguments, &args); err != nil {
				return api.Message{}, fmt.Errorf("ollama: arguments of tool call %q: %w", tc.Name, err)
			}
		}
		am.ToolCalls = append(am.ToolCalls, api.ToolCall{
			Function: api.ToolCallFunction{Name: tc.Name, Arguments: args},
		})
	}
	return am, nil
}

// tool converts a tool spec. Ollama v0.6.5's API models parameters as an
// object whose properties carry only type, description and enum; other
// schema keywords (minimum, items, nested objects) are dropped, and a
// property whose type is not a single string wraps [ErrToolSchema].
func tool(spec llm.ToolSpec) (api.Tool, error) {
	t := api.Tool{Type: "function"}
	t.Function.Name = spec.Name
	t.Function.Description = spec.Description
	if len(spec.Parameters) > 0 {
		if err := json.Unmarshal(spec.Parameters, &t.Function.Parameters); err != nil {
			return api.Tool{}, fmt.Errorf("%w: tool %q: %v", ErrToolSchema, spec.Name, err)
		}
	}
	return t, nil
}

// response converts Ollama's final chat answer.
func response(r api.ChatResponse, wall time.Duration) (llm.Response, error) {
	msg := llm.Message{Role: r.Message.Role, Content: r.Message.Content}
	for _, tc := range r.Message.ToolCalls {
		args, err := json.Marshal(tc.Function.Arguments)
		if err != nil {
			return llm.Response{}, fmt.Errorf("%w: arguments of tool call %q: %v", llm.ErrBadResponse, tc.Function.Name, err)
		}
		msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{Name: tc.Function.Name, Arguments: args})
	}
	return llm.Response{
		Model:      r.Model,
		Message:    msg,
		DoneReason: r.DoneReason,
		Usage: llm.Usage{
			PromptTokens:       int64(r.PromptEvalCount),
			CompletionTokens:   int64(r.EvalCount),
			TotalDuration:      r.TotalDuration,
			LoadDuration:       r.LoadDuration,
			PromptEvalDuration: r.PromptEvalDuration,
			EvalDuration:       r.EvalDuration,
			Wall:               wall,
		},
	}, nil
}
