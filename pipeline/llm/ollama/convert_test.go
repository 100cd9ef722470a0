package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"
)

// readJSON decodes a testdata file into v.
func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// The documented tool-call answer of Ollama's /api/chat (docs/api.md of
// v0.6.5, "Chat request (with tools)"), copied verbatim into testdata.
func TestResponseFromDocumentedToolCall(t *testing.T) {
	var r api.ChatResponse
	readJSON(t, "tools_response.json", &r)
	got, err := response(r, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := llm.Response{
		Model: "llama3.2",
		Message: llm.Message{Role: "assistant", ToolCalls: []llm.ToolCall{{
			Name:      "get_current_weather",
			Arguments: json.RawMessage(`{"format":"celsius","location":"Paris, FR"}`),
		}}},
		DoneReason: "stop",
		Usage: llm.Usage{
			PromptTokens: 122, CompletionTokens: 33,
			TotalDuration: 885095291, LoadDuration: 3753500,
			PromptEvalDuration: 328493000, EvalDuration: 552222000,
			Wall: 2 * time.Second,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

// The documented tool-call request: a ToolSpec carrying the same schema
// must produce the same api.Tool.
func TestToolMatchesDocumentedRequest(t *testing.T) {
	var doc api.ChatRequest
	readJSON(t, "tools_request.json", &doc)
	var raw struct {
		Tools []struct {
			Function struct {
				Name, Description string
				Parameters        json.RawMessage
			}
		}
	}
	readJSON(t, "tools_request.json", &raw)
	spec := llm.ToolSpec{
		Name:        raw.Tools[0].Function.Name,
		Description: raw.Tools[0].Function.Description,
		Parameters:  raw.Tools[0].Function.Parameters,
	}
	got, err := tool(spec)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc.Tools[0], got); diff != "" {
		t.Errorf("tool (-documented +got):\n%s", diff)
	}
}

func TestToolRejectsUnsupportedSchema(t *testing.T) {
	_, err := tool(llm.ToolSpec{Name: "x", Parameters: json.RawMessage(
		`{"type":"object","properties":{"n":{"type":["integer","null"]}}}`)})
	if !errors.Is(err, ErrToolSchema) {
		t.Errorf("err = %v, want ErrToolSchema", err)
	}
}

func TestChatRequest(t *testing.T) {
	ptr := func(v int) *int { return &v }
	temp0, minute, hour := 0.0, time.Minute, time.Hour
	c, err := New(Config{
		Model:     "base",
		Options:   llm.Options{NumCtx: ptr(2048), Temperature: &temp0, NumPredict: ptr(64)},
		KeepAlive: &hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	req := llm.Request{
		Messages: []llm.Message{
			{Role: "user", Content: "top brands?"},
			{Role: "assistant", ToolCalls: []llm.ToolCall{{Name: "top_brands", Arguments: json.RawMessage(`{"n":3}`)}}},
			{Role: "tool", Content: "handle h1", ToolName: "top_brands"},
		},
		Format:    json.RawMessage(`{"type":"object"}`),
		Options:   llm.Options{NumPredict: ptr(8), Seed: ptr(7)},
		KeepAlive: &minute,
	}
	got, err := c.chatRequest("m1", req)
	if err != nil {
		t.Fatal(err)
	}
	stream := false
	want := &api.ChatRequest{
		Model:  "m1",
		Stream: &stream,
		Messages: []api.Message{
			{Role: "user", Content: "top brands?"},
			{Role: "assistant", ToolCalls: []api.ToolCall{{Function: api.ToolCallFunction{
				Name: "top_brands", Arguments: api.ToolCallFunctionArguments{"n": 3.0}}}}},
			{Role: "tool", Content: "handle h1"},
		},
		Format:    json.RawMessage(`{"type":"object"}`),
		KeepAlive: &api.Duration{Duration: time.Minute},
		Options:   map[string]any{"num_ctx": 2048, "temperature": 0.0, "num_predict": 8, "seed": 7},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chat request (-want +got):\n%s", diff)
	}
}

func TestNewParsesHost(t *testing.T) {
	tests := []struct {
		host, want string
		wantErr    bool
	}{
		{"", "http://127.0.0.1:11434", false},
		{"127.0.0.1:5000", "http://127.0.0.1:5000", false},
		{"localhost", "http://localhost:11434", false},
		{"http://ollama.internal:8080/", "http://ollama.internal:8080", false},
		{"https://[::1]:443", "https://[::1]:443", false},
		{"ftp://x:1", "", true},
		{"http://", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			c, err := New(Config{Host: tt.host})
			if (err != nil) != tt.wantErr {
				t.Fatalf("New(%q) error = %v, want error %v", tt.host, err, tt.wantErr)
			}
			if err == nil && c.Host() != tt.want {
				t.Errorf("Host() = %q, want %q", c.Host(), tt.want)
			}
		})
	}
}

func TestCapabilitiesFromShow(t *testing.T) {
	tests := []struct {
		name string
		show api.ShowResponse
		want []string
	}{
		{"reported", api.ShowResponse{
			Capabilities: []model.Capability{model.CapabilityCompletion, model.CapabilityTools},
		}, []string{"completion", "tools"}},
		{"reported wins over template", api.ShowResponse{
			Capabilities: []model.Capability{model.CapabilityCompletion},
			Template:     "{{ .Tools }}",
		}, []string{"completion"}},
		{"derived with tools", api.ShowResponse{
			Template: "{{ if .Tools }}{{ range .Tools }}{{ . }}{{ end }}{{ end }}{{ .Prompt }}",
		}, []string{"completion", "tools"}},
		{"derived plain", api.ShowResponse{Template: "{{ .Prompt }}"}, []string{"completion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, capabilities(&tt.show)); diff != "" {
				t.Errorf("capabilities (-want +got):\n%s", diff)
			}
		})
	}
}

// An address nothing listens on: the error wraps ErrUnavailable and names it.
func TestUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := New(Config{Host: addr, Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"ping": func() error { return c.Ping(t.Context()) },
		"chat": func() error { _, err := c.Chat(t.Context(), llm.Request{}); return err },
		"show": func() error { _, err := c.Capabilities(t.Context(), ""); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, llm.ErrUnavailable) || !strings.Contains(err.Error(), addr) {
				t.Errorf("err = %v, want ErrUnavailable naming %s", err, addr)
			}
		})
	}
}

func TestCallErrorClassifies(t *testing.T) {
	c, err := New(Config{Host: "127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	refused := &url.Error{Op: "Post", URL: "http://127.0.0.1:9/api/chat", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want error // nil: none of the sentinels
	}{
		{"cancelled wins", cancelled, refused, context.Canceled},
		{"connection refused", t.Context(), refused, llm.ErrUnavailable},
		{"runner died", t.Context(), errors.New("an error was encountered while running the model: unexpected EOF"), llm.ErrUnavailable},
		{"runner terminated", t.Context(), errors.New("llama runner process has terminated: exit status 2"), llm.ErrUnavailable},
		{"show 404", t.Context(), api.StatusError{StatusCode: 404, ErrorMessage: "model 'x' not found"}, llm.ErrModelNotFound},
		{"chat not found", t.Context(), errors.New(`model "x" not found, try pulling it first`), llm.ErrModelNotFound},
		{"other", t.Context(), errors.New(`"x" does not support tools`), nil},
	}
	sentinels := []error{context.Canceled, llm.ErrUnavailable, llm.ErrModelNotFound}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.callError(tt.ctx, "chat", "x", tt.err)
			for _, s := range sentinels {
				if errors.Is(got, s) != (s == tt.want) {
					t.Errorf("callError = %v; errors.Is(%v) = %v", got, s, !(s == tt.want))
				}
			}
			if !strings.Contains(got.Error(), "127.0.0.1:9") {
				t.Errorf("callError = %v, does not name the address", got)
			}
		})
	}
}
