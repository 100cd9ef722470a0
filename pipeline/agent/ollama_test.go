package agent

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/ollama"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

// realOptions give the tiny model room: a final answer can take ~2000 tokens at the
// schema's bounds, and later turns need more than the Modelfile's 2048 context.
func realOptions() llm.Options {
	ctx, predict, temp, seed := 8192, 4096, 0.0, 42
	return llm.Options{NumCtx: &ctx, NumPredict: &predict, Temperature: &temp, Seed: &seed}
}

// spy wraps a real LLM and records every response it passed on.
type spy struct {
	llm.Client
	mu     sync.Mutex
	resps  []llm.Response
	before func(n int) // called before call n (0-based), may be nil
}

func (s *spy) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	s.mu.Lock()
	n := len(s.resps)
	s.mu.Unlock()
	if s.before != nil {
		s.before(n)
	}
	resp, err := s.Client.Chat(ctx, req)
	if err == nil {
		s.mu.Lock()
		s.resps = append(s.resps, resp)
		s.mu.Unlock()
	}
	return resp, err
}

func realClient(t testing.TB, srv *ollamatest.Server, model string) *ollama.Client {
	t.Helper()
	c, err := ollama.New(ollama.Config{Host: srv.Host, Model: model, Timeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func realTask(model string, d Definition) Task {
	task := testTask(d)
	task.Model, task.Options = model, realOptions()
	return task
}

func TestOllamaToolTurn(t *testing.T) {
	srv := ollamatest.Shared(t)
	st := beverageStore(t)
	model := &spy{Client: realClient(t, srv, srv.Model)}
	task := realTask(srv.Model, testDef(1, "market_share", "roi", "seasonality"))
	task.MinToolCalls = 1
	var rec recorder
	res, err := Run(t.Context(), model, st, task, rec.observer())
	if err != nil {
		t.Fatalf("Run: %v (result %+v, tools %+v)", err, res, rec.tools)
	}
	if res.ToolCalls != 1 || len(rec.tools) != 1 {
		t.Fatalf("tool calls %d, observed %+v", res.ToolCalls, rec.tools)
	}
	use := rec.tools[0]
	if use.Tool != "market_share" && use.Tool != "roi" && use.Tool != "seasonality" {
		t.Errorf("tool %q is not one the schema allows", use.Tool)
	}
	if use.Err != nil {
		t.Fatalf("tool %s(%s) failed: %v", use.Tool, use.Args, use.Err)
	}
	if diff := cmp.Diff([]string{use.Handle}, res.Handles); diff != "" {
		t.Errorf("handles (-want +got):\n%s", diff)
	}
	sum, err := st.Result(t.Context(), use.Handle)
	if err != nil || sum.Source != "tool:"+use.Tool {
		t.Fatalf("handle %s in store: %+v, %v", use.Handle, sum, err)
	}
	for _, f := range res.Findings {
		for _, h := range f.Handles {
			if h != use.Handle {
				t.Errorf("finding cites %s, not the produced handle", h)
			}
		}
	}
	t.Logf("tool %s(%s) -> %s; %d turns, %d LLM calls, summary %q", use.Tool, use.Args, use.Handle, res.Turns, len(rec.calls), res.Summary)
	// Token counts in the observer are Ollama's, call by call.
	if len(rec.calls) != len(model.resps) {
		t.Fatalf("%d observed calls, %d responses", len(rec.calls), len(model.resps))
	}
	for i, c := range rec.calls {
		u := model.resps[i].Usage
		if c.Usage != u || u.PromptTokens <= 0 || u.CompletionTokens <= 0 || c.Model != model.resps[i].Model {
			t.Errorf("call %d: observed %+v (model %s), Ollama reported %+v", i, c.Usage, c.Model, u)
		}
	}
	// The second turn's prompt holds the tool result, so Ollama counts more prompt tokens.
	if n := len(rec.calls); n >= 2 && rec.calls[n-1].Usage.PromptTokens <= rec.calls[0].Usage.PromptTokens {
		t.Errorf("prompt tokens did not grow after the tool result: %d then %d", rec.calls[0].Usage.PromptTokens, rec.calls[n-1].Usage.PromptTokens)
	}
}

func TestOllamaTruncatedOutputRetries(t *testing.T) {
	srv := ollamatest.Shared(t)
	st := beverageStore(t)
	task := realTask(srv.Model, testDef(0))
	predict := 4 // no final answer fits in 4 tokens
	task.Options.NumPredict = &predict
	var rec recorder
	_, err := Run(t.Context(), realClient(t, srv, srv.Model), st, task, rec.observer())
	if !errors.Is(err, ErrInvalidOutput) {
		t.Fatalf("err = %v, want ErrInvalidOutput", err)
	}
	// Each call names the server that answered.
	want := []Call{{Turn: 1, Model: srv.Model, Host: srv.Host}, {Turn: 1, Model: srv.Model, Retry: true, Host: srv.Host},
		{Turn: 1, Model: srv.Model, Retry: true, Host: srv.Host}}
	if diff := cmp.Diff(want, rec.calls, cmpIgnoreUsage); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	for _, c := range rec.calls {
		if c.Usage.CompletionTokens != int64(predict) {
			t.Errorf("completion tokens %d, want the num_predict cap %d", c.Usage.CompletionTokens, predict)
		}
	}
	t.Logf("error: %v", err)
}

func TestOllamaCancel(t *testing.T) {
	srv := ollamatest.Shared(t)
	st := beverageStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	model := &spy{Client: realClient(t, srv, srv.Model), before: func(int) {
		time.AfterFunc(time.Millisecond, cancel) // mid-call
	}}
	task := realTask(srv.Model, testDef(1, "market_share"))
	start := time.Now()
	_, err := Run(ctx, model, st, task, Observer{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	t.Logf("cancelled after %v", time.Since(start))
}

func TestOllamaStoppedMidRun(t *testing.T) {
	srv := ollamatest.Start(t)
	st := beverageStore(t)
	model := &spy{Client: realClient(t, srv, srv.Model), before: func(n int) {
		if n == 1 { // after the first turn's tool call ran
			srv.Stop()
			<-srv.Done()
		}
	}}
	task := realTask(srv.Model, testDef(2, "market_share", "roi"))
	task.MinToolCalls = 1
	var rec recorder
	res, err := Run(t.Context(), model, st, task, rec.observer())
	if !errors.Is(err, llm.ErrUnavailable) {
		t.Fatalf("err = %v, want llm.ErrUnavailable", err)
	}
	if len(res.Handles) != 1 || len(rec.tools) != 1 {
		t.Fatalf("handles %v, tools %+v", res.Handles, rec.tools)
	}
	if _, err := st.Result(t.Context(), res.Handles[0]); err != nil {
		t.Errorf("result made before Ollama stopped is lost: %v", err)
	}
}

// TestOllamaAllToolsFormat sends the largest format (every tool) to the real grammar
// conversion and checks the answer is valid.
func TestOllamaAllToolsFormat(t *testing.T) {
	srv := ollamatest.Shared(t)
	st := beverageStore(t)
	var all []string
	for _, d := range Builtins() {
		for _, tl := range d.Tools {
			if !contains(all, tl) {
				all = append(all, tl)
			}
		}
	}
	d := testDef(1, all...)
	task := realTask(srv.Model, d)
	task.MinToolCalls = 1
	var rec recorder
	res, err := Run(t.Context(), realClient(t, srv, srv.Model), st, task, rec.observer())
	if err != nil {
		t.Fatalf("Run with %d tools: %v", len(all), err)
	}
	if res.ToolCalls != 1 || !contains(all, rec.tools[0].Tool) {
		t.Fatalf("result %+v, tools %+v", res, rec.tools)
	}
	t.Logf("%d tools; called %s(%s): err %v", len(all), rec.tools[0].Tool, rec.tools[0].Args, rec.tools[0].Err)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestOllamaAutoNative runs ToolAuto against the tools-capable tiny model: the agent
// picks native mode (tools offered, no format) and still ends with a valid answer,
// since an unusable free-text answer is retried with the final-answer schema.
func TestOllamaAutoNative(t *testing.T) {
	srv := ollamatest.Shared(t)
	st := beverageStore(t)
	model := &spy{Client: realClient(t, srv, srv.ToolsModel)}
	var reqs []bool // per call: tools offered
	task := realTask(srv.ToolsModel, testDef(1, "market_share"))
	task.ToolMode = ToolAuto
	res, err := Run(t.Context(), &reqSpy{spy: model, tools: &reqs}, st, task, Observer{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(reqs) == 0 || !reqs[0] {
		t.Fatalf("auto mode did not offer native tools to a tools-capable model: %v", reqs)
	}
	t.Logf("native run: %d calls (tools offered: %v), %d tool calls, summary %q", len(reqs), reqs, res.ToolCalls, res.Summary)
}

// reqSpy records whether each request offered native tools.
type reqSpy struct {
	*spy
	tools *[]bool
}

func (r *reqSpy) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	*r.tools = append(*r.tools, req.Tools != nil)
	return r.spy.Chat(ctx, req)
}
