#!/usr/bin/env bash
# Runs every native Go fuzz target for a bounded time each:
#   scripts/fuzz.sh [fuzztime]   (default 10s; `make test` uses 10s, `make fuzz` 2m)
# Inputs that fail are written to the package's testdata/fuzz/<Target>/ and
# from then on run as regression cases by plain `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
TIME=${1:-10s}
GO=${GO:-go}
targets=(
  "./sql/store FuzzUserSQLGuard"
  "./sql/store FuzzIngest"
  "./server FuzzToolArgs"
  "./server FuzzValidatePipeline"
  "./server FuzzPageParams"
)
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "==> $name ($pkg, $TIME)"
  $GO test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$TIME" -parallel 2
done
