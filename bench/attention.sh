#!/usr/bin/env bash
# Measures attention fusion at long sequences (fused against --no-fuse,
# with ONNX Runtime for reference) and regenerates
# docs/performance-attention.md. Installs what it needs like bench/run.sh.
# Arguments go to bench/attention.py (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

source "$KILN_ROOT/scripts/venv.sh"
kiln_install_packages python3-torch python3-onnx gcc time
kiln_build

BENCH="$KILN_ROOT/bench"
# The test helpers (kilntest) and the zoo's model definitions (make_zoo).
export PYTHONPATH="$KILN_ROOT/test:$KILN_ROOT/test/models${PYTHONPATH:+:$PYTHONPATH}"
# ONNX Runtime from PyPI, pinned in bench/requirements.txt.
kiln_venv bench "$BENCH/requirements.txt" "$BENCH/.venv"
export KILN_BENCH_PYTHON="$KILN_PYTHON"
/usr/bin/python3 "$BENCH/attention.py" --kilnc "$KILN_BUILD/bin/kilnc" \
  --work "$KILN_BUILD/bench" "$@"
