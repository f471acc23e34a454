#!/usr/bin/env bash
# Installs what the tests, the demo and the bench need, on a fresh clone or a fresh machine.
# Idempotent and quick when everything is already there; `npm test` and `npm run demo` call it.
#   - npm packages (npm ci) when node_modules is missing or older than package-lock.json
#   - Debian's Chromium for the browser (karma) run, when /usr/bin/chromium is missing
#   - tfjs-node built from source against TensorFlow's wheel (scripts/setup-tfjs-node.sh)
#   - Debian's python3-torch for the exporter's tests (npm run test:exporter), when /usr/bin/python3
#     cannot import torch; TFJS_TORCH_SKIP_EXPORTER=1 skips it (`npm run demo` needs no Python)
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL_CUDA=skip

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

if [ "${TFJS_TORCH_SKIP_BROWSER:-}" != "1" ] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's chromium"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi

if [ "${TFJS_TORCH_SKIP_NODE:-}" != "1" ] && [ -f scripts/setup-tfjs-node.sh ]; then
  bash scripts/setup-tfjs-node.sh
fi

if [ "${TFJS_TORCH_SKIP_EXPORTER:-}" != "1" ] && ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  echo "setup: installing Debian's python3-torch (the exporter's tests)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch
fi
