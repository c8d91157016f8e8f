#!/usr/bin/env bash
# Install the system tools the UI tests need (Xvfb for Kivy, Debian's Chromium for the map).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v xvfb-run >/dev/null || need+=(xvfb xauth)
command -v chromium >/dev/null || need+=(chromium)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq || true
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "test tools: xvfb-run and chromium present"
