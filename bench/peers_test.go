package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/internal/repo"
)

func TestPeerOutputStat(t *testing.T) {
	out := peerOutput{Framework: "LangGraph.js", DAG: "seed", Steps: 4, LatencyMs: 20, CriticalPathMs: 60,
		WallMs: []float64{64, 100, 68}, MaxRSSKiB: 120 * 1024}
	got, err := out.stat()
	if err != nil {
		t.Fatal(err)
	}
	// Per-step overheads 1, 10 and 2 ms: median 2; wall ÷ critical 64/60, 100/60, 68/60: median 68/60.
	want := DAGStat{DAG: "seed", LatencyMs: 20, Steps: 4, Runs: 3, OverheadMs: 2, WallOverCritical: 68.0 / 60, PeakRSSMiB: 120}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stat (-want +got):\n%s", diff)
	}
	if _, err := (peerOutput{DAG: "seed", Steps: 4}).stat(); err == nil {
		t.Error("an output without runs gave no error")
	}
}

func TestPeerTable(t *testing.T) {
	lg := Peer{Framework: "LangGraph.js StateGraph, SQLite checkpointer", Stats: []DAGStat{
		{DAG: "seed", LatencyMs: 0, Runs: 30, OverheadMs: 0.96, PeakRSSMiB: 118},
		{DAG: "seed", LatencyMs: 20, Runs: 30, OverheadMs: 1.8, WallOverCritical: 1.12, PeakRSSMiB: 139},
		{DAG: "fan8", LatencyMs: 0, Runs: 30, OverheadMs: 0.54, PeakRSSMiB: 120},
		{DAG: "fan8", LatencyMs: 20, Runs: 30, OverheadMs: 0.87, WallOverCritical: 1.2, PeakRSSMiB: 125},
	}}
	rep := Report{Peers: []Peer{lg}, Rows: []Row{
		withKey(Row{Name: "mrswarm seed", Value: 0.42}, KeyStepOverheadSeedL0),
		withKey(Row{Name: "mrswarm fan8 L=20", Value: 1.04}, KeyWallOverCriticalFan8),
	}}
	got := rep.peerMarkdown()
	for _, want := range []string{
		"| framework | seed L=0 | seed L=20 (wall/critical) | fan8 L=0 | fan8 L=20 (wall/critical) | peak RSS |",
		"| mrswarm pipeline.Runner, file DuckDB | 0.42 ms | — | — | — (1.04) | — |",
		"| LangGraph.js StateGraph, SQLite checkpointer | 0.96 ms | 1.80 ms (1.12) | 0.54 ms | 0.87 ms (1.20) | 118–139 MiB |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the peer table has no line\n%s\n in\n%s", want, got)
		}
	}
	if (Report{Rows: rep.Rows}).peerMarkdown() != "" {
		t.Error("a report without peers printed a peer table")
	}
}

func TestWriteJSONKeys(t *testing.T) {
	rep := Report{Rows: []Row{
		withKey(Row{Section: "s", Name: "a", Value: 23260, Unit: "tokens"}, KeyPromptTokensHandles),
		{Section: "s", Name: "b", Value: 7, Unit: "ms"},
	}}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc[KeyPromptTokensHandles] != 23260.0 {
		t.Errorf("%s = %v, want 23260 at the top level of\n%s", KeyPromptTokensHandles, doc[KeyPromptTokensHandles], b.String())
	}
	if _, ok := doc["rows"]; !ok {
		t.Errorf("no rows in\n%s", b.String())
	}
}

// TestPeers runs the LangGraph.js script briefly when scripts/bench-node.sh has
// installed it into the module's .cache/bench-node, and checks its rows and keys.
func TestPeers(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	modules := filepath.Join(root, ".cache", "bench-node")
	if _, err := os.Stat(filepath.Join(modules, "installed.lock")); err != nil { // written once npm ci has finished
		t.Skip("LangGraph.js is not installed: run scripts/bench-node.sh")
	}
	s, err := newSuite(Config{Quick: true, WorkDir: t.TempDir(), Log: testLog{t}, Peers: &PeerTarget{Modules: modules}}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := s.peers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rep := Report{Rows: rows, Peers: s.peerTable}
	keys := rep.Keys()
	for _, k := range []string{KeyLangGraphSeedL0, KeyLangGraphFan8L0} {
		if v, ok := keys[k]; !ok || v < 0 {
			t.Errorf("key %s = %v, %v", k, v, ok)
		}
	}
	if len(rep.Peers) != 1 || len(rep.Peers[0].Stats) != len(peerDAGs) {
		t.Fatalf("peers %+v", rep.Peers)
	}
	for _, st := range rep.Peers[0].Stats {
		if st.PeakRSSMiB <= 0 || st.Runs != 3 || st.LatencyMs > 0 && st.WallOverCritical < 1 {
			t.Errorf("stat %+v", st)
		}
	}
	t.Log("\n" + rep.peerMarkdown())
}
