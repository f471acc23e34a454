#!/usr/bin/env bash
# Installs what the tests, the demo and the bench need, on a fresh clone or a fresh machine.
# Idempotent and quick when everything is already there; `npm test` and `npm run demo` call it.
#   - npm packages (npm ci) when node_modules is missing or older than package-lock.json
#   - Debian's Chromium for the browser (karma) run, when /usr/bin/chromium is missing
#   - tfjs-node built from source against TensorFlow's wheel (scripts/setup-tfjs-node.sh)
#   - a venv with current PyTorch for the exporter's tests (npm run test:exporter), unless it already
#     imports torch ($TFJS_TORCH_VENV, default ~/.cache/tfjs-torch/torch2); TFJS_TORCH_SKIP_EXPORTER=1
#     skips it (`npm run demo` needs no Python)
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

# The exporter (python/tfjs_torch, torch.export) needs PyTorch >= 2.6: a venv with current torch
# from PyPI (about 5.5 GB, a few minutes), reused when it already imports torch. The op fixtures
# stay on Debian's torch 1.13 (/usr/bin/python3, scripts/fixtures).
TORCH_VENV="${TFJS_TORCH_VENV:-$HOME/.cache/tfjs-torch/torch2}"
if [ "${TFJS_TORCH_SKIP_EXPORTER:-}" != "1" ] && ! "$TORCH_VENV/bin/python" -c 'import torch, numpy, einops' >/dev/null 2>&1; then
  echo "setup: creating the exporter's venv $TORCH_VENV (pip install torch numpy einops)"
  python3 -m venv "$TORCH_VENV"
  "$TORCH_VENV/bin/pip" install --quiet --upgrade pip
  # einops: the zoo's SegFormer (lucidrains/segformer-pytorch) imports it.
  "$TORCH_VENV/bin/pip" install --quiet torch numpy einops
fi
