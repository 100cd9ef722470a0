package pool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/internal/repo"
	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/ollama"
	"github.com/mrswarm/mrswarm/pipeline/llm/openai"
	"github.com/mrswarm/mrswarm/sql/store"
)

// These tests run real `ollama serve` processes with the tiny model, each
// test its own, so that a test may stop and restart one.

const dataset = "beverage"

// tinyOptions give the tiny model room for schema-bounded answers and make
// it deterministic.
func tinyOptions() llm.Options {
	numCtx, predict, temp, seed := 8192, 4096, 0.0, 42
	return llm.Options{NumCtx: &numCtx, NumPredict: &predict, Temperature: &temp, Seed: &seed}
}

// startHosts starts n Ollama servers (context 8192 also for /v1 calls).
func startHosts(t testing.TB, n int) []*ollamatest.Server {
	t.Helper()
	srvs := make([]*ollamatest.Server, n)
	for i := range srvs {
		srvs[i] = ollamatest.StartWith(t, ollamatest.Options{ContextLength: 8192})
	}
	return srvs
}

func ollamaHost(t testing.TB, srv *ollamatest.Server) Host {
	t.Helper()
	c, err := ollama.New(ollama.Config{Host: srv.Host, Options: tinyOptions(), Timeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return Host{Backend: c, Kind: KindOllama}
}

// newRealPool is a discovered pool over hosts whose probes run until the
// test ends.
func newRealPool(t testing.TB, model string, hosts ...Host) *Pool {
	t.Helper()
	p, err := New(hosts, Config{Model: model, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Discover(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// newRunner is a pipeline runner over a fresh store with the beverage data,
// as many LLM slots as the pool has.
func newRunner(t testing.TB, model string, llmClient llm.Client, slots int) *pipeline.Runner {
	t.Helper()
	dir, err := repo.DataDir()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), "", store.Options{DataRoot: dir, StagingDir: filepath.Join(t.TempDir(), "staging")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.LoadFile(context.Background(), dataset, "beverage_sales.csv", store.FormatAuto, nil); err != nil {
		t.Fatal(err)
	}
	r := pipeline.NewRunner(st, llmClient, pipeline.Config{MaxParallel: slots, DefaultModel: model,
		LLMOptions: tinyOptions(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r.Close(ctx)
	})
	return r
}

// independentSteps is a pipeline of n agent steps that depend on nothing;
// the agent (creative_copywriter: one tool call, then its answer) keeps the
// runs short on a loaded machine.
func independentSteps(n int) pipeline.Pipeline {
	p := pipeline.Pipeline{Name: "independent"}
	for i := range n {
		p.Steps = append(p.Steps, pipeline.Step{ID: fmt.Sprintf("a%d", i), Agent: &pipeline.AgentStep{Agent: "creative_copywriter"}})
	}
	return p
}

// start starts a run that calls the model for every step (Force: no step
// is reused from an earlier run); wait watches it to the end and returns it
// with its events.
func start(t testing.TB, r *pipeline.Runner, p pipeline.Pipeline) string {
	t.Helper()
	run, err := r.Start(context.Background(), pipeline.StartRequest{Dataset: dataset, Pipeline: p,
		Options: pipeline.Options{Force: true},
		Inputs:  agent.Inputs{TargetAudience: "health-conscious adults", Budget: 100000, Duration: "6 months"}})
	if err != nil {
		t.Fatal(err)
	}
	return run.ID
}

func wait(t testing.TB, r *pipeline.Runner, runID string) (pipeline.Run, []pipeline.Event) {
	t.Helper()
	var events []pipeline.Event
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := r.Watch(ctx, runID, 0, func(ev pipeline.Event) error { events = append(events, ev); return nil }); err != nil {
		t.Fatalf("watch: %v", err)
	}
	run, err := r.Get(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	return run, events
}

// callsByHost counts the run's llm_call events by the host they name.
func callsByHost(events []pipeline.Event) map[string]int {
	out := map[string]int{}
	for _, ev := range events {
		if ev.Type == pipeline.EventLLMCall {
			out[ev.LLM.Host]++
		}
	}
	return out
}

func succeeded(t testing.TB, run pipeline.Run) {
	t.Helper()
	if run.Status != pipeline.RunSucceeded {
		t.Fatalf("run %s: %v", run.Status, run.Errors)
	}
}

// Eight independent agent steps over two hosts: both get calls, every
// llm_call event names one of them, and the pool's counts agree.
func TestSpreadOverTwoHosts(t *testing.T) {
	srvs := startHosts(t, 2)
	p := newRealPool(t, srvs[0].Model, ollamaHost(t, srvs[0]), ollamaHost(t, srvs[1]))
	r := newRunner(t, srvs[0].Model, p, p.Capacity())
	run, events := wait(t, r, start(t, r, independentSteps(8)))
	succeeded(t, run)
	byHost := callsByHost(events)
	for _, srv := range srvs {
		if byHost[srv.Host] == 0 {
			t.Errorf("host %s got no calls: %v", srv.Host, byHost)
		}
	}
	if byHost[srvs[0].Host]+byHost[srvs[1].Host] != run.Tokens.LLMCalls {
		t.Errorf("events by host %v do not add up to the run's %d calls", byHost, run.Tokens.LLMCalls)
	}
	for i, h := range p.Hosts() {
		if h.State != StateUp || h.Calls != int64(byHost[srvs[i].Host]) || h.Errors != 0 {
			t.Errorf("host %+v, want up with %d calls and no errors", h, byHost[srvs[i].Host])
		}
	}
	t.Logf("calls by host: %v", byHost)
}

// Stopping one host mid-run: the run still succeeds on the other, the dead
// host is marked down, and after a restart it is probed up and gets calls
// again.
func TestHostStopsMidRun(t *testing.T) {
	srvs := startHosts(t, 2)
	p := newRealPool(t, srvs[0].Model, ollamaHost(t, srvs[0]), ollamaHost(t, srvs[1]))
	r := newRunner(t, srvs[0].Model, p, p.Capacity())
	runID := start(t, r, independentSteps(8))
	waitFor(t, "calls on both hosts", func() bool {
		h := p.Hosts()
		return h[0].Calls > 0 && h[1].Calls > 0 && h[0].InFlight > 0
	})
	srvs[0].Stop()
	run, events := wait(t, r, runID)
	succeeded(t, run)
	if h := p.Hosts()[0]; h.State != StateDown || h.Errors == 0 {
		t.Errorf("stopped host %+v, want down with errors", h)
	}
	before := callsByHost(events)[srvs[0].Host]

	srvs[0].Restart(t)
	waitFor(t, "the restarted host up", func() bool { return p.Hosts()[0].State == StateUp })
	run, events = wait(t, r, start(t, r, independentSteps(4)))
	succeeded(t, run)
	if n := callsByHost(events)[srvs[0].Host]; n == 0 {
		t.Errorf("the restarted host got no calls of the second run (%d before it stopped); hosts %+v", before, p.Hosts())
	}
}

// A model missing on one host: its calls all go to the other; a model on
// neither is ErrModelNotFound.
func TestMissingModelRoutesToOther(t *testing.T) {
	srvs := startHosts(t, 2)
	deleteModel(t, srvs[0], srvs[0].ToolsModel) // host 0 keeps only the plain model
	p := newRealPool(t, srvs[0].Model, ollamaHost(t, srvs[0]), ollamaHost(t, srvs[1]))
	r := newRunner(t, srvs[0].ToolsModel, p, p.Capacity())
	run, events := wait(t, r, start(t, r, independentSteps(4)))
	succeeded(t, run)
	byHost := callsByHost(events)
	if byHost[srvs[0].Host] != 0 || byHost[srvs[1].Host] == 0 {
		t.Errorf("calls by host %v: want all on %s, which has %s", byHost, srvs[1].Host, srvs[1].ToolsModel)
	}
	_, err := p.Chat(t.Context(), llm.Request{Model: "no-such-model",
		Messages: []llm.Message{{Role: "user", Content: "hi"}}})
	if !errors.Is(err, llm.ErrModelNotFound) {
		t.Errorf("err = %v, want ErrModelNotFound", err)
	}
}

// deleteModel removes a model from a server through its API.
func deleteModel(t testing.TB, srv *ollamatest.Server, name string) {
	t.Helper()
	base, err := url.Parse(srv.Host)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.NewClient(base, http.DefaultClient).Delete(t.Context(), &api.DeleteRequest{Model: name}); err != nil {
		t.Fatalf("delete %s on %s: %v", name, srv.Host, err)
	}
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
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls++
	u.prompt += r.Usage.PromptTokens
	u.completion += r.Usage.CompletionTokens
	return resp, nil
}

// campaign_optimization end to end over the OpenAI-compatible /v1 API of
// the pinned Ollama, through the pool: the run succeeds and its token counts
// equal the usage fields the server sent.
func TestOpenAICampaign(t *testing.T) {
	srv := startHosts(t, 1)[0]
	rec := &usageRecorder{}
	c, err := openai.New(openai.Config{BaseURL: srv.Host + "/v1", Options: tinyOptions(),
		Timeout: 5 * time.Minute, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	p := newRealPool(t, srv.Model, Host{Backend: c, Kind: KindOpenAI})
	r := newRunner(t, srv.Model, p, p.Capacity())
	preset, ok := pipeline.Preset("campaign_optimization")
	if !ok {
		t.Fatal("no campaign_optimization preset")
	}
	run, events := wait(t, r, start(t, r, preset))
	succeeded(t, run)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := pipeline.TokenUsage{PromptTokens: rec.prompt, CompletionTokens: rec.completion,
		TotalTokens: rec.prompt + rec.completion, LLMCalls: rec.calls}
	if run.Tokens != want || want.CompletionTokens == 0 {
		t.Errorf("run tokens %+v, the server's usage fields %+v", run.Tokens, want)
	}
	if byHost := callsByHost(events); byHost[c.Host()] != run.Tokens.LLMCalls {
		t.Errorf("llm_call events by host %v, want all %d on %s", byHost, run.Tokens.LLMCalls, c.Host())
	}
	t.Logf("run %s over %s: %+v", run.ID, c.Host(), run.Tokens)
}

// The pool is what the pipeline calls, and both backends are pool members.
var (
	_ llm.Client = (*Pool)(nil)
	_ Backend    = (*ollama.Client)(nil)
	_ Backend    = (*openai.Client)(nil)
)
