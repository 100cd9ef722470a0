package server

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// A server with --llm over two hosts — the same Ollama once natively and
// once through its OpenAI-compatible /v1 — runs a pipeline of independent
// agent steps with the pool's capacity as its default parallelism, its
// llm_call events name the hosts, and /healthz and /metrics show each host.
func TestLLMPool(t *testing.T) {
	srv := ollamatest.StartWith(t, ollamatest.Options{ContextLength: 8192})
	native, compat := "http://"+srv.Addr, "http://"+strings.Replace(srv.Addr, "127.0.0.1", "localhost", 1)+"/v1"
	specs, err := pool.ParseSpecs("ollama=" + native + ",openai=" + compat + "?limit=3")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.LLMHosts, cfg.Model = specs, srv.Model
	cfg.LLMOptions = TinyModelOptions(cfg.LLMOptions)
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	ctx := t.Context()
	if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "beverage", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	p := &mrswarmv1.Pipeline{Name: "independent"}
	for i := range 5 {
		p.Steps = append(p.Steps, &mrswarmv1.Step{Id: fmt.Sprintf("a%d", i),
			Kind: &mrswarmv1.Step_Agent{Agent: &mrswarmv1.AgentStep{Agent: "data_analyst"}}})
	}
	stream, err := ts.pipes.RunPipeline(ctx, &mrswarmv1.StartRunRequest{Dataset: "beverage",
		Source: &mrswarmv1.StartRunRequest_Pipeline{Pipeline: p}})
	if err != nil {
		t.Fatal(err)
	}
	events := collect(t, stream.Recv)
	run := events[len(events)-1].GetRun()
	if run.GetStatus() != mrswarmv1.RunStatus_RUN_STATUS_SUCCEEDED {
		t.Fatalf("run %v: %v", run.GetStatus(), run.GetErrors())
	}
	if got := run.GetOptions().GetMaxParallel(); got != 5 {
		t.Errorf("run max_parallel %d, want the pool's capacity 2+3", got)
	}
	byHost := map[string]int{}
	for _, e := range events {
		if c := e.GetLlmCall(); c != nil {
			byHost[c.GetHost()]++
		}
	}
	if byHost[native] == 0 || byHost[compat] == 0 || byHost[native]+byHost[compat] != int(run.GetTokens().GetLlmCalls()) {
		t.Errorf("llm_call events by host %v, want calls on %s and %s adding up to %d", byHost, native, compat, run.GetTokens().GetLlmCalls())
	}

	code, health := ts.doJSON(t, "GET", "/healthz", nil)
	llmState, _ := health["llm"].(map[string]any)
	if code != http.StatusOK || health["status"] != "SERVING" || llmState["state"] != "up" || llmState["capacity"] != float64(5) {
		t.Fatalf("/healthz = %d %v", code, health)
	}
	for i, h := range llmState["hosts"].([]any) {
		host := h.(map[string]any)
		if want := []string{native, compat}[i]; host["host"] != want || host["state"] != "up" || host["calls"] != float64(byHost[want]) {
			t.Errorf("/healthz host %d = %v, want %s up with %d calls", i, host, want, byHost[want])
		}
	}
	code, body := ts.do(t, "GET", "/metrics", nil, "")
	for _, want := range []string{
		fmt.Sprintf(`mrswarm_llm_host_calls_total{host=%q} %d`, native, byHost[native]),
		fmt.Sprintf(`mrswarm_llm_host_calls_total{host=%q} %d`, compat, byHost[compat]),
		fmt.Sprintf(`mrswarm_llm_host_up{host=%q,kind="openai"} 1`, compat),
		fmt.Sprintf(`mrswarm_llm_host_in_flight{host=%q} 0`, native),
		fmt.Sprintf(`mrswarm_llm_host_limit{host=%q} 3`, compat),
		fmt.Sprintf(`mrswarm_llm_host_tokens_per_second{host=%q}`, native),
		fmt.Sprintf(`mrswarm_llm_host_call_duration_seconds_count{host=%q} %d`, compat, byHost[compat]),
	} {
		if code != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// An LLM host nothing listens on: the server still serves (datasets, SQL and
// tools need no LLM; /healthz answers 200 DEGRADED), says the host is down and why, and /metrics
// has it at 0.
func TestHealthzWithDownLLMHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	cfg := testConfig(t)
	cfg.LLMHosts = []pool.Spec{{Kind: pool.KindOllama, URL: addr}}
	ts := startServer(t, cfg)
	code, health := ts.doJSON(t, "GET", "/healthz", nil)
	llmState, _ := health["llm"].(map[string]any)
	if code != http.StatusOK || health["status"] != "DEGRADED" || llmState["state"] != "down" || llmState["capacity"] != float64(2) {
		t.Fatalf("/healthz = %d %v", code, health)
	}
	host := llmState["hosts"].([]any)[0].(map[string]any)
	if host["host"] != addr || host["state"] != "down" || !strings.Contains(host["last_error"].(string), "unavailable") {
		t.Errorf("/healthz host = %v, want %s down with its error", host, addr)
	}
	_, body := ts.do(t, "GET", "/metrics", nil, "")
	if want := fmt.Sprintf(`mrswarm_llm_host_up{host=%q,kind="ollama"} 0`, addr); !strings.Contains(string(body), want) {
		t.Errorf("/metrics lacks %s", want)
	}
}
