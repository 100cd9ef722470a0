package pool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// scripted is a Backend for the routing unit tests: it serves its models,
// holds each call until release is closed (when set) and fails with err.
type scripted struct {
	name    string
	models  []string
	release chan struct{}

	mu      sync.Mutex // guards err, started
	err     error
	started int
}

func (s *scripted) Host() string { return s.name }

func (s *scripted) Models(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	return s.models, nil
}

func (s *scripted) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

func (s *scripted) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	s.mu.Lock()
	s.started++
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return llm.Response{}, err
	}
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			return llm.Response{}, ctx.Err()
		}
	}
	return llm.Response{Model: req.Model, Message: llm.Message{Role: "assistant", Content: "ok"}}, nil
}

func (s *scripted) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *scripted) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

func newPool(t *testing.T, hosts ...Host) *Pool {
	t.Helper()
	p, err := New(hosts, Config{Model: "m", MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Discover(t.Context()); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls cond until it holds; the test fails if it never does.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func inFlight(p *Pool) map[string]int {
	out := map[string]int{}
	for _, h := range p.Hosts() {
		out[h.Host] = h.InFlight
	}
	return out
}

// Calls fill hosts by free slots relative to their limits; a call beyond
// the total capacity waits for a slot.
func TestRouteByLoadRelativeToLimit(t *testing.T) {
	release := make(chan struct{})
	a := &scripted{name: "a", models: []string{"m:latest"}, release: release}
	b := &scripted{name: "b", models: []string{"m:latest"}, release: release}
	p := newPool(t, Host{Backend: a, Limit: 1}, Host{Backend: b, Limit: 3})
	if p.Capacity() != 4 {
		t.Errorf("capacity %d, want 4", p.Capacity())
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if _, err := p.Chat(t.Context(), llm.Request{}); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, "four calls in flight", func() bool { f := inFlight(p); return f["a"]+f["b"] == 4 })
	time.Sleep(50 * time.Millisecond) // the fifth call must still be waiting
	if diff := cmp.Diff(map[string]int{"a": 1, "b": 3}, inFlight(p)); diff != "" {
		t.Errorf("in flight (-want +got):\n%s", diff)
	}
	close(release)
	wg.Wait()
	if a.calls()+b.calls() != 5 {
		t.Errorf("%d + %d calls, want 5", a.calls(), b.calls())
	}
}

// A host that fails as unavailable is marked down, its call is retried on
// the other host, later calls avoid it, and it rejoins once a probe succeeds.
func TestFailoverAndRejoin(t *testing.T) {
	a := &scripted{name: "a", models: []string{"m"}}
	b := &scripted{name: "b", models: []string{"m"}}
	p := newPool(t, Host{Backend: a, Limit: 1}, Host{Backend: b, Limit: 1})
	a.fail(fmt.Errorf("a: %w", llm.ErrUnavailable))
	for range 4 {
		resp, err := p.Chat(t.Context(), llm.Request{})
		if err != nil || resp.Host != "b" {
			t.Fatalf("resp from %q, err %v; want b", resp.Host, err)
		}
	}
	if a.calls() != 1 {
		t.Errorf("the down host got %d calls, want only the first", a.calls())
	}
	if st := p.Hosts()[0]; st.State != StateDown || st.Errors != 1 || st.LastError == "" {
		t.Errorf("host a: %+v, want down with its error", st)
	}
	a.fail(nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go p.Run(ctx)
	waitFor(t, "host a up again", func() bool { return p.Hosts()[0].State == StateUp })
}

// Calls for a model go only to the hosts that have it; a model on none of
// them is ErrModelNotFound naming what each host has.
func TestRouteByModel(t *testing.T) {
	a := &scripted{name: "a", models: []string{"small:latest"}}
	b := &scripted{name: "b", models: []string{"small:latest", "big:latest"}}
	p := newPool(t, Host{Backend: a}, Host{Backend: b})
	for range 4 {
		if resp, err := p.Chat(t.Context(), llm.Request{Model: "big"}); err != nil || resp.Host != "b" {
			t.Fatalf("big went to %q: %v", resp.Host, err)
		}
	}
	_, err := p.Chat(t.Context(), llm.Request{Model: "huge"})
	if !errors.Is(err, llm.ErrModelNotFound) {
		t.Errorf("err = %v, want ErrModelNotFound", err)
	}
	if a.calls() != 0 {
		t.Errorf("host without the model got %d calls", a.calls())
	}
}

// With every host down a call still tries one (a pool of one behaves like
// its backend) and the error names the host.
func TestAllDown(t *testing.T) {
	a := &scripted{name: "a", models: []string{"m"}}
	p := newPool(t, Host{Backend: a})
	a.fail(fmt.Errorf("a at http://a: %w", llm.ErrUnavailable))
	for range 2 {
		if _, err := p.Chat(t.Context(), llm.Request{}); !errors.Is(err, llm.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	}
	if a.calls() != 2 {
		t.Errorf("%d calls reached the only host, want 2", a.calls())
	}
}

// A call waiting for a slot ends with its context.
func TestWaitEndsWithContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	a := &scripted{name: "a", models: []string{"m"}, release: release}
	p := newPool(t, Host{Backend: a, Limit: 1})
	go p.Chat(t.Context(), llm.Request{})
	waitFor(t, "the slot taken", func() bool { return inFlight(p)["a"] == 1 })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.Chat(ctx, llm.Request{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}

func TestParseSpecs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "llm.yaml")
	if err := os.WriteFile(file, []byte("hosts:\n  - {url: \"http://a:11434\", limit: 4}\n"+
		"  - {kind: openai, url: \"http://v:8000/v1\", limit: 32, weight: 4, tools: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("hosts:\n  - {url: \"http://a:11434\", limt: 4}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in      string
		want    []Spec
		wantErr bool
	}{
		{"http://a:11434", []Spec{{Kind: "ollama", URL: "http://a:11434"}}, false},
		{"ollama=http://a:11434?limit=4,ollama=http://b:11434, openai=http://c:8000/v1?limit=16&weight=2&tools=1", []Spec{
			{Kind: "ollama", URL: "http://a:11434", Limit: 4},
			{Kind: "ollama", URL: "http://b:11434"},
			{Kind: "openai", URL: "http://c:8000/v1", Limit: 16, Weight: 2, Tools: true},
		}, false},
		{file, []Spec{
			{Kind: "ollama", URL: "http://a:11434", Limit: 4},
			{Kind: "openai", URL: "http://v:8000/v1", Limit: 32, Weight: 4, Tools: true},
		}, false},
		{bad, nil, true},
		{"vllm=http://c:8000", nil, true},
		{"ollama=http://a?limit=x", nil, true},
		{"ollama=http://a?size=2", nil, true},
		{"ollama=http://a?limit=-1", nil, true},
		{"ollama=", nil, true},
		{"", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpecs(tt.in)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrConfig)) {
				t.Fatalf("ParseSpecs(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("specs (-want +got):\n%s", diff)
			}
		})
	}
}
