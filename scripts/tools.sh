#!/usr/bin/env bash
# Installs the pinned generators and the pinned Ollama into .tools/bin,
# reusing whatever is already there. Usage: scripts/tools.sh [gen|lint|ollama|all]
set -euo pipefail
cd "$(dirname "$0")/.."
export GOBIN="$PWD/.tools/bin"
mkdir -p "$GOBIN"

BUF=github.com/bufbuild/buf/cmd/buf@v1.75.0
GEN_GO=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
GEN_GRPC=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
GEN_GW=github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@v2.33.0
GEN_OA=github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@v2.33.0
OLLAMA=github.com/ollama/ollama@v0.6.5
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2

# install PKG@VERSION: go install unless the binary of that version is present.
install() {
  local pkg="$1" name stamp
  name="$(basename "${pkg%@*}")"
  stamp="$GOBIN/.$name.version"
  if [[ -x "$GOBIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$pkg" ]]; then
    return 0
  fi
  echo "installing $pkg into $GOBIN" >&2
  go install "$pkg"
  echo "$pkg" > "$stamp"
}

case "${1:-all}" in
  gen) for p in "$BUF" "$GEN_GO" "$GEN_GRPC" "$GEN_GW" "$GEN_OA"; do install "$p"; done ;;
  lint) install "$STATICCHECK" ;;
  ollama) install "$OLLAMA" ;;
  all) for p in "$BUF" "$GEN_GO" "$GEN_GRPC" "$GEN_GW" "$GEN_OA" "$STATICCHECK" "$OLLAMA"; do install "$p"; done ;;
  *) echo "usage: $0 [gen|lint|ollama|all]" >&2; exit 2 ;;
esac
