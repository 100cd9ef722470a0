#!/usr/bin/env bash
# Installs Debian's python3 packages the Python client and notebooks need,
# unless /usr/bin/python3 can already import them.
set -euo pipefail
PY=/usr/bin/python3
MODS="pandas, requests, nbclient, ipykernel, nbformat, matplotlib"
if [[ -x $PY ]] && $PY -c "import $MODS" 2>/dev/null; then
  exit 0
fi
echo "installing Debian python3 packages (pandas, requests, nbclient, ipykernel, nbformat, matplotlib)" >&2
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq python3 python3-pandas python3-requests python3-nbclient \
  python3-ipykernel python3-nbformat python3-matplotlib >/dev/null
$PY -c "import $MODS"
