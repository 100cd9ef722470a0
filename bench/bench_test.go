package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/internal/repo"
	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/sql/store"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

// TestQuick runs every section once on small inputs (with the real Ollama when
// there is one, and the built server unless -short) and checks the report: every
// section present, every value a finite non-negative number, ratios set where the
// table promises them. It asserts nothing about timings.
func TestQuick(t *testing.T) {
	cfg := Config{Quick: true, WorkDir: t.TempDir(), BigRows: 3000, Log: testLog{t}}
	t.Run("ollama", func(t *testing.T) {
		srv := ollamatest.Shared(t)
		cfg.Ollama = &OllamaTarget{Host: srv.Host, Model: srv.Model, NumParallel: 2}
	})
	if !testing.Short() {
		cfg.Server = &ServerTarget{Bin: buildServer(t), Args: []string{"serve"}}
	}
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, rep.Markdown())
	}
	md := rep.Markdown()
	t.Log("\n" + md)
	want := []string{sectionLoading, sectionTools, sectionScripted, sectionBookkeeping, sectionOverhead}
	if cfg.Ollama != nil {
		want = append(want, sectionOllama)
	}
	if cfg.Server != nil {
		want = append(want, sectionRSS)
	}
	for _, sec := range want {
		if !strings.Contains(md, "| "+sec+" |") {
			t.Errorf("the table has no %q rows", sec)
		}
	}
	checkRows(t, rep.Rows)
	checkJSON(t, rep)
	if cfg.Ollama != nil {
		keys := rep.Keys()
		h, f := keys[KeyPromptTokensHandles], keys[KeyPromptTokensFull]
		if !(h > 0 && f > h) {
			t.Errorf("prompt tokens with the same tool calls: handles %v, full %v; want 0 < handles < full", h, f)
		}
	}
}

func checkRows(t *testing.T, rows []Row) {
	t.Helper()
	ratios := map[string]int{}
	for _, r := range rows {
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) || r.Value < 0 {
			t.Errorf("%s / %s: value %v", r.Section, r.Name, r.Value)
		}
		if r.RatioOf != "" {
			ratios[r.Section]++
			if !(r.Ratio > 0) {
				t.Errorf("%s / %s: ratio %v (%s)", r.Section, r.Name, r.Ratio, r.RatioOf)
			}
		}
	}
	// Loading: cache hit, re-upload and loaded-table rows at both scales; tools: every
	// tool at the generated scales; scheduler: parallel vs sequential.
	for _, sec := range []string{sectionLoading, sectionTools, sectionScripted} {
		if ratios[sec] == 0 {
			t.Errorf("section %q has no ratio", sec)
		}
	}
	// Every scale's cold load has DuckDB by itself next to it, reading the
	// file and copying the typed table.
	for _, r := range rows {
		if r.Name != "cold load throughput" {
			continue
		}
		for _, alone := range []string{"DuckDB alone: CREATE TABLE AS", "DuckDB alone: copy"} {
			if !slices.ContainsFunc(rows, func(o Row) bool {
				return strings.HasPrefix(o.Name, alone) && o.Scale == r.Scale && o.Unit == "rows/s" && o.Value > 0
			}) {
				t.Errorf("scale %s: no %q row with its rows/s", r.Scale, alone)
			}
		}
	}
	if !slices.ContainsFunc(rows, func(r Row) bool { return strings.HasPrefix(r.Name, "cold load, money as") && r.Ratio > 0 }) {
		t.Error("no cold load of formatted money with its ratio to the plain load")
	}
}

func checkJSON(t *testing.T, rep Report) {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep.Rows, back.Rows); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

// buildServer builds cmd/mrswarm into a temporary folder.
func buildServer(t *testing.T) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "mrswarm")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/mrswarm")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/mrswarm: %v\n%s", err, out)
	}
	return bin
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestMarkdown(t *testing.T) {
	rep := Report{
		Started:  time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC),
		Duration: 90 * time.Second,
		Command:  "make bench",
		Machine:  Machine{OS: "linux", Arch: "amd64", CPUs: 2, Go: "go1.26"},
		Rows: []Row{
			{Section: "data loading", Name: "cold load", Scale: "15k", Value: 48.26, Unit: "ms", Samples: 5},
			{Section: "data loading", Name: "hit | cached", Scale: "15k", Value: 0.4213, Unit: "ms", Ratio: 114.55, RatioOf: "cold ÷ this", Samples: 20},
			{Section: "tokens", Name: "prompt tokens", Value: 1234, Unit: "tokens", Samples: 1},
			{Section: "x", Name: "share", Value: 3.14159, Unit: "%"},
		},
		Skipped: []string{"10M rows: off"},
	}
	got := rep.Markdown()
	want := "Measured 2026-11-27 04:00 UTC in 1m30s on linux/amd64, 2 CPUs, go1.26. Command: `make bench`. " +
		"Times are medians of the repetitions in the n column.\n\n" +
		"| section | measurement | scale | value | ratio | n | note |\n" +
		"|---|---|---|--:|--:|--:|---|\n" +
		"| data loading | cold load | 15k | 48.3 ms |  | 5 |  |\n" +
		"| data loading | hit \\| cached | 15k | 0.421 ms | 115× (cold ÷ this) | 20 |  |\n" +
		"| tokens | prompt tokens |  | 1234 tokens |  | 1 |  |\n" +
		"| x | share |  | 3.1 % |  |  |  |\n" +
		"\nNotes: what was not measured, and runs whose steps failed:\n- 10M rows: off\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Markdown (-want +got):\n%s", diff)
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/mrswarm/mrswarm/pipeline
cpu: Intel(R) Xeon(R)
BenchmarkTracker-2        	 2000000	       612.5 ns/op	      48 B/op	       1 allocs/op
BenchmarkValidate/preset-2	   10000	    104200 ns/op	   3.000 stages/op
BenchmarkBroken-2  notanumber  12 ns/op
PASS
ok  	github.com/mrswarm/mrswarm/pipeline	3.2s
`
	got, err := ParseGoBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Section: "go test -bench pipeline", Name: "Tracker", Value: 0.6125, Unit: "µs", Samples: 2000000, Note: "48 B/op, 1 allocs/op"},
		{Section: "go test -bench pipeline", Name: "Validate/preset", Value: 104.2, Unit: "µs", Samples: 10000, Note: "3.000 stages/op"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseGoBench (-want +got):\n%s", diff)
	}
}

// TestRunsRSSRows: BenchmarkRunsRSS's line becomes one row per moment, the
// last keyed rss_after_200_runs_mib in the report's top-level keys.
func TestRunsRSSRows(t *testing.T) {
	out := `pkg: github.com/mrswarm/mrswarm/pipeline
BenchmarkTracker-2   	 2000000	       612.5 ns/op
BenchmarkRunsRSS-2   	       1	113683368720 ns/op	       105.5 after-1-run-MiB	       111.9 after-10-runs-MiB	       153.9 after-200-runs-MiB	        65.48 idle-MiB	        83.40 loaded-MiB
`
	rows, err := ParseGoBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	got := RunsRSSRows(rows)
	var values []float64
	for _, r := range got[1:] {
		values = append(values, r.Value)
	}
	if diff := cmp.Diff([]float64{65.48, 83.40, 105.5, 111.9, 153.9}, values); diff != "" || got[0].Name != "Tracker" {
		t.Errorf("rows %+v (-want +got values):\n%s", got, diff)
	}
	if keys := (Report{Rows: got}).Keys(); len(keys) != 1 || keys[KeyRSSAfter200RunsMiB] != 153.9 {
		t.Errorf("keys %v, want only %s = 153.9", keys, KeyRSSAfter200RunsMiB)
	}
}

func TestScriptedPaths(t *testing.T) {
	p := pipeline.Pipeline{Steps: []pipeline.Step{
		{ID: "mra", Agent: &pipeline.AgentStep{Agent: "market_research_analyst"}},
		{ID: "ca", Agent: &pipeline.AgentStep{Agent: "competitive_analyst"}},
		{ID: "bps", DependsOn: []string{"mra", "ca"}, Agent: &pipeline.AgentStep{Agent: "brand_performance_specialist"}},
		{ID: "co", DependsOn: []string{"bps"}, Agent: &pipeline.AgentStep{Agent: "campaign_optimizer"}},
		{ID: "report", DependsOn: []string{"co"}, Report: &pipeline.ReportStep{}},
	}}
	calls := func(n int) pipeline.TokenUsage { return pipeline.TokenUsage{LLMCalls: n} }
	run := pipeline.Run{Steps: []pipeline.StepState{
		{ID: "mra", Agent: "market_research_analyst", Tokens: calls(2)},
		{ID: "ca", Agent: "competitive_analyst", Tokens: calls(4)},
		{ID: "bps", Agent: "brand_performance_specialist", Tokens: calls(2)},
		{ID: "co", Agent: "campaign_optimizer", Tokens: calls(2)},
		{ID: "report"},
	}}
	crit, sum := scriptedPaths(p, run, newScriptedLLM(OriginalLatencies, time.Second))
	// ca retried: four calls of 20 ms, so the chain through ca is the longest: 80+35+30.
	if crit != 145*time.Millisecond || sum != 190*time.Millisecond {
		t.Errorf("critical path %v, sum %v; want 145ms, 190ms", crit, sum)
	}
}

// BenchmarkCacheHitLoad times a repeated load of the unchanged 15k-row CSV.
func BenchmarkCacheHitLoad(b *testing.B) {
	s, st := benchStore(b)
	d := dataSet{s.realCSV(), "15k", 15000}
	b.ResetTimer()
	for b.Loop() {
		if _, err := hitLoad(b.Context(), st, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToolCalls15k times five tool calls over the loaded 15k-row table.
func BenchmarkToolCalls15k(b *testing.B) {
	_, st := benchStore(b)
	names, err := availableTools(b.Context(), st, "sales", perToolCalls)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := callTools(b.Context(), st, "sales", names); err != nil {
			b.Fatal(err)
		}
	}
}

func benchStore(b *testing.B) (*suite, *store.Store) {
	b.Helper()
	s, err := newSuite(Config{WorkDir: b.TempDir()}.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	st, err := s.openStore(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.LoadFile(b.Context(), "sales", filepath.Base(s.realCSV()), store.FormatCSV, nil); err != nil {
		b.Fatal(err)
	}
	return s, st
}
