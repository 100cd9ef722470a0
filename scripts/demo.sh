#!/usr/bin/env bash
# The main job on a fresh machine: sample data, the server on an embedded
# DuckDB file, a local Ollama, and a campaign_optimization run streamed to the
# terminal. Called by `make demo` after the binary and deps are built.
#
#   scripts/demo.sh [run]   (make demo)  start the server, load, run, report
#   scripts/demo.sh serve   (make serve) start the server in the background, load the data
#   scripts/demo.sh stop    (make stop)  stop the server that serve or run started
#
# Uses your own Ollama when MRSWARM_OLLAMA_HOST (or OLLAMA_HOST) and
# MRSWARM_MODEL are set; otherwise starts the pinned build with the tiny
# generated model (random weights: the agents' prose is noise, every number in
# the report still comes from SQL over the data).
#
# Settings (environment; the README's "The demo's settings" lists them too):
#   MRSWARM_DEMO_DIR   the demo's state: DuckDB file, data root, server.log, server.pid (.cache/demo)
#   MRSWARM_DEMO_ROWS  rows of generated sample data (15000)
#   MRSWARM_DEMO_KEEP  1 (default): from a terminal, keep the server after the run; 0: stop it
#   MRSWARM_BIN        the mrswarm binary (bin/mrswarm)
#   MRSWARM_GRPC_ADDR, MRSWARM_HTTP_ADDR, MRSWARM_DB, MRSWARM_DATA_ROOT and every other
#   server variable apply as for `mrswarm serve`.
#
# The server it starts records its pid in $MRSWARM_DEMO_DIR/server.pid. A start
# refuses, and says what to do, when that server is still running or when
# anything else listens on the addresses; the log is appended to, never truncated.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-run}
BIN=${MRSWARM_BIN:-$PWD/bin/mrswarm}
STATE=${MRSWARM_DEMO_DIR:-$PWD/.cache/demo}
ROWS=${MRSWARM_DEMO_ROWS:-15000}
export MRSWARM_GRPC_ADDR=${MRSWARM_GRPC_ADDR:-127.0.0.1:7070}
export MRSWARM_HTTP_ADDR=${MRSWARM_HTTP_ADDR:-127.0.0.1:8080}
export MRSWARM_DB=${MRSWARM_DB:-$STATE/mrswarm.duckdb}
export MRSWARM_DATA_ROOT=${MRSWARM_DATA_ROOT:-$STATE/data}
export MRSWARM_ADDR=$MRSWARM_GRPC_ADDR
# The server's bearer token (created at its first start, mode 0600) where the
# CLI, the Go and Python clients and the notebooks look for a local server's.
export MRSWARM_TOKEN_FILE=${MRSWARM_TOKEN_FILE:-$PWD/.cache/mrswarm.token}
PIDFILE=$STATE/server.pid
ADDRFILE=$STATE/server.addr
LOG=$STATE/server.log
SERVER=

die() { echo "demo: $*" >&2; exit 1; }

# own_pid prints the pid of this state folder's server if it is running.
own_pid() {
  local pid
  [[ -s $PIDFILE ]] || return 1
  pid=$(<"$PIDFILE")
  kill -0 "$pid" 2>/dev/null || return 1
  [[ $(ps -o args= -p "$pid" 2>/dev/null) == *serve* ]] || return 1
  echo "$pid"
}

# in_use succeeds when something accepts connections on host:port.
in_use() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

# check_free refuses to start a second server, ours or anyone's.
check_free() {
  local pid grpc=? http=?
  if pid=$(own_pid); then
    [[ -s $ADDRFILE ]] && read -r grpc http <"$ADDRFILE"
    die "a demo server is already running: pid $pid, gRPC $grpc, REST http://$http, state $STATE, log $LOG.
  use it:   MRSWARM_ADDR=$grpc bin/mrswarm datasets   (notebooks: MRSWARM_URL=http://$http)
  stop it:  make stop   (for another state folder: MRSWARM_DEMO_DIR=$STATE make stop)"
  fi
  for addr in "$MRSWARM_GRPC_ADDR" "$MRSWARM_HTTP_ADDR"; do
    if in_use "$addr"; then
      die "$addr is already in use by another program (a mrswarm serve of your own, or a demo with another MRSWARM_DEMO_DIR?).
  stop that program, or start this demo on free addresses with a state folder of its own
  (DuckDB locks its file), e.g.:
  MRSWARM_GRPC_ADDR=127.0.0.1:7071 MRSWARM_HTTP_ADDR=127.0.0.1:8081 MRSWARM_DEMO_DIR=/tmp/mrswarm-demo2 make demo"
    fi
  done
}

# start_server starts mrswarm serve (nohup'ed with "serve": it outlives the
# script), records its pid and addresses and waits until it answers.
start_server() {
  mkdir -p "$MRSWARM_DATA_ROOT"
  if [[ -z "${MRSWARM_OLLAMA_HOST:-${OLLAMA_HOST:-}}" || -z "${MRSWARM_MODEL:-}" ]]; then
    echo "==> no MRSWARM_OLLAMA_HOST/MRSWARM_MODEL set: using the pinned Ollama with the tiny generated model"
    export MRSWARM_MANAGED_OLLAMA=1
  fi
  if [[ ! -s $MRSWARM_DATA_ROOT/sample_sales.csv ]]; then
    echo "==> generating $ROWS rows of sample beverage sales into $MRSWARM_DATA_ROOT/sample_sales.csv"
    "$BIN" gen-data --rows "$ROWS" --seed 7 --out "$MRSWARM_DATA_ROOT/sample_sales.csv"
  fi
  echo "==> starting mrswarm serve (log: $LOG)"
  echo "==== $(date -u +%FT%TZ) mrswarm serve: gRPC $MRSWARM_GRPC_ADDR, HTTP $MRSWARM_HTTP_ADDR ====" >>"$LOG"
  if [[ $MODE == serve ]]; then
    nohup "$BIN" serve >>"$LOG" 2>&1 </dev/null &
  else
    "$BIN" serve >>"$LOG" 2>&1 &
  fi
  SERVER=$!
  echo "$SERVER" >"$PIDFILE"
  echo "$MRSWARM_GRPC_ADDR $MRSWARM_HTTP_ADDR" >"$ADDRFILE"
  for _ in $(seq 1 600); do
    kill -0 "$SERVER" 2>/dev/null || server_died
    if "$BIN" datasets >/dev/null 2>&1; then
      kill -0 "$SERVER" 2>/dev/null || server_died # the answer must come from our server
      echo "==> server up (pid $SERVER): gRPC $MRSWARM_GRPC_ADDR, REST http://$MRSWARM_HTTP_ADDR (OpenAPI at /openapi.json)"
      echo "==> token in $MRSWARM_TOKEN_FILE (found by the CLI, clients and notebooks here; curl: -H \"Authorization: Bearer \$(cat $MRSWARM_TOKEN_FILE)\")"
      return
    fi
    sleep 0.2
  done
  die "the server (pid $SERVER) did not answer within 120 s; see $LOG"
}

# server_died shows this start's part of the log with a hint, and fails.
server_died() {
  local tail
  tail=$(awk '/^==== /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$LOG" | tail -n 25)
  rm -f "$PIDFILE" "$ADDRFILE"
  SERVER=
  echo "demo: the server exited; the end of $LOG:" >&2
  echo "$tail" >&2
  case $tail in
    *lock*) die "another process uses the DuckDB file $MRSWARM_DB: stop it, or give this demo its own MRSWARM_DEMO_DIR" ;;
    *"address already in use"*) die "an address is taken: stop that program or set MRSWARM_GRPC_ADDR/MRSWARM_HTTP_ADDR" ;;
  esac
  exit 1
}

stop_server() {
  local pid
  if ! pid=$(own_pid); then
    rm -f "$PIDFILE" "$ADDRFILE"
    echo "==> no demo server is running for $STATE"
    return
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 300); do
    if ! own_pid >/dev/null; then # gone, or a zombie nobody has reaped yet
      rm -f "$PIDFILE" "$ADDRFILE"
      echo "==> stopped the demo server (pid $pid)"
      return
    fi
    sleep 0.1
  done
  die "the server (pid $pid) did not stop within 30 s; kill $pid"
}

load_data() {
  echo "==> loading the sample data as dataset 'beverage_sales'"
  "$BIN" load beverage_sales sample_sales.csv
}

# run_demo runs the analysis against the server it started and stops the server
# at the end (from a terminal it keeps serving until Ctrl-C).
run_demo() {
  trap 'if [[ -n $SERVER ]]; then kill -TERM "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -f "$PIDFILE" "$ADDRFILE"; fi' EXIT
  trap 'exit 130' INT TERM
  start_server
  load_data
  echo "==> running campaign_optimization"
  local status=0 run_id report
  "$BIN" run --dataset beverage_sales --preset campaign_optimization \
    --audience "health-conscious millennials" --budget 250000 --duration "6 months" || status=$?
  run_id=$("$BIN" runs | awk 'NR==2 {print $1}')
  report=$STATE/report-$run_id.md
  if "$BIN" report "$run_id" -o "$report"; then
    echo "==> report of $run_id written to $report"
  fi
  if [[ -t 0 && "${MRSWARM_DEMO_KEEP:-1}" == 1 ]]; then
    echo "==> the server keeps running for notebooks and the CLI; press Ctrl-C (or make stop) to stop"
    wait "$SERVER" || true
  fi
  return "$status"
}

mkdir -p "$STATE"
case $MODE in
  run) check_free; run_demo ;;
  serve)
    check_free
    start_server
    load_data
    echo "==> serving in the background; stop it with: make stop${MRSWARM_DEMO_DIR:+ (MRSWARM_DEMO_DIR=$STATE)}" ;;
  stop) stop_server ;;
  *) die "usage: $0 [run|serve|stop]" ;;
esac
