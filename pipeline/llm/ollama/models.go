package ollama

import "context"

// Models lists the models the server has (GET /api/tags), e.g.
// ["llama3.2:latest"].
func (c *Client) Models(ctx context.Context) ([]string, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	list, err := c.api.List(ctx)
	if err != nil {
		return nil, c.callError(ctx, "list models", "", err)
	}
	names := make([]string, len(list.Models))
	for i, m := range list.Models {
		names[i] = m.Name
	}
	return names, nil
}
