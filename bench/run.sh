#!/usr/bin/env bash
# Benchmarks Kiln against ONNX Runtime and PyTorch on this machine and
# regenerates docs/performance.md and docs/performance.png. Installs what
# it needs: Debian's Node.js, PyTorch and matplotlib, and the npm package
# onnxruntime-node (CPU build; its install script, which only fetches GPU
# parts, is skipped). Arguments go to bench/run.py (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

kiln_install_packages nodejs npm python3-torch python3-onnx python3-matplotlib \
  python3-pil fonts-dejavu-core gcc
kiln_build

BENCH="$KILN_ROOT/bench"
if [ ! -d "$BENCH/node_modules/onnxruntime-node" ]; then
  (cd "$BENCH" && npm ci --ignore-scripts --no-audit --no-fund)
fi
/usr/bin/python3 "$BENCH/run.py" --kilnc "$KILN_BUILD/bin/kilnc" \
  --work "$KILN_BUILD/bench" "$@"
