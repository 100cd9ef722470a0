package bench

import (
	"io"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/internal/tinymodel"
)

// BenchmarkOllamaAdaptive runs make bench's adaptive-concurrency section alone
// on the test binary's Ollama (OLLAMA_NUM_PARALLEL, default 2, with the tiny
// model at make bench's num_ctx): the campaign through a pool fixed at 1,
// fixed at 2 and adaptive, 3 measured runs each, the pools taking turns. It
// reports each median wall time and the adaptive speedup over sequential,
// the value of ollama_parallel_speedup_adaptive:
//
//	MRSWARM_REQUIRE_OLLAMA=1 go test ./bench -run '^$' -bench OllamaAdaptive -benchtime 1x
func BenchmarkOllamaAdaptive(b *testing.B) {
	srv := ollamatest.Shared(b)
	s, err := newSuite(Config{WorkDir: b.TempDir(), Log: io.Discard}.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	s.cfg.Ollama = &OllamaTarget{Host: srv.Host, Model: srv.Model, NumParallel: 2, NumCtx: tinymodel.NumCtx, Reps: 3}
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
		b.Logf("%s: %.3g %s", r.Name, r.Value, r.Unit)
	}
	names := []string{"fixed-1-ms", "fixed-2-ms", "adaptive-ms", "speedup"}
	for i, r := range rows {
		b.ReportMetric(r.Value, names[i])
	}
}
