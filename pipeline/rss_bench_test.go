package pipeline

import (
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/procstat"
)

// BenchmarkRunsRSS reports this process's resident set size over the life of
// a file-backed store as the server keeps it: idle (store open), with the
// beverage data loaded, after one campaign_optimization run (scripted LLM,
// agents calling a tool each, the report) and after 10 and 200 runs. Run it
// on its own so the process holds nothing else:
//
//	go test ./pipeline -run '^$' -bench RunsRSS -benchtime 1x
func BenchmarkRunsRSS(b *testing.B) {
	for b.Loop() {
		st := openStore(b, filepath.Join(b.TempDir(), "rss.duckdb"))
		report := func(unit string) { b.ReportMetric(rssMiB(), unit) }
		report("idle-MiB")
		loadBeverage(b, st)
		report("loaded-MiB")
		m := newScript(nil)
		m.def = behaviour{useTool: true}
		r := NewRunner(st, m, Config{MaxParallel: 2, DefaultModel: "scripted", Logger: quietLogger()})
		req := StartRequest{Dataset: testDataset, Pipeline: campaign(b), Options: Options{Force: true}}
		for i := 1; i <= 200; i++ {
			if run, _ := runToEnd(b, r, req); run.Status != RunSucceeded {
				b.Fatalf("run %d: %s %v", i, run.Status, run.Errors)
			}
			switch i {
			case 1:
				report("after-1-run-MiB")
			case 10:
				report("after-10-runs-MiB")
			case 200:
				report("after-200-runs-MiB")
			}
		}
		r.Close(b.Context())
		st.Close()
	}
}

// rssSettle is how long the process idles before a reading: DuckDB's
// allocator returns freed memory to the system within about two seconds.
const rssSettle = 2 * time.Second

// rssMiB is the process's resident set once it idled rssSettle and stopped
// shrinking (the store checkpoints once writes pause, and the memory that
// frees goes back to the system a moment later), after a collection
// returned what Go can.
func rssMiB() float64 {
	procstat.Settle(rssSettle, func() (int64, error) { return procstat.CurrentRSS(), nil })
	runtime.GC()
	debug.FreeOSMemory()
	return float64(procstat.CurrentRSS()) / (1 << 20)
}
