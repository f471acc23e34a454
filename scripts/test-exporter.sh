#!/usr/bin/env bash
# `npm run test:exporter`: the Python exporter's own tests (python/tests) under Debian's torch 1.13
# (/usr/bin/python3; scripts/setup.sh installs python3-torch), exporting fresh models and checking
# them in Node on cpu, tensorflow and wasm. TFJS_TORCH_SKIP_EXPORTER=1 (setup.sh's switch) skips them,
# loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${TFJS_TORCH_SKIP_EXPORTER:-}" = "1" ]; then
  echo "test:exporter: SKIPPED (TFJS_TORCH_SKIP_EXPORTER=1)"
  exit 0
fi
export TFJS_TORCH_EXPORTER_BACKENDS=${TFJS_TORCH_EXPORTER_BACKENDS:-cpu,tensorflow,wasm}
exec /usr/bin/python3 -m unittest discover -s python/tests -v "$@"
