package pool

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// slotted is a scripted server with a fixed number of slots: a call takes a
// free slot (or queues for one) and then holds it for latency, producing
// tokens completion tokens, as an inference server with that many parallel
// sequences does.
type slotted struct {
	slots   chan struct{}
	latency time.Duration
	tokens  int64
}

func newSlotted(n int, latency time.Duration) *slotted {
	return &slotted{slots: make(chan struct{}, n), latency: latency, tokens: 50}
}

func (s *slotted) Host() string                             { return "http://slotted" }
func (s *slotted) Models(context.Context) ([]string, error) { return []string{"m"}, nil }
func (s *slotted) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

func (s *slotted) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	start := time.Now()
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	defer func() { <-s.slots }()
	t := time.NewTimer(s.latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	return llm.Response{Model: req.Model, Message: llm.Message{Role: "assistant", Content: "ok"}, DoneReason: "stop",
		Usage: llm.Usage{CompletionTokens: s.tokens, Wall: time.Since(start)}}, nil
}

// BenchmarkAdaptiveConcurrency sends calls from 16 callers through a pool of
// one host that has 4 slots (20 ms a call): fixed at 1 call at a time, fixed
// at the 4 slots, and adaptive with a limit of 16 (it must find the 4 by
// itself, learning included in the time). Each reports calls/s; speedup is
// the adaptive pool's throughput over one call at a time, measured side by
// side in every iteration:
//
//	go test ./pipeline/llm/pool -run '^$' -bench AdaptiveConcurrency -benchtime 3x
func BenchmarkAdaptiveConcurrency(b *testing.B) {
	const calls, callers = 400, 16
	configs := []struct {
		name     string
		limit    int
		adaptive bool
	}{{"fixed-1", 1, false}, {"fixed-4", 4, false}, {"adaptive", 16, true}}
	rates := map[string]float64{}
	var windows []int
	for b.Loop() {
		for _, c := range configs {
			p, err := New([]Host{{Backend: newSlotted(4, 20*time.Millisecond), Limit: c.limit}}, Config{Model: "m", Adaptive: c.adaptive})
			if err != nil {
				b.Fatal(err)
			}
			wall := drive(b, p, calls, callers)
			rates[c.name] += float64(calls) / wall.Seconds()
			if c.adaptive {
				windows = append(windows, p.Hosts()[0].Window)
			}
		}
	}
	for _, c := range configs {
		b.ReportMetric(rates[c.name]/float64(b.N), c.name+"-calls/s")
	}
	b.ReportMetric(rates["adaptive"]/rates["fixed-1"], "speedup")
	b.Logf("adaptive windows at the end: %v", windows)
}

// drive makes n calls from callers goroutines and returns the wall time.
func drive(b *testing.B, p *Pool, n, callers int) time.Duration {
	b.Helper()
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			for range jobs {
				if _, err := p.Chat(context.Background(), llm.Request{Model: "m"}); err != nil {
					errs <- fmt.Errorf("chat: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return time.Since(start)
}
