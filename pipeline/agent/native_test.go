package agent

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// documentedToolCall is the shape of Ollama's /api/chat answer with tool calls
// (docs/api.md, "Chat request (with tools)"), with our tool and arguments.
const documentedToolCall = `{
  "model": "llama3.2",
  "created_at": "2024-07-22T20:33:28.123648Z",
  "message": {
    "role": "assistant",
    "content": "",
    "tool_calls": [
      {"function": {"name": "market_share", "arguments": {"dimension": "region", "top_n": 3}}},
      {"function": {"name": "roi", "arguments": {}}}
    ]
  },
  "done_reason": "stop",
  "done": true,
  "total_duration": 885095291,
  "load_duration": 3753500,
  "prompt_eval_count": 122,
  "prompt_eval_duration": 328493000,
  "eval_count": 33,
  "eval_duration": 552222000
}`

// fromOllama converts an Ollama chat answer the way an adapter does.
func fromOllama(t *testing.T, raw string) llm.Response {
	t.Helper()
	var r api.ChatResponse
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	out := llm.Response{Model: r.Model, DoneReason: r.DoneReason,
		Message: llm.Message{Role: r.Message.Role, Content: r.Message.Content},
		Usage:   llm.Usage{PromptTokens: int64(r.PromptEvalCount), CompletionTokens: int64(r.EvalCount)}}
	for _, c := range r.Message.ToolCalls {
		args, err := json.Marshal(c.Function.Arguments)
		if err != nil {
			t.Fatal(err)
		}
		out.Message.ToolCalls = append(out.Message.ToolCalls, llm.ToolCall{Name: c.Function.Name, Arguments: args})
	}
	return out
}

func respond(resp llm.Response) reply {
	return func(llm.Request) (llm.Response, error) { return resp, nil }
}

func TestNativeToolCalls(t *testing.T) {
	st := beverageStore(t)
	m := &scriptLLM{replies: []reply{
		respond(fromOllama(t, documentedToolCall)),
		sayFn(func(req llm.Request) string { return "```json\n" + finalJSON("done", lastHandle(req)) + "\n```" }),
	}}
	task := testTask(testDef(1, "market_share", "roi"))
	task.ToolMode = ToolNative
	var rec recorder
	res, err := Run(t.Context(), m, st, task, rec.observer())
	if err != nil {
		t.Fatal(err)
	}
	// The budget is one call: market_share runs, roi is refused.
	if res.ToolCalls != 1 || len(res.Handles) != 1 || res.Summary != "done" || len(rec.tools) != 1 || rec.tools[0].Tool != "market_share" {
		t.Fatalf("result %+v, tools %+v", res, rec.tools)
	}
	if rec.calls[0].Usage.PromptTokens != 122 || rec.calls[0].Usage.CompletionTokens != 33 {
		t.Errorf("usage = %+v, want Ollama's 122/33", rec.calls[0].Usage)
	}
	if got := string(rec.tools[0].Args); got != `{"dimension":"region","top_n":3}` {
		t.Errorf("args = %s", got)
	}
	reqs := m.requests()
	first := reqs[0]
	if first.Format != nil || len(first.Tools) != 2 || first.Tools[0].Name != "market_share" || !json.Valid(first.Tools[0].Parameters) {
		t.Errorf("first request: format %s, tools %+v", first.Format, first.Tools)
	}
	second := reqs[1]
	if second.Tools != nil || second.Format == nil {
		t.Errorf("final-only turn: tools %v, format %s", second.Tools, second.Format)
	}
	msgs := second.Messages
	n := len(msgs)
	if a := msgs[n-3]; a.Role != "assistant" || len(a.ToolCalls) != 2 {
		t.Errorf("assistant tool-call message = %+v", a)
	}
	if m1 := msgs[n-2]; m1.Role != "tool" || m1.ToolName != "market_share" || !strings.Contains(m1.Content, res.Handles[0]) {
		t.Errorf("tool message 1 = %+v", m1)
	}
	if m2 := msgs[n-1]; m2.Role != "tool" || m2.ToolName != "roi" || !strings.Contains(m2.Content, "budget is used up") {
		t.Errorf("tool message 2 = %+v", m2)
	}
}

func TestNativeRetries(t *testing.T) {
	st := beverageStore(t)
	bad := fromOllama(t, strings.Replace(documentedToolCall, `"name": "roi"`, `"name": "get_current_weather"`, 1))
	m := &scriptLLM{replies: []reply{
		respond(bad),                // unknown tool: retry with tools
		say("The market is great."), // prose: retry with the final format
		say(finalJSON("ok")),
	}}
	task := testTask(testDef(2, "market_share", "roi"))
	task.ToolMode = ToolNative
	res, err := Run(t.Context(), m, st, task, Observer{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ToolCalls != 0 || res.Summary != "ok" {
		t.Fatalf("result %+v", res)
	}
	reqs := m.requests()
	if len(reqs[1].Tools) != 2 || reqs[1].Format != nil {
		t.Errorf("retry after a bad call: tools %d, format %s", len(reqs[1].Tools), reqs[1].Format)
	}
	if fb := reqs[1].Messages[len(reqs[1].Messages)-1].Content; !strings.Contains(fb, `unknown tool "get_current_weather"`) {
		t.Errorf("feedback = %q", fb)
	}
	if reqs[2].Tools != nil || !strings.Contains(string(reqs[2].Format), `"const":"final"`) {
		t.Errorf("retry after prose: tools %v, format %s", reqs[2].Tools, reqs[2].Format)
	}
}

func TestToolModeAuto(t *testing.T) {
	st := beverageStore(t)
	tests := []struct {
		name   string
		caps   []string
		native bool
	}{
		{"tools capability", []string{llm.CapabilityCompletion, llm.CapabilityTools}, true},
		{"completion only", []string{llm.CapabilityCompletion}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &scriptLLM{caps: tt.caps, replies: []reply{say(finalJSON("a")), say(finalJSON("b"))}}
			task := testTask(testDef(1, "roi"))
			task.ToolMode = ToolAuto
			cached := llm.NewCapabilityCache(m) // as the pipeline's runner wraps its client
			for range 2 {
				if _, err := Run(t.Context(), cached, st, task, Observer{}); err != nil {
					t.Fatal(err)
				}
			}
			req := m.requests()[0]
			if got := req.Tools != nil; got != tt.native {
				t.Errorf("native = %v, want %v (format %s)", got, tt.native, req.Format)
			}
			if m.capsN != 1 {
				t.Errorf("capabilities asked %d times for one model, want 1 (cached)", m.capsN)
			}
		})
	}
}
