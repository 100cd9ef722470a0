package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/ollamaproc"
	"github.com/mrswarm/mrswarm/internal/tinymodel"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
)

// BenchmarkOllamaAdaptive runs make bench's adaptive-concurrency section alone,
// on an Ollama started as make bench starts it (OLLAMA_NUM_PARALLEL=2, the tiny
// model of the default seed at its num_ctx, not the test binary's shared server
// and its model of ollamatest.Seed): the campaign through a pool fixed at 1,
// fixed at 2 and adaptive, as many measured runs each as make bench makes
// (defaultRounds), the pools taking turns. It reports each median wall time
// and the adaptive speedup over sequential, the value of
// ollama_parallel_speedup_adaptive, and logs every run:
//
//	go test ./bench -run '^$' -bench OllamaAdaptive -benchtime 1x -v
func BenchmarkOllamaAdaptive(b *testing.B) {
	proc, err := ollamaproc.Launch(b.Context(), ollamaproc.Config{NumParallel: 2, ToolsModel: "-"})
	if err != nil {
		b.Fatalf("start Ollama (make ollama): %v", err)
	}
	b.Cleanup(func() { proc.Stop() })
	s, err := newSuite(Config{WorkDir: b.TempDir(), Log: io.Discard}.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	s.cfg.Ollama = &OllamaTarget{Host: proc.Host, Model: proc.Model, NumParallel: 2, NumCtx: tinymodel.NumCtx}
	var rows []Row
	for b.Loop() {
		var notes []string
		rows, notes, err = s.adaptive(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		b.Log(strings.Join(notes, "\n"))
	}
	for _, r := range rows {
		b.Logf("%s: %.3g %s (%s)", r.Name, r.Value, r.Unit, r.Note)
	}
	names := []string{"fixed-1-ms", "fixed-2-ms", "adaptive-ms", "speedup", "per-token-speedup"}
	for i, r := range rows {
		b.ReportMetric(r.Value, names[i])
	}
}

// gatedBackend is a pool backend whose calls end when the test closes their gate.
type gatedBackend struct {
	pool.Backend // not called
	started      chan struct{}
	gate         chan struct{}
}

func (g *gatedBackend) Chat(ctx context.Context, _ llm.Request) (llm.Response, error) {
	g.started <- struct{}{}
	select {
	case <-g.gate:
		return llm.Response{Usage: llm.Usage{CompletionTokens: 7}}, nil
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
}

// TestOverlapCounter: the adaptive section's note counts a call as beside
// another when it ran beside one at any point, whether it started first or
// second, and calls one after the other not at all.
func TestOverlapCounter(t *testing.T) {
	g := &gatedBackend{started: make(chan struct{}), gate: make(chan struct{})}
	c := &overlapCounter{Backend: g, running: map[*bool]bool{}}
	call := func(done chan<- struct{}) {
		go func() {
			if _, err := c.Chat(t.Context(), llm.Request{}); err != nil {
				t.Error(err)
			}
			done <- struct{}{}
		}()
		<-g.started
	}
	done := make(chan struct{}, 3)
	call(done)
	g.gate <- struct{}{} // the first call ends alone
	<-done
	call(done)
	call(done)
	close(g.gate) // the second and third end together
	<-done
	<-done
	if r := c.take(); r.calls != 3 || r.beside != 2 || r.tokens != 3*7 {
		t.Errorf("%d calls, %d beside another, %d tokens; want 3, 2, 21", r.calls, r.beside, r.tokens)
	}
	if r := c.take(); r.calls != 0 || r.beside != 0 || r.tokens != 0 {
		t.Errorf("after take: %+v; want nothing", r)
	}
}

// TestPerTokenRow: the per-token comparison weighs each pool's wall time by
// the tokens its runs generated: the same time for twice the tokens is twice
// as fast.
func TestPerTokenRow(t *testing.T) {
	o := &OllamaTarget{Model: "m", NumParallel: 2, NumCtx: 2048}
	seq := []poolRun{{wall: 4 * time.Second, tokens: 1000}, {wall: 6 * time.Second, tokens: 1000}}
	adaptive := []poolRun{{wall: 5 * time.Second, tokens: 2000}, {wall: 5 * time.Second, tokens: 2000}}
	if r := perTokenRow(o, seq, adaptive); r.Value != 2 || r.Samples != 2 {
		t.Errorf("per-token speedup %v over %d runs, want 2 over 2", r.Value, r.Samples)
	}
	if r := perTokenRow(o, seq, []poolRun{{wall: time.Second}}); r.Value != 0 {
		t.Errorf("without tokens: %v, want 0", r.Value)
	}
}

// TestRoundOrder: over 2n rounds every pool runs first as often, and each
// pool just after every other one equally often.
func TestRoundOrder(t *testing.T) {
	const n = 3
	first := map[int]int{}
	after := map[[2]int]int{}
	var got []string
	for r := range 2 * n {
		order := roundOrder(r, n)
		got = append(got, fmt.Sprint(order))
		first[order[0]]++
		for k := 1; k < n; k++ {
			after[[2]int{order[k-1], order[k]}]++
		}
	}
	for i := range n {
		if first[i] != 2 {
			t.Errorf("pool %d first in %d of %d rounds, want 2 (orders %v)", i, first[i], 2*n, got)
		}
		for j := range n {
			if want := 2; i != j && after[[2]int{i, j}] != want {
				t.Errorf("pool %d just after %d in %d rounds, want %d (orders %v)", j, i, after[[2]int{i, j}], want, got)
			}
		}
	}
}

// TestMedianRatioInterval: the bootstrap interval of a ratio of medians is
// one point where neither sample varies, holds the estimate, straddles 1 for
// two samples of the same runs, narrows as the samples grow, and reads the
// same twice.
func TestMedianRatioInterval(t *testing.T) {
	secs := func(vs ...float64) []time.Duration {
		var ds []time.Duration
		for _, v := range vs {
			ds = append(ds, time.Duration(v*float64(time.Second)))
		}
		return ds
	}
	if lo, hi := medianRatioInterval(secs(4, 4, 4), secs(2, 2, 2, 2), 0.9); lo != 2 || hi != 2 {
		t.Errorf("constant samples: %v–%v, want 2–2", lo, hi)
	}
	spread := secs(3.8, 5.2, 4.1, 6.2, 4.6, 3.9, 5.5, 4.8, 4.3, 5.0, 4.0, 5.9, 4.4, 4.7, 3.7)
	lo, hi := medianRatioInterval(spread, spread, 0.9)
	if !(lo < 1 && 1 < hi) {
		t.Errorf("the same runs twice: %v–%v, want an interval around 1", lo, hi)
	}
	faster := make([]time.Duration, len(spread))
	for i, d := range spread {
		faster[i] = d * 9 / 10
	}
	est := msOf(statOf(spread).Median) / msOf(statOf(faster).Median)
	lo, hi = medianRatioInterval(spread, faster, 0.9)
	if !(lo <= est && est <= hi) || hi-lo <= 0 {
		t.Errorf("interval %v–%v, want one around the estimate %v", lo, hi, est)
	}
	if lo2, hi2 := medianRatioInterval(spread, faster, 0.9); lo2 != lo || hi2 != hi {
		t.Errorf("the same runs read %v–%v, then %v–%v", lo, hi, lo2, hi2)
	}
	long, longFaster := slices.Concat(spread, spread, spread, spread), slices.Concat(faster, faster, faster, faster)
	if lo4, hi4 := medianRatioInterval(long, longFaster, 0.9); hi4-lo4 >= hi-lo {
		t.Errorf("four times the runs: %v–%v, not narrower than %v–%v", lo4, hi4, lo, hi)
	}
}
