package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxBody bounds a response body read into memory.
const maxBody = 32 << 20

// do sends one request for operation op on model and decodes a 2xx answer
// into out; every error is classified by [Client.callError].
func (c *Client) do(ctx context.Context, op, model, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("openai: %s: encode request: %w", op, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Host()+path, body)
	if err != nil {
		return fmt.Errorf("openai: %s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return c.callError(ctx, op, model, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return c.callError(ctx, op, model, err)
	}
	if resp.StatusCode/100 != 2 {
		return c.statusError(ctx, op, model, resp.StatusCode, data)
	}
	if err := decodeJSON(data, out); err != nil {
		return fmt.Errorf("openai: %s %s at %s: %w", op, model, c.Host(), err)
	}
	return nil
}
