// Package openai is mrswarm's LLM adapter for servers that speak the
// OpenAI-compatible chat API: vLLM, the llama.cpp server, Ollama's own /v1
// endpoint. It implements llm.Client: [Client.Chat] sends one
// non-streaming /chat/completions call, a request's JSON Schema goes out as
// response_format {"type": "json_schema"} (the server's structured output
// constrains the answer) and its tools as "tools"; the token counts come from
// the response's usage.
//
// It behaves like the Ollama adapter: a server that cannot be reached, or
// answers 502/503/504 or says its model runner died, wraps llm.ErrUnavailable
// and names the address; a model the server does not have wraps
// llm.ErrModelNotFound; an answer that broke off or cannot be decoded wraps
// llm.ErrBadResponse (the agent retries those, bounded, with the problem fed
// back); a cancelled context stops the HTTP call and the error wraps
// context.Canceled or context.DeadlineExceeded. The adapter itself never
// retries: the agent's bounded retries and the pool's one retry on another
// host are the only ones.
//
// The API has no context-length option: num_ctx is the server's setting
// (vLLM's --max-model-len, Ollama's OLLAMA_CONTEXT_LENGTH).
package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// Config configures a [Client].
type Config struct {
	// BaseURL is the API root, e.g. "http://vllm:8000/v1"; a URL without a
	// path gets "/v1".
	BaseURL string
	// Model is used when a request names none.
	Model string
	// APIKey is sent as a bearer token when set (vLLM's --api-key).
	APIKey string
	// Options are defaults for every request; a request's own options win.
	Options llm.Options
	// NativeTools says the server runs its models with native tool calling
	// (vLLM's --enable-auto-tool-choice); [Client.Capabilities] then reports
	// "tools".
	NativeTools bool
	// Timeout bounds each call; 0 means only the caller's context does.
	Timeout time.Duration
	// HTTPClient makes the calls; nil means a new http.Client.
	HTTPClient *http.Client
}

// Client talks to one OpenAI-compatible server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
}

// New returns a client for cfg.BaseURL. It does not contact the server; use
// [Client.Ping] or [Client.Models] for that.
func New(cfg Config) (*Client, error) {
	base, err := parseBase(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	return &Client{cfg: cfg, base: base}, nil
}

// parseBase accepts "http://host:port[/path]" or "host:port[/path]".
func parseBase(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("openai: no base URL (e.g. http://127.0.0.1:8000/v1)")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("openai: invalid base URL %q", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = "/v1"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// Host returns the API root, e.g. "http://127.0.0.1:8000/v1".
func (c *Client) Host() string { return c.base.String() }

// Capabilities reports "completion", plus "tools" when the client was
// configured with NativeTools: the OpenAI API has no way to ask.
func (c *Client) Capabilities(_ context.Context, _ string) ([]string, error) {
	if c.cfg.NativeTools {
		return []string{llm.CapabilityCompletion, llm.CapabilityTools}, nil
	}
	return []string{llm.CapabilityCompletion}, nil
}

// Models lists the models the server serves (GET /models).
func (c *Client) Models(ctx context.Context) ([]string, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := c.do(ctx, "models", "", http.MethodGet, "/models", nil, &list); err != nil {
		return nil, err
	}
	names := make([]string, len(list.Data))
	for i, m := range list.Data {
		names[i] = m.ID
	}
	return names, nil
}

// Ping lists the models: nil when the server answers.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.Models(ctx)
	return err
}

// callContext applies the per-call timeout.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.cfg.Timeout > 0 {
		return context.WithTimeout(ctx, c.cfg.Timeout)
	}
	return context.WithCancel(ctx)
}

// model returns the request's model or the default one.
func (c *Client) model(name string) (string, error) {
	if name == "" {
		name = c.cfg.Model
	}
	if name == "" {
		return "", fmt.Errorf("openai: no model given and no default model configured")
	}
	return name, nil
}

// decodeJSON decodes body into v; a broken body is a bad response.
func decodeJSON(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %v", llm.ErrBadResponse, err)
	}
	return nil
}
