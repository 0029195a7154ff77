#!/usr/bin/env bash
# Benchmarks Kiln against ONNX Runtime and PyTorch on this machine and
# regenerates docs/performance.md and docs/performance.png. Installs what
# it needs: Debian's Node.js, PyTorch and matplotlib, and the npm package
# onnxruntime-node (CPU build; its install script, which only fetches GPU
# parts, is skipped). Arguments go to bench/run.py (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

extra=()
# Node.js from Debian unless a node and npm are already there (NodeSource's
# nodejs bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null || extra+=(nodejs)
command -v npm >/dev/null || extra+=(npm)
kiln_install_packages "${extra[@]}" python3-torch python3-onnx \
  python3-matplotlib python3-pil fonts-dejavu-core gcc time
kiln_build

BENCH="$KILN_ROOT/bench"
# The test helpers (kilntest) and the zoo's model definitions (make_zoo).
export PYTHONPATH="$KILN_ROOT/test:$KILN_ROOT/test/models${PYTHONPATH:+:$PYTHONPATH}"
if [ ! -d "$BENCH/node_modules/onnxruntime-node" ]; then
  (cd "$BENCH" && npm ci --ignore-scripts --no-audit --no-fund)
fi
/usr/bin/python3 "$BENCH/run.py" --kilnc "$KILN_BUILD/bin/kilnc" \
  --work "$KILN_BUILD/bench" "$@"
