package ollama

import (
	"context"
	"strings"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/ollama/ollama/api"
)

// Capabilities returns what the model reports through /api/show, e.g.
// ["completion", "tools"]; an empty model means the default one. For a
// server that does not send the "capabilities" field (v0.6.5 does), the
// answer is derived the way Ollama derives it: "completion", plus "tools"
// when the model's template mentions .Tools.
func (c *Client) Capabilities(ctx context.Context, model string) ([]string, error) {
	model, err := c.model(model)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	show, err := c.api.Show(ctx, &api.ShowRequest{Model: model})
	if err != nil {
		return nil, c.callError(ctx, "show", model, err)
	}
	return capabilities(show), nil
}

func capabilities(show *api.ShowResponse) []string {
	if len(show.Capabilities) > 0 {
		caps := make([]string, len(show.Capabilities))
		for i, c := range show.Capabilities {
			caps[i] = string(c)
		}
		return caps
	}
	caps := []string{llm.CapabilityCompletion}
	if strings.Contains(show.Template, ".Tools") {
		caps = append(caps, llm.CapabilityTools)
	}
	return caps
}
