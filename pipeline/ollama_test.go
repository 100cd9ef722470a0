package pipeline

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/ollama"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

// realOptions give the tiny model room for a schema-bounded final answer.
func realOptions() llm.Options {
	ctx, predict, temp, seed := 8192, 4096, 0.0, 42
	return llm.Options{NumCtx: &ctx, NumPredict: &predict, Temperature: &temp, Seed: &seed}
}

// usageSpy passes calls to a real model and sums the usage it reported.
type usageSpy struct {
	llm.Client
	mu    sync.Mutex // guards total
	total TokenUsage
}

func (s *usageSpy) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	resp, err := s.Client.Chat(ctx, req)
	if err == nil {
		s.mu.Lock()
		s.total = s.total.plus(TokenUsage{PromptTokens: resp.Usage.PromptTokens,
			CompletionTokens: resp.Usage.CompletionTokens,
			TotalTokens:      resp.Usage.PromptTokens + resp.Usage.CompletionTokens, LLMCalls: 1})
		s.mu.Unlock()
	}
	return resp, err
}

// TestOllamaCampaign runs campaign_optimization end to end on the beverage data
// against a real Ollama with the tiny model.
func TestOllamaCampaign(t *testing.T) {
	srv := ollamatest.Shared(t)
	client, err := ollama.New(ollama.Config{Host: srv.Host, Model: srv.Model, Timeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	spy := &usageSpy{Client: client}
	st := newStore(t)
	r := NewRunner(st, spy, Config{MaxParallel: 2, DefaultModel: srv.Model, LLMOptions: realOptions(), Logger: quietLogger()})
	t.Cleanup(func() { r.Close(context.Background()) })
	run, events := runToEnd(t, r, StartRequest{Pipeline: campaign(t),
		Inputs: agent.Inputs{TargetAudience: "health-conscious adults", Budget: 100000, Duration: "6 months"}})
	if run.Status != RunSucceeded {
		t.Fatalf("status %s: %v", run.Status, run.Errors)
	}
	if run.Tokens != spy.total || run.Tokens.PromptTokens == 0 {
		t.Errorf("run tokens %+v, Ollama reported %+v", run.Tokens, spy.total)
	}
	handle, md, err := r.Report(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Result(t.Context(), handle); err != nil {
		t.Errorf("report handle %s: %v", handle, err)
	}
	for _, w := range []string{"# Campaign optimization report", "## Executive summary", "## Analysis by agent", "### Handles",
		"### Tokens and execution profile", "Claim check: "} {
		if !strings.Contains(md, w) {
			t.Errorf("report lacks %q", w)
		}
	}
	// Every table from a handle of its own; the facts are the data's, computed
	// here from the CSV file; the HTML export draws every linked chart inline.
	checkDistinctTables(t, md)
	if want := roiFact(t); !strings.Contains(md, want) {
		t.Errorf("report lacks the ROI fact computed from the CSV file: %q", want)
	}
	_, doc, err := r.ReportHTML(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkHTML(t, md, doc)
	var llmCalls, repairs int
	for _, ev := range events {
		if ev.Type == EventLLMCall {
			llmCalls++
			repairs += strings.Count(ev.Message, "(repair of unverified numbers)")
			if ev.LLM.PromptTokens <= 0 || ev.LLM.Wall <= 0 {
				t.Errorf("llm_call event without tokens or time: %+v", ev.LLM)
			}
		}
	}
	if llmCalls != run.Tokens.LLMCalls {
		t.Errorf("%d llm_call events, run counts %d calls", llmCalls, run.Tokens.LLMCalls)
	}
	p := run.Profile
	t.Logf("run %s: wall %v, LLM %v, SQL %v, overhead %v, CPU %v+%v, peak RSS %d MiB; tokens %+v; %d repair turns; claims %+v",
		run.ID, p.Wall, p.LLM, p.SQL, p.Overhead, p.CPUUser, p.CPUSystem, p.PeakRSS>>20, run.Tokens, repairs, run.Claims)
}
