package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// callError translates a transport error of operation op on model: context
// errors first (the call was stopped), then everything else the HTTP client
// reports, which means the server could not be reached or broke off.
func (c *Client) callError(ctx context.Context, op, model string, err error) error {
	host := c.Host()
	if ctx.Err() != nil {
		return fmt.Errorf("openai: %s %s at %s: %w", op, model, host, ctx.Err())
	}
	return fmt.Errorf("openai: %s at %s: %w (is the server running there?): %v", op, host, llm.ErrUnavailable, err)
}

// statusError translates a non-2xx answer: a missing model, a server that
// cannot serve (gateway errors, a dead model runner), a failed generation
// (other 5xx: a bad response the agent may retry), or a refused request.
func (c *Client) statusError(ctx context.Context, op, model string, code int, body []byte) error {
	host, msg := c.Host(), errorMessage(body)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("openai: %s %s at %s: %w", op, model, host, ctx.Err())
	case model != "" && isModelMissing(code, msg):
		return fmt.Errorf("openai: %s: %w: %q is not served at %s: %s", op, llm.ErrModelNotFound, model, host, msg)
	case code == http.StatusBadGateway || code == http.StatusServiceUnavailable ||
		code == http.StatusGatewayTimeout || isRunnerGone(msg):
		return fmt.Errorf("openai: %s at %s: %w: %d %s", op, host, llm.ErrUnavailable, code, msg)
	case code >= 500:
		return fmt.Errorf("openai: %s %s at %s: %w: %d %s", op, model, host, llm.ErrBadResponse, code, msg)
	default:
		return fmt.Errorf("openai: %s %s at %s: %d %s", op, model, host, code, msg)
	}
}

// errorMessage extracts the message of an error body: OpenAI and Ollama send
// {"error": {"message": ...}}, vLLM also {"message": ...} at the top.
func errorMessage(body []byte) string {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return strings.TrimSpace(clip(string(body), 300))
	}
	var inner struct {
		Message string `json:"message"`
	}
	var plain string
	switch {
	case json.Unmarshal(e.Error, &inner) == nil && inner.Message != "":
		return inner.Message
	case json.Unmarshal(e.Error, &plain) == nil && plain != "":
		return plain
	case e.Message != "":
		return e.Message
	}
	return strings.TrimSpace(clip(string(body), 300))
}

// isModelMissing reports whether a server said the model does not exist:
// Ollama's "model \"x\" not found, try pulling it first", vLLM's "The model
// `x` does not exist."
// A 404 of a wrong path ("404 page not found") is not a missing model.
func isModelMissing(code int, msg string) bool {
	if strings.Contains(msg, "page not found") {
		return false
	}
	return code == http.StatusNotFound || strings.Contains(msg, "not found") || strings.Contains(msg, "does not exist")
}

// runnerGone are Ollama's messages when the process that holds the model
// died: the server is up but cannot answer.
var runnerGone = []string{
	"llama runner process",
	"error was encountered while running the model",
	"POST predict",
}

func isRunnerGone(msg string) bool {
	for _, m := range runnerGone {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
