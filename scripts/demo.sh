#!/usr/bin/env bash
# The main job on a fresh machine: sample data, the server on an embedded
# DuckDB file, a local Ollama, and a campaign_optimization run streamed to the
# terminal. Called by `make demo` after the binary and deps are built.
#
# Uses your own Ollama when MRSWARM_OLLAMA_HOST (or OLLAMA_HOST) and
# MRSWARM_MODEL are set; otherwise starts the pinned build with the tiny
# generated model (random weights: the agents' prose is noise, every number in
# the report still comes from SQL over the data).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$PWD/bin/mrswarm
STATE=${MRSWARM_DEMO_DIR:-$PWD/.cache/demo}
ROWS=${MRSWARM_DEMO_ROWS:-15000}
export MRSWARM_GRPC_ADDR=${MRSWARM_GRPC_ADDR:-127.0.0.1:7070}
export MRSWARM_HTTP_ADDR=${MRSWARM_HTTP_ADDR:-127.0.0.1:8080}
export MRSWARM_DB=${MRSWARM_DB:-$STATE/mrswarm.duckdb}
export MRSWARM_DATA_ROOT=${MRSWARM_DATA_ROOT:-$STATE/data}
export MRSWARM_ADDR=$MRSWARM_GRPC_ADDR
mkdir -p "$MRSWARM_DATA_ROOT"

if [[ -z "${MRSWARM_OLLAMA_HOST:-${OLLAMA_HOST:-}}" || -z "${MRSWARM_MODEL:-}" ]]; then
  echo "==> no MRSWARM_OLLAMA_HOST/MRSWARM_MODEL set: using the pinned Ollama with the tiny generated model"
  export MRSWARM_MANAGED_OLLAMA=1
fi

DATA=$MRSWARM_DATA_ROOT/sample_sales.csv
if [[ ! -s $DATA ]]; then
  echo "==> generating $ROWS rows of sample beverage sales into $DATA"
  "$BIN" gen-data --rows "$ROWS" --seed 7 --out "$DATA"
fi

LOG=$STATE/server.log
echo "==> starting mrswarm serve (log: $LOG)"
"$BIN" serve >"$LOG" 2>&1 &
SERVER=$!
cleanup() { kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

for _ in $(seq 1 600); do
  if "$BIN" datasets >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER" 2>/dev/null; then echo "server exited:"; cat "$LOG"; exit 1; fi
  sleep 0.2
done
echo "==> server up: gRPC $MRSWARM_GRPC_ADDR, REST http://$MRSWARM_HTTP_ADDR (OpenAPI at /openapi.json)"

echo "==> loading the sample data as dataset 'beverage_sales'"
"$BIN" load beverage_sales sample_sales.csv

echo "==> running campaign_optimization"
status=0
"$BIN" run --dataset beverage_sales --preset campaign_optimization \
  --audience "health-conscious millennials" --budget 250000 --duration "6 months" || status=$?

RUN_ID=$("$BIN" runs | awk 'NR==2 {print $1}')
REPORT=$STATE/report-$RUN_ID.md
if "$BIN" report "$RUN_ID" -o "$REPORT"; then
  echo "==> report of $RUN_ID written to $REPORT"
fi

if [[ -t 0 && "${MRSWARM_DEMO_KEEP:-1}" == 1 ]]; then
  echo "==> the server keeps running for notebooks and the CLI; press Ctrl-C to stop"
  wait "$SERVER"
fi
exit "$status"
