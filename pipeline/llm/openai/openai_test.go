package openai

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

func TestChatRequest(t *testing.T) {
	ptr := func(v int) *int { return &v }
	temp0 := 0.0
	c, err := New(Config{BaseURL: "http://x:8000/v1", Model: "base",
		Options: llm.Options{NumCtx: ptr(2048), Temperature: &temp0, NumPredict: ptr(64)}})
	if err != nil {
		t.Fatal(err)
	}
	req := llm.Request{
		Messages: []llm.Message{
			{Role: "user", Content: "top brands?"},
			{Role: "assistant", ToolCalls: []llm.ToolCall{
				{Name: "top_brands", Arguments: json.RawMessage(`{"n":3}`)}, {Name: "kpi"}}},
			{Role: "tool", Content: "handle h1", ToolName: "top_brands"},
			{Role: "tool", Content: "handle h2", ToolName: "kpi"},
		},
		Format:  json.RawMessage(`{"type":"object"}`),
		Tools:   []llm.ToolSpec{{Name: "kpi", Description: "KPIs", Parameters: json.RawMessage(`{"type":"object"}`)}},
		Options: llm.Options{NumPredict: ptr(8), Seed: ptr(7)},
	}
	got, err := json.Marshal(c.chatRequest("m1", req))
	if err != nil {
		t.Fatal(err)
	}
	// temperature 0 must be sent: servers default to 1 when it is absent.
	want := `{"model":"m1","messages":[
		{"role":"user","content":"top brands?"},
		{"role":"assistant","content":null,"tool_calls":[
			{"id":"call_1_0","type":"function","function":{"name":"top_brands","arguments":"{\"n\":3}"}},
			{"id":"call_1_1","type":"function","function":{"name":"kpi","arguments":"{}"}}]},
		{"role":"tool","content":"handle h1","tool_call_id":"call_1_0"},
		{"role":"tool","content":"handle h2","tool_call_id":"call_1_1"}],
		"stream":false,"temperature":0,"seed":7,"max_tokens":8,
		"response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"},"strict":false}},
		"tools":[{"type":"function","function":{"name":"kpi","description":"KPIs","parameters":{"type":"object"}}}]}`
	var gotV, wantV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &wantV); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantV, gotV); diff != "" {
		t.Errorf("wire request (-want +got):\n%s", diff)
	}
}

func TestNewParsesBaseURL(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"http://vllm:8000/v1", "http://vllm:8000/v1", false},
		{"http://vllm:8000/v1/", "http://vllm:8000/v1", false},
		{"http://vllm:8000", "http://vllm:8000/v1", false},
		{"127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1", false},
		{"", "", true},
		{"ftp://x:1/v1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := New(Config{BaseURL: tt.in})
			if (err != nil) != tt.wantErr {
				t.Fatalf("New(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && c.Host() != tt.want {
				t.Errorf("Host() = %q, want %q", c.Host(), tt.want)
			}
		})
	}
}

func TestStatusErrorClassifies(t *testing.T) {
	c, err := New(Config{BaseURL: "http://127.0.0.1:9/v1"})
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		code int
		body string
		want error // nil: none of the sentinels
	}{
		{"cancelled wins", cancelled, 503, `{}`, context.Canceled},
		{"ollama missing model", t.Context(), 404,
			`{"error":{"message":"model \"x\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`, llm.ErrModelNotFound},
		{"vllm missing model", t.Context(), 404,
			`{"object":"error","message":"The model ` + "`x`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}`, llm.ErrModelNotFound},
		{"wrong path", t.Context(), 404, `404 page not found`, nil},
		{"gateway down", t.Context(), 502, `bad gateway`, llm.ErrUnavailable},
		{"overloaded", t.Context(), 503, `{"error":{"message":"server busy"}}`, llm.ErrUnavailable},
		{"runner died", t.Context(), 500, `{"error":{"message":"llama runner process has terminated: exit status 2"}}`, llm.ErrUnavailable},
		{"generation failed", t.Context(), 500, `{"error":{"message":"unexpected end"}}`, llm.ErrBadResponse},
		{"refused request", t.Context(), 400, `{"error":{"message":"x does not support tools"}}`, nil},
	}
	sentinels := []error{context.Canceled, llm.ErrUnavailable, llm.ErrModelNotFound, llm.ErrBadResponse}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.statusError(tt.ctx, "chat", "x", tt.code, []byte(tt.body))
			for _, s := range sentinels {
				if errors.Is(got, s) != (s == tt.want) {
					t.Errorf("statusError = %v; errors.Is(%v) = %v", got, s, !(s == tt.want))
				}
			}
			if !strings.Contains(got.Error(), "127.0.0.1:9") {
				t.Errorf("statusError = %v, does not name the address", got)
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
	c, err := New(Config{BaseURL: "http://" + addr + "/v1", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"models": func() error { _, err := c.Models(t.Context()); return err },
		"chat": func() error {
			_, err := c.Chat(t.Context(), llm.Request{Messages: []llm.Message{{Role: "user", Content: "hi"}}})
			return err
		},
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

func TestResponseWithoutChoiceIsBad(t *testing.T) {
	if _, err := response(chatResponse{}, 0); !errors.Is(err, llm.ErrBadResponse) {
		t.Errorf("err = %v, want ErrBadResponse", err)
	}
}
