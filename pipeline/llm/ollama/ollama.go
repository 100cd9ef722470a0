// Package ollama is mrswarm's LLM adapter for an Ollama server, built on
// github.com/ollama/ollama/api (v0.6.5). It speaks the vocabulary of
// pipeline/llm: [Client.Chat] sends one non-streaming chat with an optional
// JSON Schema format and native tools and returns the answer with the token
// counts and durations Ollama reported.
//
// Errors wrap the llm sentinels: a server that cannot be reached, or whose
// model runner died during the call, wraps llm.ErrUnavailable and names the
// address tried; a model the server does not have wraps llm.ErrModelNotFound
// and says `ollama pull <model>`. A per-call timeout or a cancelled context
// stops the HTTP call (Ollama then stops generating), and the error wraps
// context.DeadlineExceeded or context.Canceled. Other server refusals, such
// as tools offered to a model without tool support, keep Ollama's message.
//
// Native tool calls need a model whose template renders .ToolCalls (see
// [Client.Capabilities]); Ollama parses the model's JSON answer into
// tool_calls. Setting Format to a schema of {"name": enum, "arguments": {...}}
// together with Tools makes even a small model answer with a valid call.
package ollama

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/ollama/ollama/api"
)

// DefaultHost is where Ollama listens unless told otherwise.
const DefaultHost = "http://127.0.0.1:11434"

// ErrToolSchema: a tool's parameters do not fit the tool schema of the Ollama
// API (an object whose properties have a type, description and enum).
var ErrToolSchema = errors.New("ollama: tool parameters not supported")

// Config configures a [Client].
type Config struct {
	// Host is the server's URL or host:port; empty means DefaultHost.
	Host string
	// Model is used when a request names none.
	Model string
	// Options are defaults for every request; a request's own options win.
	Options llm.Options
	// KeepAlive is how long the server keeps the model loaded after a call
	// when the request does not say; nil keeps the server's default.
	KeepAlive *time.Duration
	// Timeout bounds each call; 0 means only the caller's context does.
	Timeout time.Duration
	// HTTPClient makes the calls; nil means a new http.Client.
	HTTPClient *http.Client
}

// Client talks to one Ollama server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	api  *api.Client
}

// New returns a client for cfg.Host. It does not contact the server; use
// [Client.Ping] for that.
func New(cfg Config) (*Client, error) {
	base, err := parseHost(cfg.Host)
	if err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	return &Client{cfg: cfg, base: base, api: api.NewClient(base, cfg.HTTPClient)}, nil
}

// parseHost accepts "http://host:port", "host:port" or "host" (port 11434).
func parseHost(host string) (*url.URL, error) {
	if host == "" {
		host = DefaultHost
	}
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("ollama: invalid host %q", host)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "11434")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// Host returns the server's base URL, e.g. "http://127.0.0.1:11434".
func (c *Client) Host() string { return c.base.String() }

// Ping asks the server for its version: nil when it answers.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if _, err := c.api.Version(ctx); err != nil {
		return c.callError(ctx, "ping", "", err)
	}
	return nil
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
		return "", errors.New("ollama: no model given and no default model configured")
	}
	return name, nil
}
