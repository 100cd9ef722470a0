package ollama_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/ollama"
	"github.com/ollama/ollama/api"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

// newClient returns a client for the package's shared server.
func newClient(t testing.TB) (*ollama.Client, *ollamatest.Server) {
	t.Helper()
	srv := ollamatest.Shared(t)
	c, err := ollama.New(ollama.Config{Host: srv.Host, Model: srv.Model, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func user(content string) []llm.Message {
	return []llm.Message{{Role: "user", Content: content}}
}

// validate fails t unless doc is valid JSON satisfying schema.
func validate(t *testing.T, schema json.RawMessage, doc string) {
	t.Helper()
	s, err := jsonschema.UnmarshalJSON(strings.NewReader(string(schema)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", s); err != nil {
		t.Fatal(err)
	}
	compiled, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, doc)
	}
	if err := compiled.Validate(v); err != nil {
		t.Fatalf("answer does not satisfy the schema: %v\n%s", err, doc)
	}
}

func TestChatFollowsSchema(t *testing.T) {
	c, _ := newClient(t)
	tests := []struct {
		name   string
		prompt string
		schema string
	}{
		{"enum and bounded integer", "Which brand sells most?", `{"type":"object",
			"properties":{"brand":{"type":"string","enum":["Coca-Cola","Pepsi","Red Bull"]},
			"units":{"type":"integer","minimum":0,"maximum":999}},
			"required":["brand","units"],"additionalProperties":false}`},
		{"tool call or answer", "Pick a tool.", `{"type":"object",
			"properties":{"tool":{"type":"string","enum":["top_brands","sales_by_region","final_answer"]},
			"args":{"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":10}},
			"required":["limit"],"additionalProperties":false}},
			"required":["tool","args"],"additionalProperties":false}`},
		{"array of enums", "List regions.", `{"type":"object",
			"properties":{"regions":{"type":"array","items":{"type":"string","enum":["North","South","East","West"]},
			"minItems":1,"maxItems":3},"confident":{"type":"boolean"}},
			"required":["regions","confident"],"additionalProperties":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Chat(t.Context(), llm.Request{Messages: user(tt.prompt), Format: json.RawMessage(tt.schema)})
			if err != nil {
				t.Fatal(err)
			}
			validate(t, json.RawMessage(tt.schema), resp.Message.Content)
			if resp.DoneReason != "stop" {
				t.Errorf("done reason %q, want stop", resp.DoneReason)
			}
		})
	}
}

// The adapter's Usage must be exactly what Ollama reported: the same
// deterministic request through the raw api client gives the reference.
func TestUsageIsWhatOllamaReported(t *testing.T) {
	c, srv := newClient(t)
	base, _ := url.Parse(srv.Host)
	raw := api.NewClient(base, http.DefaultClient)
	stream := false
	var want api.ChatResponse
	err := raw.Chat(t.Context(), &api.ChatRequest{
		Model: srv.Model, Stream: &stream,
		Messages: []api.Message{{Role: "user", Content: "Summarise sales by region for 2024."}},
		Options:  map[string]any{"num_predict": 40},
	}, func(r api.ChatResponse) error { want = r; return nil })
	if err != nil {
		t.Fatal(err)
	}
	n := 40
	got, err := c.Chat(t.Context(), llm.Request{
		Messages: user("Summarise sales by region for 2024."),
		Options:  llm.Options{NumPredict: &n},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := got.Usage
	if u.PromptTokens != int64(want.PromptEvalCount) || u.CompletionTokens != int64(want.EvalCount) {
		t.Errorf("usage %d prompt + %d completion tokens, Ollama reported %d + %d",
			u.PromptTokens, u.CompletionTokens, want.PromptEvalCount, want.EvalCount)
	}
	if u.PromptTokens == 0 || u.CompletionTokens == 0 {
		t.Errorf("usage %+v has no tokens", u)
	}
	if u.EvalDuration <= 0 || u.PromptEvalDuration <= 0 || u.TotalDuration < u.EvalDuration {
		t.Errorf("durations %+v are not what a real call reports", u)
	}
	if u.Wall < u.TotalDuration {
		t.Errorf("wall %v shorter than the server's total %v", u.Wall, u.TotalDuration)
	}
}

func TestChatIsDeterministic(t *testing.T) {
	c, _ := newClient(t)
	schema := json.RawMessage(`{"type":"object","properties":{"score":{"type":"integer","minimum":1,"maximum":5},
		"label":{"type":"string","maxLength":12}},"required":["score","label"]}`)
	req := llm.Request{Messages: user("Rate the campaign."), Format: schema}
	var answers []llm.Message
	for range 3 {
		resp, err := c.Chat(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, schema, resp.Message.Content)
		answers = append(answers, resp.Message)
	}
	for i := 1; i < len(answers); i++ {
		if diff := cmp.Diff(answers[0], answers[i]); diff != "" {
			t.Errorf("answer %d differs from answer 0 (-0 +%d):\n%s", i, i, diff)
		}
	}
}

func TestMissingModel(t *testing.T) {
	c, _ := newClient(t)
	calls := map[string]func() error{
		"chat": func() error {
			_, err := c.Chat(t.Context(), llm.Request{Model: "no-such-model", Messages: user("hi")})
			return err
		},
		"capabilities": func() error {
			_, err := c.Capabilities(t.Context(), "no-such-model")
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, llm.ErrModelNotFound) {
				t.Fatalf("err = %v, want ErrModelNotFound", err)
			}
			if !strings.Contains(err.Error(), "ollama pull no-such-model") {
				t.Errorf("error %q does not say `ollama pull no-such-model`", err)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	c, srv := newClient(t)
	tests := []struct {
		model string
		want  []string
	}{
		{srv.Model, []string{llm.CapabilityCompletion}},
		{srv.ToolsModel, []string{llm.CapabilityCompletion, llm.CapabilityTools}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			got, err := c.Capabilities(t.Context(), tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("capabilities (-want +got):\n%s", diff)
			}
		})
	}
}

var topBrands = llm.ToolSpec{
	Name:        "top_brands",
	Description: "Brands ranked by revenue.",
	Parameters: json.RawMessage(`{"type":"object","required":["region"],"properties":{
		"region":{"type":"string","description":"Sales region","enum":["North","South"]}}}`),
}

// A schema that makes the answer a call of top_brands in the shape the tools
// template renders, so Ollama parses it into native tool_calls.
var callSchema = json.RawMessage(`{"type":"object","required":["name","arguments"],"properties":{
	"name":{"type":"string","enum":["top_brands"]},
	"arguments":{"type":"object","required":["region"],"additionalProperties":false,
		"properties":{"region":{"type":"string","enum":["North","South"]}}}}}`)

func TestNativeToolCall(t *testing.T) {
	c, srv := newClient(t)
	resp, err := c.Chat(t.Context(), llm.Request{
		Model: srv.ToolsModel, Messages: user("Which brands lead in the North?"),
		Tools: []llm.ToolSpec{topBrands}, Format: callSchema,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Message.ToolCalls) != 1 {
		t.Fatalf("tool calls %+v (content %q), want one", resp.Message.ToolCalls, resp.Message.Content)
	}
	call := resp.Message.ToolCalls[0]
	if call.Name != "top_brands" {
		t.Errorf("tool %q, want top_brands", call.Name)
	}
	validate(t, topBrands.Parameters, string(call.Arguments))
}

func TestToolsOnModelWithoutToolSupport(t *testing.T) {
	c, _ := newClient(t)
	_, err := c.Chat(t.Context(), llm.Request{Messages: user("hi"), Tools: []llm.ToolSpec{topBrands}})
	if err == nil || errors.Is(err, llm.ErrModelNotFound) || errors.Is(err, llm.ErrUnavailable) {
		t.Fatalf("err = %v, want the server's refusal", err)
	}
	if !strings.Contains(err.Error(), "does not support tools") {
		t.Errorf("error %q does not pass on the server's reason", err)
	}
}

func TestStoppedServer(t *testing.T) {
	srv := ollamatest.Start(t)
	c, err := ollama.New(ollama.Config{Host: srv.Host, Model: srv.Model})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(t.Context()); err != nil {
		t.Fatalf("ping before stop: %v", err)
	}
	srv.Stop()
	_, err = c.Chat(t.Context(), llm.Request{Messages: user("hi")})
	if !errors.Is(err, llm.ErrUnavailable) || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("err = %v, want ErrUnavailable naming %s", err, srv.Addr)
	}
}

// A generation without a token limit never ends on this model: only the
// cancellation or the timeout can end the call.
func TestStopMidCall(t *testing.T) {
	c, srv := newClient(t)
	endless := -1
	req := llm.Request{Messages: user("Write forever."), Options: llm.Options{NumPredict: &endless}}
	if _, err := c.Chat(t.Context(), llm.Request{Messages: user("warm up")}); err != nil {
		t.Fatal(err) // the model is loaded: the calls below stop mid-generation
	}
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(300*time.Millisecond, cancel)
		_, err := c.Chat(ctx, req)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		short, err := ollama.New(ollama.Config{Host: srv.Host, Model: srv.Model, Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		_, err = short.Chat(t.Context(), req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
	})
	// The server dropped the abandoned generations and still answers.
	if _, err := c.Chat(t.Context(), llm.Request{Messages: user("still there?")}); err != nil {
		t.Errorf("chat after the stopped calls: %v", err)
	}
}

// BenchmarkChat reports the tiny model's generation speed as Ollama measured
// it (eval tokens per second of eval time) for a free and a schema-bound answer.
func BenchmarkChat(b *testing.B) {
	c, _ := newClient(b)
	n := 256
	benches := []struct {
		name string
		req  llm.Request
	}{
		{"free_256", llm.Request{Messages: user("Describe the market."), Options: llm.Options{NumPredict: &n}}},
		{"schema", llm.Request{Messages: user("Pick a tool."), Format: callSchema}},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			var tokens int64
			var eval time.Duration
			for b.Loop() {
				resp, err := c.Chat(b.Context(), bb.req)
				if err != nil {
					b.Fatal(err)
				}
				tokens += resp.Usage.CompletionTokens
				eval += resp.Usage.EvalDuration
			}
			b.ReportMetric(float64(tokens)/eval.Seconds(), "tokens/s")
			b.ReportMetric(float64(tokens)/float64(b.N), "tokens/op")
		})
	}
}

// Ollama stopped while it generates: the call ends with ErrUnavailable.
func TestServerStoppedMidCall(t *testing.T) {
	srv := ollamatest.Start(t)
	c, err := ollama.New(ollama.Config{Host: srv.Host, Model: srv.Model})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat(t.Context(), llm.Request{Messages: user("warm up")}); err != nil {
		t.Fatal(err)
	}
	endless := -1
	time.AfterFunc(300*time.Millisecond, srv.Stop)
	_, err = c.Chat(t.Context(), llm.Request{Messages: user("Write forever."), Options: llm.Options{NumPredict: &endless}})
	if !errors.Is(err, llm.ErrUnavailable) || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("err = %v, want ErrUnavailable naming %s", err, srv.Addr)
	}
}
