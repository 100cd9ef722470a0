#!/usr/bin/env bash
# Installs the peer frameworks the benchmark compares mrswarm with (LangGraph.js
# with its SQLite checkpointer, versions pinned in bench/peers/package.json and
# package-lock.json) into a cache folder, default .cache/bench-node, and prints
# that folder. Node, npm and a C++ compiler come from Debian when missing;
# better-sqlite3 is compiled against the node headers Debian's nodejs ships
# (/usr/include/node), so the first install takes a few minutes. Idempotent: a second run with the same lock file
# installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-.cache/bench-node}"
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
if ! command -v node >/dev/null || ! command -v npm >/dev/null || ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
  echo "installing Debian's nodejs, npm, g++ and make" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq nodejs npm g++ make python3 >/dev/null
fi
mkdir -p "$DIR"
if cmp -s bench/peers/package-lock.json "$DIR/installed.lock" && [[ -d "$DIR/node_modules" ]]; then
  echo "$DIR"
  exit 0
fi
echo "installing LangGraph.js into $DIR (npm ci)" >&2
cp bench/peers/package.json bench/peers/package-lock.json "$DIR/"
# node-gyp builds better-sqlite3 against the local headers; nothing is downloaded
# but the npm packages.
(cd "$DIR" && npm_config_nodedir=/usr npm ci --no-audit --no-fund --loglevel=error >&2)
cp bench/peers/package-lock.json "$DIR/installed.lock"
echo "$DIR"
