package agent

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/mrswarm/mrswarm/internal/repo"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// reply answers one scripted call.
type reply func(req llm.Request) (llm.Response, error)

// scriptLLM is a scripted LLM for unit tests: it answers calls in order and records them.
type scriptLLM struct {
	mu      sync.Mutex
	replies []reply
	reqs    []llm.Request
	caps    []string
	capsN   int
}

func (s *scriptLLM) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	if err := ctx.Err(); err != nil {
		return llm.Response{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
	if len(s.replies) == 0 {
		return llm.Response{}, llm.ErrBadResponse
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	return r(req)
}

func (s *scriptLLM) Capabilities(ctx context.Context, model string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.capsN++
	return s.caps, nil
}

func (s *scriptLLM) requests() []llm.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]llm.Request(nil), s.reqs...)
}

// say replies with content, usage prompt/completion tokens and done reason "stop".
func say(content string) reply {
	return func(req llm.Request) (llm.Response, error) {
		return llm.Response{Model: req.Model, Message: llm.Message{Role: "assistant", Content: content},
			DoneReason: "stop", Usage: llm.Usage{PromptTokens: int64(len(req.Messages)) * 10, CompletionTokens: int64(len(content))}}, nil
	}
}

// sayFn replies with content computed from the request.
func sayFn(f func(req llm.Request) string) reply {
	return func(req llm.Request) (llm.Response, error) { return say(f(req))(req) }
}

// beverageStore opens a fresh in-memory store with the beverage CSV loaded as "beverage".
func beverageStore(tb testing.TB) *store.Store {
	tb.Helper()
	dataDir, err := repo.DataDir()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, "", store.Options{DataRoot: dataDir})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.LoadFile(ctx, "beverage", "beverage_sales.csv", store.FormatCSV, nil); err != nil {
		tb.Fatal(err)
	}
	return st
}

// testDef is a small agent definition with the given tools.
// beverageTools returns the tools over a fresh store with the beverage data.
func beverageTools(tb testing.TB) *tools.Env {
	tb.Helper()
	env, err := tools.NewCatalog(beverageStore(tb)).Env(context.Background(), "beverage")
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

func testDef(maxSteps int, tools ...string) Definition {
	return Definition{Name: "tester", Role: "Test Analyst", Goal: "Find facts.", Backstory: "Careful.",
		Task: "Study {{.TargetAudience}}.", Tools: tools, MaxSteps: maxSteps}
}

func testTask(d Definition) Task {
	return Task{Def: d, Dataset: "beverage", Model: "scripted", Inputs: Inputs{TargetAudience: "young adults"}}
}

// callJSON is a schema-mode tool call answer.
func callJSON(tool string, args string) string {
	return `{"action":"call_tool","tool":"` + tool + `","args":` + args + `}`
}

// finalJSON is a final answer citing handles.
func finalJSON(summary string, handles ...string) string {
	b, _ := json.Marshal(map[string]any{"action": "final", "summary": summary,
		"findings": []map[string]any{{"text": "finding", "handles": append([]string{}, handles...)}}})
	return string(b)
}

// lastHandle finds the newest "result res_…" mentioned in the request's messages.
func lastHandle(req llm.Request) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		c := req.Messages[i].Content
		if j := strings.Index(c, "result res_"); j >= 0 {
			return c[j+len("result ") : j+len("result ")+len("res_")+8]
		}
	}
	return ""
}
