package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/repo"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
)

const testDataset = "beverage"

// dataRoot is <module root>/data, where beverage_sales.csv lives.
func dataRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := repo.DataDir()
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// openStore opens a store at path ("" for in-memory) over the shared data root.
func openStore(tb testing.TB, path string) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), path, store.Options{DataRoot: dataRoot(tb),
		StagingDir: filepath.Join(tb.TempDir(), "staging")})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// newStore opens a fresh in-memory store with the beverage data loaded.
func newStore(tb testing.TB) *store.Store {
	tb.Helper()
	st := openStore(tb, "")
	tb.Cleanup(func() { st.Close() })
	loadBeverage(tb, st)
	return st
}

func loadBeverage(tb testing.TB, st *store.Store) {
	tb.Helper()
	if _, err := st.LoadFile(context.Background(), testDataset, "beverage_sales.csv", store.FormatAuto, nil); err != nil {
		tb.Fatal(err)
	}
}

// quietLogger discards logs.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestRunner returns a Runner over st with the scripted model; Close runs at cleanup.
func newTestRunner(tb testing.TB, st *store.Store, m llm.Client, parallel int) *Runner {
	tb.Helper()
	r := NewRunner(st, m, Config{MaxParallel: parallel, DefaultModel: "scripted", Logger: quietLogger()})
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Close(ctx); err != nil {
			tb.Errorf("close runner: %v", err)
		}
	})
	return r
}

// behaviour is how the scripted LLM plays one agent.
type behaviour struct {
	latency time.Duration // per call
	useTool bool          // call the first allowed tool before the final answer
	fail    error         // every call fails with this
	block   bool          // calls wait until their context ends
	until   chan struct{} // calls wait until it is closed (or 30 s pass)
	opens   func()        // called at the start of each call
}

// interval is one recorded LLM call.
type interval struct {
	agent       string
	start, end  time.Time
	err         error
	sawCanceled bool
}

// scriptLLM plays agents with realistic schema-mode answers: a tool call (when
// asked to), then a final answer citing a handle offered in the format. It knows
// agents by the role line of the system prompt and records every call.
type scriptLLM struct {
	roles   map[string]string // role → agent name
	play    map[string]behaviour
	def     behaviour
	started chan string // receives the agent of each call as it starts, when set

	mu    sync.Mutex // guards calls
	calls []interval
}

func newScript(play map[string]behaviour, custom ...agent.Definition) *scriptLLM {
	s := &scriptLLM{roles: map[string]string{}, play: play}
	for _, d := range append(agent.Builtins(), custom...) {
		s.roles[d.Role] = d.Name
	}
	return s
}

var (
	roleRE   = regexp.MustCompile(`You are the (.+)\.\n`)
	toolRE   = regexp.MustCompile(`"tool":\{"const":"([a-z_]+)"\}`)
	handleRE = regexp.MustCompile(`res_[0-9a-f]{8}`)
)

func (s *scriptLLM) agentOf(req llm.Request) string {
	for _, m := range req.Messages {
		if m := roleRE.FindStringSubmatch(m.Content); m != nil {
			return s.roles[m[1]]
		}
	}
	return ""
}

func (s *scriptLLM) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	name := s.agentOf(req)
	b, ok := s.play[name]
	if !ok {
		b = s.def
	}
	iv := interval{agent: name, start: time.Now()}
	if s.started != nil {
		select {
		case s.started <- name:
		case <-ctx.Done():
		}
	}
	if b.opens != nil {
		b.opens()
	}
	content := s.answer(name, req, b) // ready before the latency is up, as a model's would be
	err := wait(ctx, b)
	iv.end, iv.err = time.Now(), err
	iv.sawCanceled = errors.Is(err, context.Canceled)
	s.mu.Lock()
	s.calls = append(s.calls, iv)
	s.mu.Unlock()
	if err != nil {
		return llm.Response{}, err
	}
	return llm.Response{Model: req.Model, Message: llm.Message{Role: "assistant", Content: content},
		DoneReason: "stop", Usage: llm.Usage{PromptTokens: 100 + int64(len(req.Messages))*10,
			CompletionTokens: int64(len(content) / 4), Wall: iv.end.Sub(iv.start),
			TotalDuration: iv.end.Sub(iv.start), EvalDuration: iv.end.Sub(iv.start)}}, nil
}

// wait plays a call's latency, block or failure.
func wait(ctx context.Context, b behaviour) error {
	if b.until != nil {
		t := time.NewTimer(30 * time.Second)
		defer t.Stop()
		select {
		case <-b.until:
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if b.block {
		<-ctx.Done()
		return ctx.Err()
	}
	if b.latency > 0 {
		t := time.NewTimer(b.latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if b.fail != nil {
		return b.fail
	}
	return ctx.Err()
}

// answer is a tool call on the first turn (when asked to, or when the format
// offers no final answer, and tools are offered),
// else a final answer citing the last handle the format allows.
func (s *scriptLLM) answer(name string, req llm.Request, b behaviour) string {
	tool := toolRE.FindStringSubmatch(string(req.Format))
	calledBefore := false
	for _, m := range req.Messages {
		calledBefore = calledBefore || m.Role == "assistant"
	}
	// Like the grammar of a real server, a format without a final branch forces a tool call.
	finalOffered := strings.Contains(string(req.Format), `"const":"final"`)
	if tool != nil && !calledBefore && (b.useTool || !finalOffered) {
		return fmt.Sprintf(`{"action":"call_tool","tool":%q,"args":{}}`, tool[1])
	}
	handles := "[]"
	if hs := handleRE.FindAllString(string(req.Format), -1); len(hs) > 0 {
		handles = fmt.Sprintf("[%q]", hs[len(hs)-1])
	}
	return fmt.Sprintf(`{"action":"final","summary":"%s summary","findings":[{"text":"%s finding","handles":%s}]}`,
		name, name, handles)
}

func (s *scriptLLM) Capabilities(ctx context.Context, model string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

// recorded returns the calls so far.
func (s *scriptLLM) recorded() []interval {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]interval(nil), s.calls...)
}

// callsBy counts recorded calls per agent.
func (s *scriptLLM) callsBy() map[string]int {
	n := map[string]int{}
	for _, c := range s.recorded() {
		n[c.agent]++
	}
	return n
}

// span is the first start and last end of an agent's calls.
func (s *scriptLLM) span(tb testing.TB, name string) (start, end time.Time) {
	tb.Helper()
	for _, c := range s.recorded() {
		if c.agent != name {
			continue
		}
		if start.IsZero() || c.start.Before(start) {
			start = c.start
		}
		if c.end.After(end) {
			end = c.end
		}
	}
	if start.IsZero() {
		tb.Fatalf("no calls of %s", name)
	}
	return start, end
}

// runToEnd starts req and watches it to run_finished, returning the final run and
// every event.
func runToEnd(tb testing.TB, r *Runner, req StartRequest) (Run, []Event) {
	tb.Helper()
	ctx := context.Background()
	if req.Dataset == "" {
		req.Dataset = testDataset
	}
	run, err := r.Start(ctx, req)
	if err != nil {
		tb.Fatalf("start: %v", err)
	}
	var events []Event
	wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := r.Watch(wctx, run.ID, 0, func(ev Event) error { events = append(events, ev); return nil }); err != nil {
		tb.Fatalf("watch: %v", err)
	}
	final, err := r.Get(ctx, run.ID)
	if err != nil {
		tb.Fatalf("get: %v", err)
	}
	checkEvents(tb, final, events)
	return final, events
}

// checkEvents checks what every run's stream promises: dense seq from 1, each
// stage started before it finished and each once, run_finished last.
func checkEvents(tb testing.TB, run Run, events []Event) {
	tb.Helper()
	started, finished := map[int]int{}, map[int]int{}
	for i, ev := range events {
		if ev.Seq != int64(i+1) {
			tb.Fatalf("event %d has seq %d", i, ev.Seq)
		}
		switch ev.Type {
		case EventStageStarted:
			started[ev.Stage]++
		case EventStageFinished:
			if started[ev.Stage] != 1 {
				tb.Errorf("stage %d finished (seq %d) without starting", ev.Stage, ev.Seq)
			}
			finished[ev.Stage]++
		}
	}
	for k := range run.Stages {
		if started[k] != 1 || finished[k] != 1 {
			tb.Errorf("stage %d: %d stage_started, %d stage_finished events; want 1 each", k, started[k], finished[k])
		}
	}
	if n := len(events); n == 0 || events[n-1].Type != EventRunFinished {
		tb.Error("the stream does not end with run_finished")
	}
}

// step returns the state of step id.
func step(tb testing.TB, run Run, id string) StepState {
	tb.Helper()
	for _, s := range run.Steps {
		if s.ID == id {
			return s
		}
	}
	tb.Fatalf("run has no step %q", id)
	return StepState{}
}

// statuses maps step id → status.
func statuses(run Run) map[string]StepStatus {
	m := map[string]StepStatus{}
	for _, s := range run.Steps {
		m[s.ID] = s.Status
	}
	return m
}

// campaign returns the campaign_optimization preset.
func campaign(tb testing.TB) Pipeline {
	p, ok := Preset("campaign_optimization")
	if !ok {
		tb.Fatal("no campaign_optimization preset")
	}
	return p
}

// chain builds a pipeline of agent steps "id:agent" where each id lists deps after
// a '<', e.g. "b:data_analyst<a".
func chain(specs ...string) Pipeline {
	p := Pipeline{Name: "test"}
	for _, sp := range specs {
		head, deps, _ := strings.Cut(sp, "<")
		id, ag, _ := strings.Cut(head, ":")
		s := Step{ID: id, Agent: &AgentStep{Agent: ag}}
		if deps != "" {
			s.DependsOn = strings.Split(deps, ",")
		}
		p.Steps = append(p.Steps, s)
	}
	return p
}

// errStop ends a Watch from its callback.
var errStop = errors.New("stop watching")
