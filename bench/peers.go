package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

const sectionPeers = "peers, fake LLM"

// langGraphScript runs one DAG through LangGraph.js and prints its timings as JSON.
//
//go:embed peers/langgraph.mjs
var langGraphScript []byte

// PeerTarget is how the suite runs the peer frameworks: node and the folder
// whose node_modules holds the pinned packages (scripts/bench-node.sh installs
// them into .cache/bench-node).
type PeerTarget struct {
	Node    string // node binary; "" finds node on PATH
	Modules string // folder with node_modules; the script is written into it
	Runs    int    // measured runs per DAG and latency (default 30; Quick 3)
}

// peerDAGs are the two DAGs of issue 17, measured at two fake LLM latencies
// with parallelism 8.
var peerDAGs = []struct {
	dag       string
	latencyMs int
}{{"seed", 0}, {"seed", 20}, {"fan8", 0}, {"fan8", 20}}

const peerParallelism = 8

// DAGStat is one framework's outcome on one DAG at one latency: the median over
// runs of the per-step overhead, (wall − critical path) ÷ steps, and of
// wall ÷ critical path (0 at latency 0), and the process's peak RSS.
type DAGStat struct {
	DAG              string  `json:"dag"`
	LatencyMs        int     `json:"latency_ms"`
	Steps            int     `json:"steps"`
	Runs             int     `json:"runs"`
	OverheadMs       float64 `json:"step_overhead_ms"`
	WallOverCritical float64 `json:"wall_over_critical,omitempty"`
	PeakRSSMiB       float64 `json:"peak_rss_mib"`
}

// Peer is one framework's row of the peer table.
type Peer struct {
	Framework string            `json:"framework"`
	Versions  map[string]string `json:"versions,omitempty"`
	Stats     []DAGStat         `json:"stats"`
}

// peerOutput is what langgraph.mjs prints.
type peerOutput struct {
	Framework      string            `json:"framework"`
	Versions       map[string]string `json:"versions"`
	DAG            string            `json:"dag"`
	Steps          int               `json:"steps"`
	LatencyMs      float64           `json:"latency_ms"`
	CriticalPathMs float64           `json:"critical_path_ms"`
	WallMs         []float64         `json:"wall_ms"`
	MaxRSSKiB      float64           `json:"max_rss_kib"`
}

// stat reduces the runs to medians.
func (o peerOutput) stat() (DAGStat, error) {
	if len(o.WallMs) == 0 || o.Steps == 0 {
		return DAGStat{}, fmt.Errorf("%s %s: no runs in the output", o.Framework, o.DAG)
	}
	over := make([]float64, len(o.WallMs))
	rel := make([]float64, len(o.WallMs))
	for i, w := range o.WallMs {
		over[i] = (w - o.CriticalPathMs) / float64(o.Steps)
		rel[i] = ratio(w, o.CriticalPathMs)
	}
	return DAGStat{DAG: o.DAG, LatencyMs: int(o.LatencyMs), Steps: o.Steps, Runs: len(o.WallMs),
		OverheadMs: medianOf(over), WallOverCritical: medianOf(rel), PeakRSSMiB: o.MaxRSSKiB / 1024}, nil
}

func medianOf(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

// peers runs both DAGs at both latencies through LangGraph.js, one node process
// per DAG and latency (so that its peak RSS is that configuration's).
func (s *suite) peers(ctx context.Context) ([]Row, []string, error) {
	p := s.cfg.Peers
	if p == nil {
		return nil, []string{"peers: not configured (make bench installs LangGraph.js into .cache/bench-node)"}, nil
	}
	script := filepath.Join(p.Modules, "langgraph.mjs")
	if err := os.WriteFile(script, langGraphScript, 0o644); err != nil {
		return nil, nil, fmt.Errorf("peers: %w", err)
	}
	peer := Peer{}
	var rows []Row
	for _, d := range peerDAGs {
		s.logf("   LangGraph.js %s, L=%d ms", d.dag, d.latencyMs)
		out, err := s.runNode(ctx, script, d.dag, d.latencyMs)
		if err != nil {
			return rows, nil, err
		}
		st, err := out.stat()
		if err != nil {
			return rows, nil, err
		}
		peer.Framework, peer.Versions = out.Framework, out.Versions
		peer.Stats = append(peer.Stats, st)
		rows = append(rows, peerRows(out.Framework, st)...)
	}
	s.peerTable = append(s.peerTable, peer)
	return rows, nil, nil
}

// runNode runs the script on one DAG and latency and parses its JSON.
func (s *suite) runNode(ctx context.Context, script, dag string, latencyMs int) (peerOutput, error) {
	p := s.cfg.Peers
	node := p.Node
	if node == "" {
		node = "node"
	}
	runs, warmup := p.Runs, s.warmupRuns()
	if runs == 0 {
		runs = 30
	}
	if s.cfg.Quick {
		runs = 3
	}
	dir, err := os.MkdirTemp(s.cfg.WorkDir, "langgraph-")
	if err != nil {
		return peerOutput{}, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, node, script, "--dag", dag, "--latency-ms", fmt.Sprint(latencyMs),
		"--runs", fmt.Sprint(runs), "--warmup", fmt.Sprint(warmup), "--parallelism", fmt.Sprint(peerParallelism),
		"--db", filepath.Join(dir, "checkpoints.sqlite"))
	cmd.Dir = p.Modules
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		return peerOutput{}, fmt.Errorf("peers: %s %s (run scripts/bench-node.sh): %w: %s", node, filepath.Base(script), err,
			strings.TrimSpace(stderr.String()))
	}
	var out peerOutput
	if err := json.Unmarshal(stdout, &out); err != nil {
		return peerOutput{}, fmt.Errorf("peers: output of %s: %w", filepath.Base(script), err)
	}
	if out.DAG != dag {
		return peerOutput{}, errors.New("peers: the script measured another DAG")
	}
	return out, nil
}

// peerRows are the table rows of one framework on one DAG and latency.
func peerRows(framework string, st DAGStat) []Row {
	scale := fmt.Sprintf("%s DAG (%d steps), L=%d ms, parallelism %d", st.DAG, st.Steps, st.LatencyMs, peerParallelism)
	row := func(name string, v float64, unit string) Row {
		return Row{Section: sectionPeers, Name: framework + ": " + name, Scale: scale, Value: v, Unit: unit, Samples: st.Runs}
	}
	over := withNote(row("per-step overhead", st.OverheadMs, "ms"), "median of (wall − critical path) ÷ steps")
	if st.LatencyMs == 0 {
		over = withKey(over, peerKey(st.DAG))
	}
	rows := []Row{over}
	if st.LatencyMs > 0 {
		rows = append(rows, withNote(row("wall ÷ critical path", st.WallOverCritical, "×"), "median over runs"))
	}
	return append(rows, withNote(row("peak RSS", st.PeakRSSMiB, "MiB"), "the node process"))
}

// peerKey is the headline key of a LangGraph.js DAG at L=0.
func peerKey(dag string) string {
	if dag == "fan8" {
		return KeyLangGraphFan8L0
	}
	return KeyLangGraphSeedL0
}
