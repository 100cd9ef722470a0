package bench

import (
	"fmt"
	"slices"
	"strings"
)

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
