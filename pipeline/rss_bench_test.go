package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/procstat"
	"github.com/mrswarm/mrswarm/sql/store"
)

// BenchmarkRunsRSS reports this process's resident set size over the life of
// a file-backed store as the server keeps it: idle (store open), with the
// beverage data loaded, after one campaign_optimization run (scripted LLM,
// agents calling a tool each, the report) and after 10 and 200 runs. Beside
// the RSS it reports the database's size on disk (file and write-ahead log),
// DuckDB's own memory and the JSON the run history holds (run records, steps,
// events, results) after 10 and 200 runs: the runs' records and the results
// they cite are all kept (retention only evicts uncited results). Last, how
// many times the store opened its file in a new DuckDB instance over the 200
// runs: each reading idles, and an idle store whose C heap grew by 2 MiB does
// so (store.Options.RecycleAfter), dropping what DuckDB's buffer pool keeps of
// finished queries (README, Performance). Run it on
// its own so the process holds nothing else:
//
//	go test ./pipeline -run '^$' -bench RunsRSS -benchtime 1x
func BenchmarkRunsRSS(b *testing.B) {
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "rss.duckdb")
		st := openStore(b, path)
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
				b.ReportMetric(fileMiB(path, path+".wal"), "db-after-10-runs-MiB")
				b.ReportMetric(duckdbMiB(b, st), "duckdb-after-10-runs-MiB")
				b.ReportMetric(float64(historyJSON(b, st))/(1<<20), "json-after-10-runs-MiB")
			case 200:
				report("after-200-runs-MiB")
				b.ReportMetric(fileMiB(path, path+".wal"), "db-after-200-runs-MiB")
				b.ReportMetric(duckdbMiB(b, st), "duckdb-after-200-runs-MiB")
				b.ReportMetric(float64(historyJSON(b, st))/(1<<20), "json-after-200-runs-MiB")
			}
		}
		b.ReportMetric(float64(st.Reopens()), "reopens-in-200-runs")
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

// fileMiB is the total size of the files that exist among paths.
func fileMiB(paths ...string) float64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return float64(n) / (1 << 20)
}

// duckdbMiB is the memory DuckDB accounts for itself (duckdb_memory(): the
// buffer pool's blocks and its other tracked allocations); it logs the tags
// that hold more than 1 MiB.
func duckdbMiB(b *testing.B, st *store.Store) float64 {
	rows, err := st.Query(b.Context(), `SELECT tag, memory_usage_bytes FROM duckdb_memory() ORDER BY tag`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var total int64
	var tags []string
	for rows.Next() {
		var tag string
		var n int64
		if err := rows.Scan(&tag, &n); err != nil {
			b.Fatal(err)
		}
		total += n
		if n > 1<<20 {
			tags = append(tags, fmt.Sprintf("%s %.1f MiB", tag, float64(n)/(1<<20)))
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	b.Logf("duckdb_memory(): %.1f MiB; %s", float64(total)/(1<<20), strings.Join(tags, ", "))
	return float64(total) / (1 << 20)
}
