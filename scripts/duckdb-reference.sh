#!/usr/bin/env bash
# Compares the DuckDB mrswarm links (duckdb-go and its prebuilt static library)
# with the official build of the same version (the library inside the npm
# package @duckdb/node-bindings-linux-x64, pinned in bench/duckdb-ref) on the
# same statements over the same generated 1M-row CSV (gen-data, seed 7, as the
# sql/store benchmarks write it):
#   ctas_memory  CREATE TABLE t AS SELECT * FROM read_csv(...) into memory
#   ctas_file    the same into a new database file
#   count        SELECT count(*) FROM read_csv(...) (the values are not converted)
# Every case runs in a fresh process; the two builds take turns, ROUNDS times
# (default 3). Prints one line per run and then, per build and case, the
# median and minimum wall and process CPU ms. THREADS=n sets DuckDB's threads.
# Node and npm come from Debian when missing; the npm packages are installed
# into .cache/duckdb-ref (nothing of them is committed).
# Usage: scripts/duckdb-reference.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-3}"
DIR=.cache/duckdb-ref
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "installing Debian's nodejs and npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
mkdir -p "$DIR"
if ! cmp -s bench/duckdb-ref/package-lock.json "$DIR/installed.lock" || [[ ! -d "$DIR/node_modules" ]]; then
  echo "installing the official DuckDB build into $DIR (npm ci)" >&2
  cp bench/duckdb-ref/package.json bench/duckdb-ref/package-lock.json "$DIR/"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp bench/duckdb-ref/package-lock.json "$DIR/installed.lock"
fi
cp bench/duckdb-ref/run.mjs "$DIR/run.mjs"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
go build -o "$WORK/duckdbsql" ./bench/cmd/duckdbsql
go run ./cmd/mrswarm gen-data --rows 1000000 --seed 7 --out "$WORK/sales_1m.csv"
CSV="$WORK/sales_1m.csv"

# runsql BUILD DBFILE SQL...: the JSON lines of one fresh process.
runsql() {
  local build=$1; shift
  local pre=(); [[ -n "${THREADS:-}" ]] && pre=("SET threads = $THREADS")
  case $build in
    go) "$WORK/duckdbsql" "$1" "${pre[@]}" "${@:2}" ;;
    official) node "$DIR/run.mjs" "$1" "${pre[@]}" "${@:2}" ;;
  esac
}

for build in go official; do
  printf '%-8s %s\n' "$build" "$(runsql $build "" "SELECT version() || ' ' || source_id FROM pragma_version()" | tail -1)"
done
CTAS="CREATE TABLE t AS SELECT * FROM read_csv('$CSV')"
COUNT="SELECT count(*) FROM read_csv('$CSV')"
printf 'round\tbuild\tcase\twall_ms\tcpu_ms\n' | tee "$WORK/runs.tsv"
for round in $(seq "$ROUNDS"); do
  for c in ctas_memory ctas_file count; do
    for build in go official; do
      db=""; sql=$CTAS
      [[ $c == ctas_file ]] && { rm -f "$WORK"/ref.duckdb*; db="$WORK/ref.duckdb"; }
      [[ $c == count ]] && sql=$COUNT
      runsql $build "$db" "$sql" | tail -1 | python3 -c 'import json,sys
l = json.loads(sys.stdin.read())
print("%s\t%s\t%s\t%.0f\t%.0f" % (sys.argv[1], sys.argv[2], sys.argv[3], l["wall_ms"], l["cpu_ms"]))' "$round" "$build" "$c" | tee -a "$WORK/runs.tsv"
    done
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK/runs.tsv" <<'EOF'
import csv, statistics, sys
runs = {}
for r in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    runs.setdefault((r["case"], r["build"]), []).append((float(r["wall_ms"]), float(r["cpu_ms"])))
print("case         build     n  wall median/min ms   cpu median/min ms")
for (case, build), v in sorted(runs.items()):
    w, c = [x[0] for x in v], [x[1] for x in v]
    print(f"{case:<12} {build:<8} {len(v):>2}  {statistics.median(w):7.0f} / {min(w):5.0f}   {statistics.median(c):7.0f} / {min(c):5.0f}")
EOF
