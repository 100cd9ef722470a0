package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
)

// TestServerRSS runs the bench's server-memory section alone, on the real Ollama
// with the tiny model: idle, loaded and after a campaign run, as `make bench`
// measures them (rss_after_run_mib). It runs when MRSWARM_BENCH_RSS=1. To compare
// builds side by side, MRSWARM_BENCH_SERVERS names mrswarm binaries (comma
// separated; default: one built from this tree) and MRSWARM_BENCH_ROUNDS how many
// times to measure each, alternating:
//
//	MRSWARM_BENCH_RSS=1 MRSWARM_BENCH_SERVERS=/tmp/a,/tmp/b MRSWARM_BENCH_ROUNDS=2 \
//	  go test ./bench -run TestServerRSS -v -timeout 30m
func TestServerRSS(t *testing.T) {
	if os.Getenv("MRSWARM_BENCH_RSS") != "1" {
		t.Skip("set MRSWARM_BENCH_RSS=1 to measure the server's memory alone")
	}
	bins := strings.Split(os.Getenv("MRSWARM_BENCH_SERVERS"), ",")
	if bins[0] == "" {
		bins = []string{buildServer(t)}
	}
	rounds, _ := strconv.Atoi(os.Getenv("MRSWARM_BENCH_ROUNDS"))
	o := ollamatest.Shared(t)
	for round := range max(rounds, 1) {
		for _, bin := range bins {
			cfg := Config{WorkDir: t.TempDir(), Server: &ServerTarget{Bin: bin, Args: []string{"serve"}},
				Ollama: &OllamaTarget{Host: o.Host, Model: o.Model, NumParallel: 2}}
			s, err := newSuite(cfg.withDefaults())
			if err != nil {
				t.Fatal(err)
			}
			rows, skipped, err := s.serverRSS(t.Context())
			if err != nil || len(skipped) > 0 {
				t.Fatalf("%s: %v %v", bin, err, skipped)
			}
			var line []string
			for _, r := range rows {
				if r.Value <= 0 {
					t.Errorf("%s: %s = %v", bin, r.Name, r.Value)
				}
				line = append(line, fmt.Sprintf("%.1f (%s)", r.Value, r.Note))
			}
			t.Logf("round %d, %s:\n  %s", round+1, bin, strings.Join(line, "\n  "))
		}
	}
}
