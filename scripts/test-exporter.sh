#!/usr/bin/env bash
# `npm run test:exporter`: the Python exporter's own tests (python/tests) under current PyTorch (the
# venv scripts/setup.sh makes: $TFJS_TORCH_VENV, default ~/.cache/tfjs-torch/torch2), exporting
# fresh models and checking them in Node on cpu, tensorflow and wasm. TFJS_TORCH_SKIP_EXPORTER=1 (setup.sh's switch) skips them,
# loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${TFJS_TORCH_SKIP_EXPORTER:-}" = "1" ]; then
  echo "test:exporter: SKIPPED (TFJS_TORCH_SKIP_EXPORTER=1)"
  exit 0
fi
export TFJS_TORCH_EXPORTER_BACKENDS=${TFJS_TORCH_EXPORTER_BACKENDS:-cpu,tensorflow,wasm}
VENV="${TFJS_TORCH_VENV:-$HOME/.cache/tfjs-torch/torch2}"
if ! "$VENV/bin/python" -c 'import torch' >/dev/null 2>&1; then
  echo "test:exporter: no PyTorch venv at $VENV (run scripts/setup.sh, or set TFJS_TORCH_VENV)" >&2
  exit 1
fi
exec "$VENV/bin/python" -m unittest discover -s python/tests -v "$@"
