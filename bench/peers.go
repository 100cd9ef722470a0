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
	runs, warmup := p.Runs, 5
	if runs == 0 {
		runs = 30
	}
	if s.cfg.Quick {
		runs, warmup = 3, 1
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

// mrswarmFramework names mrswarm's row of the peer table.
const mrswarmFramework = "mrswarm pipeline.Runner, file DuckDB"

// peerMarkdown renders the peer table: mrswarm's row, then every peer's, from
// the same run. mrswarm's row is the Peer a section appended under
// mrswarmFramework, else it is read from the headline keys step_overhead_ms_*
// and wall_over_critical_* (whichever section measured them); "" without peers.
func (r Report) peerMarkdown() string {
	if len(r.Peers) == 0 {
		return ""
	}
	peers := r.Peers
	if !slices.ContainsFunc(peers, func(p Peer) bool { return p.Framework == mrswarmFramework }) {
		if own, ok := mrswarmFromKeys(r.Keys()); ok {
			peers = append([]Peer{own}, peers...)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nPeers on the same DAGs (fake LLM, parallelism %d): median per-step overhead = (wall − critical path) ÷ steps.\n\n", peerParallelism)
	b.WriteString("| framework | seed L=0 | seed L=20 (wall/critical) | fan8 L=0 | fan8 L=20 (wall/critical) | peak RSS |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|\n")
	for _, p := range peers {
		fmt.Fprintf(&b, "| %s |", cell(p.Framework))
		for _, d := range peerDAGs {
			fmt.Fprintf(&b, " %s |", p.cell(d.dag, d.latencyMs))
		}
		fmt.Fprintf(&b, " %s |\n", p.rss())
	}
	return b.String()
}

// cell is "0.96 ms" at L=0 and "1.8 ms (1.12)" at L>0; "—" when not measured.
func (p Peer) cell(dag string, latencyMs int) string {
	i := slices.IndexFunc(p.Stats, func(s DAGStat) bool { return s.DAG == dag && s.LatencyMs == latencyMs })
	if i < 0 {
		return "—"
	}
	s := p.Stats[i]
	out := "—"
	if s.Runs > 0 {
		out = sig3(s.OverheadMs) + " ms"
	}
	if latencyMs > 0 && s.WallOverCritical > 0 {
		out += " (" + fmt.Sprintf("%.2f", s.WallOverCritical) + ")"
	}
	return out
}

// rss is the range of the peak RSS over the configurations measured.
func (p Peer) rss() string {
	var lo, hi float64
	for _, s := range p.Stats {
		if s.PeakRSSMiB <= 0 {
			continue
		}
		if lo == 0 || s.PeakRSSMiB < lo {
			lo = s.PeakRSSMiB
		}
		hi = max(hi, s.PeakRSSMiB)
	}
	switch {
	case hi == 0:
		return "—"
	case sig3(lo) == sig3(hi):
		return sig3(hi) + " MiB"
	}
	return sig3(lo) + "–" + sig3(hi) + " MiB"
}

// mrswarmFromKeys builds mrswarm's row from the headline keys, if any is set.
func mrswarmFromKeys(keys map[string]float64) (Peer, bool) {
	p := Peer{Framework: mrswarmFramework}
	for _, d := range []struct {
		dag, over, rel string
	}{{"seed", KeyStepOverheadSeedL0, KeyWallOverCriticalSeed}, {"fan8", KeyStepOverheadFan8L0, KeyWallOverCriticalFan8}} {
		if v, ok := keys[d.over]; ok {
			p.Stats = append(p.Stats, DAGStat{DAG: d.dag, LatencyMs: 0, Runs: 1, OverheadMs: v})
		}
		if v, ok := keys[d.rel]; ok {
			p.Stats = append(p.Stats, DAGStat{DAG: d.dag, LatencyMs: 20, WallOverCritical: v})
		}
	}
	return p, len(p.Stats) > 0
}
