#!/usr/bin/env bash
# Measures attention fusion at long sequences (fused against --no-fuse,
# with ONNX Runtime for reference) and regenerates
# docs/performance-attention.md. Installs what it needs like bench/run.sh.
# Arguments go to bench/attention.py (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

extra=()
command -v node >/dev/null || extra+=(nodejs)
command -v npm >/dev/null || extra+=(npm)
kiln_install_packages "${extra[@]}" python3-torch python3-onnx gcc time
kiln_build

BENCH="$KILN_ROOT/bench"
# The test helpers (kilntest) and the zoo's model definitions (make_zoo).
export PYTHONPATH="$KILN_ROOT/test:$KILN_ROOT/test/models${PYTHONPATH:+:$PYTHONPATH}"
if [ ! -d "$BENCH/node_modules/onnxruntime-node" ]; then
  (cd "$BENCH" && npm ci --ignore-scripts --no-audit --no-fund)
fi
/usr/bin/python3 "$BENCH/attention.py" --kilnc "$KILN_BUILD/bin/kilnc" \
  --work "$KILN_BUILD/bench" "$@"
