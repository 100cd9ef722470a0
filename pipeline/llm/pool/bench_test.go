package pool

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/pipeline"
)

// BenchmarkHosts runs 8 independent agent steps on one Ollama host and on
// two, each host its own `ollama serve` pinned to its own core with taskset
// when there is one (OLLAMA_NUM_PARALLEL 2, the tiny model at one thread),
// the runner's parallelism being the pool's capacity. The ratio of the two
// s/run figures is what a second host buys:
//
//	MRSWARM_REQUIRE_OLLAMA=1 go test ./pipeline/llm/pool -run '^$' -bench Hosts -benchtime 2x
func BenchmarkHosts(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			srvs := startHosts(b, n)
			hosts := make([]Host, n)
			for i, srv := range srvs {
				pin(b, srv, i)
				hosts[i] = ollamaHost(b, srv)
			}
			p := newRealPool(b, srvs[0].Model, hosts...)
			r := newRunner(b, srvs[0].Model, p, p.Capacity())
			// Warm-up: load the model on every host.
			succeeded(b, must(wait(b, r, start(b, r, independentSteps(2*n)))))
			var wall time.Duration
			var calls, tokens int64
			b.ResetTimer()
			for range b.N {
				run, _ := wait(b, r, start(b, r, independentSteps(8)))
				succeeded(b, run)
				wall += run.Profile.Wall
				calls += int64(run.Tokens.LLMCalls)
				tokens += run.Tokens.CompletionTokens
			}
			b.ReportMetric(wall.Seconds()/float64(b.N), "s/run")
			b.ReportMetric(float64(calls)/float64(b.N), "calls/run")
			b.ReportMetric(float64(tokens)/wall.Seconds(), "tokens/s")
			for _, h := range p.Hosts() {
				b.Logf("host %s: %d calls, %d errors", h.Host, h.Calls, h.Errors)
			}
		})
	}
}

// pin binds the server and its future runners to one core, when taskset
// exists and the machine has that core.
func pin(b *testing.B, srv *ollamatest.Server, cpu int) {
	b.Helper()
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		b.Logf("no taskset: hosts are not pinned")
		return
	}
	out, err := exec.Command(taskset, "-a", "-cp", strconv.Itoa(cpu), strconv.Itoa(srv.Pid())).CombinedOutput()
	if err != nil {
		b.Logf("taskset %d: %v: %s (hosts are not pinned)", cpu, err, out)
	}
}

func must(run pipeline.Run, _ []pipeline.Event) pipeline.Run { return run }
