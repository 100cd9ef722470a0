#!/usr/bin/env bash
# Runs mrswarm's benchmark suite and writes one markdown table plus JSON into
# results/ (not committed): results/latest.md, results/latest.json and a
# time-stamped copy of each. `make bench` builds bin/mrswarm and the pinned Ollama
# first. Extra arguments go to bench/cmd/benchreport (e.g. -reps 3, -ollama=off,
# -quick). The 10M-row tool latencies run unless MRSWARM_BENCH_10M=0 (about a
# minute and a half of the ~5 minutes on a 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/.."
export OLLAMA_NUM_PARALLEL="${OLLAMA_NUM_PARALLEL:-2}"
export MRSWARM_BENCH_10M="${MRSWARM_BENCH_10M:-1}"
mkdir -p results

# The pipeline's token tracker is unexported: its own go benchmark measures the
# cost per call, and the report folds that output into the same table.
go test -run '^$' -bench '^BenchmarkTracker$' -benchtime 1s -count 1 ./pipeline/ | tee results/gobench.txt
# response_curves + optimize_budget on 3 years × 8 channels daily and on 1M rows.
go test -run '^$' -bench '^BenchmarkMarketingMix$' -benchtime 5x -count 1 ./sql/tools/ | tee -a results/gobench.txt
# Server memory over 200 scripted campaign runs, in a process of its own (idle,
# loaded, after 1, 10 and 200 runs; rss_after_200_runs_mib).
go test -run '^$' -bench '^BenchmarkRunsRSS$' -benchtime 1x -count 1 ./pipeline/ | tee -a results/gobench.txt

# LangGraph.js (pinned in bench/peers) for the peer table, installed once; without
# it the table has no peer rows and the report says why.
PEERS="$(scripts/bench-node.sh)" || { echo "bench: LangGraph.js not installed, peers skipped" >&2; PEERS=""; }

go run ./bench/cmd/benchreport -out results -gobench results/gobench.txt \
	-num-parallel "$OLLAMA_NUM_PARALLEL" -server bin/mrswarm -peers "$PEERS" -command "make bench" "$@"
