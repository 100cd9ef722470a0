package ollama

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/ollama/ollama/api"
)

// callError translates an error of the api client for operation op on model:
// context errors first (the call was stopped), then transport errors
// (unavailable), then a missing model. Anything else keeps its message.
func (c *Client) callError(ctx context.Context, op, model string, err error) error {
	host := c.Host()
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("ollama: %s %s at %s: %w", op, model, host, ctx.Err())
	case isTransport(err) || isRunnerGone(err):
		return fmt.Errorf("ollama: %s at %s: %w (is `ollama serve` running there?): %v", op, host, llm.ErrUnavailable, err)
	case isNotFound(err):
		return fmt.Errorf("ollama: %s: %w: %q is not on the server at %s (run `ollama pull %s`)",
			op, llm.ErrModelNotFound, model, host, model)
	default:
		return fmt.Errorf("ollama: %s %s at %s: %w", op, model, host, err)
	}
}

// isTransport reports whether err came from the HTTP transport: connection
// refused, unreachable host, a server that died mid-answer.
func isTransport(err error) bool {
	var uerr *url.Error
	return errors.As(err, &uerr)
}

// runnerGone are the messages of Ollama v0.6.5 when the runner process that
// holds the model died or cannot be reached: the server is up but cannot
// answer, which a caller handles like an unreachable server.
var runnerGone = []string{
	"llama runner process",                          // has terminated / no longer running
	"error was encountered while running the model", // runner died mid-answer
	"POST predict",                                  // runner unreachable
}

// isRunnerGone reports whether err says the model's runner died.
func isRunnerGone(err error) bool {
	for _, msg := range runnerGone {
		if strings.Contains(err.Error(), msg) {
			return true
		}
	}
	return false
}

// isNotFound reports whether the server said the model does not exist. The
// api client keeps the status code for plain calls (/api/show) but turns an
// error line of a chat into a bare message: "model \"x\" not found, try
// pulling it first".
func isNotFound(err error) bool {
	var serr api.StatusError
	if errors.As(err, &serr) && serr.StatusCode == http.StatusNotFound {
		return true
	}
	return strings.Contains(err.Error(), "not found")
}
