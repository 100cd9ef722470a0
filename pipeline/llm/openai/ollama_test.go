package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// These tests talk to the pinned `ollama serve` with the tiny model through
// its OpenAI-compatible /v1 endpoint.

func TestMain(m *testing.M) { ollamatest.Main(m) }

// tinyOptions: deterministic sampling and room for a schema-bounded answer.
func tinyOptions() llm.Options {
	predict, temp, seed := 512, 0.0, 42
	return llm.Options{NumPredict: &predict, Temperature: &temp, Seed: &seed}
}

// usageRecorder is an http.RoundTripper that sums the usage fields of every
// /chat/completions answer exactly as the server sent them.
type usageRecorder struct {
	mu                 sync.Mutex // guards the counts
	calls              int
	prompt, completion int64
}

func (u *usageRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/chat/completions") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var r struct {
		Usage struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &r); err == nil {
		u.mu.Lock()
		u.calls++
		u.prompt += r.Usage.PromptTokens
		u.completion += r.Usage.CompletionTokens
		u.mu.Unlock()
	}
	return resp, nil
}

func (u *usageRecorder) totals() (calls int, prompt, completion int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls, u.prompt, u.completion
}

func newClient(t testing.TB, srv *ollamatest.Server, rec *usageRecorder) *Client {
	t.Helper()
	cfg := Config{BaseURL: srv.Host + "/v1", Model: srv.Model, Options: tinyOptions(), Timeout: 5 * time.Minute}
	if rec != nil {
		cfg.HTTPClient = &http.Client{Transport: rec}
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A JSON Schema in Format constrains the answer through response_format, and
// the usage comes from the server's answer.
func TestChatSchemaConstrained(t *testing.T) {
	srv := ollamatest.Shared(t)
	rec := &usageRecorder{}
	c := newClient(t, srv, rec)
	schema := json.RawMessage(`{"type":"object","properties":{"brand":{"type":"string","enum":["Coca-Cola","Pepsi","Red Bull"]}},"required":["brand"]}`)
	resp, err := c.Chat(t.Context(), llm.Request{
		Messages: []llm.Message{{Role: "user", Content: "Which brand sells most? Answer as JSON."}},
		Format:   schema,
	})
	if err != nil {
		t.Fatal(err)
	}
	var ans struct{ Brand string }
	if err := json.Unmarshal([]byte(resp.Message.Content), &ans); err != nil {
		t.Fatalf("answer %q is not JSON: %v", resp.Message.Content, err)
	}
	if ans.Brand != "Coca-Cola" && ans.Brand != "Pepsi" && ans.Brand != "Red Bull" {
		t.Errorf("brand %q is outside the schema's enum", ans.Brand)
	}
	calls, prompt, completion := rec.totals()
	if calls != 1 || resp.Usage.PromptTokens != prompt || resp.Usage.CompletionTokens != completion || prompt == 0 || completion == 0 {
		t.Errorf("usage %+v, server sent prompt %d completion %d in %d answers", resp.Usage, prompt, completion, calls)
	}
	if resp.Host != srv.Host+"/v1" || resp.Usage.Wall <= 0 || resp.DoneReason == "" {
		t.Errorf("host %q wall %v done %q", resp.Host, resp.Usage.Wall, resp.DoneReason)
	}
}

// Native tools go out as "tools"; the tools model answers with a call whose
// arguments fit the schema.
func TestChatNativeTools(t *testing.T) {
	srv := ollamatest.Shared(t)
	c := newClient(t, srv, nil)
	params := json.RawMessage(`{"type":"object","properties":{"region":{"type":"string","enum":["North","South"]}},"required":["region"]}`)
	// The tiny model only calls a tool when the format makes it: the same
	// schema-with-tools trick the agent's native mode uses.
	format := json.RawMessage(`{"type":"object","properties":{"name":{"type":"string","enum":["regional_sales"]},"arguments":` +
		string(params) + `},"required":["name","arguments"]}`)
	resp, err := c.Chat(t.Context(), llm.Request{
		Model:    srv.ToolsModel,
		Messages: []llm.Message{{Role: "user", Content: "Sales of the North region?"}},
		Tools:    []llm.ToolSpec{{Name: "regional_sales", Description: "sales by region", Parameters: params}},
		Format:   format,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Message.ToolCalls) != 1 || resp.Message.ToolCalls[0].Name != "regional_sales" {
		t.Fatalf("answer %+v, want one regional_sales call", resp.Message)
	}
	var args struct{ Region string }
	if err := json.Unmarshal(resp.Message.ToolCalls[0].Arguments, &args); err != nil || (args.Region != "North" && args.Region != "South") {
		t.Errorf("arguments %s: %v", resp.Message.ToolCalls[0].Arguments, err)
	}
}

func TestModelsAndMissingModel(t *testing.T) {
	srv := ollamatest.Shared(t)
	c := newClient(t, srv, nil)
	models, err := c.Models(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(models, " "), srv.Model) {
		t.Errorf("models %v lack %s", models, srv.Model)
	}
	_, err = c.Chat(t.Context(), llm.Request{Model: "no-such-model",
		Messages: []llm.Message{{Role: "user", Content: "hi"}}})
	if !errors.Is(err, llm.ErrModelNotFound) || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("err = %v, want ErrModelNotFound naming %s", err, srv.Addr)
	}
}

// A generation without a token limit never ends on this model: only the
// cancellation or the timeout can end the call, and the server goes on.
func TestStopMidCall(t *testing.T) {
	srv := ollamatest.Shared(t)
	c := newClient(t, srv, nil)
	endless := -1
	req := llm.Request{Messages: []llm.Message{{Role: "user", Content: "Write forever."}},
		Options: llm.Options{NumPredict: &endless}}
	hi := llm.Request{Messages: []llm.Message{{Role: "user", Content: "warm up"}}}
	if _, err := c.Chat(t.Context(), hi); err != nil {
		t.Fatal(err) // the model is loaded: the calls below stop mid-generation
	}
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(300*time.Millisecond, cancel)
		if _, err := c.Chat(ctx, req); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		short, err := New(Config{BaseURL: srv.Host + "/v1", Model: srv.Model, Options: tinyOptions(), Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := short.Chat(t.Context(), req); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
	})
	if _, err := c.Chat(t.Context(), hi); err != nil {
		t.Errorf("chat after the stopped calls: %v", err)
	}
}

func TestStoppedServer(t *testing.T) {
	srv := ollamatest.Start(t)
	c := newClient(t, srv, nil)
	if err := c.Ping(t.Context()); err != nil {
		t.Fatalf("ping before stop: %v", err)
	}
	srv.Stop()
	_, err := c.Chat(t.Context(), llm.Request{Messages: []llm.Message{{Role: "user", Content: "hi"}}})
	if !errors.Is(err, llm.ErrUnavailable) || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("err = %v, want ErrUnavailable naming %s", err, srv.Addr)
	}
}
