#!/usr/bin/env bash
# Installs Debian's chromium for the console's browser tests (headless, driven
# from Go with chromedp), unless a Chromium is already on PATH.
set -euo pipefail
for b in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$b" >/dev/null 2>&1; then
    exit 0
  fi
done
echo "installing Debian's chromium (headless browser tests of the web console)" >&2
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
